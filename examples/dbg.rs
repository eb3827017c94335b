fn main() {
    let ev = std::fs::read(std::env::args().nth(1).unwrap()).unwrap();
    let mut b = evrule::Matcher::builder();
    for (i, pat) in std::env::args().skip(2).enumerate() {
        b.add(&format!("r{i}"), &pat).unwrap();
        let p = evrule::Pattern::parse(&pat).unwrap();
        println!("ref r{i}: {:?}", evrule::reference::matches(&p, std::str::from_utf8(&ev).unwrap()));
    }
    let m = b.build().unwrap();
    println!("fast: {:?}", m.matches(&ev));
}
