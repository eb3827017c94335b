"""A Matcher shared between threads, rules changing while others match;
memory stays flat over many calls."""

import json
import threading
import time

import evrule

EVENTS = [json.dumps({"source": f"s{i % 7}", "detail": {"n": i}}) for i in range(2000)]


def expected(event, rules):
    d = json.loads(event)
    return sorted(name for name, (src, lo) in rules.items() if d["source"] == src and d["detail"]["n"] > lo)


def rule(src, lo):
    return {"source": [src], "detail": {"n": [{"numeric": [">", lo]}]}}


def test_threads_share_one_matcher():
    fixed = {f"r{i}": (f"s{i % 7}", i * 10) for i in range(50)}
    m = evrule.Matcher({name: rule(*v) for name, v in fixed.items()})
    errors = []

    def reader():
        try:
            for _ in range(3):
                for got, event in zip(m.matches_many(EVENTS), EVENTS):
                    want = expected(event, fixed)
                    # Rules named extra-* come and go; the fixed ones never change.
                    assert [n for n in got if not n.startswith("extra-")] == want
                for event in EVENTS[:300]:
                    assert [n for n in m.matches(event) if not n.startswith("extra-")] == expected(event, fixed)
        except Exception as e:  # noqa: BLE001 - reported by the main thread
            errors.append(e)

    def writer():
        try:
            for i in range(300):
                m.add(f"extra-{i}", rule("s1", i))
                if i % 2:
                    assert m.remove(f"extra-{i - 1}")
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=reader) for _ in range(4)] + [threading.Thread(target=writer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(m) == 50 + 150


def test_matching_releases_the_gil():
    """Another thread runs Python while one long `matches` call is in Rust.
    With the GIL held through the call it could run only at the call's
    edges; the middle of the call is where its progress is counted. The
    event grows until one call lasts long enough to tell (matching gets
    faster; the test must not depend on how fast)."""
    m = evrule.Matcher({"r": {"source": ["s"]}}, max_event_size=1 << 30)
    margin = 0.02
    reps = 8_000_000
    for _ in range(3):
        event = b'{"skipped": [' + b"12345," * reps + b'0], "source": "s"}'
        stamps = []
        done = threading.Event()

        def tick():
            while not done.is_set():
                stamps.append(time.perf_counter())

        t = threading.Thread(target=tick)
        t.start()
        try:
            time.sleep(0.01)
            start = time.perf_counter()
            assert m.matches(event) == ["r"]
            end = time.perf_counter()
        finally:
            done.set()
            t.join()
        if end - start > 4 * margin:
            break
        reps *= 4
    assert end - start > 4 * margin, f"the call took {end - start:.3f} s: too short to tell"
    during = [s for s in stamps if start + margin < s < end - margin]
    assert len(during) > 0, "no Python ran while matching: the GIL was held"


def rss_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_memory_is_flat_over_repeated_calls():
    m = evrule.Matcher({f"r{i}": rule(f"s{i % 7}", i) for i in range(20)})
    as_dicts = [json.loads(e) for e in EVENTS]

    def round_():
        for e in EVENTS:
            m.matches(e)
        for e in as_dicts:
            m.matches(e)
        for _ in m.matches_many(EVENTS):
            pass
        evrule.explain(rule("s1", 5), EVENTS[1])
        evrule.check({"a": []})
        try:
            m.matches("{")
        except evrule.InvalidEventError:
            pass
        m.add("tmp", rule("s2", 1))
        m.remove("tmp")

    for _ in range(5):
        round_()
    before = rss_kib()
    for _ in range(40):
        round_()
    grown = rss_kib() - before
    # 40 rounds x 6,000+ calls; a leak of even 100 bytes per call would be >20 MiB.
    assert grown < 8 * 1024, f"RSS grew by {grown} KiB"
