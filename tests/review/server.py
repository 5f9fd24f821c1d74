"""Start `cart837 serve` in a child process on 127.0.0.1 and talk to it over real HTTP."""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from tests.support import CHILD_PYTHONPATH

URL_LINE = re.compile(r"open (http://\S+/\?token=([0-9a-f]{48}))")


@dataclass
class Reply:
    """One HTTP response, read whole."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        """Return the body as text."""
        return self.body.decode("utf-8", "replace")


@dataclass
class Server:
    """A running `cart837 serve` child process."""

    process: subprocess.Popen[bytes]
    url: str
    token: str
    tmpdir: Path
    log: Path
    cookie: str = ""

    @property
    def host(self) -> str:
        """Return host:port as the server was announced."""
        return urlsplit(self.url).netloc

    @property
    def port(self) -> int:
        """Return the port it listens on."""
        return urlsplit(self.url).port or 0

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        *,
        auth: bool = True,
    ) -> Reply:
        """Send one request; with `auth` the login cookie goes with it (log in first)."""
        sent = {"Host": self.host, **(headers or {})}
        if auth and self.cookie and "Cookie" not in sent:
            sent["Cookie"] = self.cookie
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            connection.close()

    def login(self) -> Reply:
        """Visit the announced address once: keep the cookie it sets."""
        reply = self.request("GET", f"/?token={self.token}", auth=False)
        self.cookie = reply.headers["set-cookie"].split(";")[0]
        return reply

    def xsrf(self) -> str:
        """Return the XSRF value the home page's forms carry."""
        found = re.search(r"_xsrf=([0-9a-f]+)", self.request("GET", "/").text)
        assert found is not None
        return found.group(1)

    def post_form(self, path: str, fields: dict[str, str], *, xsrf: bool = True) -> Reply:
        """POST an urlencoded form (with the XSRF value in the action, as the pages do)."""
        from urllib.parse import urlencode

        target = f"{path}?_xsrf={self.xsrf()}" if xsrf else path
        return self.request(
            "POST", target, urlencode(fields).encode(), {"Content-Type": "application/x-www-form-urlencoded"}
        )

    def upload(self, name: str, data: bytes) -> Reply:
        """POST a file as the upload form does."""
        boundary = uuid.uuid4().hex
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + data
            + f"\r\n--{boundary}--\r\n".encode()
        )
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        return self.request("POST", f"/upload?_xsrf={self.xsrf()}", body, headers)

    def wait_ready(self, location: str, timeout: float = 300) -> Reply:
        """Follow a session page until its run is done (the progress page reloads itself)."""
        deadline = time.monotonic() + timeout
        while True:
            reply = self.request("GET", location)
            if 'http-equiv="refresh"' not in reply.text or time.monotonic() > deadline:
                return reply
            time.sleep(0.5)

    def stop(self, sig: int = signal.SIGINT) -> str:
        """Stop the server the way a person does (Ctrl-C); return everything it wrote."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.log.read_text()


def start(folder: Path | None, tmpdir: Path, *extra: str) -> Server:
    """Start `cart837 serve` on a free port with its temporary files under `tmpdir`; its output goes to a log file."""
    tmpdir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "TMPDIR": str(tmpdir), "PYTHONPATH": CHILD_PYTHONPATH}
    script = Path(sys.executable).parent / "cart837"
    args = [str(script), "serve", *([str(folder)] if folder else []), "--port", "0", *extra]
    log = tmpdir / "server.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(args, stdout=sink, stderr=subprocess.STDOUT, env=env, cwd=tmpdir)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        found = URL_LINE.search(log.read_text())
        if found:
            return Server(process, found.group(1), found.group(2), tmpdir, log)
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("cart837 serve did not announce its address: " + log.read_text())
