//! The engine's tokio threads: N shards, each a single-threaded (`current_thread`) runtime
//! driven by a thread of its own (thread per core) named `aybiza-shard-<i>` (15 bytes at
//! most for 64 shards: Linux cuts thread names there), built on first use.
//!
//! Why not one multi-thread runtime: on a 2-core machine its two workers cost about twice
//! the CPU per delta of one (BENCHMARKS.md, "Shards"): a read noticed by the IO driver on one
//! worker wakes the other, parked worker to steal the woken task, and a call's stream task
//! and the hyper task of its connection ping-pong between the workers, a futex wake and a
//! context switch each time. One worker avoids that but puts every stream on one thread,
//! which at 1,000 paced streams makes the tail 5-10x longer. A shard keeps a call's tasks on
//! one thread (the call, the connection task hyper spawns for it, its timers, its IO
//! readiness), and the shards together use every core. Each call is placed once, on the
//! shard with the fewest live tasks (ties in turn); it never moves.
//!
//! Connection pools are per shard (`clients::connector_for`), so a connection's hyper task
//! runs on the shard of the calls that use it. The trade-off: a shard's tasks never move, so
//! while its thread waits for a core (a machine with more runnable threads than cores) or
//! runs one long poll, its streams wait, where a work-stealing worker could have taken them
//! over. `AYBIZA_BEDROCK_RUNTIME=multi_thread` brings back the multi-thread runtime.

use std::cell::Cell;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use tokio::runtime::{Builder, Runtime};
use tokio::task::{JoinError, JoinHandle};

/// Environment variable that sets the number of shards (engine threads, 1..=64), read once
/// when the engine starts; unset or invalid: the CPU count, clamped to 2..=8. One shard puts
/// every call on one thread (least CPU per delta; a longer tail with many streams); more
/// shards than cores only add threads competing with the BEAM schedulers.
pub const WORKERS_ENV: &str = "AYBIZA_BEDROCK_WORKERS";

/// Environment variable that picks the threading, read once when the engine starts:
/// `multi_thread` runs every call on one multi-thread runtime of `AYBIZA_BEDROCK_WORKERS`
/// work-stealing workers (`aybiza-worker`) with one connection pool per configuration (the
/// threading before the shards, for comparison on a given machine: more CPU per delta, but
/// a stream whose thread is waiting for a core can be taken over by another worker); unset
/// or anything else: the shards.
pub const RUNTIME_ENV: &str = "AYBIZA_BEDROCK_RUNTIME";

/// Whether `configured` (the environment variable's value) asks for the multi-thread runtime.
fn multi_thread(configured: Option<&str>) -> bool {
    configured.is_some_and(|v| v.trim() == "multi_thread")
}

/// The shard count for `configured` (the environment variable's value) on `cpus` CPUs.
fn worker_count(configured: Option<&str>, cpus: Option<usize>) -> usize {
    match configured.and_then(|v| v.trim().parse::<usize>().ok()) {
        Some(n) if (1..=64).contains(&n) => n,
        _ => cpus.map(|n| n.clamp(2, 8)).unwrap_or(2),
    }
}

struct Shard {
    runtime: Runtime,
    /// Tasks placed here by `spawn` that have not ended yet.
    live: AtomicUsize,
}

static SHARDS: OnceLock<&'static [Shard]> = OnceLock::new();
/// Where the next tie-break starts, so equal shards take turns.
static NEXT: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// The shard whose thread this is (`None` on every other thread).
    static CURRENT: Cell<Option<usize>> = const { Cell::new(None) };
}

/// Stack of each shard thread (and each multi-thread worker). The threads' deepest work is
/// bounded (JSON nesting limits, no unbounded recursion), but an unoptimized build's frames
/// of the SDK's send future and serde's bounded recursion reached Rust's default 2 MiB on a
/// hostile deeply nested event (probe_hostile_stream's deep-JSON test overflowed a debug
/// build's shard); a stack overflow aborts the whole VM, so the margin is 4x. Virtual memory:
/// pages are committed only when touched. Measured high-water at the deepest hostile JSON
/// (probe_hostile_stream `the_deepest_hostile_json_stays_far_from_the_shard_stack`): debug
/// 2.2 MiB, release 396 KiB.
const SHARD_STACK_BYTES: usize = 8 * 1024 * 1024;

