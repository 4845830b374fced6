"""The typed DSL describes the same flows as before: same shape hash, same SQL.

The hashes below were computed on the tree *before* the DSL moved from
``StepInput`` dictionaries to typed parameters (issue 15), with
``shape_hash(flow)`` and ``sha256(compile_flow(flow))``.  Rewriting a flow in
another spelling must not change what the database registers, so a deployed
flow stays deployed.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pgflow import compile_flow, load_flow, shape_hash

FLOWS = Path(__file__).resolve().parents[1] / "flows" / "flows.py"

PINNED = {
    "pgflow.examples.analyze_website:AnalyzeWebsite": (
        "82f0d7bfff6cb4806a3c7d12e2c77926e3205867a91914ffc19ad421e5f74570",
        "b2ba15659da0575a354e3f2b65ff80e1e5b443bc097ec0a28b35c6bb8fdc4546",
    ),
    "pgflow.examples.fanout:WordCount": (
        "301d3f80c9109755a259705c0b152302200094aeae41efd9ea070dbc9077f111",
        "110d0876c9425d502f182ea268d576ba35a141b7a96929313429624718f7e612",
    ),
    "pgflow.examples.fanout:SquareSum": (
        "963d383e86977e4e60c9663383073df4c96299a047f1ec67debbbb03ac85b458",
        "0ba45db0e25592a50aa806d8c9bfae06bc9cdf5aed1bd8f947cb54db2afce02e",
    ),
    "pgflow.examples.recovery:InvoiceBatch": (
        "da68d4b53149ac7e81a163c5e8b7968b65a1ce6115ccae605f1779e57e0ee055",
        "fed78032049335fe5fcb6d121746427f382076ecdd3d8869856698b75e8d9a81",
    ),
    f"{FLOWS}:Diamond": (
        "813ca167ac94851b244f1c69af13497d8a526819b4a71cca330cf8956b877ea0",
        "5df4e090a7123ce26f6cc0818204eaa139d7ba4bc25d5b979eae93c64f9d4a4c",
    ),
    f"{FLOWS}:Mapped": (
        "7b00b510d18332c2617474064e57584ce6775af56b3769561302d34d832c587d",
        "d0058e34657b23f5fc733ec7fbe894656dd25e9fddec4dbdd568e560ac8f7281",
    ),
    f"{FLOWS}:Flaky": (
        "08dd22f11a9ed47bfa386b4a28bc83d202d951c15ce7bedc5223f48ad4ed5e25",
        "628903ab009442129de2d692280e68ef6aea8afb7ebb74c2a8b6acd687471322",
    ),
    f"{FLOWS}:Doomed": (
        "e15de6436e2996907da0a5bdee47e7c93ec2225f081e8011944dfc2efc432624",
        "a52f1b05cd8cdc750cd193f5deae18040ab7d89b65d13f1e2cdcb59d3e28524f",
    ),
    f"{FLOWS}:Slow": (
        "513cd7c2be52a002a519bbba2f8d9069965af86e0799e94b5f7ff92eef8f5b38",
        "a88ad9194b25780f621d13bc2e493312dfb3dc4c7c30d85921352f1f108c6ea9",
    ),
    f"{FLOWS}:Crashy": (
        "e43ab7f669c4e7807f3deeffb2f62f27b4e775d79926bc71b724a053bd0e5c47",
        "cb82e99673a834e047db316120d07d098b7d5665e5960a14ca7acaef10b497dc",
    ),
}


@pytest.mark.parametrize("ref", sorted(PINNED), ids=lambda ref: ref.rsplit(":", 1)[1])
def test_the_example_flows_keep_their_shape_hash_and_sql(ref: str) -> None:
    flow = load_flow(ref)
    expected_hash, expected_sql = PINNED[ref]
    assert shape_hash(flow) == expected_hash
    assert hashlib.sha256(compile_flow(flow).encode()).hexdigest() == expected_sql
