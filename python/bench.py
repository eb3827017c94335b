"""Matching throughput from Python: evrule against LocalStack's pure-Python
engine (`localstack.services.events.event_rule_engine`), on the citylots2
rule families and on S3 events, events given as str and as dict.

Not a test: run by hand, numbers go to PERFORMANCE.md (section "Python").

    python -P python/bench.py [--events N] [--cli PATH] [--crossing]

(`-P`: the installed package, not the source folder beside this script.)

Before timing, evrule's per-rule counts over the whole citylots2 file
(through `matches_many`) are asserted equal to testdata/bench/counts.tsv, so
a fast wrong answer cannot pass; LocalStack's counts on the timed subset
are compared with evrule's and disagreements reported.
"""

import argparse
import gzip
import json
import random
import subprocess
import sys
import time
from pathlib import Path

import evrule

REPO = Path(__file__).resolve().parents[1]
# The corpus ships beside the repository (`../shared/bench/`), as for the
# Rust benches.
CORPUS = REPO.parent / "shared" / "bench" / "citylots2-synth.jsonl.gz"
FAMILIES = REPO / "testdata" / "bench" / "rules"


def localstack():
    try:
        from localstack.services.events.event_rule_engine import EventPatternCompiler, EventRuleEngine
    except ImportError as e:  # reported, the rest still measured
        print(f"localstack: not importable ({e})", file=sys.stderr)
        return None
    compiler, engine = EventPatternCompiler(), EventRuleEngine()

    def build(rules):
        compiled = [(name, compiler.compile_event_pattern(p)) for name, p in rules]

        def match(event):
            return sorted(n for n, p in compiled if engine.evaluate_pattern_on_event(p, event))

        return match

    return build


def best(fn, repeat=3):
    """Best of `repeat` wall-clock runs, in seconds."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def rate(n, seconds):
    return f"{n / seconds / 1000:,.0f}k/s" if n / seconds >= 10_000 else f"{n / seconds:,.0f}/s"


def family_rules(path):
    return [(r["name"], r["pattern"]) for r in map(json.loads, path.read_text().splitlines()) if r]


def expected_counts():
    lines = (REPO / "testdata" / "bench" / "counts.tsv").read_text().splitlines()[1:]
    return {name: int(count) for name, count, _ in (l.split("\t") for l in lines)}


def check_counts(families, lines):
    """evrule's counts over the whole file, as the Rust benches assert them."""
    want = expected_counts()
    m = evrule.Matcher([r for rules in families.values() for r in rules])
    got = dict.fromkeys(m.names(), 0)
    for names in m.matches_many(lines):
        for n in names:
            got[n] += 1
    bad = {n: (got[n], want[n]) for n in got if got[n] != want[n]}
    assert not bad, f"counts differ from counts.tsv: {bad}"
    print(f"counts: all {len(got)} rules match counts.tsv over {len(lines):,} events")


def measure(title, rules, texts, ls_build, repeat):
    """One row: evrule str / dict / matches_many (bytes), LocalStack str / dict."""
    dicts = [json.loads(t) for t in texts]
    raw = [t.encode() for t in texts]
    m = evrule.Matcher(rules)
    n = len(texts)
    row = {
        "str": best(lambda: [m.matches(t) for t in texts], repeat),
        "dict": best(lambda: [m.matches(d) for d in dicts], repeat),
        "many": best(lambda: sum(1 for _ in m.matches_many(raw)), repeat),
    }
    ours = [m.matches(t) for t in texts]
    cells = [rate(n, row["str"]), rate(n, row["dict"]), rate(n, row["many"])]
    if ls_build:
        ls = ls_build(rules)
        k = min(n, 2000)  # LocalStack is slow: a prefix of the events
        ls_dict = best(lambda: [ls(d) for d in dicts[:k]], 1)
        ls_str = best(lambda: [ls(json.loads(t)) for t in texts[:k]], 1)
        theirs = [ls(d) for d in dicts[:k]]
        differ = sum(1 for a, b in zip(ours, theirs) if a != b)
        cells += [rate(k, ls_str), rate(k, ls_dict), f"{(n / row['dict']) / (k / ls_dict):,.0f}x", str(differ)]
    else:
        cells += ["-", "-", "-", "-"]
    print(f"| {title} | " + " | ".join(cells) + " |", flush=True)


def s3_events(n):
    """S3 EventBridge events ("Object Created" and others) with varied
    buckets, keys and sizes; seeded, so every run times the same events."""
    base = json.loads((REPO / "testdata" / "events" / "s3-object-created.json").read_text())
    rnd = random.Random(16)
    kinds = ["Object Created", "Object Deleted", "Object Restore Completed", "Object Tags Added"]
    out = []
    for i in range(n):
        e = json.loads(json.dumps(base))
        e["detail-type"] = rnd.choice(kinds)
        e["id"] = f"{i:08x}-0000-0000-0000-000000000000"
        e["detail"]["bucket"]["name"] = f"bucket-{rnd.randrange(20)}"
        ext = rnd.choice(["jpg", "png", "JPG", "csv", "parquet", "log"])
        e["detail"]["object"]["key"] = f"{rnd.choice(['photos', 'logs', 'data', 'tmp'])}/{rnd.randrange(10**6)}.{ext}"
        e["detail"]["object"]["size"] = rnd.randrange(10**7)
        out.append(json.dumps(e))
    return out


