"""Serve the playground with uvicorn (what ``pgflow ui`` runs)."""

from __future__ import annotations

import uvicorn

from pgflow.ui.app import UiOptions, create_app

__all__ = ["serve"]


def serve(options: UiOptions, *, port: int = 8765, log_level: str = "warning") -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM)."""
    config = uvicorn.Config(
        create_app(options),
        host=options.host,
        port=port,
        log_level=log_level,
        # open event streams never end by themselves: do not wait for them
        timeout_graceful_shutdown=1,
        access_log=False,
    )
    uvicorn.Server(config).run()
