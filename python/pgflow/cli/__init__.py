"""The ``pgflow`` command line; :func:`main` is the console-script entry point."""

from pgflow.cli.main import main

__all__ = ["main"]
