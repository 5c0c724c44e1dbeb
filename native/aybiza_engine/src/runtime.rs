//! The one tokio runtime of the VM, built on first use.

use std::sync::OnceLock;
use tokio::runtime::{Builder, Runtime};

static RUNTIME: OnceLock<Runtime> = OnceLock::new();

/// The shared multi-thread runtime (threads named `aybiza-bedrock`).
pub fn runtime() -> &'static Runtime {
    RUNTIME.get_or_init(|| {
        let workers = std::thread::available_parallelism()
            .map(|n| n.get().clamp(2, 8))
            .unwrap_or(2);
        Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name("aybiza-bedrock")
            .enable_all()
            .build()
            .expect("the aybiza-bedrock tokio runtime could not start")
    })
}
