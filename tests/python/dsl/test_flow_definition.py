"""The DSL: steps in order, both spellings, and definition-time errors that name flow and step."""

from __future__ import annotations

import asyncio
import functools
import math
from decimal import Decimal
from typing import Any

import pytest

from pgflow import DefinitionError, Flow, StepDefinition, compile_flow


def handler(input: Any) -> Any:
    return input


async def async_handler(input: Any) -> Any:
    return input


def test_steps_keep_definition_order_and_options() -> None:
    flow = Flow("orders", max_attempts=5, base_delay=2, timeout=90)
    flow.step("a", handler)
    flow.step("b", handler, depends_on=["a"], timeout=10, delay_seconds=3)
    flow.step("c", handler, depends_on=["a", "b"], when_exhausted="skip")

    assert (flow.slug, flow.max_attempts, flow.base_delay, flow.timeout) == ("orders", 5, 2, 90)
    assert [step.slug for step in flow.steps] == ["a", "b", "c"]
    assert [step.index for step in flow.steps] == [0, 1, 2]
    b = flow.get_step("b")
    assert b.deps == ("a",)
    assert (b.timeout, b.delay_seconds, b.max_attempts, b.base_delay) == (10, 3, None, None)
    assert flow["c"].deps == ("a", "b")
    assert flow["c"].when_exhausted == "skip"
    assert flow["c"].when_unmet == "skip"
    assert "a" in flow
    assert "z" not in flow
    assert len(flow) == 3
    assert [step.slug for step in flow] == ["a", "b", "c"]
    assert repr(flow) == "Flow('orders', steps=3)"


def test_decorator_registers_and_returns_the_function_unchanged() -> None:
    flow = Flow("decorated")

    @flow.step("first")
    def first(input: dict[str, Any]) -> int:
        return 41

    @flow.step("second", depends_on=["first"])
    async def second(input: dict[str, Any]) -> int:
        return int(input["first"]) + 1

    assert first({}) == 41
    assert asyncio.run(second({"first": 41})) == 42
    assert flow.get_step("first").handler is first
    assert flow.get_step("first").is_async is False
    assert flow.get_step("second").handler is second
    assert flow.get_step("second").is_async is True


def test_chained_calls_return_the_flow() -> None:
    flow = (
        Flow("chained")
        .step("website", handler)
        .step("sentiment", handler, depends_on=["website"])
        .step("summary", handler, depends_on="website")
        .add_step("save", depends_on=["sentiment", "summary"])
    )
    assert [step.slug for step in flow.steps] == ["website", "sentiment", "summary", "save"]
    assert flow.get_step("summary").deps == ("website",)
    assert flow.get_step("save").handler is None
    assert flow.get_step("save").is_async is False


def test_async_detection_covers_partials_and_callable_objects() -> None:
    class AsyncCallable:
        async def __call__(self, input: Any) -> Any:
            return input

    class SyncCallable:
        def __call__(self, input: Any) -> Any:
            return input

    async def two(input: Any, extra: int) -> Any:
        return input

    flow = Flow("asyncs")
    flow.step("a", async_handler)
    flow.step("b", AsyncCallable())
    flow.step("c", functools.partial(two, extra=1))
    flow.step("d", SyncCallable())
    flow.step("e", lambda input: input)
    assert [step.is_async for step in flow.steps] == [True, True, True, False, False]


def test_map_steps_and_conditions() -> None:
    flow = Flow("mapping")
    flow.step("items", handler, map=True)
    flow.step("each", handler, depends_on=["items"], map=True)
    flow.step(
        "vip",
        handler,
        depends_on=["items"],
        run_if={"run": {"vip": True}},
        run_unless={"run": {"blocked": True}},
        when_unmet="skip-cascade",
    )
    assert flow.get_step("items").step_type == "map"
    assert flow.get_step("items").is_map
    assert flow.get_step("each").deps == ("items",)
    vip = flow.get_step("vip")
    assert vip.step_type == "single"
    assert vip.run_if == {"run": {"vip": True}}
    assert vip.run_unless == {"run": {"blocked": True}}
    assert vip.when_unmet == "skip-cascade"


def test_conditions_are_copied_at_definition_time() -> None:
    condition: dict[str, Any] = {"run": {"tags": ["a"]}}
    flow = Flow("copied").step("a", handler, run_if=condition)
    before = flow.shape().hash()
    condition["run"]["tags"].append("b")
    condition["other"] = 1
    assert flow.get_step("a").run_if == {"run": {"tags": ["a"]}}
    assert flow.shape().hash() == before


