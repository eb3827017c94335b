//! Every match case of the conformance files through the compiled matcher:
//! each case in its own matcher, and all cases' rules in one matcher at
//! once (renamed per case), which must give the same answers.

use std::collections::BTreeMap;

use crate::support::{match_cases, MatchCase as Case};

fn load() -> Vec<Case> {
    match_cases()
}

fn run(trusted: bool) {
    let cases = load();
    let mut failures = vec![];
    let mut counts: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let config = evrule::Config::new().trusted(trusted);
    let mut all = evrule::Matcher::with_config(config.clone());
    for (ci, case) in cases.iter().enumerate() {
        let mut m = evrule::Matcher::with_config(config.clone());
        for (name, text) in &case.rules {
            m.add(name, text)
                .unwrap_or_else(|e| panic!("{}: rule {name}: {e}", case.id));
            all.add(&format!("c{ci}:{name}"), text).unwrap();
        }
        for (i, ev) in case.events.iter().enumerate() {
            let got = m
                .matches(ev.as_bytes())
                .unwrap_or_else(|e| panic!("{}: event {i}: {e}", case.id));
            let entry = counts.entry(case.file).or_default();
            entry.1 += 1;
            if got != case.expected[i] {
                failures.push(format!(
                    "{} event {i}: expected {:?}, got {:?}",
                    case.id, case.expected[i], got
                ));
            } else {
                entry.0 += 1;
            }
        }
    }
    // All rules at once: each case's events must match exactly its own
    // expected rules (other cases' rules may match too; only ours count).
    let mut all_wrong = 0;
    for (ci, case) in cases.iter().enumerate() {
        let prefix = format!("c{ci}:");
        for (i, ev) in case.events.iter().enumerate() {
            let got: Vec<String> = all
                .matches(ev.as_bytes())
                .unwrap()
                .into_iter()
                .filter_map(|n| n.strip_prefix(&prefix).map(str::to_string))
                .collect();
            if got != case.expected[i] {
                all_wrong += 1;
                failures.push(format!(
                    "[all rules] {} event {i}: expected {:?}, got {:?}",
                    case.id, case.expected[i], got
                ));
            }
        }
    }
    for (file, (ok, total)) in &counts {
        eprintln!("{file}: {ok}/{total} events as recorded (trusted={trusted})");
    }
    eprintln!(
        "all rules in one matcher ({} rules): {all_wrong} events wrong",
        all.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn conformance_match_cases_strict() {
    run(false);
}

#[test]
fn conformance_match_cases_trusted() {
    run(true);
}
