use evrule::{explain::explain, Pattern};
#[test]
fn scratch() {
    let e = r#"{"lines": [{"quantity": 12, "zz": 1}, {"quantity": 3, "backordered": true}]}"#;
    for p in [r#"{"lines": {"quantity": [3], "zz": [{"exists": false}]}}"#, r#"{"lines": {"quantity": [12], "zz": [{"exists": false}]}}"#, r#"{"lines": {"quantity": [12], "backordered": [{"exists": false}]}}"#, r#"{"lines": {"quantity": [3], "backordered": [{"exists": false}]}}"#, r#"{"lines": {"backordered": [true], "zz": [{"exists": false}]}}"#] {
        let x = explain(&Pattern::parse(p).unwrap(), e).unwrap();
        eprintln!("{p}\n{x}");
    }
}
