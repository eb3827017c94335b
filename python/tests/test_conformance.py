"""Every case of testdata/conformance/*.jsonl through the Python API:
validation cases through `check` (str and dict patterns), match cases
through `Matcher` with events as str, bytes, dict and `matches_many`, in
strict and trusted mode."""

import json

import pytest

import evrule

from conftest import TESTDATA, load_exact, to_json

FILES = ["aws-recorded.jsonl", "ruler-correctness.jsonl", "generated-public.jsonl", "spec-examples.jsonl"]


def cases(kind):
    out = []
    for name in FILES:
        path = TESTDATA / "conformance" / name
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            # `Infinity` (a few validation lines) parses as float('inf'); those
            # lines carry the real text in `pattern_text`.
            case = load_exact(line)
            if ("valid" in case) == (kind == "validation"):
                out.append(pytest.param(case, id=f"{name}:{case['id']}"))
    return out


def test_every_case_is_run():
    lines = sum(
        1
        for name in FILES
        for line in (TESTDATA / "conformance" / name).read_text(encoding="utf-8").splitlines()
        if line.strip()
    )
    validation, match = cases("validation"), cases("match")
    assert len(validation) + len(match) == lines
    # Each case is of the kind it was sorted into: a match case has rules,
    # events and expected matches, a validation case a pattern.
    assert all({"rules", "events", "expected"} <= set(p.values[0]) for p in match)
    assert all("pattern" in p.values[0] for p in validation)
    for name in FILES:
        assert any(p.id.startswith(name + ":") for p in cases("match") + cases("validation")), name


def expected_reason(case):
    if "aws_message" in case:
        m = case["aws_message"]
        return m.split("Reason: ", 1)[1] if "Reason: " in m else m
    if "oracle_message" in case:
        return case["oracle_message"].split("  at [Source")[0]
    return None


@pytest.mark.parametrize("case", cases("validation"))
def test_validation(case):
    texts = [case["pattern_text"]] if "pattern_text" in case else [to_json(case["pattern"])]
    inputs = list(texts)
    if "pattern_text" not in case and isinstance(case["pattern"], dict):
        inputs.append(case["pattern"])  # the dict path
    for pattern in inputs:
        problems = evrule.check(pattern, name="r")
        if case["valid"]:
            assert problems == [], f"rejected {pattern!r}: {problems}"
            continue
        assert problems, f"accepted, expected rejection: {pattern!r}"
        assert all(p.rule == "r" for p in problems)
        reason = expected_reason(case)
        if reason is None:
            continue
        got = problems[0].reason
        if case.get("pattern_is_json", True) is False and (problems[0].kind == "syntax" or got == reason):
            continue
        assert got.rstrip() == reason.rstrip(), f"{pattern!r}"
        with pytest.raises(evrule.InvalidPatternError) as raised:
            evrule.Matcher().add("r", pattern)
        assert raised.value.reason == got
        assert raised.value.problems == problems


@pytest.mark.parametrize("case", cases("match"))
@pytest.mark.parametrize("trusted", [False, True], ids=["strict", "trusted"])
def test_match(case, trusted):
    matcher = evrule.Matcher(trusted=trusted)
    for rule in case["rules"]:
        # Exact texts where spellings matter; otherwise the dict itself.
        matcher.add(rule["name"], rule.get("pattern_text", rule["pattern"]))
    texts = case.get("events_text") or [to_json(e) for e in case["events"]]
    expected = case["expected"]
    for i, text in enumerate(texts):
        assert matcher.matches(text) == expected[i], f"event {i}: {text}"
        assert matcher.matches(text.encode()) == expected[i], f"event {i} as bytes"
        if "events_text" not in case:
            assert matcher.matches(case["events"][i]) == expected[i], f"event {i} as dict"
    assert list(matcher.matches_many(texts)) == expected
    assert len(matcher) == len({r["name"] for r in case["rules"]})
