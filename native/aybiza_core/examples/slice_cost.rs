//! What one slice of a large text delta costs the engine's shard: 1 MiB pushed into a
//! segmenter in slices of 4, 8 and 32 KiB (the engine cuts a large delta in slices of
//! `aybiza_engine::state::TEXT_SLICE_BYTES` with a yield between them), per slice median,
//! p90 and max, for ordinary text and for `U.S.` repeated (the segmenter's slowest input
//! known: about 1 µs per byte). Wall time: on a loaded machine read the medians.
//!
//! `cargo run --release -p aybiza_core --example slice_cost`

use aybiza_core::text::{Segmenter, SegmenterOptions};
use std::time::{Duration, Instant};

fn main() {
    let mb = 1 << 20;
    let us: String = "U.S.".repeat(mb / 4);
    let mut plain = String::new();
    let mut i = 0;
    while plain.len() + 100 < mb {
        plain.push_str(&format!("Order **A-{i}** ships on Monday at 10:{:02} a.m., via UPS. - Item {i}: the blue shirt, size M.\n", i % 60));
        i += 1;
    }
    // `slice_cost TEXT OPTIONS SLICE` (e.g. `plain voice 8192`) runs one case only (for
    // `valgrind --tool=callgrind`: the instructions of the whole text over its slices).
    let args: Vec<String> = std::env::args().skip(1).collect();
    let keep = |t: &str, o: &str, n: usize| {
        args.len() < 3 || (args[0] == t && args[1] == o && args[2] == n.to_string())
    };
    for slice in [4096usize, 8192, 32768] {
        for (tn, text) in [("U.S.", &us), ("plain", &plain)] {
            for (on, o) in [
                ("default", SegmenterOptions::default()),
                ("voice", SegmenterOptions::voice()),
            ] {
                if !keep(tn, on, slice) {
                    continue;
                }
                let mut s = Segmenter::new(o.clone());
                let mut times: Vec<Duration> = Vec::new();
                let t = Instant::now();
                let mut at = 0;
                while at < text.len() {
                    let end = (at + slice).min(text.len());
                    let t1 = Instant::now();
                    s.push(&text[at..end]);
                    times.push(t1.elapsed());
                    at = end;
                }
                s.finish();
                let total = t.elapsed();
                times.sort();
                let med = times[times.len() / 2];
                let p90 = times[times.len() * 9 / 10];
                println!("slice {slice} {tn} {on}: total {total:?}, per slice median {med:?} p90 {p90:?} max {:?} ({} slices)", times.last().unwrap(), times.len());
            }
        }
    }
}
