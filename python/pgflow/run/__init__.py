"""Running flows: start and follow runs, and serve their tasks.

* :mod:`~pgflow.run.client`: :class:`~pgflow.run.client.Client` starts runs,
  waits for them, reads and cancels them;
* :mod:`~pgflow.run.async_client`: :class:`~pgflow.run.async_client.AsyncClient`,
  the same calls for asyncio;
* :mod:`~pgflow.run.calls`: what both clients share (statements, parameters,
  start options, typed results, the bookkeeping of a wait);
* :mod:`~pgflow.run.rows`: typed rows of runs, step states, tasks and claims;
* :mod:`~pgflow.run.display`: runs as plain text (``pgflow status``, the demo);
* :mod:`~pgflow.run.worker`: the worker that claims tasks and runs handlers;
* :mod:`~pgflow.run.retry`: which database errors are retried, and the backoff.

It uses the flow definitions of :mod:`pgflow.define`, never the other way round
(``Flow.start_signature`` names :class:`~pgflow.run.calls.StartOptions` for
type checkers only).
"""
