//! Throughput and lookahead of the streaming segmenter on a ~1 MB corpus of spoken-style
//! answers generated deterministically from templates.
//!
//! `cargo run --release -p aybiza_core --example segmenter_bench [-- --corpus PATH]`
//!
//! The built-in corpus is a stress corpus: every ~34-byte sentence carries a hard case
//! (abbreviations, money, times, lists, URLs, markdown, CJK, Spanish, glued sentences).
//! `--corpus` reads another one, e.g. the call-centre answers `bin/bench` generates
//! (`aybiza-bench corpus PATH`).

use aybiza_core::text::segmenter::{Segmenter, SegmenterOptions};
use std::time::Instant;

const TEMPLATES: &[&str] = &[
    "Sure, I can help with that. ",
    "Your order {N} shipped on Jan. {D} and should arrive by 5 p.m. on Friday. ",
    "Dr. Patel will call you back at 10:30 a.m. tomorrow. ",
    "The total comes to ${N}.{D}, which includes a 2.5% fee. ",
    "Is there anything else I can help you with today? ",
    "Great! Let me check that for you. ",
    "Hmm… that account isn't showing up. Could you spell the email, e.g. john.doe@example.com? ",
    "Here are the steps:\n1. Unplug the router.\n2. Wait ten seconds.\n3. Plug it back in.\n",
    "I live in the U.S. and the office is on Main St. near the park. ",
    "Please update to version v2.{D}.{N} and open config.yaml to check the setting. ",
    "He said \"Stop.\" Then he hung up. ",
    "Wait... what did you say? ",
    "You can find the FAQ at https://example.com/help/faq.html. It covers refunds. ",
    "That's all for now.Thanks for calling! ",
    "**Note:** the store closes early on Dec. {D}. ",
    "我们明天见。谢谢！",
    "¿Necesita algo más? ¡Con gusto! ",
    "- Fast shipping\n- Easy returns\n",
    "Your balance is {N} dollars and {D} cents; the next payment is due on 1.5.2026. ",
];

/// CPU time of this thread in seconds (Linux `schedstat`), so the figure is per core even
/// when other processes share the machine; wall time elsewhere.
fn cpu_seconds() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}

struct Clock(Instant, Option<f64>);

impl Clock {
    fn start() -> Clock {
        Clock(Instant::now(), cpu_seconds())
    }
    fn seconds(&self) -> f64 {
        match (self.1, cpu_seconds()) {
            (Some(a), Some(b)) => b - a,
            _ => self.0.elapsed().as_secs_f64(),
        }
    }
}

fn corpus(target: usize) -> String {
    let mut s = String::with_capacity(target + 256);
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    while s.len() < target {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let t = TEMPLATES[(x % TEMPLATES.len() as u64) as usize];
        let t = t
            .replace("{N}", &((x >> 8) % 1000).to_string())
            .replace("{D}", &((x >> 20) % 28 + 1).to_string());
        s.push_str(&t);
        if x % 7 == 1 {
            s.push_str("\n\n");
        }
    }
    s
}

/// Timing: `BATCHES` batches of `BATCH` rounds, each batch timed as a whole. The thread CPU
/// clock of the shared build machine advances in 4 ms ticks, too coarse for one ~10 ms round
/// (single rounds could only read 62.5, 83.3 or 125 MB/s).
const BATCH: usize = 24;
const BATCHES: usize = 5;

/// Best and median MB/s over the batches of `f` (one round = `mb` megabytes).
fn rate(mb: f64, mut f: impl FnMut()) -> (f64, f64) {
    let mut v = Vec::new();
    for _ in 0..BATCHES {
        let t0 = Clock::start();
        for _ in 0..BATCH {
            f();
        }
        v.push(BATCH as f64 * mb / t0.seconds());
    }
    v.sort_by(f64::total_cmp);
    (v[v.len() - 1], v[v.len() / 2])
}

