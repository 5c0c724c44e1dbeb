// Shared helpers of the text_* integration tests (included with `#[path]`, not a test target
// of its own: it has no tests).
#![allow(dead_code)]

use aybiza_core::text::segmenter::{split_sentences, Segmenter, SegmenterOptions};

/// A deterministic xorshift generator, so failures reproduce.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

/// The ways a text is cut into deltas in tests.
#[derive(Debug, Clone, Copy)]
pub enum Chunking {
    Whole,
    Bytes1,
    Chars1,
    Random2to8(u64),
    Words,
}

pub const CHUNKINGS: [Chunking; 6] = [
    Chunking::Whole,
    Chunking::Bytes1,
    Chunking::Chars1,
    Chunking::Random2to8(1),
    Chunking::Random2to8(7),
    Chunking::Words,
];

/// Runs the segmenter over `text` cut as `how`; returns (released by push, released by finish).
pub fn run(text: &str, opts: &SegmenterOptions, how: Chunking) -> (Vec<String>, Vec<String>) {
    let mut s = Segmenter::new(opts.clone());
    let mut pushed = Vec::new();
    match how {
        Chunking::Whole => pushed.extend(s.push(text)),
        Chunking::Bytes1 => {
            for b in text.as_bytes() {
                pushed.extend(s.push_bytes(std::slice::from_ref(b)));
            }
        }
        Chunking::Chars1 => {
            let mut tmp = [0u8; 4];
            for c in text.chars() {
                pushed.extend(s.push(c.encode_utf8(&mut tmp)));
            }
        }
        Chunking::Random2to8(seed) => {
            let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
            let b = text.as_bytes();
            let mut i = 0;
            while i < b.len() {
                let n = 2 + rng.below(7);
                let j = (i + n).min(b.len());
                pushed.extend(s.push_bytes(&b[i..j]));
                i = j;
            }
        }
        Chunking::Words => {
            // Each delta is a word with its leading whitespace, like LLM tokens.
            let mut last = 0;
            let mut in_ws = true;
            for (i, c) in text.char_indices() {
                let ws = c.is_whitespace();
                if !ws && in_ws && i > last && !text[last..i].trim().is_empty() {
                    pushed.extend(s.push(&text[last..i]));
                    last = i;
                }
                in_ws = ws;
            }
            pushed.extend(s.push(&text[last..]));
        }
    }
    let rest = s.finish();
    (pushed, rest)
}

pub fn all(text: &str, opts: &SegmenterOptions, how: Chunking) -> Vec<String> {
    let (mut a, b) = run(text, opts, how);
    a.extend(b);
    a
}

pub fn whole(text: &str, opts: &SegmenterOptions) -> Vec<String> {
    split_sentences(text, opts)
}

pub fn strip_ws(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}
