"""The demo's throwaway server from this machine's PostgreSQL binaries."""

from __future__ import annotations

from pathlib import Path

import psycopg

from pgflow.tools.provision import find_server_binaries, local_server


def test_a_throwaway_cluster_starts_answers_and_is_removed() -> None:
    bindir = find_server_binaries()
    assert bindir is not None, "the test machine has PostgreSQL server binaries"
    with local_server() as server:
        assert server.kind == "binaries"
        with psycopg.connect(server.url, autocommit=True) as conn:
            row = conn.execute("select current_setting('listen_addresses')").fetchone()
            assert row == ("",)  # a Unix socket in the temporary directory only
            socket_dir = conn.info.host
    assert not Path(socket_dir).exists()
