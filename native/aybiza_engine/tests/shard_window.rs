//! The shard window (`AYBIZA_BEDROCK_SHARD_WINDOW_US`): a shard that runs out of work polls
//! its sockets and timers again only once the window since it was last woken is over, and a
//! shard idle for longer than the window serves the next event at once. Set before the
//! runtime starts: this file is its own process.
//!
//! Only bounds that load cannot break are asserted: the window makes a loop of short timers
//! at least that slow; the idle shard's prompt start is checked as "at least once in three
//! tries well under the window".

use std::sync::Once;
use std::time::{Duration, Instant};

use aybiza_engine::runtime;

const WINDOW_MS: u64 = 50;

fn with_window() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        std::env::set_var(runtime::WINDOW_ENV, (WINDOW_MS * 1_000).to_string());
        std::env::set_var(runtime::WORKERS_ENV, "2");
    });
    assert_eq!(
        runtime::shard_window(),
        Duration::from_millis(WINDOW_MS),
        "the shards run with the configured window"
    );
}

// One test (the shard's last wake-up is shared state): first the idle shard, then the loop.
#[test]
fn a_shard_polls_at_most_once_per_window_and_an_idle_one_answers_at_once() {
    with_window();
    let window = Duration::from_millis(WINDOW_MS);

    // An idle shard (nothing ran on it for more than the window) starts a new task without
    // waiting for the window.
    let mut prompt = 0;
    for _ in 0..3 {
        std::thread::sleep(3 * window);
        let sent = Instant::now();
        let started = runtime::runtime()
            .block_on(runtime::spawn_on(1, async { Instant::now() }))
            .unwrap();
        if started.duration_since(sent) < window / 2 {
            prompt += 1;
        }
    }
    assert!(prompt >= 1, "an idle shard waited for the window each time");

    // Five 1 ms timers in a row: each expiry is noticed only at the shard's next poll, one
    // window after the wake-up that armed it.
    let took = runtime::runtime()
        .block_on(runtime::spawn_on(1, async {
            let t = Instant::now();
            for _ in 0..5 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            t.elapsed()
        }))
        .unwrap();
    assert!(
        took >= 4 * window,
        "five short timers took {took:?}, less than four windows of {window:?}"
    );
}
