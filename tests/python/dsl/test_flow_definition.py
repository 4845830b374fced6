"""The DSL: steps in order, typed decorators, add_step, errors naming the flow and step."""

from __future__ import annotations

import asyncio
import functools
import math
from decimal import Decimal
from typing import Any, Optional

import pytest

from pgflow import DefinitionError, Flow, HandlerStep, Step, StepDefinition, compile_flow


def handler(*args: Any) -> Any:
    """Takes whatever a step passes: (run, *dependency outputs) or (element)."""
    return args


async def async_handler(*args: Any) -> Any:
    return args


def test_steps_keep_definition_order_and_options() -> None:
    flow = Flow("orders", max_attempts=5, base_delay=2, timeout=90)
    flow.add_step("a", handler)
    flow.add_step("b", handler, depends_on=["a"], timeout=10, delay_seconds=3)
    flow.add_step("c", handler, depends_on=["a", "b"], when_exhausted="skip")

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


def test_decorated_steps_stay_callable_as_the_function() -> None:
    flow = Flow[dict[str, int]]("decorated")

    @flow.step()
    def first(run: dict[str, int]) -> int:
        return run["n"] + 40

    @flow.step(first)
    async def second(run: dict[str, int], first: int) -> int:
        return first + 1

    assert isinstance(first, HandlerStep)
    assert first({"n": 1}) == 41
    assert asyncio.run(second({"n": 1}, 41)) == 42
    assert first.slug == "first"
    assert first.__name__ == "first"
    assert flow.get_step("first").handler is first.__wrapped__
    assert flow.get_step("first").is_async is False
    assert flow.get_step("second").is_async is True
    assert flow.get_step("second").deps == ("first",)


def test_the_slug_defaults_to_the_function_name_and_can_be_given() -> None:
    flow = Flow("slugs")

    @flow.step()
    def website(run: Any) -> str:
        return "page"

    @flow.step(website, slug="saveToDb")
    def save(run: Any, website: str) -> None:
        pass

    assert [step.slug for step in flow.steps] == ["website", "saveToDb"]
    assert save.slug == "saveToDb"


def test_handlers_receive_the_run_input_and_each_dependency_in_order() -> None:
    flow = Flow("wire")
    a = flow.add_step("a", handler)
    b = flow.add_step("b", handler)

    @flow.step(b, a)
    def c(run: Any, b: Any, a: Any) -> None:
        pass

    task_input = {"run": {"x": 1}, "a": "A", "b": "B"}
    assert flow["c"].arguments(task_input) == ({"x": 1}, "B", "A")
    # a skipped dependency is absent from the task input: it is passed as None
    assert flow["c"].arguments({"run": 1, "a": "A"}) == (1, None, "A")


def test_a_map_handler_receives_one_element() -> None:
    flow = Flow[list[int]]("elements")

    @flow.map()
    def square(n: int) -> int:
        return n * n

    @flow.map(square)
    def half(n: int) -> float:
        return n / 2

    assert flow["square"].is_map
    assert flow["half"].is_map
    assert flow["half"].deps == ("square",)
    assert flow["half"].arguments(9) == (9,)
    assert square(3) == 9


def test_add_step_returns_a_handle_usable_as_a_dependency() -> None:
    flow = Flow("mixed")

    @flow.step()
    def website(run: Any) -> str:
        return "page"

    elsewhere = flow.add_step("elsewhere", depends_on=[website])  # another language's worker
    assert isinstance(elsewhere, Step)
    assert flow["elsewhere"].handler is None

    @flow.step(elsewhere)
    def after(run: Any, elsewhere: Any) -> None:
        pass

    assert flow["after"].deps == ("elsewhere",)
    assert flow.add_step("save", depends_on="after").slug == "save"


