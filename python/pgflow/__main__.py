"""``python -m pgflow``: the same as the ``pgflow`` command."""

from pgflow.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