def test_conditions_accept_tuples_decimals_and_nested_values() -> None:
    flow = Flow("values").step(
        "a", handler, run_if={"run": {"t": (1, 2), "d": Decimal("1.50"), "n": None, "f": 0.5}}
    )
    assert flow.get_step("a").run_if == {
        "run": {"t": [1, 2], "d": Decimal("1.50"), "n": None, "f": 0.5}
    }


def test_step_options_left_none_stay_none_in_the_shape() -> None:
    flow = Flow("inherit", max_attempts=7).step("a", handler)
    step_shape = flow.shape().steps[0]
    assert step_shape.max_attempts is None
    assert step_shape.document()["max_attempts"] is None
    assert flow.shape().document()["max_attempts"] == 7


def test_step_definition_is_frozen() -> None:
    step = Flow("frozen").step("a", handler).get_step("a")
    assert isinstance(step, StepDefinition)
    with pytest.raises(AttributeError):
        step.slug = "b"  # type: ignore[misc]


# -- definition-time errors -------------------------------------------------


def _error(build: Any) -> str:
    with pytest.raises(DefinitionError) as info:
        build()
    return str(info.value)


@pytest.mark.parametrize(
    "slug",
    ["", "1abc", "a-b", "a b", "é", "a\n", "a;drop", "x" * 129, "a'b", "run\x00"],
)
def test_invalid_flow_slugs_are_rejected(slug: str) -> None:
    message = _error(lambda: Flow(slug))
    assert "invalid flow slug" in message
    assert repr(slug) in message


def test_longest_slug_is_accepted() -> None:
    slug = "x" * 128
    assert Flow(slug).step(slug, handler).get_step(slug).slug == slug


@pytest.mark.parametrize("slug", ["", "9", "a.b", "ünïcode", "x" * 129, "tab\t"])
def test_invalid_step_slugs_name_the_flow(slug: str) -> None:
    message = _error(lambda: Flow("f").step(slug, handler))
    assert message.startswith("flow 'f': invalid step slug")


def test_non_string_slugs_are_rejected() -> None:
    assert "must be a string" in _error(lambda: Flow(42))  # type: ignore[arg-type]
    assert "must be a string" in _error(lambda: Flow("f").add_step(None))  # type: ignore[arg-type]


def test_run_is_reserved_for_steps_but_not_flows() -> None:
    assert "reserved" in _error(lambda: Flow("f").step("run", handler))
    assert Flow("run").slug == "run"
    # case-sensitive, like the database
    assert Flow("f").step("Run", handler).get_step("Run").slug == "Run"


def test_unknown_dependency_names_flow_step_and_suggests() -> None:
    flow = Flow("shop").step("website", handler)
    message = _error(lambda: flow.step("summary", handler, depends_on=["webiste"]))
    assert "flow 'shop', step 'summary'" in message
    assert "unknown dependency 'webiste'" in message
    assert "did you mean 'website'?" in message
    assert "added before" in message
    assert [step.slug for step in flow.steps] == ["website"]  # nothing added


def test_dependency_on_a_later_step_is_unknown() -> None:
    flow = Flow("order")
    message = _error(lambda: flow.step("a", handler, depends_on=["b"]))
    assert "unknown dependency 'b'" in message


def test_duplicate_step_is_rejected() -> None:
    flow = Flow("dup").step("a", handler)
    assert _error(lambda: flow.step("a", handler)) == "flow 'dup': step 'a' is already defined"


def test_decorator_applied_twice_is_a_duplicate() -> None:
    flow = Flow("twice")
    decorator = flow.step("a")
    decorator(handler)
    assert "already defined" in _error(lambda: decorator(handler))


def test_decorator_checks_its_arguments_before_decorating() -> None:
    flow = Flow("eager")
    assert "reserved" in _error(lambda: flow.step("run"))
    assert "unknown dependency" in _error(lambda: flow.step("a", depends_on=["zzz"]))
    assert len(flow) == 0


