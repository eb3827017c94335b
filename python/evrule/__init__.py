"""evrule: Amazon EventBridge event patterns, in-process.

Validate patterns with AWS's reasons (:func:`check`), compile many rules into
one automaton and match events fast (:class:`Matcher`), say why an event
matches or not (:func:`explain`), answer as TestEventPattern does
(:func:`test_event_pattern`), and read rules from any file ``evrule check``
reads (:func:`load_rules`). :mod:`evrule.testing` holds a pytest helper.

Events are ``str``, ``bytes`` or ``dict``. A ``dict`` is written as JSON by
evrule: ints keep every digit, floats are written as the shortest text that
reads back as the same double, and ``decimal.Decimal`` values as their own
digits. A float that ``json.loads`` already rounded stays rounded: pass the
text (or parse with ``parse_float=decimal.Decimal``) where digits matter.
"""

from ._evrule import (
    Explanation,
    InvalidEventError,
    InvalidPatternError,
    Matcher,
    Problem,
    Rule,
    RuleFileError,
    check,
    explain,
    load_rules,
    test_event_pattern,
)

__all__ = [
    "Explanation",
    "InvalidEventError",
    "InvalidPatternError",
    "Matcher",
    "Problem",
    "Rule",
    "RuleFileError",
    "check",
    "explain",
    "load_rules",
    "test_event_pattern",
]