def test_async_detection_covers_partials_and_callable_objects() -> None:
    class AsyncCallable:
        async def __call__(self, run: Any) -> Any:
            return run

    class SyncCallable:
        def __call__(self, run: Any) -> Any:
            return run

    async def two(run: Any, extra: int) -> Any:
        return run

    flow = Flow("asyncs")
    flow.add_step("a", async_handler)
    flow.add_step("b", AsyncCallable())
    flow.add_step("c", functools.partial(two, extra=1))
    flow.add_step("d", SyncCallable())
    flow.add_step("e", lambda run: run)
    assert [step.is_async for step in flow.steps] == [True, True, True, False, False]


def test_map_steps_and_conditions() -> None:
    flow = Flow("mapping")
    flow.add_step("items", handler, map=True)
    flow.add_step("each", handler, depends_on=["items"], map=True)
    flow.add_step(
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
    flow = Flow("copied")
    flow.add_step("a", handler, run_if=condition)
    before = flow.shape().hash()
    condition["run"]["tags"].append("b")
    condition["other"] = 1
    assert flow.get_step("a").run_if == {"run": {"tags": ["a"]}}
    assert flow.shape().hash() == before


def test_conditions_accept_tuples_decimals_and_nested_values() -> None:
    flow = Flow("values")
    flow.add_step(
        "a", handler, run_if={"run": {"t": (1, 2), "d": Decimal("1.50"), "n": None, "f": 0.5}}
    )
    assert flow.get_step("a").run_if == {
        "run": {"t": [1, 2], "d": Decimal("1.50"), "n": None, "f": 0.5}
    }


def test_step_options_left_none_stay_none_in_the_shape() -> None:
    flow = Flow("inherit", max_attempts=7)
    flow.add_step("a", handler)
    step_shape = flow.shape().steps[0]
    assert step_shape.max_attempts is None
    assert step_shape.document()["max_attempts"] is None
    assert flow.shape().document()["max_attempts"] == 7


def test_step_definition_is_frozen() -> None:
    flow = Flow("frozen")
    flow.add_step("a", handler)
    step = flow.get_step("a")
    assert isinstance(step, StepDefinition)
    with pytest.raises(AttributeError):
        step.slug = "b"  # type: ignore[misc]


def test_the_flow_knows_its_declared_run_and_output_types() -> None:
    assert Flow[int, str]("typed").run_type is int
    assert Flow[int, str]("typed").output_type is str
    assert Flow[int]("half").output_type is Any
    assert Flow("untyped").run_type is Any


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
    assert Flow(slug).add_step(slug, handler).slug == slug


@pytest.mark.parametrize("slug", ["", "9", "a.b", "ünïcode", "x" * 129, "tab\t"])
def test_invalid_step_slugs_name_the_flow(slug: str) -> None:
    message = _error(lambda: Flow("f").add_step(slug, handler))
    assert message.startswith("flow 'f': invalid step slug")
    assert _error(lambda: Flow("f").step(slug=slug)).startswith("flow 'f': invalid step slug")


def test_non_string_slugs_are_rejected() -> None:
    assert "must be a string" in _error(lambda: Flow(42))  # type: ignore[arg-type]
    assert "must be a string" in _error(lambda: Flow("f").add_step(None))  # type: ignore[arg-type]


def test_run_is_reserved_for_steps_but_not_flows() -> None:
    assert "reserved" in _error(lambda: Flow("f").add_step("run", handler))
    assert Flow("run").slug == "run"
    # case-sensitive, like the database
    assert Flow("f").add_step("Run", handler).slug == "Run"


def test_a_function_named_run_cannot_be_a_step() -> None:
    flow = Flow("f")

    def run(run: Any) -> None:
        pass

    assert "reserved" in _error(lambda: flow.step()(run))


def test_unknown_dependency_names_flow_step_and_suggests() -> None:
    flow = Flow("shop")
    flow.add_step("website", handler)
    message = _error(lambda: flow.add_step("summary", handler, depends_on=["webiste"]))
    assert "flow 'shop', step 'summary'" in message
    assert "unknown dependency 'webiste'" in message
    assert "did you mean 'website'?" in message
    assert "added before" in message
    assert [step.slug for step in flow.steps] == ["website"]  # nothing added


def test_dependency_on_a_later_step_is_unknown() -> None:
    flow = Flow("order")
    message = _error(lambda: flow.add_step("a", handler, depends_on=["b"]))
    assert "unknown dependency 'b'" in message


def test_a_dependency_from_another_flow_is_rejected() -> None:
    other = Flow("other")
    foreign = other.add_step("a", handler)
    message = _error(lambda: Flow("mine").step(foreign))
    assert message == "flow 'mine': dependency 'a' is a step of flow 'other'"


def test_dependencies_of_the_decorator_are_handles_not_slugs() -> None:
    flow = Flow("handles")
    flow.add_step("a", handler)
    assert "add_step(slug, depends_on=[...]) takes slugs" in _error(
        lambda: flow.step("a")  # type: ignore[call-overload]
    )
    # @flow.step without parentheses hands the function over as a dependency
    assert "with parentheses" in _error(lambda: flow.step(handler))  # type: ignore[call-overload]


def test_duplicate_step_is_rejected() -> None:
    flow = Flow("dup")
    flow.add_step("a", handler)
    assert _error(lambda: flow.add_step("a", handler)) == "flow 'dup': step 'a' is already defined"


def test_decorator_applied_twice_is_a_duplicate() -> None:
    flow = Flow("twice")
    decorator = flow.step(slug="a")
    decorator(handler)
    assert "already defined" in _error(lambda: decorator(handler))


def test_decorator_checks_its_arguments_before_decorating() -> None:
    flow = Flow("eager")
    assert "reserved" in _error(lambda: flow.step(slug="run"))
    assert "timeout must be between 1" in _error(lambda: flow.step(timeout=0))
    assert "unknown step option 'timout' (did you mean 'timeout'?)" in _error(
        lambda: flow.step(timout=5)  # type: ignore[call-overload]
    )
    assert len(flow) == 0


def test_self_and_duplicate_dependencies() -> None:
    flow = Flow("deps")
    a = flow.add_step("a", handler)
    assert "cannot depend on itself" in _error(
        lambda: flow.add_step("b", handler, depends_on=["b"])
    )
    assert "listed twice" in _error(lambda: flow.add_step("b", handler, depends_on=["a", "a"]))
    assert "listed twice" in _error(lambda: flow.step(a, a))
    assert "strings" in _error(lambda: flow.add_step("b", handler, depends_on=[1]))  # type: ignore[list-item]
    assert "must be a list" in _error(lambda: flow.add_step("b", handler, depends_on=5))  # type: ignore[arg-type]


def test_map_step_takes_at_most_one_dependency() -> None:
    flow = Flow("maps")
    a = flow.add_step("a", handler)
    b = flow.add_step("b", handler)
    message = _error(lambda: flow.add_step("m", handler, depends_on=["a", "b"], map=True))
    assert message.startswith("flow 'maps', step 'm': a map step")
    assert "at most one dependency (got 2: a, b)" in message
    assert "at most one dependency (got 2)" in _error(lambda: flow.map(a, b))  # type: ignore[call-overload]


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
        ({"retries": 3}, "unknown step option 'retries'"),
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


def test_the_handler_must_take_the_run_input_and_one_parameter_per_dependency() -> None:
    def none() -> None:
        pass

    def two(run: Any, a: Any) -> None:
        pass

    def keyword_only(*, run: Any) -> None:
        pass

    def with_default(run: Any, extra: int = 1) -> None:
        pass

    flow = Flow("handlers")
    for bad in (none, two, keyword_only):
        message = _error(lambda bad=bad: flow.add_step("x", bad))
        assert message.startswith("flow 'handlers', step 'x': the handler must take 1 positional")
        assert "(run)" in message
    assert "must be callable" in _error(lambda: flow.add_step("x", 42))  # type: ignore[arg-type]
    flow.add_step("ok", with_default)
    flow.add_step("builtin", print)
    message = _error(lambda: flow.add_step("short", with_default, depends_on=["ok", "builtin"]))
    assert "must take 3 positional parameter(s): (run, ok, builtin)" in message
    assert "must take one positional parameter, the array element" in _error(
        lambda: flow.add_step("m", none, map=True)
    )
    assert len(flow) == 2


def test_parameter_names_must_match_the_dependencies() -> None:
    flow = Flow("names")

    @flow.step()
    def website(run: Any) -> str:
        return "page"

    @flow.step()
    def pricing(run: Any) -> int:
        return 1

    def misnamed(run: Any, page: str) -> None:
        pass

    def swapped(run: Any, pricing: int, website: str) -> None:
        pass

    assert _error(lambda: flow.step(website)(misnamed)) == (
        "flow 'names', step 'misnamed': parameter 'page' receives the output of dependency "
        "'website'; name it 'website'"
    )
    assert _error(lambda: flow.step(website, pricing)(swapped)) == (  # type: ignore[arg-type]
        "flow 'names', step 'swapped': parameter 'pricing' receives the output of dependency "
        "'website'; the dependencies come in the order given to the decorator: "
        "(run, website, pricing)"
    )
    # *args takes any dependencies; the run input's parameter may have any name
    flow.add_step("anything", lambda *args: args, depends_on=[website, pricing])
    flow.add_step("named", lambda r, website: website, depends_on=[website])
    assert len(flow) == 4


def test_more_dependencies_than_typed_statically_are_checked_at_definition() -> None:
    flow = Flow("wide")
    parts = [flow.add_step(f"p{i}", handler) for i in range(8)]

    def seven(run: Any, p0: Any, p1: Any, p2: Any, p3: Any, p4: Any, p5: Any) -> None:
        pass

    assert "must take 9 positional parameter(s): (run, p0, p1, p2, p3, p4, p5, p6, p7)" in _error(
        lambda: flow.step(*parts)(seven)
    )

    @flow.step(*parts)
    def gather(run: Any, *outputs: Any) -> int:
        return len(outputs)

    assert flow["gather"].deps == tuple(f"p{i}" for i in range(8))


def test_a_dependency_that_may_be_skipped_must_be_optional() -> None:
    flow = Flow("optional")
    vip = flow.add_step("vip", handler, run_if={"run": {"vip": True}})
    risky = flow.add_step("risky", handler, when_exhausted="skip")
    strict = flow.add_step("strict", handler, run_if={"run": {"x": 1}}, when_unmet="skip-cascade")

    def required(run: Any, vip: str) -> None:
        pass

    def exhausted(run: Any, risky: int) -> None:
        pass

    assert _error(lambda: flow.step(vip)(required)) == (
        "flow 'optional', step 'required': dependency 'vip' may be skipped (step 'vip' has "
        "run_if and when_unmet='skip'), so parameter 'vip' must accept None: annotate it "
        "`str | None`"
    )
    assert "step 'risky' has when_exhausted='skip'" in _error(lambda: flow.step(risky)(exhausted))

    @flow.step(vip, risky, strict)
    def accepted(run: Any, vip: str | None, risky: Optional[int], strict: str) -> None:  # noqa: UP045
        pass

    flow.add_step("untyped", lambda run, vip: vip, depends_on=[vip])
    assert flow["vip"].skippable is not None
    assert flow["strict"].skippable is None  # skip-cascade: its dependents are skipped too


def test_get_step_of_an_unknown_slug_is_a_clear_error() -> None:
    flow = Flow("lookup")
    flow.add_step("summary", handler)
    assert _error(lambda: flow.get_step("sumary")) == (
        "flow 'lookup' has no step 'sumary' (did you mean 'summary'?)"
    )
    with pytest.raises(DefinitionError):
        flow["nope"]


def test_compiling_a_flow_without_steps_is_an_error() -> None:
    assert "has no steps" in _error(lambda: compile_flow(Flow("empty")))


def test_definition_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="reserved"):
        Flow("f").add_step("run", handler)
