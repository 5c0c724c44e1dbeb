//! Heap bytes one stream's state holds for its answer: a counting allocator around the
//! system one, a `StreamState` fed a ~10 KB answer as a model streams it (4-character deltas,
//! one per read), measured before `take_summary` (the most the state holds) against the
//! bytes live before the first delta. No network, no timing: the counts are exact.
//!
//! `cargo run -p aybiza_engine --example stream_memory` (debug or release: same counts).
//! The NIF's sink is not in it (its own copy of the text, removed with this count's change,
//! is counted in BENCHMARKS.md "A large delta" by its size).

use aybiza_core::text::{Segmenter, SegmenterOptions};
use aybiza_engine::state::StreamState;
use aybiza_engine::{Event, EventSink, ReceiverGone, Summary};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator, only counting.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Drops every event (a receiver that took it): only the state's own bytes stay.
struct Drop_;

impl EventSink for Drop_ {
    fn send(&mut self, _event: Event) -> Result<(), ReceiverGone> {
        Ok(())
    }
}

fn answer(bytes: usize) -> String {
    let mut s = String::new();
    let mut i = 0;
    while s.len() < bytes {
        s.push_str(&format!(
            "Your order {i} left the depot at 10:{:02} a.m. and arrives on Monday. ",
            i % 60
        ));
        i += 1;
    }
    s.truncate(bytes);
    s
}

/// Streams `text` through a new state; returns the bytes it holds at the end of the answer
/// and the allocations it made.
fn measure(text: &str, options: SegmenterOptions) -> (usize, usize) {
    let mut state = StreamState::new(
        Box::new(Drop_),
        Some(Box::new(Segmenter::new(options))),
        Instant::now(),
        Summary::default(),
    );
    state.message_start().unwrap();
    let chars: Vec<char> = text.chars().collect();
    let deltas: Vec<String> = chars.chunks(4).map(|p| p.iter().collect()).collect();
    let (base, base_allocs) = (LIVE.load(Ordering::Relaxed), ALLOCS.load(Ordering::Relaxed));
    for delta in &deltas {
        state.text_delta(0, delta).unwrap();
        // One delta per read: its text goes out before the next.
        state.flush_text().unwrap();
    }
    state.block_stop(0).unwrap();
    let held = LIVE.load(Ordering::Relaxed) - base;
    let allocs = ALLOCS.load(Ordering::Relaxed) - base_allocs;
    let summary = state.take_summary();
    assert_eq!(summary.text, text);
    (held, allocs)
}

fn main() {
    let text = answer(10_000);
    // The segmenter's and speech normalization's tables are built on first use: not the
    // stream's.
    measure(&text, SegmenterOptions::voice());
    measure(&text, SegmenterOptions::default());
    for (name, options) in [
        ("sentences", SegmenterOptions::default()),
        ("voice", SegmenterOptions::voice()),
    ] {
        let (held, allocs) = measure(&text, options);
        println!(
            "{name}: answer {} bytes, state holds {held} bytes at the end ({:.2} per byte \
             of answer), {allocs} allocations or reallocations for {} deltas",
            text.len(),
            held as f64 / text.len() as f64,
            text.chars().count().div_ceil(4)
        );
    }
}
