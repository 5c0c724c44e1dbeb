//! Probe (red team): does the segmenter's cost per byte stay flat as a hostile shape grows?
//! For each shape of this stop's rules (spaced end marks, footnote runs, ellipses, datelines,
//! ordinals, Roman numerals, "and so on" abbreviations, detached quotes), the text is pushed
//! in 8 KiB slices at 16 KiB and at 128 KiB; a cost per byte that grows ~8x with the size is
//! quadratic. Prints ns/byte at both sizes and their ratio (wall time: read on an idle
//! machine, or run one shape under callgrind as hostile_shapes says).
//!
//! `cargo run --release -p aybiza_core --example probe_scaling [FILTER]`; instruction counts:
//! `valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*run*'
//!  target/release/examples/probe_scaling --one SHAPE OPTIONS BYTES`

use aybiza_core::text::{Segmenter, SegmenterOptions};
use std::time::Instant;

fn rep(unit: &str, n: usize) -> String {
    unit.repeat(n.div_ceil(unit.len()).max(1))
}

fn shapes(n: usize) -> Vec<(&'static str, String)> {
    vec![
        ("! ! ", rep("! ", n)),
        ("a ! ! ", rep("a ! ! ", n)),
        ("? ? ", rep("? ", n)),
        ("A ? ", rep("A ? ", n)),
        ("[1]", rep("[1]", n)),
        ("a.[1][2]", rep("a.[1][2] ", n)),
        ("[1][2]..", format!("a.{}", rep("[12]", n))),
        ("^1", rep("a.^1 ", n)),
        ("Go![1]...", format!("Go!{}", rep("[1]", n))),
        ("Go![1] [2]...", format!("Go!{}", rep("[1] ", n))),
        ("Go!\"[1]...", format!("Go!\"{}", rep("[1]", n))),
        ("... ", rep("... ", n)),
        ("a ... ", rep("a ... ", n)),
        (". . . A", rep(". . . A ", n)),
        ("….", rep("…. ", n)),
        ("5o. ", rep("5o. ", n)),
        ("1st. ", rep("1st. ", n)),
        ("21st. A", rep("the 21st. A ", n)),
        ("XIV. ", rep("XIV. ", n)),
        ("Louis XIV. The", rep("Louis XIV. The ", n)),
        ("IIIIII", format!("{}. A", rep("I", n))),
        ("MMMM. ", rep("MMMMDCCCLXXXVIII. ", n)),
        ("etc. etc. ", rep("etc. ", n)),
        ("and so on. A", rep("and so on. And ", n)),
        ("et al. ", rep("et al. ", n)),
        ("PARIS, Dec. 5 -- ", rep("PARIS, Dec. 5 (Reuters) — A ", n)),
        ("PARIS —", rep("PARIS — ", n)),
        ("a. — b", rep("a. — b ", n)),
        ("a.—b", rep("a.—b ", n)),
        ("A. - b", rep("A. - b ", n)),
        ("\" a. \"", rep("\" a. \" ", n)),
        ("a. \" ", rep("a. \" ", n)),
        ("\" \" ", rep("\" ", n)),
        ("' ' ", rep("' ", n)),
        ("« a. » ", rep("« a. » ", n)),
        ("“ A. ” ", rep("“ A. ” ", n)),
        ("a.” “", rep("a.” “", n)),
        ("Dec. 5. ", rep("Dec. 5. ", n)),
        ("No. 5o. ", rep("No. 5o. ", n)),
        ("v. ", rep("v. ", n)),
        ("A. B. ", rep("A. B. ", n)),
        ("! ? . ", rep("! ? . ", n)),
        ("a.)", rep("a.) ", n)),
        ("(1) (2)", rep("(1) ", n)),
        (
            "word at 5 p.m. the",
            format!("{} {}", rep("x", n / 2), rep("at 5 p.m. the ", n / 2)),
        ),
        (
            ",,, Help! me",
            format!("{} {}", rep(",", n / 2), rep("Help! me ", n / 2)),
        ),
        ("XIV. the", rep("Louis XIV. the ", n)),
        ("5o. clas", rep("5o. clasificado ", n)),
        ("and so on. and", rep("and so on. and ", n)),
        ("etc. the", rep("etc. the ", n)),
        ("U.S. the", rep("U.S. the ", n)),
        ("1st. the", rep("the 1st. the ", n)),
        ("Dec. 5 —", rep("Dec. 5 — a ", n)),
        ("a? the", rep("a? the ", n)),
        ("a! ! the", rep("a! ! the ", n)),
        ("a. \" the", rep("a. \" the ", n)),
        ("a.\" the", rep("a.\" the ", n)),
        ("a ... the", rep("a ... the ", n)),
        ("a.[1] the", rep("a.[1] the ", n)),
        ("a! ! + spaces", format!("a! !{}", rep(" ", n))),
        ("Go![1] + spaces", format!("Go![1]{}", rep(" ", n))),
        ("a? ” + spaces", format!("a? ”{}", rep(" ", n))),
        ("a. . . + spaces", format!("Happy! . . .{}", rep(" ", n))),
        ("a! ! + nbsp", format!("a! !{}", rep("\u{a0}", n))),
        ("XIV. word", format!("Louis XIV. {}", rep("a", n))),
        ("so on. word", format!("and so on. {}", rep("a", n))),
        ("5o. word", format!("5o. {}", rep("a", n))),
        ("Dec. 5. word", format!("Dec. 5. {}", rep("a", n))),
        ("PARIS, Dec. word", format!("PARIS, Dec. {}", rep("A", n))),
        ("a! ! word", format!("a! ! {}", rep("a", n))),
        ("Go![1] word", format!("Go![1] {}", rep("a", n))),
        ("ellipsis word", format!("Happy! . . . {}", rep("a", n))),
        ("quote word", format!("a. \" {}", rep("a", n))),
        ("etc. Word", format!("etc. {}", rep("A", n))),
        ("p.m. Word", format!("at 5 p.m. {}", rep("A", n))),
        ("XIV. Word", format!("Louis XIV. {}", rep("A", n))),
    ]
}

