use aybiza_core::text::speech::SpeechOptions;
use aybiza_core::text::{Segmenter, SegmenterOptions};
use std::time::Instant;
fn main() {
    let shapes: Vec<(&str, String)> = vec![
        ("bang", "Wow! ".repeat(3200)),
        ("bangs", "!".repeat(16000)),
        ("qmarks", "Why? Who? ".repeat(1600)),
        ("Name!", "Yahoo! Jeopardy! ".repeat(940)),
        ("newlines", "\n".repeat(16000)),
        ("lines", "a\n".repeat(8000)),
        ("fences", "```\n".repeat(4000)),
        ("fence-x", "```x".repeat(4000)),
        ("colons", "Բարեւ: ".repeat(1600)),
        ("greek;", "Τι; ".repeat(2600)),
        ("longword", "a".repeat(16000)),
        ("emoji", "😀".repeat(4000)),
        ("combining", "e\u{301}".repeat(5300)),
        ("quotes", "\"(".repeat(8000)),
        ("ellipsis", "…".repeat(5300)),
        ("ellipsis-sp", "Wait… ".repeat(1800)),
        ("url", "http://a/b ".repeat(1450)),
        ("md", "**a** _b_ [c](d) `e` ".repeat(760)),
        ("md-links", "[[[[((((".repeat(2000)),
        ("hash", "# ".repeat(8000)),
        ("bullets", "- ".repeat(8000)),
        ("digits", "1,2;3:4 ".repeat(2000)),
        ("commas", ", ".repeat(8000)),
        ("commas-w", "a, ".repeat(5300)),
        ("semis", "a; ".repeat(5300)),
        ("dashes", "a — ".repeat(2600)),
        (
            "invalid",
            String::from_utf8_lossy(&vec![0xffu8; 16000]).into_owned(),
        ),
        ("cjk。", "你好。".repeat(1700)),
        ("cjk!", "你好！".repeat(1700)),
        ("devanagari।", "नमस्ते। ".repeat(600)),
        ("mixed", "Dr! Mr? U.S.! e.g? ".repeat(800)),
        (
            "periods255",
            format!("{}{}", "U.S.".repeat(127), "a ".repeat(7700)),
        ),
    ];
    let voice = SegmenterOptions {
        speech: Some(SpeechOptions::default()),
        first_chunk_min_chars: Some(20),
        merge_short: true,
        max_chars: 0,
        ..Default::default()
    };
    for (name, text) in &shapes {
        let text = &text[..text.len().min(16 * 1024)];
        let mut row = Vec::new();
        for opts in [
            SegmenterOptions::default(),
            voice.clone(),
            SegmenterOptions {
                max_chars: 50,
                ..Default::default()
            },
        ] {
            let mut best = u128::MAX;
            for _ in 0..3 {
                let mut s = Segmenter::new(opts.clone());
                let t = Instant::now();
                std::hint::black_box(s.push_bytes(text.as_bytes()));
                std::hint::black_box(s.finish());
                best = best.min(t.elapsed().as_micros());
            }
            row.push(best);
        }
        println!(
            "{name:>12} {:>5}B periods {:>4}: default {:>6} us, voice {:>6} us, max50 {:>6} us",
            text.len(),
            text.matches('.').count(),
            row[0],
            row[1],
            row[2]
        );
    }
}