fn shards() -> &'static [Shard] {
    SHARDS.get_or_init(|| {
        let cpus = std::thread::available_parallelism().ok().map(|n| n.get());
        let n = worker_count(std::env::var(WORKERS_ENV).ok().as_deref(), cpus);
        if multi_thread(std::env::var(RUNTIME_ENV).ok().as_deref()) {
            // One "shard" whose threads are not shards' (`current_shard` is `None` on them,
            // so clients and pools are shared by all workers).
            let runtime = Builder::new_multi_thread()
                .worker_threads(n)
                .thread_name("aybiza-worker")
                .thread_stack_size(SHARD_STACK_BYTES)
                .enable_all()
                .build()
                .expect("the aybiza-bedrock tokio runtime could not start");
            let live = AtomicUsize::new(0);
            return &*Box::leak(Box::new([Shard { runtime, live }]));
        }
        let shards: &'static [Shard] = Box::leak(
            (0..n)
                .map(|_| Shard {
                    runtime: Builder::new_current_thread()
                        .thread_name("aybiza-blocking")
                        .thread_stack_size(SHARD_STACK_BYTES)
                        .enable_all()
                        .build()
                        .expect("an aybiza-bedrock tokio runtime could not start"),
                    live: AtomicUsize::new(0),
                })
                .collect::<Vec<_>>()
                .into_boxed_slice(),
        );
        let (ready, running) = std::sync::mpsc::channel();
        for (i, shard) in shards.iter().enumerate() {
            let ready = ready.clone();
            std::thread::Builder::new()
                .name(format!("aybiza-shard-{i}"))
                .stack_size(SHARD_STACK_BYTES)
                .spawn(move || {
                    CURRENT.with(|c| c.set(Some(i)));
                    // The thread owns the runtime's core for good: it runs the shard's
                    // tasks and polls its IO driver and timers.
                    shard.runtime.block_on(async move {
                        let _ = ready.send(());
                        std::future::pending::<()>().await
                    })
                })
                .expect("an aybiza-bedrock thread could not start");
        }
        // Until its thread holds the core, a `block_on` from another thread would take it
        // and run the shard's tasks there.
        for _ in shards {
            running
                .recv()
                .expect("an aybiza-bedrock thread stopped while starting");
        }
        shards
    })
}

/// Starts the shards if they are not running yet (the VM's first call does it on a dirty
/// scheduler).
pub fn start() {
    shards();
}

/// The number of shards (1 with `AYBIZA_BEDROCK_RUNTIME=multi_thread`).
pub fn shard_count() -> usize {
    shards().len()
}

/// The engine's threads that run tasks: the shards, or the multi-thread runtime's workers.
pub fn threads() -> usize {
    shards()
        .iter()
        .map(|s| s.runtime.metrics().num_workers())
        .sum()
}

/// The shard whose thread the caller runs on, `None` off the shards' threads.
pub fn current_shard() -> Option<usize> {
    CURRENT.with(Cell::get)
}

/// Live tasks placed on each shard by `spawn` (for tests and diagnostics).
pub fn shard_loads() -> Vec<usize> {
    shards()
        .iter()
        .map(|s| s.live.load(Ordering::Relaxed))
        .collect()
}

/// Shard 0's runtime, for code that needs a `Runtime`: `block_on` from any thread other than
/// a shard's waits for its future there (tasks it spawns run on shard 0). Calls and sessions
/// are placed with `spawn` instead.
pub fn runtime() -> &'static Runtime {
    &shards()[0].runtime
}

/// The least-loaded of `n` places (`load(i)` each); among equals the first at or after
/// `start` (wrapping).
fn pick(n: usize, start: usize, load: impl Fn(usize) -> usize) -> usize {
    (0..n)
        .map(|k| (start + k) % n)
        .min_by_key(|&i| load(i))
        .unwrap_or(0)
}

/// Runs `task` on the shard with the fewest live tasks, where it stays: what it spawns
/// (hyper's connection tasks included) runs there too.
pub fn spawn<F>(task: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let shards = shards();
    let start = NEXT.fetch_add(1, Ordering::Relaxed) % shards.len();
    let least = pick(shards.len(), start, |i| {
        shards[i].live.load(Ordering::Relaxed)
    });
    spawn_on(least, task)
}

/// Runs `task` on shard `index` (modulo the shard count), counted as live there until it
/// ends or is dropped.
pub fn spawn_on<F>(index: usize, task: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let shard = &shards()[index % shards().len()];
    let live = Live::new(&shard.live);
    shard.runtime.spawn(async move {
        let _live = live;
        task.await
    })
}

/// Runs `make()` on every shard and waits for all of them, in shard order (e.g. opening a
/// connection in each shard's pool).
pub async fn on_every_shard<F, Fut>(make: F) -> Vec<Result<Fut::Output, JoinError>>
where
    F: Fn() -> Fut,
    Fut: Future + Send + 'static,
    Fut::Output: Send + 'static,
{
    let handles: Vec<_> = (0..shard_count()).map(|i| spawn_on(i, make())).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await);
    }
    out
}

