use std::io::BufRead;
fn main() {
    let f = std::fs::File::open(std::env::args().nth(1).unwrap()).unwrap();
    let mut b = evrule::Matcher::builder();
    for (i, pat) in std::env::args().skip(2).enumerate() {
        b.add(&format!("r{i}"), &pat).unwrap();
    }
    let m = b.build().unwrap();
    let mut cache = m.create_cache();
    for (n, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line = line.unwrap();
        let a: Vec<&str> = { let mut v: Vec<_> = m.find(line.as_bytes(), &mut cache).unwrap().iter().map(|&i| m.rule_name(i)).collect(); v.sort(); v };
        let b = m.matches(line.as_bytes()).unwrap();
        if a != b { println!("line {n}: cached {a:?} fresh {b:?}"); }
        if line.contains("37.729900216217324") { println!("line {n}: {b:?}"); }
    }
}
