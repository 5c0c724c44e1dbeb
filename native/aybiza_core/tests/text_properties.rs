//! Invariants of the segmenter, property-tested: for any text and any way of cutting it into
//! deltas the sentences equal those of the whole text, and sentences plus remainder keep every
//! non-whitespace character in order (whitespace normalization is documented in docs/TEXT.md).

#[path = "text_common/mod.rs"]
mod common;

use aybiza_core::text::segmenter::{split_sentences, Segmenter, SegmenterOptions};
use common::*;
use proptest::prelude::*;

/// Pieces that exercise the rules: abbreviations, initials, numbers, lists, quotes, ellipses,
/// URLs, CJK, markdown, fences, emoji, combining marks.
const PIECES: &[&str] = &[
    // Shapes of the issue-13 round-2 rules: date phrases, section numerals, labels, titles
    // ending in `?`/`!`, time zones.
    "1998",
    "r.",
    "p.m.",
    "p.n.e.",
    "II.",
    "Thm.",
    "Eastern",
    "Anybody?",
    "twice",
    "W",
    "Hello",
    "world",
    "the",
    "U.S.",
    "a.m.",
    "Dr.",
    "Mr.",
    "etc.",
    "No.",
    "e.g.",
    "Inc.",
    "J.",
    "R.",
    "I",
    "How",
    "The",
    "It",
    "$3.50",
    "3.",
    "2.5%",
    "10:30",
    "1.5.2025",
    "v2.1.3",
    "config.yaml",
    "https://x.com/a?b=C",
    "a@b.co",
    ".",
    ". ",
    "!",
    "?",
    "?!",
    "...",
    "…",
    " . . . ",
    "\"",
    "'",
    ")",
    "(",
    "»",
    "«",
    "”",
    "1.",
    "2.",
    "a.",
    "b.",
    "1)",
    "• ",
    "- ",
    "\n",
    "\n\n",
    "\r\n",
    " ",
    "  ",
    "\t",
    ",",
    ";",
    ":",
    " — ",
    "```",
    "```\n",
    "~~~",
    "`",
    "你好",
    "。",
    "！",
    "？",
    "「",
    "」",
    "《",
    "》",
    "３．５",
    "¿",
    "¡",
    "Qué",
    "é",
    "e\u{301}",
    "🎉",
    "👍🏽",
    "done.Next",
    "Yahoo!",
    "[...]",
    "#",
    "**",
    "_",
    "*",
    "×",
    "।",
    "؟",
];

fn text_from(idx: &[usize], glue: &[bool]) -> String {
    let mut s = String::new();
    for (i, &k) in idx.iter().enumerate() {
        if i > 0 && glue.get(i).copied().unwrap_or(false) {
            s.push(' ');
        }
        s.push_str(PIECES[k % PIECES.len()]);
    }
    s
}

fn options_from(bits: u8, max: usize, min: usize) -> SegmenterOptions {
    SegmenterOptions {
        merge_short: bits & 1 != 0,
        min_chars: min,
        max_chars: if bits & 2 != 0 { max } else { 0 },
        first_chunk_min_chars: if bits & 4 != 0 { Some(min) } else { None },
        skip_code_blocks: bits & 8 != 0,
        newline_boundaries: bits & 16 == 0,
        speech: None,
    }
}

/// Pushes `text` cut at `cuts` (byte offsets, any, even inside characters).
fn streamed(text: &str, cuts: &[usize], opts: &SegmenterOptions) -> Vec<String> {
    let b = text.as_bytes();
    let mut points: Vec<usize> = cuts.iter().map(|&c| c % (b.len() + 1)).collect();
    points.sort_unstable();
    let mut s = Segmenter::new(opts.clone());
    let mut out = Vec::new();
    let mut last = 0;
    for p in points {
        out.extend(s.push_bytes(&b[last..p]));
        last = p;
    }
    out.extend(s.push_bytes(&b[last..]));
    out.extend(s.finish());
    out
}

fn check(text: &str, cuts: &[usize], opts: &SegmenterOptions) -> Result<(), TestCaseError> {
    let whole = split_sentences(text, opts);
    let stream = streamed(text, cuts, opts);
    prop_assert_eq!(&stream, &whole, "text {:?}", text);
    for s in &whole {
        prop_assert!(!s.is_empty() && s.trim() == s, "untrimmed piece {:?}", s);
    }
    if !opts.skip_code_blocks {
        prop_assert_eq!(
            strip_ws(&whole.concat()),
            strip_ws(text),
            "lost text in {:?}",
            text
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn chunking_never_changes_sentences(
        idx in prop::collection::vec(0usize..1000, 0..40),
        glue in prop::collection::vec(any::<bool>(), 0..40),
        cuts in prop::collection::vec(0usize..10_000, 0..30),
        bits in any::<u8>(),
        max in 5usize..80,
        min in 0usize..30,
    ) {
        let text = text_from(&idx, &glue);
        check(&text, &cuts, &options_from(bits, max, min))?;
    }

    #[test]
    fn arbitrary_unicode_text(text in "\\PC{0,120}", cuts in prop::collection::vec(0usize..1000, 0..20), bits in any::<u8>()) {
        check(&text, &cuts, &options_from(bits, 30, 10))?;
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200), cut in 0usize..200) {
        let opts = SegmenterOptions { skip_code_blocks: false, ..SegmenterOptions::default() };
        let mut a = Segmenter::new(opts.clone());
        let mut whole = a.push_bytes(&bytes);
        whole.extend(a.finish());
        let c = cut.min(bytes.len());
        let mut b = Segmenter::new(opts);
        let mut split = b.push_bytes(&bytes[..c]);
        split.extend(b.push_bytes(&bytes[c..]));
        split.extend(b.finish());
        prop_assert_eq!(&split, &whole);
        let lossy = String::from_utf8_lossy(&bytes);
        prop_assert_eq!(strip_ws(&whole.concat()), strip_ws(&lossy));
    }
}

/// The same checks as the fuzz target (native/fuzz), on many deterministic inputs, so they run
/// on stable Rust in every `cargo test`.
#[test]
fn deterministic_randomized_inputs() {
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    for round in 0..3000 {
        let n = rng.below(60);
        let idx: Vec<usize> = (0..n).map(|_| rng.below(PIECES.len())).collect();
        let glue: Vec<bool> = (0..n).map(|_| rng.below(2) == 0).collect();
        let text = text_from(&idx, &glue);
        let cuts: Vec<usize> = (0..rng.below(20))
            .map(|_| rng.below(text.len() + 1))
            .collect();
        let opts = options_from(rng.below(256) as u8, 5 + rng.below(80), rng.below(30));
        if let Err(e) = check(&text, &cuts, &opts) {
            panic!("round {round}: {e}");
        }
        for how in CHUNKINGS {
            assert_eq!(
                all(&text, &opts, how),
                split_sentences(&text, &opts),
                "{how:?} {text:?}"
            );
        }
    }
}
