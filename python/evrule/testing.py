"""A pytest helper for rule suites: which rules must an event match?

    from evrule.testing import assert_matches

    def test_uploads():
        assert_matches("rules/bus.yaml", {"source": "aws.s3", ...}, ["uploads"])

On failure the assertion message is what ``evrule test`` prints for a failing
case: the expected and actual rule lists, then, for every rule in the
difference, the explanation of why it did or did not match.
"""

import os
from typing import TYPE_CHECKING, Iterable, List, Mapping, Tuple, Union

from . import Matcher, Rule, explain, load_rules

if TYPE_CHECKING:
    from ._evrule import EventLike, PatternLike

__all__ = ["assert_matches", "RuleSet"]

RuleSet = Union[
    Matcher,
    "os.PathLike[str]",
    str,
    Mapping[str, "PatternLike"],
    Iterable[Union[Rule, Tuple[str, "PatternLike"]]],
]


def _rules(rules: RuleSet) -> Tuple[Matcher, List[Tuple[str, "PatternLike", bool]]]:
    """The matcher of enabled rules and every rule as (name, pattern, disabled)."""
    if isinstance(rules, Matcher):
        return rules, [(n, rules.pattern(n), False) for n in rules.names()]
    if isinstance(rules, (str, os.PathLike)):
        rules = load_rules(rules)
    items = rules.items() if isinstance(rules, Mapping) else rules
    listed: List[Tuple[str, "PatternLike", bool]] = []
    for item in items:
        if isinstance(item, Rule):
            if item.pattern is None:
                raise ValueError(
                    f"rule {item.name} ({item.file}:{item.line}): its pattern is unknown "
                    f"until deployment ({', '.join(item.unresolved)}); cannot test it"
                )
            listed.append((item.name, item.pattern, item.state == "DISABLED"))
        else:
            name, pattern = item
            listed.append((name, pattern, False))
    seen = set()
    for name, _, _ in listed:
        if name in seen:
            raise ValueError(f"rule `{name}` is defined twice")
        seen.add(name)
    matcher = Matcher([(n, p) for n, p, disabled in listed if not disabled])
    return matcher, listed


def _names(names: Iterable[str]) -> str:
    return "[" + ", ".join(sorted(names)) + "]"


def assert_matches(rules: RuleSet, event: "EventLike", expected: Iterable[str]) -> None:
    """Assert that ``event`` matches exactly the rules named in ``expected``.

    ``rules`` is a :class:`evrule.Matcher`, a path to a rule file or directory
    (any file ``evrule check`` reads; disabled rules never match), a mapping
    of name to pattern, or an iterable of :class:`evrule.Rule` or
    ``(name, pattern)`` pairs. A name in ``expected`` that is not a rule is an
    error (``ValueError``), as in ``evrule test``.
    """
    matcher, listed = _rules(rules)
    want = set(expected)
    unknown = sorted(want - {name for name, _, _ in listed})
    if unknown:
        raise ValueError(f"expected rule `{unknown[0]}` is not among the rules")
    actual = set(matcher.matches(event))
    if actual == want:
        return
    lines = [f"expected: {_names(want)}", f"actual:   {_names(actual)}"]
    for name, pattern, disabled in listed:
        should = name in want
        if should != (name in actual):
            lines.append(explain(pattern, event).difference(name, should, disabled=disabled).rstrip("\n"))
    raise AssertionError("\n".join(lines))
