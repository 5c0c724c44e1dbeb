//! Native throughput of `aybiza_core::text::Segmenter` on the corpus: the whole text in one
//! push, and deltas of 1 to 8 bytes cut anywhere (inside UTF-8 characters too, through
//! `push_bytes`, as the NIF does). The cut sizes come from the same xorshift as
//! `bench/segmenter.exs`, so both sides see identical deltas.

use crate::row;
use aybiza_core::text::{Segmenter, SegmenterOptions};
use std::time::Instant;

/// Delta sizes 1..=8 bytes covering `len` bytes (xorshift64, seed shared with Elixir).
pub fn cuts(len: usize) -> Vec<usize> {
    let mut x: u64 = 88_172_645_463_325_252;
    let mut sizes = Vec::new();
    let mut total = 0;
    while total < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let n = (1 + (x % 8) as usize).min(len - total);
        sizes.push(n);
        total += n;
    }
    sizes
}

/// Runs `f` for at least `min_secs` (and at least 3 rounds); returns (rounds, seconds, result
/// of the last round).
fn timed<T>(min_secs: f64, mut f: impl FnMut() -> T) -> (usize, f64, T) {
    let start = Instant::now();
    let mut rounds = 0;
    loop {
        let out = std::hint::black_box(f());
        rounds += 1;
        let secs = start.elapsed().as_secs_f64();
        if rounds >= 3 && secs >= min_secs {
            return (rounds, secs, out);
        }
    }
}

/// Streams `text` in deltas of `sizes` through `push_bytes` or `push_bytes_into`; returns
/// the sentence count.
fn stream(text: &[u8], sizes: &[usize], into: bool) -> usize {
    let mut s = Segmenter::new(SegmenterOptions::default());
    let mut out = Vec::new();
    let mut n = 0;
    let mut at = 0;
    for &k in sizes {
        let delta = &text[at..at + k];
        if into {
            s.push_bytes_into(delta, &mut out);
            n += out.len();
            out.clear();
        } else {
            n += s.push_bytes(delta).len();
        }
        at += k;
    }
    n + s.finish().len()
}

pub fn run(path: &str, min_secs: f64) -> Result<(), String> {
    let text = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    let mb = text.len() as f64 / 1_000_000.0;
    let note = format!("{} KB corpus", text.len() / 1000);

    let (rounds, secs, whole) = timed(min_secs, || {
        let mut s = Segmenter::new(SegmenterOptions::default());
        let mut out = s.push_bytes(&text);
        out.extend(s.finish());
        out.len()
    });
    row(
        "segmenter",
        "rust_native_whole",
        mb * rounds as f64 / secs,
        "MB/s",
        &note,
    );

    let sizes = cuts(text.len());
    let mut counts = Vec::new();
    // `push_bytes` (a new `Vec` per releasing call), then `push_bytes_into` with one reused
    // `Vec` as a caller that keeps it could.
    for (name, into) in [
        ("rust_native_deltas", false),
        ("rust_native_deltas_into", true),
    ] {
        let (rounds, secs, count) = timed(min_secs, || stream(&text, &sizes, into));
        row(
            "segmenter",
            name,
            mb * rounds as f64 / secs,
            "MB/s",
            &format!("{note}, {} deltas of 1-8 bytes", sizes.len()),
        );
        counts.push(count);
    }
    let streamed = counts[0];
    if counts[1] != streamed {
        return Err(format!(
            "push_bytes gave {streamed} sentences, push_bytes_into {}",
            counts[1]
        ));
    }
    // Same sentences either way (the segmenter's contract), checked so a broken run is loud.
    if whole != streamed {
        return Err(format!(
            "whole text gave {whole} sentences, deltas {streamed}"
        ));
    }
    row("segmenter", "sentences_in_corpus", whole as f64, "", &note);
    Ok(())
}
