"""Serve the playground with uvicorn (what ``pgflow ui`` runs)."""

from __future__ import annotations

import socket

import uvicorn

from pgflow.ui.app import UiContext, UiOptions, create_app

__all__ = ["UiServer", "serve"]


class UiServer(uvicorn.Server):
    """uvicorn's server, ending the open event streams when it shuts down.

    An event stream never ends by itself; without this, a shutdown would wait
    out uvicorn's graceful-shutdown timeout and then cancel the streams.
    """

    def __init__(self, options: UiOptions, *, port: int, log_level: str = "warning") -> None:
        app = create_app(options)
        self.context: UiContext = app.state.ui
        super().__init__(
            uvicorn.Config(
                app,
                host=options.host,
                port=port,
                log_level=log_level,
                timeout_graceful_shutdown=5,
                access_log=False,
            )
        )

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.context.bridge.end_streams()
        await super().shutdown(sockets)

    @property
    def port(self) -> int:
        """The bound port (useful with ``port=0``), once started."""
        return int(self.servers[0].sockets[0].getsockname()[1])


def serve(options: UiOptions, *, port: int = 8765, log_level: str = "warning") -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM)."""
    UiServer(options, port=port, log_level=log_level).run()
