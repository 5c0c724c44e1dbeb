//! Output fingerprint of the segmenter, to show that a speed change releases the same
//! sentences, from the same calls, byte for byte.
//!
//! `cargo run --release -p aybiza_core --example segmenter_same > before.txt`, change the code,
//! run it again and `diff` the two files. One line per (text set, options, chunking): a hash of
//! every released piece with the index of the call that released it, and the piece count.
//! Text sets: the UD cases (`../shared/benchmarks/ud_cases.json`, or `--ud PATH`), the test
//! cases and peer cases (`tests/data`), the English check sets (`bench/data`), the call-centre
//! corpus of `bin/bench` and the stress corpus of `segmenter_bench`. Options: sentence mode,
//! the voice preset, merge_short, and a small max_chars. Chunkings: whole, 1 byte, 1 char,
//! `&str` and byte deltas of 1-8 bytes (the bench's cuts), 2-8 bytes from two seeds, 16-byte
//! batches cut inside characters, words. `--dump` prints the pieces too.

use aybiza_core::text::segmenter::{Segmenter, SegmenterOptions};

#[path = "../../aybiza_bench/src/corpus.rs"]
#[allow(dead_code)]
mod call_centre;

/// FNV-1a, 64 bits.
struct Fnv(u64);

impl Fnv {
    fn add(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x100_0000_01b3);
        }
    }
}

fn xorshift(x: &mut u64) -> u64 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    *x
}

/// Delta boundaries (byte offsets) of `text` for one chunking.
fn cuts(text: &str, how: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut push_sizes = |mut x: u64, lo: usize, span: u64| {
        let mut i = 0;
        while i < b.len() {
            let n = lo + (xorshift(&mut x) % span) as usize;
            let j = (i + n).min(b.len());
            out.push((i, j));
            i = j;
        }
    };
    match how {
        "whole" => return vec![(0, b.len())],
        "bytes1" => return (0..b.len()).map(|i| (i, i + 1)).collect(),
        "chars1" => {
            return text
                .char_indices()
                .map(|(i, c)| (i, i + c.len_utf8()))
                .collect()
        }
        "r1to8" | "r1to8str" => push_sizes(88_172_645_463_325_252, 1, 8),
        "r2to8a" => push_sizes(0x9E37_79B9_7F4A_7C15 | 1, 2, 7),
        "r2to8b" => push_sizes(7u64.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1, 2, 7),
        "r9to40" => push_sizes(12345, 9, 32),
        "b16" => push_sizes(99, 16, 1),
        "words" => {
            let mut last = 0;
            let mut in_ws = true;
            for (i, c) in text.char_indices() {
                let ws = c.is_whitespace();
                if !ws && in_ws && i > last && !text[last..i].trim().is_empty() {
                    out.push((last, i));
                    last = i;
                }
                in_ws = ws;
            }
            out.push((last, b.len()));
        }
        _ => unreachable!(),
    }
    out
}

const CHUNKINGS: [&str; 11] = [
    "whole", "bytes1", "chars1", "r1to8", "r1to8str", "r2to8a", "r2to8b", "r9to40", "b16", "words",
    "into",
];

/// Segments `texts` (each its own stream) with `opts` cut as `how`; returns the hash line.
fn run(texts: &[String], opts: &SegmenterOptions, how: &str, dump: bool) -> String {
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    let mut pieces = 0usize;
    let mut seg = Segmenter::new(opts.clone());
    let mut out = Vec::new();
    for text in texts {
        let cut_how = if how == "into" { "r1to8" } else { how };
        let b = text.as_bytes();
        let mut calls = 0u64;
        let mut take = |released: Vec<String>, calls: u64| {
            for p in released {
                h.add(&calls.to_le_bytes());
                h.add(p.as_bytes());
                h.add(&[0xff]);
                pieces += 1;
                if dump {
                    println!("  {calls}\t{p:?}");
                }
            }
        };
        for (i, j) in cuts(text, cut_how) {
            calls += 1;
            // `&str` pushes where the cut is on a character boundary, else bytes.
            let strs = matches!(how, "whole" | "chars1" | "words" | "r1to8str");
            let released = match (strs, std::str::from_utf8(&b[i..j])) {
                (true, Ok(s)) => seg.push(s),
                _ if how == "into" => {
                    seg.push_bytes_into(&b[i..j], &mut out);
                    std::mem::take(&mut out)
                }
                _ => seg.push_bytes(&b[i..j]),
            };
            take(released, calls);
        }
        take(seg.finish(), u64::MAX);
        h.add(b"\x00end");
    }
    format!("{:016x} {pieces}", h.0)
}

fn load_json_texts(path: &str) -> Vec<String> {
    let Ok(s) = std::fs::read_to_string(path) else {
        eprintln!("missing {path}");
        return Vec::new();
    };
    let v: serde_json::Value = serde_json::from_str(&s).expect("JSON");
    v.as_array()
        .expect("array of cases")
        .iter()
        .filter_map(|c| c["text"].as_str().map(str::to_string))
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dump = args.iter().any(|a| a == "--dump");
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1).cloned());
    let root = env!("CARGO_MANIFEST_DIR");
    let ud = args
        .iter()
        .position(|a| a == "--ud")
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| format!("{root}/../../../shared/benchmarks/ud_cases.json"));
    // `--write-corpus PATH`: the 1 MB call-centre corpus `bin/bench` writes, for bench/segmenter.exs.
    if let Some(path) = args
        .iter()
        .position(|a| a == "--write-corpus")
        .and_then(|i| args.get(i + 1))
    {
        std::fs::write(path, call_centre::build(1_000_000)).expect("writable corpus path");
        return;
    }
    aybiza_core::text::segmenter::warm_up();
    let mut sets: Vec<(&str, Vec<String>)> = vec![
        ("ud", load_json_texts(&ud)),
        (
            "cases",
            load_json_texts(&format!("{root}/tests/data/sentence_cases.json")),
        ),
        (
            "peers",
            load_json_texts(&format!("{root}/tests/data/sentence_cases_peers.json")),
        ),
    ];
    for f in [
        "segmenter_en_check",
        "segmenter_en_check2",
        "segmenter_en_check_names",
    ] {
        let texts = load_json_texts(&format!("{root}/../../bench/data/{f}.json"));
        sets.push((f, texts));
    }
    sets.push(("call_centre", vec![call_centre::build(300_000)]));
    let stress = include_str!("segmenter_bench.rs");
    sets.push(("source_text", vec![stress.to_string()]));
    let small = SegmenterOptions {
        max_chars: 40,
        ..SegmenterOptions::default()
    };
    let merge = SegmenterOptions {
        merge_short: true,
        first_chunk_min_chars: Some(10),
        ..SegmenterOptions::default()
    };
    let options = [
        ("sentence", SegmenterOptions::default()),
        ("voice", SegmenterOptions::voice()),
        ("merge", merge),
        ("max40", small),
    ];
    for (name, texts) in &sets {
        if only.as_deref().is_some_and(|o| o != *name) {
            continue;
        }
        for (oname, opts) in &options {
            for how in CHUNKINGS {
                if dump {
                    println!("{name} {oname} {how}");
                }
                println!("{name} {oname} {how} {}", run(texts, opts, how, dump));
            }
        }
    }
}
