"""Defining flows: the DSL, a flow's shape, the compiler, deploying and installing.

* :mod:`~pgflow.define.dsl`: :class:`~pgflow.define.dsl.Flow` and its steps;
* :mod:`~pgflow.define.steps`: the step handles decorators return;
* :mod:`~pgflow.define.signatures`: the decorator types mypy checks handlers with;
* :mod:`~pgflow.define.handlers`: how a handler is called (signature checks,
  task input to arguments);
* :mod:`~pgflow.define.models`: the optional pydantic support;
* :mod:`~pgflow.define.slugs`: the slug rule, checked where a flow is written;
* :mod:`~pgflow.define.shape`: the canonical shape of a flow and its hash;
* :mod:`~pgflow.define.compiler`: a shape as SQL (a migration file), and the
  migrations already written for a flow;
* :mod:`~pgflow.define.deploy`: code versus database, and registering a flow;
* :mod:`~pgflow.define.loader`: a flow from a ``FLOW_REF`` string;
* :mod:`~pgflow.define.manifest`: a flow as JSON and as a text DAG;
* :mod:`~pgflow.define.install`: pgflow's SQL into a database or a sharedir.

Nothing here runs a flow; :mod:`pgflow.run` does.
"""
