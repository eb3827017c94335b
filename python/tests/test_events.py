"""Events as str, bytes and dict: the same answers, numbers keeping their
value. What a dict cannot keep is what Python already lost: a float from
`json.loads` is a double, rounded on parsing; `parse_float=Decimal` keeps
the digits (see evrule's module docs)."""

import decimal
import json

import evrule

from conftest import load_exact

RULES = {
    "big-exact": {"n": [12345678901234567890123]},
    "gt-point-three": {"n": [{"numeric": [">", 0.3]}]},
    "one": {"n": [1]},
    "half": {"n": [0.5]},
    "true": {"b": [True]},
    "null": {"z": [None]},
    "text": {"s": ["line\nbreak \"quoted\" \\ é ☃ 𝄞"]},
    "ip": {"ip": [{"cidr": "10.0.0.0/24"}]},
    "nested": {"a": {"b": {"c": [{"prefix": "x"}]}}},
    "arr": {"list": [3]},
}


def test_dict_str_bytes_agree():
    m = evrule.Matcher(RULES)
    events = [
        {"n": 12345678901234567890123},
        {"n": 12345678901234567890124},
        {"n": 1}, {"n": 1.0}, {"n": 0.5}, {"n": 0.3}, {"n": 0.30000000000000004},
        {"n": -0.0}, {"n": 1e300}, {"n": 5e-324},
        {"b": True}, {"b": 1}, {"z": None},
        {"s": "line\nbreak \"quoted\" \\ é ☃ 𝄞"}, {"s": "line\tbreak"},
        {"ip": "10.0.0.7"}, {"a": {"b": {"c": "xyz"}}}, {"list": (1, 2, 3)}, {"list": [[3]]},
        {"\u0000key": "\u001f"},
    ]
    for event in events:
        text = json.dumps(event, ensure_ascii=False)
        got = m.matches(event)
        assert got == m.matches(text), event
        assert got == m.matches(text.encode()), event
        assert got == m.matches(bytearray(text.encode())), event
    assert m.matches({"n": 12345678901234567890123}) == ["big-exact"]
    assert m.matches({"n": 12345678901234567890124}) == []
    assert m.matches({"n": 1.0}) == ["gt-point-three", "one"]
    assert m.matches({"b": 1}) == []
    assert m.matches({"s": "line\nbreak \"quoted\" \\ é ☃ 𝄞"}) == ["text"]
    assert list(m.matches_many(events)) == [m.matches(e) for e in events]


def test_numbers_keep_their_value_and_json_loads_rounding_is_documented():
    # Exact numbers compare by their exact decimal value.
    m = evrule.Matcher({
        "long": '{"n": [1.00000000000000000001]}',
        "one": {"n": [1]},
        "above-2**53": {"n": [9007199254740993]},
    })
    text = '{"n": 1.00000000000000000001}'
    assert m.matches(text) == ["long"]
    # json.loads rounds the number to the double 1.0 before evrule sees it.
    assert json.loads(text)["n"] == 1.0
    assert m.matches(json.loads(text)) == ["one"]
    # Decimal keeps the digits, and evrule writes them as they are.
    assert m.matches(json.loads(text, parse_float=decimal.Decimal)) == ["long"]
    assert m.matches(load_exact(text)) == ["long"]
    # Python ints are exact at any size, and are written with every digit
    # (a writer going through doubles would write 9007199254740992).
    assert m.matches({"n": 9007199254740993}) == ["above-2**53"]
    assert m.matches({"n": 9007199254740992}) == []
    # A double is written as the shortest text that reads back as itself,
    # so it compares as the value Python holds.
    assert m.matches({"n": 1.0000000000000002}) == []
    assert m.matches({"n": 1.0}) == ["one"]


def test_non_finite_numbers_are_refused():
    m = evrule.Matcher({"r": {"n": [1]}})
    for bad in (float("inf"), float("-inf"), float("nan"), decimal.Decimal("NaN"), decimal.Decimal("Infinity")):
        try:
            m.matches({"n": bad})
        except evrule.InvalidEventError as e:
            assert e.path == "/n" and "not a JSON number" in e.reason
        else:
            raise AssertionError(f"{bad!r} was accepted")


def test_patterns_as_dict_and_str_agree():
    for pattern in RULES.values():
        a = evrule.Matcher({"r": pattern})
        b = evrule.Matcher({"r": json.dumps(pattern)})
        assert json.loads(a.pattern("r")) == json.loads(b.pattern("r"))
