"""Tools around pgflow, not needed to define or run flows.

* :mod:`~pgflow.tools.demo`: ``python -m pgflow.demo``, pgflow end to end;
* :mod:`~pgflow.tools.provision`: a throwaway local PostgreSQL server;
* :mod:`~pgflow.tools.scratch`: throwaway databases on a server;
* :mod:`~pgflow.tools.testing`: worker processes for tests.
"""
