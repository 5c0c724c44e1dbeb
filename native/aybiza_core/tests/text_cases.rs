//! Our table of hard cases (tests/data/sentence_cases.json), each run whole-text and streamed
//! in several chunkings (1 byte, 1 char, random 2-8 bytes, word by word).

#[path = "text_common/mod.rs"]
mod common;

use aybiza_core::text::segmenter::SegmenterOptions;
use common::*;
use serde_json::Value;

fn options(v: &Value) -> SegmenterOptions {
    let mut o = SegmenterOptions::default();
    if let Some(m) = v.as_object() {
        if let Some(x) = m.get("merge_short").and_then(Value::as_bool) {
            o.merge_short = x;
        }
        if let Some(x) = m.get("min_chars").and_then(Value::as_u64) {
            o.min_chars = x as usize;
        }
        if let Some(x) = m.get("max_chars").and_then(Value::as_u64) {
            o.max_chars = x as usize;
        }
        if let Some(x) = m.get("first_chunk_min_chars").and_then(Value::as_u64) {
            o.first_chunk_min_chars = Some(x as usize);
        }
        if let Some(x) = m.get("skip_code_blocks").and_then(Value::as_bool) {
            o.skip_code_blocks = x;
        }
        if let Some(x) = m.get("newline_boundaries").and_then(Value::as_bool) {
            o.newline_boundaries = x;
        }
    }
    o
}

#[test]
fn hard_cases() {
    let cases: Vec<Value> = serde_json::from_str(include_str!("data/sentence_cases.json")).unwrap();
    assert!(cases.len() >= 200, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for (n, case) in cases.iter().enumerate() {
        let text = case["text"].as_str().unwrap();
        let opts = options(&case["options"]);
        let expected: Vec<String> = case["expected"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        let incomplete = case["kind"].as_str() == Some("incomplete");
        for how in CHUNKINGS {
            let (pushed, rest) = run(text, &opts, how);
            let ok = if incomplete {
                pushed.is_empty() && !rest.is_empty()
            } else {
                let mut got = pushed.clone();
                got.extend(rest.clone());
                got == expected
            };
            if !ok {
                failures.push(format!(
                    "#{n} [{}] {how:?}: {text:?}\n   got {pushed:?} + {rest:?}\n   want {expected:?}",
                    case["group"].as_str().unwrap_or("")
                ));
                break;
            }
        }
    }
    for f in &failures {
        println!("FAIL {f}");
    }
    println!(
        "{} of {} cases pass",
        cases.len() - failures.len(),
        cases.len()
    );
    assert!(failures.is_empty(), "{} failures", failures.len());
}
