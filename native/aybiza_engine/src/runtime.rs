//! The one tokio runtime of the VM, built on first use.

use std::sync::OnceLock;
use tokio::runtime::{Builder, Runtime};

static RUNTIME: OnceLock<Runtime> = OnceLock::new();

/// Environment variable that sets the runtime's worker threads (1..=64), read once when the
/// runtime starts; unset or invalid: the CPU count, clamped to 2..=8. For tuning the
/// latency tail where BEAM schedulers, these workers and other processes share few cores.
pub const WORKERS_ENV: &str = "AYBIZA_BEDROCK_WORKERS";

/// The worker count for `configured` (the environment variable's value) on `cpus` CPUs.
fn worker_count(configured: Option<&str>, cpus: Option<usize>) -> usize {
    match configured.and_then(|v| v.trim().parse::<usize>().ok()) {
        Some(n) if (1..=64).contains(&n) => n,
        _ => cpus.map(|n| n.clamp(2, 8)).unwrap_or(2),
    }
}

/// The shared multi-thread runtime (threads named `aybiza-bedrock`).
pub fn runtime() -> &'static Runtime {
    RUNTIME.get_or_init(|| {
        let cpus = std::thread::available_parallelism().ok().map(|n| n.get());
        let workers = worker_count(std::env::var(WORKERS_ENV).ok().as_deref(), cpus);
        Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name("aybiza-bedrock")
            .enable_all()
            .build()
            .expect("the aybiza-bedrock tokio runtime could not start")
    })
}

#[cfg(test)]
mod tests {
    use super::worker_count;

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
}
