//! The 194 peer cases of /work/shared/benchmarks/sentence_cases_peers.json (copied to
//! tests/data), scored whole-text and streamed with several chunkings.

#[path = "text_common/mod.rs"]
mod common;

use aybiza_core::text::segmenter::SegmenterOptions;
use common::*;
use serde_json::Value;

/// Cases we disagree with on purpose (see docs/TEXT.md, "Deliberate disagreements").
const DISAGREE: &[&str] = &[];

fn score(case: &Value, how: Chunking) -> Option<bool> {
    let text = case["text"].as_str()?;
    let kind = case["kind"].as_str()?;
    let expected: Vec<String> = case["expected"]
        .as_array()?
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_string())
        .collect();
    let mut opts = SegmenterOptions::default();
    if kind == "merged_min_len" {
        opts.merge_short = true;
        opts.min_chars = case["min_sentence_len"].as_u64().unwrap_or(20) as usize;
    }
    let (pushed, rest) = match (how, case["chunks"].as_array()) {
        // The peer's own token stream, when the case has one.
        (Chunking::Words, Some(chunks)) => {
            let mut s = aybiza_core::text::segmenter::Segmenter::new(opts.clone());
            let mut pushed = Vec::new();
            for c in chunks {
                pushed.extend(s.push(c.as_str().unwrap_or_default()));
            }
            (pushed, s.finish())
        }
        _ => run(text, &opts, how),
    };
    let mut out = pushed.clone();
    out.extend(rest);
    Some(match kind {
        "full" | "merged_min_len" => out == expected,
        "first_sentence" => {
            !out.is_empty()
                && out[0] == expected[0]
                && strip_ws(&out[1..].concat()) == strip_ws(&expected[1])
        }
        "incomplete" => pushed.is_empty(),
        "tts_chunks" => return None, // a chunking policy of another product, not SBD
        _ => return None,
    })
}

#[test]
fn peer_cases() {
    let data = include_str!("data/sentence_cases_peers.json");
    let cases: Vec<Value> = serde_json::from_str(data).unwrap();
    let mut scored = 0;
    let mut passed = 0;
    let mut failures = Vec::new();
    for case in &cases {
        let id = case["id"].as_str().unwrap_or("?");
        let mut ok_all = true;
        let mut applicable = false;
        for how in CHUNKINGS {
            if let Some(ok) = score(case, how) {
                applicable = true;
                if !ok {
                    ok_all = false;
                    failures.push(format!(
                        "{id} {how:?}: {:?} -> {:?} (expected {:?})",
                        case["text"].as_str().unwrap_or_default(),
                        all(
                            case["text"].as_str().unwrap_or_default(),
                            &SegmenterOptions::default(),
                            how
                        ),
                        case["expected"]
                    ));
                    break;
                }
            }
        }
        if applicable {
            scored += 1;
            if ok_all {
                passed += 1;
            } else if !DISAGREE.contains(&id) {
                // counted below
            }
        }
    }
    println!(
        "peer cases: {passed}/{scored} pass in every chunking ({} total)",
        cases.len()
    );
    // vocode's cases are a TTS chunking policy (merge until 3 words), not sentence
    // boundaries: report how many plain sentence splitting matches, for information.
    let tts: Vec<&Value> = cases.iter().filter(|c| c["kind"] == "tts_chunks").collect();
    let tts_ok = tts
        .iter()
        .filter(|c| {
            let want: Vec<&str> = c["expected"]
                .as_array()
                .map_or(vec![], |a| a.iter().filter_map(Value::as_str).collect());
            whole(
                c["text"].as_str().unwrap_or_default(),
                &SegmenterOptions::default(),
            ) == want
        })
        .count();
    println!(
        "tts_chunks (not scored): {tts_ok}/{} equal plain sentence splitting",
        tts.len()
    );
    for f in &failures {
        println!("FAIL {f}");
    }
    let unexpected: Vec<_> = failures
        .iter()
        .filter(|f| !DISAGREE.iter().any(|d| f.starts_with(d)))
        .collect();
    assert!(
        unexpected.is_empty(),
        "{} unexpected failures",
        unexpected.len()
    );
}
