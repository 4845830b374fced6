"""SIGTERM/SIGINT → graceful stop, without taking locks in the signal handler.

A Python signal handler runs on the main thread between two bytecodes, maybe
while that thread holds a lock the handler would need (an ``Event``'s, say).
So the handler only writes a byte to a pipe; a watcher thread reads it and
calls ``on_signal`` with the signal number outside signal context.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

__all__ = ["SignalBridge"]

log = logging.getLogger("pgflow.worker")

_STOP_BYTE = b"\x00"


class SignalBridge:
    """Installs handlers for ``signals`` that forward to ``on_signal`` on a thread."""

    def __init__(
        self,
        on_signal: Callable[[signal.Signals], None],
        signals: tuple[signal.Signals, ...] = (signal.SIGTERM, signal.SIGINT),
    ) -> None:
        self._on_signal = on_signal
        self._signals = signals
        self._previous: dict[signal.Signals, Any] = {}
        self._read_fd = self._write_fd = -1
        self._thread = threading.Thread(target=self._watch, name="pgflow-signals", daemon=True)

    def install(self) -> bool:
        """Install the handlers; False (and nothing done) off the main thread."""
        if threading.current_thread() is not threading.main_thread():
            return False
        self._read_fd, self._write_fd = os.pipe()
        self._thread.start()
        for signum in self._signals:
            self._previous[signum] = signal.signal(signum, self._handle)
        return True

    def uninstall(self) -> None:
        """Restore the previous handlers and end the watcher thread."""
        if self._write_fd < 0:
            return
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()
        if self._thread.is_alive():
            os.write(self._write_fd, _STOP_BYTE)
            self._thread.join(timeout=1.0)
        os.close(self._read_fd)
        os.close(self._write_fd)
        self._read_fd = self._write_fd = -1

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        os.write(self._write_fd, bytes([signum]))

    def _watch(self) -> None:
        while True:
            data = os.read(self._read_fd, 1)
            if not data or data == _STOP_BYTE:
                return
            try:
                self._on_signal(signal.Signals(data[0]))
            except Exception:  # pragma: no cover - defensive
                log.exception("signal handling failed")
