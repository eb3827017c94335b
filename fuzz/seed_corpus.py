#!/usr/bin/env python3
"""Write the small seed corpora of the byte-oriented fuzz targets from testdata/.

Run from the repository root: python3 fuzz/seed_corpus.py
Seeds are named seed-*; files the fuzzer found are kept beside them.
"""
import hashlib, json, os, glob

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fuzz", "corpus")


def write(target, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    name = "seed-" + hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def conformance():
    for path in sorted(glob.glob(os.path.join(ROOT, "testdata/conformance/*.jsonl"))):
        for line in open(path, encoding="utf-8"):
            line = line.strip()
            if not line:
                continue
            try:
                yield json.loads(line)
            except ValueError:
                continue


def pattern_text(rule):
    return rule.get("pattern_text") or json.dumps(rule["pattern"], ensure_ascii=False)


patterns, pairs = [], []
for i, case in enumerate(conformance()):
    if "rules" in case:
        events = case.get("events_text") or [json.dumps(e, ensure_ascii=False) for e in case["events"]]
        for r in case["rules"]:
            for e in events:
                pairs.append((pattern_text(r), e))
            patterns.append(pattern_text(r))
    elif "pattern" in case:
        p = case.get("pattern_text") or json.dumps(case["pattern"], ensure_ascii=False)
        patterns.append(p)

# Every 8th pattern (valid and invalid ones) and pair: a few dozen each.
for p in sorted(set(patterns), key=patterns.index)[::8][:48]:
    write("pattern_parse", p.encode())
for p, e in pairs[::24][:48]:
    if len(e) <= 1024:
        write("differential", p.encode() + b"\0" + e.encode())

events = sorted(glob.glob(os.path.join(ROOT, "testdata/events/*.json")))
for path in events:
    write("event_match", open(path, "rb").read())
for _, e in pairs[::40][:20]:
    write("event_match", e.encode())
for e in [b'{"employees": [{"first": "John", "last": "Doe"}, {"first": "Anna", "last": "Smith"}]}',
          b'{"a": {"b": "a"}, "a.b": ["a"], "\xc3\x9f": "x"}', b'{"detail": {"ip": "010.000.000.001"}}']:
    write("event_match", e)

NAMES = ["rules.json", "rules.yaml", "rules.yml", "main.tf", "stack.template", "rules"]
for path in sorted(glob.glob(os.path.join(ROOT, "testdata/rules*/**/*"), recursive=True)):
    if not os.path.isfile(path):
        continue
    name = os.path.basename(path)
    if name.endswith(".tf"):
        which = 3
    elif name.endswith(".json"):
        which = 0
    elif name.endswith((".yaml", ".yml")):
        which = 1
    else:
        which = 5
    data = open(path, "rb").read()
    if len(data) <= 8192:
        write("rule_files", bytes([which]) + data)
