"""Errors carry their place (rule, JSON path, line, column) as attributes
and say it in their message; wrong input types are TypeError."""

import pytest

import evrule

from conftest import TESTDATA


def test_invalid_pattern_attributes_and_message():
    with pytest.raises(evrule.InvalidPatternError) as raised:
        evrule.Matcher().add("sizes", '{"detail": {"size": [{"numeric": [">", "x"]}]}}')
    e = raised.value
    assert isinstance(e, ValueError)
    assert (e.rule, e.path, e.line, e.column) == ("sizes", "/detail/size/0/numeric/1", 1, 41)
    assert e.reason == "Value of > must be numeric"
    assert e.file is None
    assert str(e) == "rule sizes: Value of > must be numeric at /detail/size/0/numeric/1 (line 1 column 41)"
    assert [p.reason for p in e.problems] == ["Value of > must be numeric"]


def test_every_problem_is_reported():
    text = '{\n  "a": [],\n  "b": {"c": [{"prefix": 1}]}\n}'
    problems = evrule.check(text, name="two")
    assert [(p.rule, p.path, p.line, p.column, p.reason) for p in problems] == [
        ("two", "/a", 2, 8, "Empty arrays are not allowed"),
        ("two", "/b/c/0/prefix", 3, 26, "prefix match pattern must be a string"),
    ]
    with pytest.raises(evrule.InvalidPatternError) as raised:
        evrule.Matcher({"two": text})
    assert raised.value.problems == problems
    assert str(raised.value).splitlines() == [str(p) for p in problems]


def test_check_valid_and_syntax():
    assert evrule.check({"source": ["aws.s3"]}) == []
    [p] = evrule.check('{"source": ["aws.s3"]')
    assert p.kind == "syntax" and p.rule is None and p.line == 1
    [p] = evrule.check({"detail": {"size": [{"numeric": [">", float("nan")]}]}}, name="n")
    assert (p.rule, p.path, p.reason) == ("n", "/detail/size/0/numeric/1", "nan is not a JSON number")


def test_limits_are_keyword_options():
    long = '{"source": ["' + "x" * 3000 + '"]}'
    with pytest.raises(evrule.InvalidPatternError) as raised:
        evrule.Matcher().add("long", long)
    assert raised.value.problems[0].kind == "limit"
    evrule.Matcher(max_pattern_len=4096).add("long", long)

    m = evrule.Matcher({"r": {"a": ["x"]}}, max_event_size=64)
    with pytest.raises(evrule.InvalidEventError) as raised:
        m.matches('{"a": "x", "pad": "' + "y" * 100 + '"}')
    assert raised.value.limit is not None
    assert m.matches('{"a": "x"}') == ["r"]


def test_duplicate_name_and_remove():
    m = evrule.Matcher({"r": {"a": ["x"]}})
    with pytest.raises(ValueError) as raised:
        m.add("r", {"b": ["y"]})
    assert not isinstance(raised.value, evrule.InvalidPatternError)
    assert "r" in str(raised.value)
    assert m.remove("r") is True
    assert m.remove("r") is False
    assert len(m) == 0 and "r" not in m and m.names() == []


def test_invalid_event_attributes():
    m = evrule.Matcher({"r": {"a": ["x"]}})
    with pytest.raises(evrule.InvalidEventError) as raised:
        m.matches('{"a": "x",\n "b": tru}')
    e = raised.value
    assert isinstance(e, ValueError)
    assert (e.line, e.column, e.index) == (2, 7, None)
    assert e.reason and e.reason in str(e) and "line 2 column 7" in str(e)
    with pytest.raises(evrule.InvalidEventError) as raised:
        m.matches("[1, 2]")
    assert raised.value.reason


def test_invalid_event_in_matches_many_names_its_index():
    m = evrule.Matcher({"r": {"a": ["x"]}})
    it = m.matches_many(['{"a": "x"}', '{"a": "y"}', "{", '{"a": "x"}'])
    assert next(it) == ["r"]
    assert next(it) == []
    with pytest.raises(evrule.InvalidEventError) as raised:
        next(it)
    assert raised.value.index == 2
    assert str(raised.value).startswith("event 2: ")
    assert list(it) == []  # the iteration ended with the error


def test_unserialisable_dict_event():
    m = evrule.Matcher({"r": {"a": ["x"]}})
    with pytest.raises(evrule.InvalidEventError) as raised:
        m.matches({"a": {"b": [1, {2, 3}]}})
    assert raised.value.path == "/a/b/1"
    assert "set" in raised.value.reason
    with pytest.raises(evrule.InvalidEventError) as raised:
        m.matches({"a": {1: "x"}})
    assert raised.value.path == "/a" and "keys must be str" in raised.value.reason
    loop = {}
    loop["a"] = loop
    with pytest.raises(evrule.InvalidEventError) as raised:
        m.matches(loop)
    assert "nested deeper" in raised.value.reason
    assert len(str(raised.value)) < 300


def test_wrong_types():
    m = evrule.Matcher()
    with pytest.raises(TypeError):
        m.matches(42)
    with pytest.raises(TypeError):
        m.add("r", 42)
    with pytest.raises(TypeError):
        evrule.Matcher(42)


def test_event_pattern_requires_the_service_fields():
    event = {"id": "1", "account": "1", "source": "a", "time": "t", "region": "r", "detail-type": "d"}
    assert evrule.test_event_pattern({"source": ["a"]}, event) is True
    assert evrule.test_event_pattern('{"source": ["b"]}', event) is False
    del event["region"]
    with pytest.raises(evrule.InvalidEventError) as raised:
        evrule.test_event_pattern({"source": ["a"]}, event)
    assert raised.value.reason == "Provided Event must have the field 'region'"
    with pytest.raises(evrule.InvalidPatternError) as raised:
        evrule.test_event_pattern({"source": []}, event)
    assert raised.value.reason == "Empty arrays are not allowed"


def test_load_rules_places_rules_and_problems_in_their_files(tmp_path):
    rules = evrule.load_rules(TESTDATA / "examples" / "rules.json")
    assert [r.name for r in rules][:2] == ["s3-object-created", "s3-deleted-or-restored"]
    assert all(r.line > 1 and r.column > 1 and r.file.endswith("rules.json") for r in rules)
    template = tmp_path / "template.yaml"
    template.write_text(
        "Resources:\n"
        "  Uploads:\n"
        "    Type: AWS::Events::Rule\n"
        "    Properties:\n"
        "      Name: uploads\n"
        "      EventPattern:\n"
        "        source: [aws.s3]\n"
        "        detail:\n"
        "          size: [{numeric: ['>', x]}]\n"
    )
    [rule] = evrule.load_rules(template)
    assert (rule.name, rule.format, rule.id, rule.state) == ("uploads", "cfn-yaml", "Uploads", "ENABLED")
    [p] = evrule.check(rule)
    assert (p.rule, p.file, p.line, p.path) == ("uploads", str(template), 9, "/detail/size/0/numeric/1")
    assert p.reason == "Value of > must be numeric"
    assert str(p).startswith(f"{template}:9:")


def test_load_rules_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"rules": [\n  {"name": "a", "pattern": {"x": [1]}},\n  oops\n]}')
    with pytest.raises(evrule.RuleFileError) as raised:
        evrule.load_rules(bad)
    e = raised.value
    assert (e.file, e.line) == (str(bad), 3)
    assert e.reason.startswith("invalid JSON")
    assert str(e).startswith(f"{bad}:3:")
    with pytest.raises(evrule.RuleFileError) as raised:
        evrule.load_rules(tmp_path / "missing.yaml")
    assert raised.value.reason == "no such file or directory"
