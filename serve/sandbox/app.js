// The sandbox page. Every verdict comes from the server (POST
// /_evrule/explain, the library's explain); this script only edits, sends
// (debounced, one request at a time, cancelled when the text changes), and
// draws, with caps so that a huge event or pattern does not freeze the page.
"use strict";

const $ = (id) => document.getElementById(id);
const DEBOUNCE_MS = 250;
/// Most list items the explain tree draws at once; the rest are counted.
const TREE_BUDGET = 1500;
/// `$or` branches drawn open at once; the others open on demand.
const OPEN_BRANCHES = 8;
/// Bytes of an event kept in the link; a larger one stays out of it.
const LINK_EVENT_LIMIT = 32 * 1024;
/// EventBridge's limit for one PutEvents entry.
const AWS_ENTRY_LIMIT = 256 * 1024;

let maxBodyBytes = 4 * 1024 * 1024;
let timer = 0;
let inflight = null;
let generation = 0;

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

function kib(n) {
  return n >= 1024 * 1024 ? (n / 1024 / 1024).toFixed(1) + " MB" : Math.ceil(n / 1024) + " KB";
}

// ---- offsets: the server counts bytes of UTF-8, JavaScript UTF-16 units ----

/// JavaScript indices of the given byte offsets (sorted or not) in `text`.
function indicesOf(text, offsets) {
  const wanted = [...new Set(offsets)].sort((a, b) => a - b);
  const out = new Map();
  let byte = 0, i = 0, w = 0;
  while (w < wanted.length) {
    if (byte >= wanted[w] || i >= text.length) { out.set(wanted[w], i); w++; continue; }
    const c = text.codePointAt(i);
    byte += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    i += c >= 0x10000 ? 2 : 1;
  }
  return out;
}

// ---- the link ----

function readFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  return { pattern: params.get("pattern"), event: params.get("event") };
}

function writeFragment() {
  const params = new URLSearchParams();
  params.set("pattern", $("pattern").value);
  const event = $("event").value;
  let note = "";
  if (event.length <= LINK_EVENT_LIMIT) params.set("event", event);
  else note = `The event (${kib(event.length)}) is too large for the link: it holds the pattern only.`;
  history.replaceState(null, "", "#" + params.toString());
  $("link-note").textContent = note;
}

// ---- the pattern editor's underlines ----

function drawBackdrop(text, problems) {
  const back = $("pattern-backdrop");
  const spans = problems.filter((p) => p.offset !== null && p.offset !== undefined);
  const at = indicesOf(text, spans.flatMap((p) => [p.offset, p.end]));
  // One mark per span, in order, overlapping spans merged.
  const ranges = spans
    .map((p) => {
      let s = at.get(p.offset), e = at.get(p.end);
      if (e <= s) { // the end of the text: mark the last character
        s = Math.max(0, Math.min(s, text.length) - 1);
        e = Math.max(e, s + 1);
      }
      return [s, e, p.message];
    })
    .sort((a, b) => a[0] - b[0]);
  back.textContent = "";
  let pos = 0;
  for (const [s, e, message] of ranges) {
    if (s < pos) continue;
    back.append(text.slice(pos, s));
    back.append(el("mark", { class: "err", title: message, "data-start": s, "data-end": e }, text.slice(s, e)));
    pos = e;
  }
  back.append(text.slice(pos) + "\n");
  syncScroll();
}

function syncScroll() {
  const back = $("pattern-backdrop");
  back.scrollTop = $("pattern").scrollTop;
  back.scrollLeft = $("pattern").scrollLeft;
}

/// A list of problems, each a button that selects its span in `area`.
function drawProblems(box, area, text, problems, what) {
  box.textContent = "";
  if (!problems.length) return;
  const at = indicesOf(text, problems.flatMap((p) => (p.offset == null ? [] : [p.offset, p.end])));
  const ul = el("ul");
  for (const p of problems) {
    const where = p.line ? `line ${p.line}, column ${p.column}` : "";
    const li = el("li", { class: "problem" }, el("span", { "aria-hidden": "true", text: "✗ " }),
      el("span", { class: "sr", text: `${what} error ${where}: ` }));
    li.append(el("span", { class: "message", text: p.message }));
    if (p.path) li.append(" ", el("code", { text: p.path }));
    if (p.offset != null) {
      const go = el("button", { type: "button", class: "goto", text: where || "show" });
      go.addEventListener("click", () => {
        area.focus();
        area.setSelectionRange(at.get(p.offset), Math.max(at.get(p.end), at.get(p.offset)));
      });
      li.append(" ", go);
    }
    ul.append(li);
  }
  box.append(el("strong", { text: `✗ ${problems.length} ${what} problem${problems.length > 1 ? "s" : ""}` }), ul);
}

