//! Probe (issue 16 follow-up): the cost of the largest batch `Text.push_many/2` takes on a
//! normal scheduler (4,096 deltas, 16 KiB) against one push of the same bytes, per option set.
//! `cargo run --release -p aybiza_core --example probe_push_many [piece ...]`
use aybiza_core::text::{Segmenter, SegmenterOptions, SpeechOptions};
use std::time::Instant;

fn main() {
    let voice = SegmenterOptions {
        max_chars: 250,
        first_chunk_min_chars: Some(20),
        speech: Some(SpeechOptions::default()),
        ..SegmenterOptions::default()
    };
    let sets = [("sentence", SegmenterOptions::default()), ("voice", voice)];
    // The pieces repeated 4,096 times (arguments, or a default set with the worst found).
    let mut pieces: Vec<String> = std::env::args().skip(1).collect();
    if pieces.is_empty() {
        pieces = ["abc ", "Dr. ", "ab\n ", "... ", "a!a!", "a?b?", "U.S."]
            .map(String::from)
            .to_vec();
    }
    aybiza_core::text::segmenter::warm_up();
    for (name, opts) in &sets {
        for p in pieces.iter().map(String::as_str) {
            let deltas: Vec<&[u8]> = (0..4096).map(|_| p.as_bytes()).collect();
            let all: Vec<u8> = deltas.concat();
            let mut best_many = u128::MAX;
            let mut best_one = u128::MAX;
            for _ in 0..20 {
                let mut s = Segmenter::new(opts.clone());
                let t = Instant::now();
                let mut out = Vec::new();
                for d in &deltas {
                    s.push_bytes_into(d, &mut out);
                }
                best_many = best_many.min(t.elapsed().as_micros());
                let mut s = Segmenter::new(opts.clone());
                let t = Instant::now();
                let _ = s.push_bytes(&all);
                best_one = best_one.min(t.elapsed().as_micros());
            }
            println!("{name} {p:?}: 4096 deltas {best_many} us, one push {best_one} us");
        }
    }
}