fn run(text: &str, o: &SegmenterOptions) -> (usize, f64) {
    let mut s = Segmenter::new(o.clone());
    let t = Instant::now();
    let mut pieces = 0;
    let mut at = 0;
    while at < text.len() {
        let mut end = (at + slice()).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        pieces += s.push(&text[at..end]).len();
        at = end;
    }
    pieces += s.finish().len();
    (pieces, t.elapsed().as_nanos() as f64 / text.len() as f64)
}

fn main() {
    aybiza_core::text::segmenter::warm_up();
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `--one SHAPE OPTIONS BYTES`: one run (for callgrind's instruction count).
    if args.len() == 4 && args[0] == "--one" {
        let o = if args[2] == "voice" {
            SegmenterOptions::voice()
        } else {
            SegmenterOptions::default()
        };
        let n: usize = args[3].parse().expect("BYTES");
        let (_, text) = shapes(n)
            .into_iter()
            .find(|(name, _)| *name == args[1])
            .expect("a shape name");
        println!("{} pieces", run(&text, &o).0);
        return;
    }
    let filter = args.first().cloned();
    for (opts_name, o) in [
        ("default", SegmenterOptions::default()),
        ("voice", SegmenterOptions::voice()),
    ] {
        let small = shapes(16 * 1024);
        let large = shapes(128 * 1024);
        for ((name, a), (_, b)) in small.iter().zip(large.iter()) {
            if filter.as_deref().is_some_and(|f| !name.contains(f)) {
                continue;
            }
            let best = |t: &str| {
                (0..3)
                    .map(|_| run(t, &o))
                    .fold((0, f64::MAX), |acc, r| (r.0, acc.1.min(r.1)))
            };
            let (pa, ta) = best(a);
            let (pb, tb) = best(b);
            println!(
                "{opts_name:8} {name:22} {ta:8.1} ns/B  {tb:8.1} ns/B  x{:5.2}  pieces {pa} {pb}",
                tb / ta
            );
        }
    }
}

/// Slice bytes (`PROBE_SLICE`, default 8 KiB as the engine cuts a large delta).
fn slice() -> usize {
    std::env::var("PROBE_SLICE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8192)
}
