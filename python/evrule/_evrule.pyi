"""Types of the native module ``evrule._evrule`` (re-exported by ``evrule``)."""

import decimal
import os
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Tuple, Union

JSONValue = Union[str, int, float, decimal.Decimal, bool, None, List[Any], Tuple[Any, ...], Dict[str, Any]]
PatternLike = Union[str, bytes, Dict[str, JSONValue], "Rule"]
EventLike = Union[str, bytes, bytearray, Dict[str, JSONValue]]

class InvalidPatternError(ValueError):
    """A pattern is not a valid EventBridge event pattern."""

    rule: Optional[str]
    path: str
    line: Optional[int]
    column: Optional[int]
    reason: str
    file: Optional[str]
    problems: List[Problem]

class InvalidEventError(ValueError):
    """An event is not a valid event (not JSON, not an object, over a limit)."""

    reason: str
    path: str
    line: Optional[int]
    column: Optional[int]
    index: Optional[int]
    limit: Optional[str]

class RuleFileError(ValueError):
    """A rule file cannot be read as rules."""

    file: str
    line: Optional[int]
    column: Optional[int]
    reason: str
    errors: List[Tuple[str, Optional[int], Optional[int], str]]

class Problem:
    """One problem with a pattern: rule, JSON path, line, column and AWS's reason."""

    @property
    def rule(self) -> Optional[str]: ...
    @property
    def path(self) -> str: ...
    @property
    def line(self) -> Optional[int]: ...
    @property
    def column(self) -> Optional[int]: ...
    @property
    def reason(self) -> str: ...
    @property
    def file(self) -> Optional[str]: ...
    @property
    def kind(self) -> str:
        """``syntax`` (not JSON), ``limit`` (over a configured limit) or ``pattern``."""

class Rule:
    """One rule found in a rule file by :func:`load_rules`."""

    @property
    def name(self) -> str: ...
    @property
    def pattern(self) -> Optional[str]: ...
    @property
    def state(self) -> str: ...
    @property
    def file(self) -> str: ...
    @property
    def line(self) -> int: ...
    @property
    def column(self) -> int: ...
    @property
    def format(self) -> str: ...
    @property
    def id(self) -> Optional[str]: ...
    @property
    def unresolved(self) -> List[str]: ...
    @property
    def is_static(self) -> bool: ...

class Explanation:
    """Why a pattern does or does not match an event."""

    @property
    def matched(self) -> bool: ...
    def to_dict(self) -> Dict[str, Any]:
        """The ``explanation`` of ``evrule explain --format json``: matched, fields, ors, conflicts."""
    def to_json(self) -> str:
        """The ``explanation`` of ``evrule explain --format json``, as JSON text."""
    def difference(self, rule: str, expected: bool, *, disabled: bool = False) -> str:
        """How ``evrule test`` reports ``rule`` in a failing case."""

class Matcher:
    """Many rules compiled into one automaton. Safe to share between threads."""

    def __init__(
        self,
        rules: Union[Mapping[str, PatternLike], Iterable[Union[Tuple[str, PatternLike], Rule]], None] = None,
        *,
        trusted: bool = False,
        max_pattern_len: Optional[int] = None,
        max_sub_rules: Optional[int] = None,
        max_depth: Optional[int] = None,
        max_wildcard_complexity: Optional[int] = None,
        max_event_size: Optional[int] = None,
        max_event_depth: Optional[int] = None,
        max_event_leaves: Optional[int] = None,
    ) -> None: ...
    def add(self, name: str, pattern: PatternLike) -> None: ...
    def remove(self, name: str) -> bool: ...
    def matches(self, event: EventLike) -> List[str]: ...
    def matches_many(self, events: Iterable[EventLike]) -> Iterator[List[str]]: ...
    def names(self) -> List[str]: ...
    def pattern(self, name: str) -> str: ...
    @property
    def trusted(self) -> bool: ...
    def __len__(self) -> int: ...
    def __contains__(self, name: object) -> bool: ...

def check(pattern: PatternLike, *, name: Optional[str] = None) -> List[Problem]: ...
def test_event_pattern(pattern: PatternLike, event: EventLike) -> bool: ...
def explain(pattern: PatternLike, event: EventLike) -> Explanation: ...
def load_rules(
    path: Union[str, "os.PathLike[str]"], *, parameters: Optional[Mapping[str, str]] = None
) -> List[Rule]: ...
