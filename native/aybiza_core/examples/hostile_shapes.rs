//! The segmenter's cost per byte on hostile shapes of text (what a model or a hostile
//! endpoint may stream): long runs of one punctuation mark, dotted tokens without a space
//! (`U.S.U.S.…`, `a.a.a.`, `1.1.1.`), brackets, quotes, URLs and e-mail addresses without
//! an end, ellipses, mixed scripts, combining and RTL marks, a 100 KB word, digit runs,
//! `Mr. ` repeated, line breaks with bullets, markdown in voice mode; ordinary text for
//! reference. Each text is pushed in slices of 8 KiB (as the engine cuts a large delta).
//!
//! `cargo run --release -p aybiza_core --example hostile_shapes` prints, per shape and
//! options (default, voice), the wall time per byte and the slowest slice (read it on an idle
//! machine only). For instruction counts run one case under callgrind, collecting only the
//! pushes:
//!
//! `valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*run_shape*'
//!  target/release/examples/hostile_shapes SHAPE OPTIONS [BYTES]`
//!
//! and divide the total `Ir` by BYTES (default 65536). `hostile_shapes --list` lists
//! the shapes.

use aybiza_core::text::{Segmenter, SegmenterOptions};
use std::time::{Duration, Instant};

const SLICE: usize = 8 * 1024;

/// `unit` repeated to at least `n` bytes.
fn rep(unit: &str, n: usize) -> String {
    unit.repeat(n.div_ceil(unit.len()).max(1))
}

fn shapes(n: usize) -> Vec<(&'static str, String)> {
    let mut v: Vec<(&'static str, String)> = vec![
        ("plain", {
            let mut s = String::new();
            let mut i = 0;
            while s.len() < n {
                s.push_str(&format!(
                    "Order **A-{i}** ships on Monday at 10:{:02} a.m., via UPS. - Item {i}: the blue shirt, size M.\n",
                    i % 60
                ));
                i += 1;
            }
            s
        }),
        ("ab. ", rep("ab. ", n)),
        ("U.S.", rep("U.S.", n)),
        ("U.S. ", rep("U.S. ", n)),
        ("a.a.", rep("a.", n)),
        ("A.A.", rep("A.", n)),
        ("1.1.", rep("1.", n)),
        ("e.g.", rep("e.g.", n)),
        ("abc.def.", rep("abc.def.", n)),
        ("x.Y", rep("x.Y", n)),
        ("periods", rep(".", n)),
        ("a...", rep("a...", n)),
        ("spaced...", rep(". ", n)),
        ("a. . . ", rep("a. . . ", n)),
        ("ellipsis…", rep("…", n)),
        ("excl", rep("!", n)),
        ("a!", rep("a!", n)),
        ("a?b", rep("a?b", n)),
        ("semicolons", rep(";", n)),
        ("colons", rep(":", n)),
        ("commas", rep(",", n)),
        (", ", rep(", ", n)),
        ("a, ", rep("a, ", n)),
        ("dashes", rep("-", n)),
        ("a - ", rep("a - ", n)),
        ("((((", rep("(", n)),
        ("(a. ", rep("(a. ", n)),
        ("a.(", rep("a.(", n)),
        ("))))", rep(")", n)),
        ("[1]", rep("a.[1]", n)),
        ("''''", rep("'", n)),
        ("a.'", rep("a.'", n)),
        ("\"\"\"\"", rep("\"", n)),
        ("a.\" ", rep("a.\" ", n)),
        ("«»", rep("a.» ", n)),
        ("url", format!("see http://example.com/{}", rep("a/b.c", n))),
        ("url.", format!("see http://example.com/{}", rep("a.", n))),
        ("www.", format!("www.{}", rep("a.", n))),
        ("email", format!("mail {}", rep("a.b@c.d", n))),
        ("@.", rep("@.", n)),
        ("/.", rep("/.", n)),
        ("mixed", rep("ab. аб. 日本。 αβ; ", n)),
        ("mixed glued", rep("abаб日本.αβ.", n)),
        ("cjk。", rep("日本。", n)),
        ("cjk「", rep("「", n)),
        ("combining", rep("e\u{301}", n)),
        ("combining.", rep("e\u{301}.", n)),
        ("marks.", rep("\u{301}.", n)),
        ("rtl", rep("\u{200F}.", n)),
        ("hebrew", rep("שלום. ", n)),
        ("arabic", rep("مرحبا. ", n)),
        ("armenian", rep("բա: ", n)),
        ("armenian.", rep("բա.", n)),
        ("greek;", rep("αβ; ", n)),
        ("greek;glued", rep("αβ;", n)),
        ("devanagari", rep("नमस्ते। ", n)),
        ("word", format!("{}. The end.", rep("a", n))),
        ("word.", format!("{}.", rep("a", n))),
        ("digits", rep("1", n)),
        ("1.2", rep("1.2", n)),
        ("12345. ", rep("12345. ", n)),
        ("3. 1. ", rep("3. 1. ", n)),
        ("Mr. ", rep("Mr. ", n)),
        ("Mr. Dr. ", rep("Mr. Dr. ", n)),
        ("J. R. ", rep("J. R. ", n)),
        ("No. 1 ", rep("No. 1 ", n)),
        ("bullets", rep("- a\n", n)),
        ("bullets2", rep("\n- ", n)),
        ("list", rep("1. a\n", n)),
        ("newlines", rep("\n", n)),
        ("spaces", rep(" ", n)),
        ("a ", rep("a ", n)),
        ("tabs", rep("a.\t", n)),
        ("nbsp", rep("a.\u{a0}", n)),
        ("**", rep("**", n)),
        ("**a** ", rep("**a** ", n)),
        ("**a.** ", rep("**a.** ", n)),
        ("backticks", rep("`", n)),
        ("`a` ", rep("`a` ", n)),
        ("fences", rep("```\n", n)),
        ("#", rep("# a\n", n)),
        ("[a](b) ", rep("[a](http://b.c) ", n)),
        ("emoji", rep("a.😀", n)),
        ("?!", rep("?!", n)),
        ("Yahoo!", rep("Yahoo! ", n)),
        ("Who? a", rep("Who Wants To Be? a ", n)),
        ("a! b", rep("Ab! c ", n)),
        ("—", rep("a. — ", n)),
        ("p.m.", rep("at 5 p.m. The ", n)),
        ("7. Mai", rep("am 7. Mai ", n)),
        ("13. 1.", rep("am 13. 1. ", n)),
        // A long run without letters, then names spelled with `!` that go on.
        (
            "Aha! Xyz",
            format!("{}{}", rep(",", n / 2), rep("Aha! Xyz ", n / 2)),
        ),
        ("a.“", rep("a.“", n)),
        ("„a.“ ", rep("„a.“ ", n)),
        ("„A.“", rep("„A.“", n)),
        ("A).", rep("A).", n)),
        (
            "(((A.A.",
            rep(&format!("{}{}", "(".repeat(128), "A.".repeat(64)), n),
        ),
        ("$A.", rep("$A.", n)),
        ("1.A", rep("1.A", n)),
        ("1.1.A.", rep("1.1.A.", n)),
        ("A!a", rep("A!a", n)),
        ("www.A.", format!("www.{}", rep("A.", n))),
        ("@A.", rep("@A.", n)),
        ("A.[1]", rep("A.[1]", n)),
        ("é.É.", rep("é.É.", n)),
    ];
    v.sort_by_key(|(name, _)| *name == "plain"); // reference last
    v.reverse();
    v
}

