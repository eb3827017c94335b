fn main() {
    let text = std::fs::read(std::env::args().nth(1).unwrap()).unwrap();
    let events: Vec<&[u8]> = text.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect();
    let rules = std::fs::read_to_string(std::env::args().nth(2).unwrap()).unwrap();
    let mut m = evrule::Matcher::new();
    for l in rules.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        println!("{}", v["pattern"]);
        m.add(v["name"].as_str().unwrap(), &v["pattern"].to_string()).unwrap();
    }
    let mut cache = m.create_cache();
    let mut counts = std::collections::BTreeMap::new();
    for e in &events {
        for &id in m.find(e, &mut cache).unwrap() {
            *counts.entry(m.rule_name(id).to_string()).or_insert(0) += 1;
        }
    }
    println!("{counts:?}");
}