// ---- the explain tree ----

const STATUS = {
  satisfied: ["✓", "holds", "good"],
  absent: ["✓", "holds: absent, as exists: false requires", "good"],
  missing: ["✗", "failed: the event has nothing here", "bad"],
  "no-match": ["✗", "failed", "bad"],
  present: ["✗", "failed: present, but exists: false requires absence", "bad"],
};

function mark(ok, word) {
  return el("span", { class: ok ? "good" : "bad" },
    el("span", { "aria-hidden": "true", text: ok ? "✓ " : "✗ " }), word);
}

function drawField(f, budget) {
  const [, word, cls] = STATUS[f.status] || ["?", f.status, "warn"];
  const li = el("li", { class: "field-item", "data-path": f.path, "data-status": f.status });
  li.append(mark(cls === "good", word), " ", el("span", { class: "field", text: f.path }), ": ",
    el("code", { text: JSON.stringify(f.conditions) }));
  const ul = el("ul");
  const values = f.values || [];
  if (!values.length) ul.append(el("li", { text: `the event holds nothing at ${f.path}` }));
  let shown = 0;
  values.forEach((v, i) => {
    if (budget.left <= 0 || (shown >= 10 && i !== f.by)) return;
    budget.left--;
    shown++;
    const held = v.checks.find((c) => c.holds);
    const item = el("li", { class: "value" });
    item.append(mark(!!held, held ? "holds" : "fails"), " the event holds ",
      el("code", { text: v.value }), " at ", el("code", { text: v.at }));
    if (f.by === i && values.length > 1) item.append(el("strong", { text: " (the element used by the match)" }));
    const checks = el("ul");
    for (const c of v.checks) {
      checks.append(el("li", {}, mark(c.holds, c.holds ? "" : ""), el("code", { text: JSON.stringify(c.condition) }),
        " → ", el("span", { class: "reason", text: c.reason })));
    }
    item.append(checks);
    ul.append(item);
  });
  if (values.length > shown) ul.append(el("li", { class: "note", text: `… and ${values.length - shown} more values` }));
  if (f.note) ul.append(el("li", { class: "note", text: "note: " + f.note }));
  li.append(ul);
  return li;
}

function drawGroup(g, budget) {
  const ul = el("ul");
  for (const f of g.fields || []) {
    if (budget.left-- <= 0) break;
    ul.append(drawField(f, budget));
  }
  for (const or of g.ors || []) {
    if (budget.left-- <= 0) break;
    ul.append(drawOr(or, budget));
  }
  for (const c of g.conflicts || []) {
    const li = el("li", { class: "conflict" }, mark(false, "array consistency: "), c.message);
    const d = el("ul");
    for (const x of c.details) d.append(el("li", { text: x }));
    li.append(d);
    ul.append(li);
  }
  if (budget.left <= 0) ul.append(el("li", { class: "note", text: "… the rest is not drawn (the tree is capped)" }));
  return ul;
}

function drawOr(or, budget) {
  const n = or.branches.length;
  const where = or.at ? ` in ${or.at}` : "";
  const head = or.chosen !== null
    ? mark(true, `$or${where}: branch ${or.chosen + 1} of ${n} matched`)
    : mark(false, `$or${where}: none of ${n} branches matched`);
  const li = el("li", { class: "or" }, head);
  const ul = el("ul");
  or.branches.forEach((b, i) => {
    const verdict = or.chosen === i ? "match" : b.holds ? "holds on its own" : "no match";
    const details = el("details", { "data-branch": i + 1 });
    const summary = el("summary", {}, mark(b.holds, `branch ${i + 1}: ${verdict}`));
    details.append(summary);
    // Drawn when opened: a pattern of a thousand branches stays quick.
    let drawn = false;
    const draw = () => {
      if (drawn) return;
      drawn = true;
      details.append(drawGroup(b, { left: TREE_BUDGET }));
    };
    details.addEventListener("toggle", () => details.open && draw());
    if (or.chosen === i || (i < OPEN_BRANCHES && n <= OPEN_BRANCHES)) {
      draw();
      details.open = true;
    }
    ul.append(el("li", {}, details));
  });
  li.append(ul);
  return li;
}

