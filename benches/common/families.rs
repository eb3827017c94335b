//! The 14 rule families of `testdata/bench/rules/`, shared by the criterion
//! bench (`benches/citylots.rs`) and `examples/perf_events.rs`.
//!
//! Each pattern is taken from its line as written, by the library's own JSON
//! reader: re-printing it through serde_json (built without
//! `arbitrary_precision` or `float_roundtrip`) could change a number's last
//! digit, and `complex_arrays_1`'s `= 37.729900216217324` then matches
//! nothing.

use std::path::Path;

/// Family name (file stem) and its `(name, pattern text)` rules, families
/// sorted by name.
pub fn load(dir: &Path) -> Vec<(String, Vec<(String, String)>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|f| {
            let fam = f.file_stem().unwrap().to_string_lossy().to_string();
            let text = std::fs::read_to_string(&f).unwrap();
            let rules = text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| rule_line(l).unwrap_or_else(|| panic!("{}: bad line {l}", f.display())))
                .collect();
            (fam, rules)
        })
        .collect()
}

/// `{"name": …, "pattern": {…}, …}` to the name and the pattern's own text.
fn rule_line(line: &str) -> Option<(String, String)> {
    use evrule::json::{parse, Value};
    let node = parse(line.as_bytes(), 128).ok()?;
    let Value::Object(members) = node.value else {
        return None;
    };
    let member = |key: &str| {
        members
            .iter()
            .rev()
            .find(|(k, _, _)| k == key)
            .map(|m| &m.2)
    };
    let name = match &member("name")?.value {
        Value::String(s) => s.clone(),
        _ => return None,
    };
    let span = member("pattern")?.span;
    Some((name, line[span.start..span.end].to_string()))
}
