"""Canonical JSON (SPEC §2.2) written with orjson is byte for byte what json.dumps writes.

SPEC §2.2 defines canonical(x) as Python's json.dumps(x, sort_keys=True, separators=(",", ":"),
ensure_ascii=False). ledger.chain.canonical hands the values of the SPEC's domain to orjson; these
properties hold it to the definition on arbitrary values: any Unicode text (control characters,
quotes, backslashes, non-ASCII, astral characters) in keys and strings, integers up to and beyond
64 bits, decimals as plain strings, booleans, null, nesting. Outside the domain (floats, lone
surrogates, huge integers) canonical must still give json.dumps's text, by falling back to it.
"""

from __future__ import annotations

import json
from decimal import Decimal

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.chain import canonical, is_canonical
from ledger.money import canonical_decimal


def stdlib(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# Every Unicode scalar value, the control characters U+0000–U+001F among them.
any_text = st.text(st.characters(codec="utf-8", exclude_categories=()), max_size=20)
# What the ledger stores: decimals as plain strings with trailing zeros removed.
decimal_text = st.decimals(allow_nan=False, allow_infinity=False, places=6).map(
    lambda number: canonical_decimal(Decimal(number))
)
# The integers orjson writes (signed and unsigned 64 bits).
integers_64 = st.integers(min_value=-(2**63), max_value=2**64 - 1)
domain_scalars = st.one_of(
    st.none(), st.booleans(), integers_64, any_text, decimal_text, st.dates().map(str)
)


def nested(scalars):
    return st.recursive(
        scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=5),
            st.dictionaries(any_text, children, max_size=6),
        ),
        max_leaves=30,
    )


domain_values = nested(domain_scalars)
payload_like = st.dictionaries(any_text, domain_scalars, max_size=12)


@settings(max_examples=500)
@given(domain_values)
def test_orjson_writes_the_canonical_form_of_every_value_in_the_domain(value):
    assert orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode() == stdlib(value)


@settings(max_examples=500)
@given(payload_like)
def test_canonical_of_a_flat_payload_is_the_stdlib_text(payload):
    assert canonical(payload) == stdlib(payload)


# Beyond the domain: lone surrogates, integers past 64 bits, floats, tuples.
wild_text = st.text(st.characters(exclude_categories=()), max_size=10)
wild_scalars = st.one_of(
    domain_scalars,
    wild_text,
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(),
)


@settings(max_examples=500)
@given(nested(wild_scalars))
def test_canonical_falls_back_to_json_dumps_outside_the_domain(value):
    try:
        expected = stdlib(value)
    except ValueError:  # NaN and infinities are written by json.dumps; nothing else fails
        return
    assert canonical(value) == expected


def test_the_cases_orjson_refuses_or_spells_differently_are_written_by_json_dumps():
    for value in (
        {"big": 2**64},
        {"small": -(2**63) - 1},
        {"lone": "\ud800"},
        {"float": 1e16},
        [0.1, float("nan")],
        {"t": (1, "a")},
    ):
        assert canonical(value) == stdlib(value)


def test_control_characters_are_escaped_in_lower_case_hex():
    text = "".join(chr(code) for code in range(0x20)) + '"\\\x7f é中😀\u2028'
    assert canonical({"k": text}) == stdlib({"k": text})
    assert canonical({"k": "\x1f\n"}) == '{"k":"\\u001f\\n"}'


def stdlib_is_canonical(text: str) -> bool:
    """The definition (SPEC §2.3): the text is canonical(json.loads(text))."""
    try:
        return stdlib(json.loads(text)) == text
    except (ValueError, RecursionError):
        return False


def spellings(value) -> st.SearchStrategy[str]:
    """The canonical text of a value and other spellings of it: spaces, unsorted keys, escaped
    non-ASCII, a key written twice."""
    canonical_text = stdlib(value)
    variants = [
        canonical_text,
        json.dumps(value, sort_keys=True, ensure_ascii=False),
        json.dumps(value, separators=(",", ":"), ensure_ascii=False),
        json.dumps(value, sort_keys=True, separators=(",", ":")),
        " " + canonical_text,
        canonical_text + "\n",
    ]
    if isinstance(value, dict) and value:
        key = sorted(value)[0]
        variants.append(canonical_text[:-1] + "," + stdlib(key) + ":" + stdlib(value[key]) + "}")
        variants.append("{" + stdlib(key) + ":" + stdlib(value[key]) + "," + canonical_text[1:])
    return st.sampled_from(variants)


@settings(max_examples=500)
@given(nested(wild_scalars).flatmap(spellings))
def test_is_canonical_is_the_definition_on_any_spelling(text):
    assert is_canonical(text) == stdlib_is_canonical(text)


@given(
    st.sampled_from(["NaN", '{"a":NaN}', '{"a":1e400}', '{"a":1.0}', '{"a":"\\ud800"}', "[]", "{}"])
)
def test_is_canonical_on_texts_orjson_does_not_read_as_json_dumps_would(text):
    assert is_canonical(text) == stdlib_is_canonical(text)