function drawVerdict(answer) {
  const v = $("verdict");
  const tree = $("tree");
  tree.textContent = "";
  v.className = "verdict";
  if (answer.problems.length) {
    v.textContent = "✗ the pattern is invalid: AWS would reject it";
    v.classList.add("bad");
    return;
  }
  if (answer.eventProblem) {
    v.textContent = "✗ the event is not an event: " + answer.eventProblem.message;
    v.classList.add("bad");
    return;
  }
  v.textContent = answer.matched ? "✓ match: the pattern matches the event" : "✗ no match: the pattern does not match the event";
  v.classList.add(answer.matched ? "good" : "bad");
  tree.append(drawGroup(answer.explanation, { left: TREE_BUDGET }));
}

// ---- talking to the server ----

async function postJson(path, body, signal) {
  const r = await fetch(path, {
    method: "POST", headers: { "content-type": "application/json" }, body, signal,
  });
  const answer = await r.json().catch(() => ({ message: `${r.status} ${r.statusText}` }));
  if (!r.ok) throw new Error(answer.message || `${r.status}`);
  return answer;
}

function updateSize() {
  const n = $("event").value.length;
  let text = `${kib(n)}`;
  if (n > AWS_ENTRY_LIMIT) text += ` — larger than the ${kib(AWS_ENTRY_LIMIT)} EventBridge accepts in one PutEvents entry; explained anyway`;
  $("event-size").textContent = text;
}

async function run() {
  const pattern = $("pattern").value;
  const event = $("event").value;
  writeFragment();
  updateSize();
  if (inflight) inflight.abort();
  const mine = ++generation;
  const body = JSON.stringify({ pattern, event });
  if (body.length > maxBodyBytes) {
    $("verdict").className = "verdict bad";
    $("verdict").textContent = `✗ too large: pattern and event are ${kib(body.length)}; the sandbox takes at most ${kib(maxBodyBytes)}`;
    $("tree").textContent = "";
    return;
  }
  inflight = new AbortController();
  $("verdict").setAttribute("aria-busy", "true");
  try {
    const answer = await postJson("/_evrule/explain", body, inflight.signal);
    if (mine !== generation) return;
    drawBackdrop(pattern, answer.problems);
    drawProblems($("pattern-problems"), $("pattern"), pattern, answer.problems, "pattern");
    drawProblems($("event-problems"), $("event"), event, answer.eventProblem ? [answer.eventProblem] : [], "event");
    drawVerdict(answer);
  } catch (e) {
    if (e.name === "AbortError") return;
    $("verdict").className = "verdict bad";
    $("verdict").textContent = "✗ the server did not answer: " + e.message;
  } finally {
    if (mine === generation) $("verdict").removeAttribute("aria-busy");
  }
}

function schedule() {
  clearTimeout(timer);
  timer = setTimeout(run, DEBOUNCE_MS);
}

// ---- samples ----

async function loadSamples() {
  const r = await fetch("/_evrule/samples");
  const s = await r.json();
  maxBodyBytes = s.maxBodyBytes || maxBodyBytes;
  const select = $("sample-kind");
  select.textContent = "";
  if (!s.kinds.length) select.append(el("option", { value: "", text: "(this server has no samples)" }));
  for (const k of s.kinds) select.append(el("option", { value: k.name, text: `${k.name} — ${k.about}` }));
  const flags = $("sample-flags");
  for (const f of s.flags) {
    const id = "flag-" + f;
    const pair = el("span", { class: "flag" });
    pair.append(el("label", { for: id, text: f }), el("input", { id, "data-flag": f, type: "text" }));
    flags.append(pair);
  }
  return s.kinds.length > 0;
}

async function loadSample() {
  const kind = $("sample-kind").value;
  if (!kind) return;
  const q = new URLSearchParams();
  for (const input of document.querySelectorAll("[data-flag]")) if (input.value) q.set(input.dataset.flag, input.value);
  const r = await fetch(`/_evrule/samples/${encodeURIComponent(kind)}?${q}`);
  const text = await r.text();
  if (!r.ok) {
    let message = text;
    try { message = JSON.parse(text).message; } catch (_) { /* the text itself */ }
    $("sample-note").textContent = "✗ " + message;
    return;
  }
  $("sample-note").textContent = `✓ loaded ${kind}`;
  $("event").value = text;
  run();
}

// ---- rules ----

let ruleRows = [];