/// One live task on a shard, from spawn until its future is dropped.
struct Live(&'static AtomicUsize);

impl Live {
    fn new(count: &'static AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::Relaxed);
        Live(count)
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::{Duration, Instant};
    use tokio::sync::Semaphore;

    /// `pick` over a slice of loads.
    fn pick_of(loads: &[usize], start: usize) -> usize {
        pick(loads.len(), start, |i| loads[i])
    }

    #[test]
    fn workers_come_from_the_environment_within_bounds_else_from_the_cpus() {
        assert_eq!(worker_count(None, Some(2)), 2);
        assert_eq!(worker_count(None, Some(1)), 2);
        assert_eq!(worker_count(None, Some(32)), 8);
        assert_eq!(worker_count(None, None), 2);
        assert_eq!(worker_count(Some("1"), Some(2)), 1);
        assert_eq!(worker_count(Some(" 3 "), Some(2)), 3);
        for bad in ["0", "65", "-1", "two", ""] {
            assert_eq!(worker_count(Some(bad), Some(4)), 4, "{bad:?}");
        }
    }

    #[test]
    fn only_multi_thread_selects_the_multi_thread_runtime() {
        assert!(multi_thread(Some("multi_thread")));
        assert!(multi_thread(Some(" multi_thread\n")));
        for other in [
            None,
            Some("shards"),
            Some(""),
            Some("multi"),
            Some("MULTI_THREAD"),
        ] {
            assert!(!multi_thread(other), "{other:?}");
        }
    }

    #[test]
    fn pick_takes_the_least_loaded_and_rotates_among_equals() {
        assert_eq!(pick_of(&[3, 1, 2], 0), 1);
        assert_eq!(pick_of(&[3, 1, 2], 2), 1);
        assert_eq!(pick_of(&[0, 0, 0], 0), 0);
        assert_eq!(pick_of(&[0, 0, 0], 1), 1);
        assert_eq!(pick_of(&[0, 0, 0], 2), 2);
        assert_eq!(pick_of(&[1, 0, 0], 0), 1);
        assert_eq!(pick_of(&[0, 1, 0], 1), 2);
        assert_eq!(pick_of(&[5], 3), 0);
        // Placing one at a time on the pick spreads a burst evenly.
        let mut loads = vec![0usize; 3];
        for k in 0..9 {
            let i = pick_of(&loads, k);
            loads[i] += 1;
        }
        assert_eq!(loads, vec![3, 3, 3]);
    }

    /// Waits (bounded) until `cond` holds.
    fn eventually(cond: impl Fn() -> bool) -> bool {
        let until = Instant::now() + Duration::from_secs(10);
        while Instant::now() < until {
            if cond() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        cond()
    }

    // One test for everything that looks at the global loads, so parallel tests of this
    // module do not see each other's tasks.
    #[test]
    fn calls_spread_over_the_shards_stay_on_theirs_and_leave_the_counts_when_done() {
        let n = shard_count();
        assert!(n >= 2, "the default is at least two shards");
        assert_eq!(current_shard(), None);
        let base: usize = shard_loads().iter().sum();

        // 4n tasks that stay alive until released: each shard takes 4.
        // Not a `Notify`: `notify_waiters` misses a task that has not reached its wait yet.
        let release = Arc::new(Semaphore::new(0));
        let (tx, rx) = std::sync::mpsc::channel();
        let mut handles = Vec::new();
        for _ in 0..4 * n {
            let release = release.clone();
            let tx = tx.clone();
            handles.push(spawn(async move {
                let first = current_shard().expect("a task runs on a shard thread");
                let name = std::thread::current().name().map(str::to_string);
                // A task spawned from it, and the task itself after an await, stay on the
                // same shard (thread per core: no stealing).
                let child = tokio::spawn(async { current_shard() }).await.unwrap();
                let _ = tx.send(());
                let _ = release.acquire().await.expect("never closed");
                (first, child, current_shard(), name)
            }));
        }
        for _ in 0..4 * n {
            rx.recv_timeout(Duration::from_secs(10)).unwrap();
        }
        if base == 0 {
            assert_eq!(shard_loads(), vec![4; n]);
        }
        assert!(eventually(|| shard_loads().iter().sum::<usize>() >= 4 * n));

        release.add_permits(4 * n);
        let mut per_shard = vec![0usize; n];
        for h in handles {
            let (first, child, after, name) = runtime().block_on(h).unwrap();
            assert_eq!(Some(first), child);
            assert_eq!(Some(first), after);
            assert_eq!(name, Some(format!("aybiza-shard-{first}")));
            per_shard[first] += 1;
        }
        if base == 0 {
            assert_eq!(per_shard, vec![4; n]);
        }
        // A task's count is released when it ends.
        assert!(eventually(|| shard_loads().iter().sum::<usize>() <= base));

        // A dropped (aborted) task leaves the count too.
        let h = spawn_on(1, std::future::pending::<()>());
        assert!(eventually(|| shard_loads()[1] >= 1));
        h.abort();
        assert!(runtime().block_on(h).unwrap_err().is_cancelled());
        assert!(eventually(|| shard_loads().iter().sum::<usize>() <= base));
    }

    #[test]
    fn every_shard_runs_the_task_and_block_on_works_from_another_thread() {
        let seen = runtime().block_on(on_every_shard(|| async { current_shard() }));
        let seen: Vec<_> = seen.into_iter().map(Result::unwrap).collect();
        let expected: Vec<_> = (0..shard_count()).map(Some).collect();
        assert_eq!(seen, expected);
        // Timers and spawns inside block_on from a non-shard thread go to shard 0.
        let on = runtime().block_on(async {
            tokio::time::sleep(Duration::from_millis(1)).await;
            tokio::spawn(async { current_shard() }).await.unwrap()
        });
        assert_eq!(on, Some(0));
    }
}
