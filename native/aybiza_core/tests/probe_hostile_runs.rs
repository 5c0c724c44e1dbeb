//! Probe (red team) of this stop's segmenter rules on hostile runs (spaced end marks,
//! footnote runs, ellipses, datelines, ordinals, Roman numerals, "and so on", detached
//! quotes): no panic, every non-space character kept in order, and the same pieces whether
//! the text comes whole, a byte at a time (cut inside characters), or in deltas of 1-13 bytes.

use aybiza_core::text::segmenter::{Segmenter, SegmenterOptions};

fn rep(unit: &str, n: usize) -> String {
    unit.repeat(n.div_ceil(unit.len()).max(1))
}

fn shapes(n: usize) -> Vec<String> {
    [
        "! ",
        "? ",
        "a ! ! ",
        "! ? . ",
        "A ? ",
        "[1]",
        "a.[1][2] ",
        "... ",
        "a ... ",
        ". . . A ",
        "…. ",
        "5o. ",
        "1st. ",
        "the 21st. A ",
        "XIV. ",
        "Louis XIV. The ",
        "Louis XIV. the ",
        "MMMMDCCCLXXXVIII. ",
        "etc. ",
        "and so on. And ",
        "and so on. and ",
        "et al. ",
        "PARIS, Dec. 5 (Reuters) — A ",
        "PARIS — ",
        "a. — b ",
        "A. - b ",
        "\" a. \" ",
        "a. \" ",
        "\" ",
        "' ",
        "« a. » ",
        "“ A. ” ",
        "a.” “",
        "Dec. 5. ",
        "No. 5o. ",
        "a.) ",
        "Go! [1] ",
        "Happy! . . . no ",
        "Wow ! ! Do ",
        "„a.“ ",
        "5o. clasificado ",
    ]
    .iter()
    .map(|u| rep(u, n))
    .chain([
        format!("Go!{}", rep("[1]", n)),
        format!("Go!\"{}", rep("[1]", n)),
        format!("{} Help! me", rep(",", n)),
        format!("{}. A", rep("I", n)),
    ])
    .collect()
}

fn pieces(text: &str, o: &SegmenterOptions, cut: impl Fn(usize) -> usize) -> Vec<String> {
    let mut s = Segmenter::new(o.clone());
    let mut out = Vec::new();
    let b = text.as_bytes();
    let (mut at, mut i) = (0, 0);
    while at < b.len() {
        let end = (at + cut(i)).min(b.len());
        out.extend(s.push_bytes(&b[at..end]));
        at = end;
        i += 1;
    }
    out.extend(s.finish());
    out
}

fn non_space(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn hostile_runs_are_the_same_in_every_chunking() {
    for o in [SegmenterOptions::default(), SegmenterOptions::voice()] {
        for text in shapes(1_500) {
            let whole = pieces(&text, &o, |_| usize::MAX);
            let label: String = text.chars().take(24).collect();
            assert_eq!(
                non_space(&whole.concat()),
                non_space(&text),
                "{label:?}: characters lost or moved"
            );
            assert_eq!(pieces(&text, &o, |_| 1), whole, "{label:?}: bytes");
            assert_eq!(
                pieces(&text, &o, |i| 1 + (i * 7 + 3) % 13),
                whole,
                "{label:?}: 1-13 byte deltas"
            );
            assert_eq!(
                pieces(&text, &o, |_| 64),
                whole,
                "{label:?}: 64-byte deltas"
            );
        }
    }
}
