"""pgflow's fault-injection suite (issue 9): ``make chaos``.

Not a pytest suite: a program that injects faults into a real PostgreSQL
server and real ``pgflow worker`` processes, checks what the engine promises
(nothing lost, nothing completed twice, state consistent, no privilege
escalation), prints figures and exits non-zero on any loss, double
completion, unexpected error or failed check.

Parts (``--parts``, all by default):

* ``kill``: SIGKILL of worker processes under load, restarted at once;
* ``crash``: crash-restarts (``pg_ctl stop -m immediate``) of a server the
  suite starts for itself, under load;
* ``races``: completions, failures, cancels and claims racing on real
  connections, released together by barriers;
* ``fuzz``: hypothesis-generated hostile arguments for every SQL entry point;
* ``attacks``: the attack catalogue of issue 9, as the restricted roles.

Run it from the repository root: ``python -m tests.chaos [--quick]`` with
``DATABASE_URL`` pointing at a superuser connection of a throwaway server
(``make chaos`` provides one through ``scripts/with-postgres.sh``).

Environment: ``CHAOS_KEEP_LOGS=DIR`` keeps the worker logs;
``CHAOS_MAX_LISTED=N`` lists up to N problems of each kind (default 12);
``CHAOS_PLAIN_SQL=FILE`` installs that plain install script instead of
``create extension pgflow`` (with ``PYTHONPATH`` pointing at the matching
Python package, this runs the suite against another version, e.g. to show
which attacks bite an older commit).
"""
