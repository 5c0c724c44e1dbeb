//! Fuzz target for the streaming segmenter: never panics, never loses text, and the way the
//! input is cut into deltas never changes the sentences.
//!
//! Input layout: byte 0 selects options, byte 1 seeds the delta sizes, the rest is the text
//! (raw bytes, so invalid UTF-8 and cuts inside characters are covered).
#![no_main]

use aybiza_core::text::segmenter::{Segmenter, SegmenterOptions};
use libfuzzer_sys::fuzz_target;

fn strip_ws(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let bits = data[0];
    let mut seed = u64::from(data[1]) | 1;
    let text = &data[2..];
    let opts = SegmenterOptions {
        merge_short: bits & 1 != 0,
        min_chars: usize::from(bits >> 4),
        max_chars: if bits & 2 != 0 {
            8 + usize::from(bits >> 3)
        } else {
            0
        },
        first_chunk_min_chars: if bits & 4 != 0 {
            Some(usize::from(bits >> 5))
        } else {
            None
        },
        // Code blocks are kept so that no text may disappear.
        skip_code_blocks: false,
        newline_boundaries: bits & 8 == 0,
        // Speech normalization changes the text: off, so that no text may disappear.
        speech: None,
    };

    let mut whole = Segmenter::new(opts.clone());
    let mut expected = whole.push_bytes(text);
    expected.extend(whole.finish());

    let mut stream = Segmenter::new(opts);
    let mut got = Vec::new();
    let mut i = 0;
    while i < text.len() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let j = (i + 1 + (seed % 8) as usize).min(text.len());
        got.extend(stream.push_bytes(&text[i..j]));
        i = j;
    }
    got.extend(stream.finish());

    assert_eq!(got, expected, "chunking changed the sentences");
    let lossy = String::from_utf8_lossy(text);
    assert_eq!(
        strip_ws(&expected.concat()),
        strip_ws(&lossy),
        "text was lost"
    );
    for s in &expected {
        assert!(!s.is_empty() && s.trim() == s);
    }
});
