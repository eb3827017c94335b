"""evrule.testing.assert_matches, and explain: the same text and data as
the CLI's `evrule test` and `evrule explain --format json`."""

import json
import subprocess

import pytest

import evrule
from evrule.testing import assert_matches

from conftest import TESTDATA

RULES = TESTDATA / "examples" / "rules.json"
CREATED = TESTDATA / "events" / "s3-object-created.json"


def test_passing_cases_in_every_form():
    event = CREATED.read_text()
    assert_matches(RULES, event, ["s3-object-created"])
    assert_matches(str(RULES), json.loads(event), {"s3-object-created"})
    assert_matches(evrule.load_rules(RULES), event.encode(), ["s3-object-created"])
    assert_matches(evrule.Matcher(evrule.load_rules(RULES)), event, ["s3-object-created"])
    assert_matches({"any-s3": {"source": ["aws.s3"]}}, event, ["any-s3"])
    assert_matches([("ec2", {"source": ["aws.ec2"]})], event, [])


def test_unknown_expected_name_is_an_error():
    with pytest.raises(ValueError, match="no-such-rule"):
        assert_matches(RULES, CREATED.read_text(), ["no-such-rule"])


def test_disabled_rules_never_match(tmp_path):
    f = tmp_path / "rules.yaml"
    f.write_text("rules:\n  - name: off\n    state: DISABLED\n    pattern: {source: [aws.s3]}\n")
    assert_matches(f, CREATED.read_text(), [])
    with pytest.raises(AssertionError) as raised:
        assert_matches(f, CREATED.read_text(), ["off"])
    assert "off was expected to match, but the rule is DISABLED and never matches" in str(raised.value)


def test_failure_prints_what_evrule_test_prints(evrule_bin):
    """The failing case of testdata/suites/failing.yaml, through pytest and
    through `evrule test`: the same lines (the CLI's under its case, less
    its `at:` line and indentation)."""
    rules = evrule.load_rules(RULES) + [
        ("items-consistent", {"detail": {"items": {"sku": ["A-1"], "qty": [{"numeric": [">", 10]}]}}})
    ]
    with pytest.raises(AssertionError) as raised:
        assert_matches(rules, CREATED.read_text(), ["s3-object-created", "large-images"])
    ours = str(raised.value).splitlines()

    run = subprocess.run(
        [evrule_bin, "test", str(TESTDATA / "suites" / "failing.yaml")],
        capture_output=True, text=True, check=False,
    )
    assert run.returncode == 1, run.stderr
    lines = run.stdout.splitlines()
    start = lines.index("  FAIL  small upload expected to be large") + 1
    block = []
    for line in lines[start:]:
        if not line.startswith("    "):
            break
        block.append(line[4:])
    assert block[0].startswith("at:")
    assert ours == block[1:]
    assert any("large-images was expected to match, but did not" == line for line in ours)


def test_explain_is_the_data_of_evrule_explain(evrule_bin):
    run = subprocess.run(
        [evrule_bin, "explain", "--format", "json", "--rules", str(RULES), str(CREATED)],
        capture_output=True, text=True, check=False,
    )
    assert run.returncode == 0, run.stderr
    cli = [json.loads(line) for line in run.stdout.splitlines()]
    rules = {r.name: r for r in evrule.load_rules(RULES)}
    assert [c["rule"] for c in cli] == list(rules)
    event = CREATED.read_text()
    for c in cli:
        e = evrule.explain(rules[c["rule"]], event)
        assert e.to_dict() == c["explanation"]
        assert e.matched == c["matched"]
        assert json.loads(e.to_json()) == c["explanation"]
        assert str(e).splitlines()[0] == ("match" if e.matched else "no match")