/// Delta sizes of 1 to 8 bytes covering `len` bytes (deterministic).
fn delta_sizes(len: usize) -> Vec<usize> {
    let mut sizes = Vec::new();
    let mut x: u64 = 88172645463325252;
    let mut total = 0;
    while total < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let n = 1 + (x % 8) as usize;
        sizes.push(n);
        total += n;
    }
    sizes
}

/// Streams `bytes` in deltas of `sizes` through `push_bytes_into`, the sentences landing in
/// one reused `Vec` (dropped as they come, like a consumer that forwards them), or with
/// `vec_per_call` through `push_bytes`, which returns a new `Vec` for each call that
/// releases; returns the sentence count.
#[inline(never)]
fn stream_once(bytes: &[u8], sizes: &[usize], vec_per_call: bool) -> usize {
    let mut seg = Segmenter::new(SegmenterOptions::default());
    let mut out = Vec::new();
    let mut i = 0;
    let mut count = 0;
    for &n in sizes {
        let j = (i + n).min(bytes.len());
        if vec_per_call {
            count += seg.push_bytes(&bytes[i..j]).len();
        } else {
            seg.push_bytes_into(&bytes[i..j], &mut out);
            count += out.len();
            out.clear();
        }
        i = j;
    }
    count + seg.finish().len()
}

/// `text` through `push` one character at a time; returns the sentence count.
#[inline(never)]
fn stream_chars(text: &str) -> usize {
    let mut seg = Segmenter::new(SegmenterOptions::default());
    let mut tmp = [0u8; 4];
    let mut count = 0;
    for c in text.chars() {
        count += seg.push(c.encode_utf8(&mut tmp)).len();
    }
    count + seg.finish().len()
}

#[path = "../../aybiza_bench/src/corpus.rs"]
#[allow(dead_code)]
mod call_centre;