fn options(name: &str) -> SegmenterOptions {
    match name {
        "voice" => SegmenterOptions::voice(),
        _ => SegmenterOptions::default(),
    }
}

/// Pushes `text` in slices of [`SLICE`] bytes (cut on character boundaries) and finishes:
/// the pieces released and the slowest slice.
#[inline(never)]
fn run_shape(text: &str, o: &SegmenterOptions) -> (usize, Duration) {
    let mut s = Segmenter::new(o.clone());
    let mut pieces = 0;
    let mut worst = Duration::ZERO;
    let mut at = 0;
    while at < text.len() {
        let mut end = (at + SLICE).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        let t = Instant::now();
        pieces += s.push(&text[at..end]).len();
        worst = worst.max(t.elapsed());
        at = end;
    }
    pieces += s.finish().len();
    (pieces, worst)
}

fn main() {
    // The language tables are parsed once per process: not part of any shape's cost.
    aybiza_core::text::segmenter::warm_up();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--list") {
        for (name, _) in shapes(16) {
            println!("{name}");
        }
        return;
    }
    if args.len() >= 2 {
        let n: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(65536);
        let (_, text) = shapes(n)
            .into_iter()
            .find(|(name, _)| *name == args[0])
            .expect("unknown shape (see --list)");
        let (pieces, _) = run_shape(&text, &options(&args[1]));
        println!("{} bytes, {pieces} pieces", text.len());
        return;
    }
    let n: usize = args
        .first()
        .and_then(|a| a.parse().ok())
        .unwrap_or(256 * 1024);
    for (name, text) in shapes(n) {
        for on in ["default", "voice"] {
            let o = options(on);
            let t = Instant::now();
            let (pieces, worst) = run_shape(&text, &o);
            let total = t.elapsed();
            println!(
                "{name:>14} {on:>7}: {:>8.1} ns/byte, slowest 8 KiB slice {worst:>10.2?}, {pieces} pieces",
                total.as_nanos() as f64 / text.len() as f64
            );
        }
    }
}
