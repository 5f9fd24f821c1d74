"""`cart837 serve` over real HTTP (a child process on 127.0.0.1, a free port): security and function."""

from __future__ import annotations

import json
import re
import shutil
import signal
import socket
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.review.server import Server, start
from tests.support import CHILD_PYTHONPATH, ROOT, cart837_command, generate

DEMO = ROOT / "fixtures" / "demo"
EPISODE = DEMO / "cart-medicare-outpatient-episode.837"
PHI = ("HARTWELL", "EUGENE", "4TJ9EK2WN83", "19570611")  # the episode file's subscriber (synthetic, but PHI-shaped)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = start(DEMO, tmp_path / "tmp", "-v")
    try:
        running.login()
        yield running
    finally:
        running.stop()


def _open(server: Server, name: str, data: bytes) -> tuple[str, str]:
    """Upload a file; return its session's address and the page once its run is done."""
    reply = server.upload(name, data)
    assert reply.status == 303, reply.text
    location = reply.headers["location"]
    return location, server.wait_ready(location).text


def test_loopback_by_default_and_the_token_in_the_announced_address(server: Server) -> None:
    assert server.url.startswith(f"http://127.0.0.1:{server.port}/?token=") and len(server.token) == 48
    outside = [a for a in socket.gethostbyname_ex(socket.gethostname())[2] if not a.startswith("127.")]
    for address in outside:  # another interface of this machine: nothing listens there
        with socket.socket() as probe:
            probe.settimeout(2)
            assert probe.connect_ex((address, server.port)) != 0


@pytest.mark.parametrize("path", ["/", "/static/review.css", "/f/nosuch", "/f/nosuch/download/fixed", "/f/x/status"])
def test_every_request_needs_the_token(server: Server, path: str) -> None:
    assert server.request("GET", path, auth=False).status == 403
    wrong = "0" * 48
    assert server.request("GET", f"{path}?token={wrong}", auth=False).status == 403
    assert server.request("GET", path, headers={"Cookie": f"cart837-token-{server.port}={wrong}"}).status == 403
    assert server.request("GET", path, headers={"Authorization": f"token {server.token}"}, auth=False).status != 403


def test_the_token_becomes_an_httponly_strict_cookie_and_leaves_the_address(server: Server) -> None:
    reply = server.request("GET", f"/?token={server.token}&page=2", auth=False)
    assert reply.status == 303 and reply.headers["location"] == "/?page=2"
    cookie = reply.headers["set-cookie"]
    assert cookie.startswith(f"cart837-token-{server.port}={server.token};")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert server.request("GET", "/").status == 200


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1:1", "192.168.1.5:{port}", ""])
def test_host_header_must_name_the_bound_address(server: Server, host: str) -> None:
    reply = server.request("GET", f"/?token={server.token}", headers={"Host": host.format(port=server.port)})
    assert reply.status == 403 and "Host" in reply.text
    assert server.request("GET", "/", headers={"Host": f"localhost:{server.port}"}).status == 200


