"""Pieces of the worker that need no database: encoding, errors, options, queries."""

from __future__ import annotations

import math

import pytest

from pgflow import queries
from pgflow.queries import parse_queries
from pgflow.run.worker.executor import OutputError, OutputTooLarge, encode_output, format_error
from pgflow.run.worker.options import DEFAULT_MAX_OUTPUT_BYTES, WorkerOptions


def test_outputs_are_encoded_as_compact_json() -> None:
    assert encode_output({"a": [1, 2.5, None, True], "é": "ü"}) == (
        '{"a":[1,2.5,null,true],"é":"ü"}'
    )
    assert encode_output(None) == "null"
    assert encode_output((1, 2)) == "[1,2]"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (math.nan, "not JSON"),
        ({"when": object()}, "not JSON"),
        ({1, 2}, "not JSON"),
        ("a\x00b", r"U\+0000"),
        ("\ud800", "not valid Unicode"),
    ],
)
def test_outputs_jsonb_would_refuse_are_rejected_with_the_reason(
    value: object, reason: str
) -> None:
    with pytest.raises(OutputError, match=reason):
        encode_output(value)


def test_a_string_holding_a_backslash_before_u0000_is_not_taken_for_a_nul() -> None:
    assert encode_output("C:\\u0000") == '"C:\\\\u0000"'
    with pytest.raises(OutputError, match=r"U\+0000"):
        encode_output(["\\", "\\\x00"])


def test_an_output_over_the_size_limit_is_refused_with_its_size_and_the_limit() -> None:
    assert encode_output("é" * 4, max_bytes=10) == '"éééé"'  # 10 bytes: at the limit
    with pytest.raises(OutputTooLarge) as caught:
        encode_output("é" * 5, max_bytes=10)
    assert format_error(caught.value, 1000) == (
        "OutputTooLarge: the handler's output is 12 bytes, over the worker's limit of 10"
        " (--max-output-bytes)"
    )


def test_the_output_limit_defaults_to_16_mib_and_comes_from_the_environment() -> None:
    assert WorkerOptions().max_output_bytes == DEFAULT_MAX_OUTPUT_BYTES == 16_777_216
    env = {"PGFLOW_MAX_OUTPUT_BYTES": "1000"}
    assert WorkerOptions.from_env(env).max_output_bytes == 1000
    with pytest.raises(ValueError, match="max_output_bytes must be >= 1"):
        WorkerOptions(max_output_bytes=0)


def test_errors_are_type_and_message_and_bounded() -> None:
    assert format_error(ValueError("bad url"), 100) == "ValueError: bad url"
    assert format_error(KeyError("k"), 100) == "KeyError: 'k'"
    assert format_error(RuntimeError(), 100) == "RuntimeError"
    long = format_error(RuntimeError("x" * 500), 50)
    assert len(long) == 50
    assert long.endswith(" [truncated]")
    assert "\x00" not in format_error(RuntimeError("a\x00b"), 100)


def test_options_come_from_the_environment_and_arguments_win() -> None:
    env = {"PGFLOW_CONCURRENCY": "7", "PGFLOW_GRACE_PERIOD": "2.5", "PGFLOW_BATCH_SIZE": ""}
    options = WorkerOptions.from_env(env, batch_size=None, poll_interval=1.5)
    assert options.concurrency == 7
    assert options.grace_period == 2.5
    assert options.batch_size == 10
    assert options.poll_interval == 1.5
    assert WorkerOptions.from_env(env, concurrency=3).concurrency == 3


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PGFLOW_CONCURRENCY": "many"}, "PGFLOW_CONCURRENCY='many' is not a number"),
        ({"PGFLOW_CONCURRENCY": "0"}, "concurrency must be >= 1"),
        ({"PGFLOW_POLL_INTERVAL": "0"}, "poll_interval must be > 0"),
        ({"PGFLOW_GRACE_PERIOD": "-1"}, "grace_period must be >= 0"),
    ],
)
def test_bad_options_are_refused_with_the_name(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WorkerOptions.from_env(env)


def test_every_named_query_is_loaded() -> None:
    assert set(queries.QUERIES) >= {"claim_tasks", "complete_tasks", "fail_task", "start_flow"}
    for name, text in queries.QUERIES.items():
        assert text.strip(), name
        assert "-- name:" not in text
    assert "pgflow.claim_tasks(" in queries.CLAIM_TASKS


def test_query_files_are_parsed_by_name_and_checked() -> None:
    text = "-- header\n-- name: one\n-- doc\nselect 1\n\n-- name: two\nselect 2\n"
    assert parse_queries(text) == {"one": "select 1", "two": "select 2"}
    with pytest.raises(ValueError, match="defined twice"):
        parse_queries("-- name: a\nselect 1\n-- name: a\nselect 2\n")
    with pytest.raises(ValueError, match="empty"):
        parse_queries("-- name: a\n-- only a comment\n")
