"""The codecs without a database: encryption, rotation, redaction, secret paths, the DSL rules."""

from __future__ import annotations

import base64
import os

import pytest

from pgflow import Flow
from pgflow.errors import DefinitionError
from pgflow.jsonb import JsonObject, JsonValue
from pgflow.payload import ChainCodec, CodecContext, CodecError, Payloads, Redactor
from pgflow.payload.crypto import EncryptionCodec
from pgflow.payload.paths import condition_secret_path

CONTEXT = CodecContext("orders", "charge", "output")


def key() -> bytes:
    return os.urandom(32)


def test_a_sealed_value_opens_to_the_same_value_and_hides_it() -> None:
    codec = EncryptionCodec({"k1": key()})
    sealed = codec.encode({"token": "tok_live_123456"}, CONTEXT)
    assert isinstance(sealed, dict)
    assert sealed["$pgflow"] == "sealed"
    assert sealed["kid"] == "k1"
    assert sealed["alg"] == "A256GCM"
    assert "tok_live_123456" not in str(sealed)
    assert codec.decode(sealed, CONTEXT) == {"token": "tok_live_123456"}


def test_old_values_open_after_a_new_key_is_added_and_new_ones_use_it() -> None:
    old = key()
    before = EncryptionCodec({"2026-01": old})
    sealed_before = before.encode("secret-one", CONTEXT)
    rotated = EncryptionCodec({"2026-01": old, "2026-06": key()})
    sealed_after = rotated.encode("secret-two", CONTEXT)
    assert isinstance(sealed_after, dict)
    assert sealed_after["kid"] == "2026-06"
    assert isinstance(sealed_before, dict)
    assert rotated.decode(sealed_before, CONTEXT) == "secret-one"
    assert rotated.decode(sealed_after, CONTEXT) == "secret-two"


def test_a_wrong_key_under_the_same_id_fails_with_a_clear_error() -> None:
    sealed = EncryptionCodec({"k1": key()}).encode("secret", CONTEXT)
    assert isinstance(sealed, dict)
    with pytest.raises(CodecError, match="does not open with key 'k1'"):
        EncryptionCodec({"k1": key()}).decode(sealed, CONTEXT)


def test_an_unknown_key_id_names_the_missing_key() -> None:
    sealed = EncryptionCodec({"gone": key()}).encode("secret", CONTEXT)
    assert isinstance(sealed, dict)
    with pytest.raises(CodecError, match="uses key 'gone'"):
        EncryptionCodec({"k1": key()}).decode(sealed, CONTEXT)


def test_a_sealed_value_moved_to_another_flow_does_not_open() -> None:
    codec = EncryptionCodec({"k1": key()})
    sealed = codec.encode("secret", CONTEXT)
    assert isinstance(sealed, dict)
    with pytest.raises(CodecError):
        codec.decode(sealed, CodecContext("other_flow"))


def test_keys_come_from_pgflow_keys_newest_last(monkeypatch: pytest.MonkeyPatch) -> None:
    one, two = key(), key()
    monkeypatch.setenv(
        "PGFLOW_KEYS",
        f"one:{base64.b64encode(one).decode()}, two:{base64.urlsafe_b64encode(two).decode()}",
    )
    codec = EncryptionCodec.from_env()
    assert codec.key_ids == ("one", "two")
    assert codec.current == "two"
    payloads = Payloads.from_env()
    assert isinstance(payloads.secrets, EncryptionCodec)


def test_a_short_key_is_refused() -> None:
    with pytest.raises(CodecError, match="needs 32"):
        EncryptionCodec({"k1": b"short"})


def test_a_secret_array_is_sealed_element_by_element() -> None:
    payloads = Payloads(secrets=EncryptionCodec({"k1": key()}))
    sealed = payloads.seal_input(
        "orders",
        ["cards", "user.token"],
        {
            "cards": ["4111", "4242"],
            "user": {"token": "abc-secret", "name": "Ada"},
            "mode": "live",
        },
    )
    assert isinstance(sealed, dict)
    cards = sealed["cards"]
    assert isinstance(cards, list)
    assert len(cards) == 2
    assert all(isinstance(card, dict) and card["$pgflow"] == "sealed" for card in cards)
    user = sealed["user"]
    assert isinstance(user, dict)
    assert user["name"] == "Ada"
    assert sealed["mode"] == "live"
    seen: list[object] = []
    opened = payloads.open(sealed, CodecContext("orders"), reveal=seen.append)
    assert opened == {
        "cards": ["4111", "4242"],
        "user": {"token": "abc-secret", "name": "Ada"},
        "mode": "live",
    }
    assert sorted(map(str, seen)) == ["4111", "4242", "abc-secret"]