S3_RULES = [
    (f"bucket-{b}-created", {"source": ["aws.s3"], "detail-type": ["Object Created"], "detail": {"bucket": {"name": [f"bucket-{b}"]}}})
    for b in range(10)
] + [
    ("images", {"source": ["aws.s3"], "detail": {"object": {"key": [{"suffix": {"equals-ignore-case": ".jpg"}}, {"suffix": ".png"}]}}}),
    ("big", {"source": ["aws.s3"], "detail": {"object": {"size": [{"numeric": [">", 5000000]}]}}}),
    ("photos-prefix", {"detail": {"object": {"key": [{"prefix": "photos/"}]}}}),
    ("not-tmp", {"detail-type": ["Object Deleted"], "detail": {"object": {"key": [{"anything-but": {"prefix": "tmp/"}}]}}}),
    ("restore", {"source": ["aws.s3"], "detail-type": [{"wildcard": "Object Restore*"}]}),
]


def cli_vs_many(cli, lines, path):
    """`evrule match --count` over a file against `matches_many` over the
    same file, read line by line from Python."""
    rules = family_rules(FAMILIES / "exact.jsonl") + family_rules(FAMILIES / "numeric.jsonl")
    rule_file = Path("/tmp") / "evrule-py-bench-rules.jsonl"
    rule_file.write_text("".join(json.dumps({"name": n, "pattern": p}) + "\n" for n, p in rules))
    m = evrule.Matcher(rules)

    def from_python():
        with open(path, "rb") as f:
            return sum(1 for _ in m.matches_many(f))

    def from_cli():
        subprocess.run([cli, "match", "--count", "--rules", str(rule_file), str(path)], check=True, capture_output=True)

    py = best(from_python)
    c = best(from_cli)
    n = len(lines)
    print(f"\nexact + numeric (10 rules), {n:,} events from a file: "
          f"matches_many {rate(n, py)} ({py:.2f} s), `evrule match --count` {rate(n, c)} ({c:.2f} s): "
          f"Python at {c / py:.0%} of the CLI's speed")


def crossing(repeat, n=200_000):
    """The cost of crossing into Rust: one rule, a 10-byte event, so that
    matching costs next to nothing; ns per `matches` call by input type,
    and per event in `matches_many`."""
    m = evrule.Matcher({"r": {"a": ["x"]}})
    text = '{"a": "x"}'
    raw = text.encode()
    assert m.matches(text) == m.matches(raw) == m.matches({"a": "x"}) == ["r"]
    cells = {
        "str": lambda: [m.matches(text) for _ in range(n)],
        "bytes": lambda: [m.matches(raw) for _ in range(n)],
        "dict": lambda: [m.matches({"a": "x"}) for _ in range(n)],
        "matches_many": lambda: sum(1 for _ in m.matches_many([text] * n)),
    }
    print(f"\ncrossing into Rust, {n:,} calls or events, best of {repeat}:")
    for name, fn in cells.items():
        print(f"  {name}: {best(fn, repeat) / n * 1e9:,.0f} ns")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=20_000, help="events timed per row")
    ap.add_argument("--cli", help="a release `evrule` binary for the file comparison")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--crossing", action="store_true", help="only the cost of crossing into Rust")
    args = ap.parse_args()
    if args.crossing:
        crossing(args.repeat)
        return

    with gzip.open(CORPUS, "rt", encoding="utf-8") as f:
        lines = [l for l in f.read().splitlines() if l]
    families = {p.stem: family_rules(p) for p in sorted(FAMILIES.glob("*.jsonl"))}
    check_counts(families, [l.encode() for l in lines])

    ls_build = localstack()
    texts = lines[: args.events]
    print(f"\n{len(texts):,} citylots2 events per evrule cell, LocalStack on the first 2,000; best of {args.repeat}")
    print("| corpus / rules | evrule str | evrule dict | evrule matches_many (bytes) | LocalStack str | LocalStack dict | evrule dict / LocalStack dict | answers differing |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, rules in families.items():
        measure(f"citylots2 {name}", rules, texts, ls_build, args.repeat)
    measure("citylots2 all 70", [r for rs in families.values() for r in rs], texts, ls_build, args.repeat)
    measure("S3, 15 rules", S3_RULES, s3_events(args.events), ls_build, args.repeat)

    if args.cli:
        path = Path("/tmp") / "evrule-py-bench-citylots.jsonl"
        path.write_text("\n".join(lines) + "\n")
        cli_vs_many(args.cli, lines, path)


if __name__ == "__main__":
    main()
