"""Running the web view: uvicorn on a socket we bind ourselves (so the URL printed is the one
bound, even for port 0), stopping cleanly on Ctrl-C or SIGTERM."""

from __future__ import annotations

import ipaddress
import signal
import socket
from collections.abc import Callable
from contextlib import contextmanager

LOOPBACK_NAMES = {"localhost"}


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: a free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def serve(
    app,
    sock: socket.socket,
    *,
    on_ready: Callable[[], None] | None = None,
    on_stop: Callable[[], None] | None = None,
) -> None:
    """Serve app on sock until SIGINT or SIGTERM; then finish the requests under way and return.
    on_ready runs once the signals are caught (so a signal sent as soon as the URL is printed
    stops the server cleanly too); the socket already listens then, so requests wait for it."""
    import uvicorn

    class Server(uvicorn.Server):
        @contextmanager
        def capture_signals(self):
            # uvicorn re-raises the signal after shutting down (so the process dies of it); a
            # command stops cleanly instead, with exit status 0.
            handled = (signal.SIGINT, signal.SIGTERM)
            originals = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
            if on_ready:
                on_ready()
            try:
                yield
            finally:
                for sig, handler in originals.items():
                    signal.signal(sig, handler)

    config = uvicorn.Config(
        app, log_level="warning", lifespan="off", access_log=False, timeout_graceful_shutdown=5
    )
    Server(config).run(sockets=[sock])
    if on_stop:
        on_stop()
