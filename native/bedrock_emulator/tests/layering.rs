//! The crate's layering is one-way: each top-level module imports only from modules at
//! its own layer or below (see the crate docs). A `use crate::x` pointing up fails here.

use std::collections::BTreeMap;
use std::path::Path;

/// Top-level modules by layer, bottom first.
const LAYERS: &[&[&str]] = &[
    &["error", "counters"],
    &["config"],
    &["catalog"],
    &["request"],
    &["reply"],
    &["rate", "state", "ticker"],
    &["handlers"],
    &["render"],
    &["http"],
    &["fuzzing"],
];

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn imports_point_down() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    let mut violations = BTreeMap::new();
    for path in all {
        let rel = path.strip_prefix(&src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        let Some(own) = layer(&top) else { continue }; // lib.rs, bin/
        let text = std::fs::read_to_string(&path).unwrap();
        for (i, _) in text.match_indices("crate::") {
            let name: String = text[i + 7..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if let Some(target) = layer(&name) {
                if target > own {
                    violations.insert(format!("{}: crate::{name}", rel.display()), ());
                }
            }
        }
    }
    assert!(
        violations.is_empty(),
        "upward imports: {:?}",
        violations.keys()
    );
}
