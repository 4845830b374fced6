"""``pgflow ui``: a local web page that shows every flow's DAG and its runs live.

Needs the ``ui`` extra (``pip install 'pgflow-py[ui]'``).  :func:`create_app`
builds the ASGI app from :class:`UiOptions`; :func:`serve` runs it with
uvicorn.  See docs/playground.md.
"""

from pgflow.ui.app import UiOptions, create_app
from pgflow.ui.server import serve

__all__ = ["UiOptions", "create_app", "serve"]
