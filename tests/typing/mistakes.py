"""Each mistake of issue 15, which mypy --strict must report on the marked line.

A line ending in an ``E:`` comment must have an error containing the text
after it; no other line may have one (tests/python/typing/test_mypy.py; not linted by make lint, which would see the mistakes).
"""

from __future__ import annotations

from typing import TypedDict

from pgflow import Client, Flow


class SiteInput(TypedDict):
    url: str


class OtherInput(TypedDict):
    dir: str
    threshold: int


class Page(TypedDict):
    text: str


flow = Flow[SiteInput]("mistakes_v1")
other = Flow[OtherInput]("other_v1")
typed = Flow[SiteInput, Page]("typed_v1")


@flow.step()
def website(run: SiteInput) -> Page:
    return {"text": run["url"]}


@flow.step()
def length(run: SiteInput) -> int:
    return len(run["url"])


# 1. a handler typed with another flow's run input
@flow.step(website)  # E: "Callable[[OtherInput, Page], int]"; expected "Callable[[SiteInput, Page],
def wrong_run(run: OtherInput, website: Page) -> int:
    return 1


# 2. a dependency typed str when that step returns int
@flow.step(length)  # E: "Callable[[SiteInput, str], str]"; expected "Callable[[SiteInput, int],
def wrong_dependency(run: SiteInput, length: str) -> str:
    return length


# 3. a parameter that is not a dependency (the old "key that is not a dependency")
@flow.step(website)  # E: "Callable[[SiteInput, Page, int], int]"; expected "Callable[[SiteInput, Page],
def extra_parameter(run: SiteInput, website: Page, length: int) -> int:
    return length


# 4. a map step over a step that returns int
@flow.map(length)  # E: "map" of "Flow" has incompatible type "HandlerStep[SiteInput, int, [SiteInput], int]"; expected "Step[SiteInput, Sequence[Never]]"
def over_int(n: int) -> int:
    return n


# 5. a map handler whose element type is not the list's
@flow.step(website)
def words(run: SiteInput, website: Page) -> list[str]:
    return website["text"].split()


@flow.map(words)  # E: "Callable[[int], int]"; expected "Callable[[str],
def wrong_element(word: int) -> int:
    return word


# 6. a dependency from another flow
@flow.step(other.add_step("foreign"))  # E: "step" of "Flow" has incompatible type "Step[OtherInput, Any]"
def foreign(run: SiteInput, foreign: object) -> None:
    pass


# 7. outputs are typed: using one as another type is an error
text: int = website({"url": "u"})["text"]  # E: Incompatible types in assignment
typo = website({"url": "u"})["txt"]  # E: TypedDict "Page" has no key "txt"

# 8. a root map step needs a list run input
@flow.map()  # E: Too few arguments for "map" of "Flow"
def root_over_object(x: object) -> None:
    pass


# 9. options are typed
@flow.step(timeout="60")  # E: No overload variant of "step" of "Flow" matches argument type "str"
def bad_option(run: SiteInput) -> None:
    pass


@flow.step(when_unmet="ignore")  # E: No overload variant of "step" of "Flow"
def bad_policy(run: SiteInput) -> None:
    pass


# 10. the client checks the input against the flow's run type, and types the result
def use(client: Client) -> None:
    client.start(other, {"dir": "/x", "threshold": 1})
    client.start(other, {"dir": "/x", "treshold": 1})  # E: No overload variant of "start" of "Client" matches argument types "Flow[OtherInput, Any]", "dict[str, object]"
    client.start(flow, {"uri": "x"})  # E: No overload variant of "start" of "Client" matches argument types "Flow[SiteInput, Any]", "dict[str, str]"
    client.start(flow, {"url": "x"}, run_idd="x")  # E: Unexpected keyword argument "run_idd" for "start" of "Client"; did you mean "run_id"?
    wrong: str = client.start(typed, {"url": "x"}).result()  # E: (expression has type "TypedDict({'text': str})", variable has type "str")
