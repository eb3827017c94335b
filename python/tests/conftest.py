"""Shared fixtures: the repository's test data, the JSON writer the tests
use for exact texts, and the `evrule` binary when the run has one."""

import decimal
import json
import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TESTDATA = REPO / "testdata"


def to_json(value) -> str:
    """JSON text of a value parsed with ``parse_float=Decimal``: numbers keep
    the digits of the source (``json.dumps`` cannot write a Decimal as a
    number)."""
    if isinstance(value, dict):
        return "{" + ",".join(json.dumps(k) + ":" + to_json(v) for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(to_json(v) for v in value) + "]"
    if isinstance(value, decimal.Decimal):
        return str(value)
    return json.dumps(value)


def load_exact(text: str):
    """JSON text -> Python values, numbers exact (Decimal for non-integers)."""
    return json.loads(text, parse_float=decimal.Decimal)


@pytest.fixture(scope="session")
def evrule_bin():
    """The `evrule` binary: $EVRULE_BIN, the workspace's build, or PATH.
    Without one the test skips, unless EVRULE_REQUIRE_CLI=1 (CI) makes
    that a failure."""
    candidates = [
        os.environ.get("EVRULE_BIN"),
        os.environ.get("CARGO_TARGET_DIR") and str(Path(os.environ["CARGO_TARGET_DIR"]) / "debug" / "evrule"),
        str(REPO / "target" / "debug" / "evrule"),
        shutil.which("evrule"),
    ]
    for c in candidates:
        if c and os.access(c, os.X_OK):
            return c
    if os.environ.get("EVRULE_REQUIRE_CLI") == "1":
        pytest.fail("EVRULE_REQUIRE_CLI=1 but no evrule binary (set EVRULE_BIN)")
    pytest.skip("no evrule binary (set EVRULE_BIN) to compare with")
