"""Start the review page: a private temp folder, a per-launch token, a socket on loopback, uvicorn.

Everything the server writes (uploads, python-multipart's spooled parts, outputs, reports) goes
under one private folder (mode 0700) that is removed when the server stops.
"""

from __future__ import annotations

import secrets
import shutil
import signal
import socket
import tempfile
from collections.abc import Callable
from pathlib import Path

import uvicorn

from cart837.config import Config
from cart837.review.app import ReviewState, create_app
from cart837.review.security import Guard, allowed_hosts, is_loopback


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(0)


def open_socket(host: str, port: int) -> socket.socket:
    """Bind and listen on host:port (port 0: any free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def serve(folder: Path | None, host: str, port: int, config: Config, announce: Callable[[str], None]) -> None:
    """Serve until interrupted; `announce` is told the address to open (it carries the token)."""
    sock = open_socket(host, port)
    bound = sock.getsockname()[1]
    private = Path(tempfile.mkdtemp(prefix="cart837-review-"))
    previous_tempdir = tempfile.tempdir
    tempfile.tempdir = str(private)  # spooled uploads and cart837's own temp files stay private too
    token = secrets.token_hex(24)
    state = ReviewState(token=token, private=private / "sessions", config=config, folder=folder)
    state.private.mkdir()
    guard = Guard(create_app(state), token, allowed_hosts(host, bound), cookie=f"cart837-token-{bound}")
    shown = f"[{host}]" if ":" in host else host
    if not is_loopback(host):
        announce(f"warning: listening on {host}, not on loopback: anyone who reaches it with the token sees claims")
    announce(f"cart837 review: open http://{shown}:{bound}/?token={token}")
    announce("(Ctrl-C stops the server and deletes its uploads and outputs)")
    server = uvicorn.Server(
        uvicorn.Config(
            guard, log_config=None, log_level="warning", access_log=False, lifespan="off", server_header=False
        )
    )
    # uvicorn re-raises the signal that stopped it once it has shut down: turn SIGTERM into an
    # exception like Ctrl-C's, so the private folder is removed either way.
    signal.signal(signal.SIGTERM, _stop)
    try:
        server.run(sockets=[sock])
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        state.executor.shutdown(wait=True, cancel_futures=True)
        tempfile.tempdir = previous_tempdir
        shutil.rmtree(private, ignore_errors=True)
        sock.close()
