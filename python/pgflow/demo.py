"""``python -m pgflow.demo``: runs :func:`pgflow.tools.demo.main`."""

from pgflow.tools.demo import main

if __name__ == "__main__":
    raise SystemExit(main())