def test_self_and_duplicate_dependencies() -> None:
    flow = Flow("deps").step("a", handler)
    assert "cannot depend on itself" in _error(lambda: flow.step("b", handler, depends_on=["b"]))
    assert "listed twice" in _error(lambda: flow.step("b", handler, depends_on=["a", "a"]))
    assert "strings" in _error(lambda: flow.step("b", handler, depends_on=[1]))  # type: ignore[list-item]
    assert "must be a list" in _error(lambda: flow.step("b", handler, depends_on=5))  # type: ignore[call-overload]


def test_map_step_takes_at_most_one_dependency() -> None:
    flow = Flow("maps").step("a", handler).step("b", handler)
    message = _error(lambda: flow.step("m", handler, depends_on=["a", "b"], map=True))
    assert message.startswith("flow 'maps', step 'm': a map step")
    assert "at most one dependency (got 2: a, b)" in message


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"max_attempts": 0}, "max_attempts must be between 1"),
        ({"base_delay": -1}, "base_delay must be between 0"),
        ({"timeout": 0}, "timeout must be between 1"),
        ({"delay_seconds": -5}, "delay_seconds must be between 0"),
        ({"timeout": 2**31}, "timeout must be between 1 and 2147483647"),
        ({"max_attempts": True}, "max_attempts must be an integer"),
        ({"max_attempts": 1.5}, "max_attempts must be an integer"),
        ({"delay_seconds": None}, "delay_seconds must be an integer"),
        ({"when_unmet": "ignore"}, "when_unmet must be one of 'fail', 'skip', 'skip-cascade'"),
        ({"when_exhausted": "retry"}, "when_exhausted must be one of"),
        ({"map": "yes"}, "map must be True or False"),
        ({"run_if": [1]}, "run_if must be a JSON object"),
        ({"run_unless": "x"}, "run_unless must be a JSON object"),
        ({"run_if": {"a": math.nan}}, "jsonb cannot hold nan"),
        ({"run_if": {"a": math.inf}}, "jsonb cannot hold inf"),
        ({"run_if": {"a": Decimal("NaN")}}, "jsonb cannot hold"),
        ({"run_if": {"a": "nul\x00"}}, "cannot contain U+0000"),
        ({"run_if": {"nul\x00": 1}}, "cannot contain U+0000"),
        ({"run_if": {"a": "\ud800"}}, "not valid Unicode"),
        ({"run_if": {1: "a"}}, "object keys must be strings"),
        ({"run_if": {"a": {1, 2}}}, "set is not a JSON value"),
        ({"run_if": {"a": b"bytes"}}, "bytes is not a JSON value"),
    ],
)
def test_invalid_step_options(options: dict[str, Any], fragment: str) -> None:
    message = _error(lambda: Flow("opts").add_step("s", handler, **options))
    assert message.startswith("flow 'opts', step 's'")
    assert fragment in message


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"max_attempts": 0}, "max_attempts must be between 1"),
        ({"base_delay": -1}, "base_delay must be between 0"),
        ({"timeout": 0}, "timeout must be between 1"),
        ({"timeout": "60"}, "timeout must be an integer"),
    ],
)
def test_invalid_flow_options(options: dict[str, Any], fragment: str) -> None:
    message = _error(lambda: Flow("opts", **options))
    assert message.startswith("flow 'opts'")
    assert fragment in message


def test_handler_must_take_one_argument() -> None:
    def none() -> None:
        pass

    def two(a: Any, b: Any) -> None:
        pass

    def keyword_only(*, input: Any) -> None:
        pass

    def with_default(input: Any, extra: int = 1) -> None:
        pass

    flow = Flow("handlers")
    for bad in (none, two, keyword_only):
        assert "exactly one positional argument" in _error(lambda bad=bad: flow.step("x", bad))
    assert "must be callable" in _error(lambda: flow.step("x", 42))  # type: ignore[call-overload]
    flow.step("ok", with_default)
    flow.step("builtin", print)
    assert len(flow) == 2


def test_get_step_of_an_unknown_slug_is_a_clear_error() -> None:
    flow = Flow("lookup").step("summary", handler)
    assert _error(lambda: flow.get_step("sumary")) == (
        "flow 'lookup' has no step 'sumary' (did you mean 'summary'?)"
    )
    with pytest.raises(DefinitionError):
        flow["nope"]


def test_compiling_a_flow_without_steps_is_an_error() -> None:
    assert "has no steps" in _error(lambda: compile_flow(Flow("empty")))


def test_definition_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="reserved"):
        Flow("f").step("run", handler)
