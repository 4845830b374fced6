"""Scenario 1, the floor: pgbench claims one row with FOR UPDATE SKIP LOCKED, marks it done."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile

from psycopg.conninfo import conninfo_to_dict

from pgflow_bench.common import Context, connect

PGBENCH = os.environ.get("PGBENCH", "/usr/lib/postgresql/15/bin/pgbench")

SCRIPT = """\
with c as (
  select id from bench_queue where status = 'queued' order by id limit 1 for update skip locked
)
update bench_queue q set status = 'done' from c where q.id = c.id;
"""

CLIENTS = (1, 4)


def run(ctx: Context) -> None:
    url = ctx.fresh_database("bench_floor")
    rows = ctx.sizes.floor_rows
    params = conninfo_to_dict(url)
    for clients in CLIENTS:
        with connect(url) as conn:
            conn.execute("drop table if exists bench_queue")
            conn.execute("create table bench_queue (id bigint primary key, status text not null)")
            conn.execute("create index on bench_queue (id) where status = 'queued'")
            conn.execute(
                "insert into bench_queue select i, 'queued' from generate_series(1, %s) i", (rows,)
            )
            conn.execute("vacuum analyze bench_queue")
            conn.execute("checkpoint")
        with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
            f.write(SCRIPT)
            script = f.name
        os.chmod(script, 0o644)
        try:
            cmd = [
                PGBENCH,
                "-n",
                "-f",
                script,
                "-c",
                str(clients),
                "-j",
                str(clients),
                "-T",
                str(int(ctx.sizes.floor_seconds)),
                "-h",
                str(params.get("host", "127.0.0.1")),
                "-p",
                str(params.get("port", 5432)),
                "-U",
                str(params.get("user", "postgres")),
                str(params["dbname"]),
            ]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        finally:
            os.unlink(script)
        tps = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", out)
        lat = re.search(r"latency average = ([0-9.]+) ms", out)
        if tps is None:
            raise RuntimeError(f"cannot read tps from pgbench output:\n{out}")
        with connect(url) as conn:
            left = conn.execute(
                "select count(*) from bench_queue where status = 'queued'"
            ).fetchone()[0]  # type: ignore[index]
        if left == 0:
            raise RuntimeError(f"floor: all {rows} rows were claimed: raise floor_rows")
        ctx.results.add(
            f"floor.c{clients}.tps",
            float(tps.group(1)),
            "tx/s",
            f"pgbench, claim one row with SKIP LOCKED + mark done, {clients} client(s)",
            throughput=True,
        )
        if lat:
            ctx.results.add(
                f"floor.c{clients}.latency_ms",
                float(lat.group(1)),
                "ms",
                f"pgbench mean latency, {clients} client(s)",
            )
