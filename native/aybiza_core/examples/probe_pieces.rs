//! Probe: one `push_bytes` + `finish` of a piece repeated to 16 KiB (the normal-scheduler
//! byte bound), for instruction counts under callgrind:
//! `valgrind --tool=callgrind --toggle-collect='*probe_push*' probe_pieces PIECE [voice|sentence [KIB]]`.
use aybiza_core::text::{Segmenter, SegmenterOptions, SpeechOptions};

#[inline(never)]
fn probe_push(s: &mut Segmenter, text: &[u8]) -> usize {
    let mut n = s.push_bytes(text).len();
    n += s.finish().len();
    n
}

fn main() {
    let mut args = std::env::args().skip(1);
    let piece = args
        .next()
        .unwrap_or_else(|| "ab! ".into())
        .replace("\\n", "\n");
    let opts = if args.next().as_deref() == Some("voice") {
        SegmenterOptions {
            max_chars: 250,
            first_chunk_min_chars: Some(20),
            speech: Some(SpeechOptions::default()),
            ..SegmenterOptions::default()
        }
    } else {
        SegmenterOptions::default()
    };
    let kib: usize = args.next().and_then(|k| k.parse().ok()).unwrap_or(16);
    let text: Vec<u8> = piece.bytes().cycle().take(kib * 1024).collect();
    aybiza_core::text::segmenter::warm_up();
    // `PROBE_DEFERRED=1`: the text goes in as deltas of the piece first (each may be appended
    // unscanned), and only a final line break (then `finish`) is measured: the cost a
    // normal-scheduler call pays when deferred text is scanned at once.
    if std::env::var("PROBE_DEFERRED").is_ok_and(|v| v == "1") {
        let (mut best, mut n, mut held) = (u128::MAX, 0, 0);
        for _ in 0..20 {
            let mut s = Segmenter::new(opts.clone());
            for chunk in text.chunks(piece.len()) {
                s.push_bytes(chunk);
            }
            held = s.pending_len();
            let t = std::time::Instant::now();
            n = probe_push(&mut s, b"\n");
            best = best.min(t.elapsed().as_micros());
        }
        println!("{piece:?} deferred ({held} bytes held): {n} pieces, {best} us");
        return;
    }
    // Wall time too (min of 20 runs; a loaded machine inflates it).
    let mut best = u128::MAX;
    let mut n = 0;
    for _ in 0..20 {
        let mut s = Segmenter::new(opts.clone());
        let t = std::time::Instant::now();
        n = probe_push(&mut s, &text);
        best = best.min(t.elapsed().as_micros());
    }
    println!("{piece:?}: {n} pieces, {best} us");
}