def test_state_changing_requests_need_the_xsrf_value_and_the_same_site(server: Server) -> None:
    before = server.request("GET", "/").text
    assert server.post_form("/open", {"path": EPISODE.name}, xsrf=False).status == 403
    no_cookie = server.request("POST", f"/open?_xsrf={server.xsrf()}", b"path=x", auth=False)
    assert no_cookie.status == 403  # a cross-site form post: SameSite=Strict keeps the cookie home
    for headers in ({"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        forged = server.request(
            "POST",
            f"/open?_xsrf={server.xsrf()}",
            b"path=" + EPISODE.name.encode(),
            {"Content-Type": "application/x-www-form-urlencoded", **headers},
        )
        assert forged.status == 403
    assert server.request("GET", "/").text == before  # nothing was opened
    assert server.post_form("/open", {"path": EPISODE.name}).status == 303


def test_csp_and_no_third_party_assets_on_every_page(server: Server) -> None:
    location, page = _open(server, EPISODE.name, EPISODE.read_bytes())
    for path in ("/", location, "/static/review.css", f"{location}/download/report.html", "/f/nosuch"):
        reply = server.request("GET", path)
        csp = reply.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "http" not in csp and "*" not in csp
        assert reply.headers["x-frame-options"] == "DENY" and reply.headers["cache-control"] == "no-store"
    assert not re.search(r"""(src|href|action)=["'](https?:)?//""", page)
    assert re.findall(r"""(?:src|href)="(/static/[^"]+)""", page) == ["/static/review.css"]


def test_phi_only_when_revealed_on_that_screen_and_never_in_logs_or_reports(server: Server) -> None:
    location, page = _open(server, EPISODE.name, EPISODE.read_bytes())
    assert not any(value in page for value in PHI)
    number = re.search(r'id="claim-(\d+)"', page)
    assert number is not None
    revealed = server.request("GET", f"{location}?reveal={number.group(1)}").text
    assert all(value in revealed for value in PHI) and "PHI" in revealed
    assert not any(value in server.request("GET", location).text for value in PHI)  # the next screen hides it again
    for what in ("report.json", "report.md", "report.html", "decisions"):
        assert not any(value in server.request("GET", f"{location}/download/{what}").text for value in PHI)
    logs = server.stop()
    assert "review_file_opened" in logs  # -v: the server did log
    assert not any(value in logs for value in PHI) and logs.count(server.token) == 1  # only the address printed


def test_uploads_live_in_a_private_folder_removed_on_exit(tmp_path: Path) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        server = start(None, tmp_path / sig.name)
        server.login()
        data = EPISODE.read_bytes()
        _open(server, "upload.837", data)
        private = list((tmp_path / sig.name).glob("cart837-review-*"))
        assert len(private) == 1 and stat.S_IMODE(private[0].stat().st_mode) == 0o700
        assert [p.read_bytes() for p in private[0].rglob("upload.837") if p.parent.name == "in"] == [data]
        server.stop(sig)
        assert server.process.returncode is not None and not private[0].exists()
        assert not [p for p in (tmp_path / sig.name).iterdir() if p.name != "server.log"]


def test_a_bad_file_shows_the_clis_one_line_error(server: Server, tmp_path: Path) -> None:
    bad = EPISODE.read_bytes().replace(b"SE*", b"SE*9", 1)
    (tmp_path / "bad.837").write_bytes(bad)
    cli = cart837_command(["fix", "bad.837"], cwd=tmp_path)
    line = next(li for li in cli.stderr.decode().splitlines() if li.startswith("cart837: error: "))
    location, page = _open(server, "bad.837", bad)
    shown = re.search(r'<p class="error" role="alert" id="error">([^<]*)</p>', page)
    assert shown is not None and shown.group(1) == line.replace("'", "&#39;")
    assert server.request("GET", f"{location}/download/fixed").status == 404


def test_nothing_crashes_the_server(server: Server) -> None:
    location, _ = _open(server, EPISODE.name, EPISODE.read_bytes())
    attempts = [
        ("GET", f"{location}?page=-5&reveal=abc"),
        ("GET", f"{location}?page=99999999999999"),
        ("GET", "/f/../../etc/passwd"),
        ("GET", f"{location}/download/../../x"),
        ("GET", "/static/../session.py"),
    ]
    for method, path in attempts:
        assert server.request(method, path).status in (200, 303, 400, 404)
    for fields in (
        {"scope": "rule", "target": "CART-999", "verdict": "reject"},
        {"scope": "finding", "target": "<script>", "verdict": "reject"},
        {"scope": "claim", "target": "x", "verdict": "maybe"},
        {},
    ):
        assert server.post_form(f"{location}/decide", fields).status in (303, 400)
    assert server.post_form("/open", {"path": "../../../etc/passwd"}).status == 404
    junk = server.request(
        "POST", f"/upload?_xsrf={server.xsrf()}", b"\x00" * 100, {"Content-Type": "multipart/form-data; boundary=zz"}
    )
    assert junk.status in (400, 500)
    _, page = _open(server, "empty.837", b"")
    assert "cart837: error: empty.837" in page
    _, page = _open(server, "random.bin", bytes(range(256)) * 40)
    assert "cart837: error: random.bin" in page
    assert server.request("GET", "/").status == 200 and server.process.poll() is None


def _decide(server: Server, location: str, scope: str, target: str, verdict: str = "reject") -> str:
    reply = server.post_form(f"{location}/decide", {"scope": scope, "target": target, "verdict": verdict, "page": "1"})
    assert reply.status == 303, reply.text
    return server.wait_ready(location).text


def test_decisions_download_and_replay_byte_for_byte(server: Server, tmp_path: Path) -> None:
    source = DEMO / "cart-catiii-2025-crosswalk.837"
    location, page = _open(server, source.name, source.read_bytes())
    ids = re.findall(r'data-scope="finding" data-target="([0-9a-f]{16})"', page)
    assert len(ids) >= 3
    page = _decide(server, location, "finding", ids[1])
    assert f'data-scope="finding" data-target="{ids[1]}">Accept' in page
    page = _decide(server, location, "rule", "CART-003")
    claim = re.search(r'id="claim-(\d+)"', page)
    assert claim is not None
    for step in (("claim", claim.group(1), "accept"), ("finding", ids[1], "reject")):
        page = _decide(server, location, *step)
    fixed = server.request("GET", f"{location}/download/fixed")
    decisions = server.request("GET", f"{location}/download/decisions")
    assert fixed.status == decisions.status == 200
    assert 'filename="cart-catiii-2025-crosswalk.decisions.json"' in decisions.headers["content-disposition"]
    assert json.loads(decisions.body)["file_sha256"]  # something was rejected
    (tmp_path / "d.json").write_bytes(decisions.body)
    shutil.copy(source, tmp_path / source.name)
    replay = cart837_command(["fix", source.name, "--decisions", "d.json"], cwd=tmp_path)
    assert replay.returncode == 0 and replay.stdout == fixed.body
    assert fixed.body != cart837_command(["fix", source.name], cwd=tmp_path).stdout
    report = json.loads(server.request("GET", f"{location}/download/report.json").body)
    assert report["schema"] == 2 and report["files"][0]["decisions"] == [ids[1]]
    assert report["files"][0]["path"] == source.name


def test_a_big_file_opens_paged_with_progress_first(tmp_path: Path) -> None:
    big = generate(claims=40000, seed=21, cart_share=0.3)
    server = start(None, tmp_path / "tmp")
    try:
        server.login()
        reply = server.upload("big.837", big.read_bytes())
        first = server.request("GET", reply.headers["location"]).text
        assert 'http-equiv="refresh"' in first and "Running" in first and "<progress" in first
        page = server.wait_ready(reply.headers["location"])
        assert page.status == 200
        sections = re.findall(r'<section class="claim ', page.text)
        pages = re.search(r"page 1 of (\d+) \((\d+) claims with findings\)", page.text)
        assert pages is not None and len(sections) == 25 and int(pages.group(2)) > 1000
        assert len(page.body) < 400_000  # one page, not the file's thousands of claims
        last = server.request("GET", f"{reply.headers['location']}?page={pages.group(1)}").text
        assert 0 < len(re.findall(r'<section class="claim ', last)) <= 25
    finally:
        server.stop()


def test_serve_without_the_review_extra_says_how_to_install_it(tmp_path: Path) -> None:
    blocker = tmp_path / "block" / "uvicorn"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('blocked for the test', name='uvicorn')\n")
    import os
    import sys

    env = {**os.environ, "PYTHONPATH": f"{tmp_path / 'block'}:{CHILD_PYTHONPATH}"}
    done = subprocess.run([sys.executable, "-m", "cart837", "serve"], capture_output=True, env=env, timeout=60)
    assert done.returncode == 2
    lines = done.stderr.decode().splitlines()  # plain lines on a terminal, JSON records otherwise
    said = [json.loads(line)["message"] if line.startswith("{") else line for line in lines]
    errors = [line for line in said if line.startswith("cart837: error: ")]
    assert len(errors) == 1 and errors[0].endswith("pip install 'cart837[review]'")
    assert "Traceback" not in done.stderr.decode()