def test_declared_secrets_without_a_codec_fail_clearly() -> None:
    with pytest.raises(CodecError, match="PGFLOW_KEYS"):
        Payloads().seal_input("orders", ["token"], {"token": "x"})


def test_a_strict_reader_without_the_codec_refuses_an_envelope() -> None:
    sealed = EncryptionCodec({"k1": key()}).encode("secret", CONTEXT)
    with pytest.raises(CodecError, match="no secrets codec"):
        Payloads().open({"x": sealed}, CONTEXT)
    assert Payloads().open({"x": sealed}, CONTEXT, strict=False) == {"x": sealed}


def test_a_chain_encodes_in_order_and_decodes_by_kind() -> None:
    inner = EncryptionCodec({"inner": key()})
    outer = EncryptionCodec({"outer": key()})

    class Outer:  # the same cipher under another kind, to see the order
        kinds = frozenset({"outer"})

        def encode(self, value: JsonValue, context: CodecContext) -> JsonValue:
            sealed = outer.encode(value, context)
            assert isinstance(sealed, dict)
            return {**sealed, "$pgflow": "outer"}

        def decode(self, envelope: JsonObject, context: CodecContext) -> JsonValue:
            return outer.decode({**envelope, "$pgflow": "sealed"}, context)

    chain = ChainCodec(inner, Outer())
    sealed = chain.encode("secret", CONTEXT)
    assert isinstance(sealed, dict)
    assert sealed["$pgflow"] == "outer"
    payloads = Payloads(secrets=chain)
    assert payloads.open(sealed, CONTEXT) == "secret"


def test_the_redactor_removes_every_form_of_a_secret() -> None:
    redactor = Redactor()
    redactor.add({"token": 'tok"en\\1234', "pin": 98765})
    text = 'failed: tok"en\\1234 / \'tok"en\\\\1234\' / "tok\\"en\\\\1234" pin=98765'
    redacted = redactor.redact(text)
    assert redacted is not None
    assert "1234" not in redacted
    assert "98765" not in redacted
    assert "[redacted]" in redacted


def test_a_condition_on_a_secret_path_is_a_definition_error() -> None:
    flow = Flow("orders", secret_input=["token"])
    flow.add_step("charge", secret_output=["card.number"])
    with pytest.raises(DefinitionError, match=r"secret path 'run\.token'"):
        flow.add_step("a", run_if={"run": {"token": "x"}})
    with pytest.raises(DefinitionError, match=r"secret path 'charge\.card\.number'"):
        flow.add_step("b", depends_on="charge", run_unless={"charge": {"card": "x"}})
    flow.add_step("c", depends_on="charge", run_if={"charge": {"status": "ok"}})


def test_the_shape_covers_secret_paths_only_when_declared() -> None:
    plain = Flow("plain")
    plain.add_step("only")
    assert "secret_input" not in plain.shape().document()
    secret = Flow("plain", secret_input=["b", "a", "b"])
    secret.add_step("only", secret_output=True)
    document = secret.shape().document()
    assert document["secret_input"] == ["a", "b"]
    steps = document["steps"]
    assert isinstance(steps, list)
    assert isinstance(steps[0], dict)
    assert steps[0]["secret_output"] == ["$"]
    assert plain.shape().hash() != secret.shape().hash()


def test_the_output_limit_is_not_part_of_the_shape() -> None:
    bounded = Flow("f", max_output_bytes=10)
    bounded.add_step("s", max_output_bytes=5)
    unbounded = Flow("f")
    unbounded.add_step("s")
    assert bounded.shape().hash() == unbounded.shape().hash()


def test_condition_paths_match_the_sql_rule() -> None:
    assert condition_secret_path({"run": {"auth": {}}}, ["run.auth.key"]) is None
    assert condition_secret_path({"run": {"auth": "x"}}, ["run.auth.key"]) == "run.auth.key"
    assert condition_secret_path({"run": {"token": {}}}, ["run.token"]) == "run.token"


def test_an_object_of_an_unknown_kind_is_user_data_and_passes_through() -> None:
    value: JsonValue = {"x": {"$pgflow": "mine", "v": 1}}
    assert Payloads().open(value, CONTEXT) == value
