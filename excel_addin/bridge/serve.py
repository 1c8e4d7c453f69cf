"""`docrelay-excel serve [--port N]`: the bridge on https://localhost:N (127.0.0.1 only), until Ctrl+C
or a stop signal. Uvicorn serves the Starlette app on a socket bound here, so the loopback-only bind
is this module's, never a setting."""

from __future__ import annotations

import errno
import signal
import socket
import sys
from types import FrameType
from typing import Any

from core.errors import UsageError
from core.workbook.live import LiveService
from excel_addin.bridge.certs import ensure_pki
from excel_addin.bridge.home import bridge_home, load_identity

BIND_ADDRESS = "127.0.0.1"


def _server_class() -> type[Any]:
    import uvicorn

    class Server(uvicorn.Server):
        """A stop signal (Ctrl+C, SIGTERM, Ctrl+Break) is the bridge's normal end: uvicorn would raise it
        again after its graceful shutdown, and the command would report an interruption."""

        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            if self.should_exit and sig == signal.SIGINT:
                self.force_exit = True
            else:
                self.should_exit = True

    return Server


def bind(port: int) -> socket.socket:
    """A listening socket on 127.0.0.1:port; a clear error when the port is taken."""
    # IPPROTO_TCP named outright: asyncio turns Nagle's algorithm off (TCP_NODELAY) only on sockets that
    # say they are TCP, and with it on, an answer written as two TLS records (head, then body) waited
    # for the pane's delayed ACK: 40 ms for every request on a busy kept-alive connection.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    if sys.platform != "win32":  # on Windows this option would let two bridges share the port
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((BIND_ADDRESS, port))
    except OSError as exc:
        sock.close()
        taken = exc.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", -1), errno.EACCES)
        raise UsageError(
            f"Port {port} on {BIND_ADDRESS} is in use" if taken else f"Cannot listen on port {port}: {exc}",
            hint="Another bridge may be running already (its pane works as it is); or choose another "
            "port with --port N and run install-addin --port N again so that Excel uses it.",
        ) from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def serve(
    *,
    port: int | None = None,
    provider: str | None = None,
    model: str | None = None,
    profile: str | None = None,
    journal: str | None = None,
    concurrency: int | None = None,
    verbose: bool = False,
    on_ready: Any = None,
) -> dict[str, Any]:
    """Run the bridge until stopped; what it served, for the JSON envelope."""
    import uvicorn

    from excel_addin.bridge.app import create_app

    home = bridge_home()
    identity = load_identity(home, port=port)
    pki = ensure_pki(home)
    sock = bind(identity.port)
    service = LiveService(
        home, provider=provider, model=model, profile=profile, journal=journal, concurrency=concurrency
    )
    url = f"https://localhost:{identity.port}"
    try:
        app = create_app(
            service, home=home, port=identity.port, token=identity.token, addin_id=identity.addin_id
        )
        config = uvicorn.Config(
            app,
            ssl_certfile=str(pki.server_cert),
            ssl_keyfile=str(pki.server_key),
            http="httptools",  # a dependency, named so that a bundle missing it fails at once
            log_level="info" if verbose else "warning",
            access_log=verbose,
            lifespan="off",
            server_header=False,
            date_header=False,
            proxy_headers=False,
            timeout_graceful_shutdown=3,
        )
        server = _server_class()(config)
        if on_ready is not None:
            on_ready(url, service.health())
        server.run(sockets=[sock])
    finally:
        service.close()
        sock.close()
    return {"url": url, "port": identity.port, "home": str(home), "ca_certificate": str(pki.ca_cert)}