fn main() {
    // `--corpus PATH`: another corpus, e.g. the one `bin/bench` writes (`aybiza-bench corpus`).
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str| args.iter().any(|a| a == name);
    let text = match args.iter().position(|a| a == "--corpus") {
        // `--call-centre`: the corpus `bin/bench` writes, built in place.
        None if flag("--call-centre") => call_centre::build(1_000_000),
        Some(i) => {
            let path = args.get(i + 1).expect("--corpus PATH");
            std::fs::read_to_string(path).expect("a readable UTF-8 corpus")
        }
        None => corpus(1 << 20),
    };
    let bytes = text.as_bytes();
    // The language tables are parsed once per process (a few ms): not part of a pass.
    aybiza_core::text::segmenter::warm_up();
    // MB = 10^6 bytes, as in `bin/bench` (earlier figures of this example were MiB/s).
    let mb = bytes.len() as f64 / 1e6;

    if flag("--whole-only") {
        let t0 = Clock::start();
        for _ in 0..20 {
            let mut seg = Segmenter::new(SegmenterOptions::default());
            let _ = seg.push(&text).len() + seg.finish().len();
        }
        println!("one delta: {:.1} MB/s", 20.0 * mb / t0.seconds());
        return;
    }

    // Throughput: deltas of 1 to 8 bytes (cut anywhere, through push_bytes).
    let sizes = delta_sizes(bytes.len());

    // One streaming pass only, for `valgrind --tool=callgrind
    // --toggle-collect='*stream_once*'` (instructions per byte, repeatable under load);
    // with `--whole`, the corpus in one delta; with `--chars`, one character per `push`.
    if flag("--once") {
        let n = if flag("--chars") {
            stream_chars(&text)
        } else if flag("--whole") {
            stream_once(bytes, &[bytes.len()], false)
        } else {
            stream_once(bytes, &sizes, false)
        };
        println!("{} bytes, {n} sentences", bytes.len());
        return;
    }

    // Streaming passes only, for a sampling profiler (`perf record -e cpu-clock`).
    if flag("--profile") {
        let chars = flag("--chars");
        let n: usize = (0..100)
            .map(|_| {
                if chars {
                    stream_chars(&text)
                } else {
                    stream_once(bytes, &sizes, false)
                }
            })
            .sum();
        println!("{n} sentences");
        return;
    }

    let mut sentences = 0;
    let (best, median) = rate(mb, || sentences = stream_once(bytes, &sizes, false));
    println!(
        "corpus: {mb:.2} MB, {sentences} sentences; deltas 1-8 bytes (push_bytes_into): \
         {best:.1} MB/s best, {median:.1} median ({BATCHES} batches of {BATCH} rounds, CPU \
         time of one core)"
    );
    let (best, median) = rate(mb, || sentences = stream_once(bytes, &sizes, true));
    println!(
        "deltas 1-8 bytes (push_bytes, a Vec per call): {best:.1} MB/s best, {median:.1} median"
    );

    // Calibration on the same machine: append the same deltas to a String and count the
    // periods (the least any streaming splitter must do).
    let (best, median) = rate(mb, || {
        let mut buf = String::new();
        let mut periods = 0usize;
        let mut i = 0;
        for &n in &sizes {
            let j = (i + n).min(bytes.len());
            if let Ok(s) = std::str::from_utf8(&bytes[i..j]) {
                buf.push_str(s);
            }
            periods += bytes[i..j].iter().filter(|&&b| b == b'.').count();
            if buf.len() > 4096 {
                buf.clear();
            }
            i = j;
        }
        std::hint::black_box(periods);
    });
    println!(
        "calibration (append + count periods, same deltas): {best:.1} MB/s best, {median:.1} median"
    );

    if flag("--throughput-only") {
        return;
    }

    // The whole corpus in one push (the per-character cost without per-delta overhead).
    let mut n = 0;
    let (best, median) = rate(mb, || {
        let mut seg = Segmenter::new(SegmenterOptions::default());
        n = seg.push(&text).len() + seg.finish().len();
    });
    println!("one delta: {best:.1} MB/s best, {median:.1} median ({n} sentences)");

    // Same with &str deltas of one character.
    let (best, median) = rate(mb, || {
        stream_chars(&text);
    });
    println!("deltas of 1 char (&str): {best:.1} MB/s best, {median:.1} median");

    // Lookahead: characters pushed past a sentence's last character before it is released.
    let mut seg = Segmenter::new(SegmenterOptions::default());
    let mut cursor = 0usize; // byte offset where the next sentence is searched
    let mut pushed = 0usize; // bytes pushed
    let mut lookahead = Vec::new();
    for (i, c) in text.char_indices() {
        pushed = i + c.len_utf8();
        for s in seg.push(&text[i..pushed]) {
            if let Some(p) = text[cursor..].find(s.as_str()) {
                let end = cursor + p + s.len();
                cursor = end;
                lookahead.push(text[end..pushed].chars().count());
                if std::env::var_os("SHOW_LONG").is_some() && text[end..pushed].chars().count() > 3
                {
                    println!("{:?} | {:?}", s, &text[end..pushed]);
                }
            }
        }
    }
    let _ = pushed;
    seg.finish();
    lookahead.sort_unstable();
    let n = lookahead.len().max(1);
    let pct = |q: f64| lookahead[((n - 1) as f64 * q) as usize];
    let mean = lookahead.iter().sum::<usize>() as f64 / n as f64;
    let mut hist = std::collections::BTreeMap::new();
    for &l in &lookahead {
        *hist.entry(l.min(10)).or_insert(0usize) += 1;
    }
    println!(
        "lookahead past the sentence end (chars): median {}, mean {:.2}, p90 {}, p99 {}, max {} over {} sentences",
        pct(0.5),
        mean,
        pct(0.9),
        pct(0.99),
        lookahead.last().copied().unwrap_or(0),
        lookahead.len()
    );
    println!("histogram (10 = 10+): {hist:?}");
}