async function loadRules() {
  const box = $("rules");
  box.textContent = "loading…";
  let answer;
  try {
    const r = await fetch("/_evrule/rules");
    answer = await r.json();
    if (!r.ok) throw new Error(answer.message);
  } catch (e) {
    box.textContent = "✗ the rules could not be read: " + e.message;
    return;
  }
  box.textContent = "";
  ruleRows = [];
  const count = answer.buses.reduce((n, b) => n + b.rules.length, 0);
  if (!count) {
    box.append(el("p", { id: "no-rules", text:
      `This server has no rules yet${answer.buses.length ? ` (${answer.buses.length} bus${answer.buses.length > 1 ? "es" : ""}, none with rules)` : ""}. ` +
      `Put one with an AWS SDK or: aws events put-rule --endpoint-url ${location.origin} --name NAME --event-pattern '…'` }));
    return;
  }
  const table = el("table", { class: "rules" });
  table.append(el("thead", {}, el("tr", {}, el("th", { text: "Bus" }), el("th", { text: "Rule" }),
    el("th", { text: "State" }), el("th", { text: "Pattern" }), el("th", { text: "Event" }))));
  const body = el("tbody");
  for (const bus of answer.buses) {
    for (const rule of bus.rules) {
      const result = el("td", { class: "result", text: "—" });
      const use = el("button", { type: "button", text: "Use this pattern" });
      if (rule.eventPattern) {
        use.addEventListener("click", () => {
          $("pattern").value = rule.eventPattern;
          run();
          $("pattern").focus();
        });
      } else use.disabled = true;
      const pattern = rule.eventPattern || `(schedule ${rule.scheduleExpression || "none"})`;
      body.append(el("tr", {}, el("td", { text: `${bus.name} (${bus.account}, ${bus.region})` }),
        el("td", { text: rule.name }), el("td", { text: rule.state }),
        el("td", {}, el("code", { text: pattern.length > 200 ? pattern.slice(0, 200) + "…" : pattern }), " ", use),
        result));
      ruleRows.push({ arn: bus.arn, name: rule.name, cell: result });
    }
  }
  table.append(body);
  box.append(table);
}

async function testRules() {
  await loadRules();
  if (!ruleRows.length) return;
  let answer;
  try {
    answer = await postJson("/_evrule/match", JSON.stringify({ event: $("event").value }));
  } catch (e) {
    $("rules").prepend(el("p", { class: "bad", text: "✗ " + e.message }));
    return;
  }
  if (answer.eventProblem) {
    $("rules").prepend(el("p", { class: "bad", text: "✗ the event is not an event: " + answer.eventProblem.message }));
    return;
  }
  for (const r of answer.rules) {
    const row = ruleRows.find((x) => x.arn === r.bus && x.name === r.rule);
    if (!row) continue;
    row.cell.textContent = "";
    if (typeof r.matched === "string") row.cell.append(mark(false, "error: " + r.matched));
    else row.cell.append(mark(r.matched, r.matched ? (r.state === "ENABLED" ? "matches" : "matches (rule disabled)") : "no match"));
  }
}

// ---- start ----

async function start() {
  $("pattern").addEventListener("input", () => { drawBackdrop($("pattern").value, []); schedule(); });
  $("pattern").addEventListener("scroll", syncScroll);
  $("event").addEventListener("input", schedule);
  $("sample-load").addEventListener("click", loadSample);
  $("rules-refresh").addEventListener("click", loadRules);
  $("rules-test").addEventListener("click", testRules);
  $("copy-link").addEventListener("click", async () => {
    writeFragment();
    try {
      await navigator.clipboard.writeText(location.href);
      $("link-note").textContent = "✓ link copied";
    } catch (_) {
      $("link-note").textContent = "copy the address bar: it holds the link";
    }
  });
  window.addEventListener("hashchange", () => {
    const s = readFragment();
    if (s.pattern !== null && s.pattern !== $("pattern").value) $("pattern").value = s.pattern;
    if (s.event !== null && s.event !== $("event").value) $("event").value = s.event;
    schedule();
  });
  const shared = readFragment();
  if (shared.pattern !== null) $("pattern").value = shared.pattern;
  if (shared.event !== null) $("event").value = shared.event;
  drawBackdrop($("pattern").value, []);
  let samples = false;
  try { samples = await loadSamples(); } catch (_) { $("sample-note").textContent = "✗ samples unavailable"; }
  loadRules();
  if (shared.event === null && samples) await loadSample();
  else run();
}

start();
