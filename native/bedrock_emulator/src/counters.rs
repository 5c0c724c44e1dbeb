//! Per-route, per-outcome request counters that tests read back.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;

/// Outcome labels.
pub mod outcome {
    pub const OK: &str = "ok";
    pub const VALIDATION_ERROR: &str = "validation_error";
    pub const AUTH_ERROR: &str = "auth_error";
    pub const THROTTLED: &str = "throttled";
    pub const ERROR: &str = "error";
    pub const EXCEPTION: &str = "exception";
    pub const RESET: &str = "reset";
    pub const STALL: &str = "stall";
    pub const CORRUPT: &str = "corrupt";
    pub const TRUNCATED: &str = "truncated";
    pub const NOT_FOUND: &str = "not_found";
    pub const CLIENT_CLOSED: &str = "client_closed";
}

/// A snapshot of the counters. Serializes flat:
/// `{"converse-stream": {"ok": 3, "throttled": 1}, "total_requests": 4, "open_streams": 0}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counters {
    /// route (`converse`, `converse-stream`, `invoke`, `invoke-with-response-stream`,
    /// `invoke-with-bidirectional-stream`, `count-tokens`, `messages`, `messages-stream` (bedrock-runtime Messages API),
    /// `mantle-messages`, `mantle-messages-stream`, `mantle-count-tokens`, `apply-guardrail`,
    /// `async-invoke`, the control plane's `list-foundation-models`, `get-foundation-model`,
    /// `list-inference-profiles`, `get-inference-profile`, `get-foundation-model-availability`,
    /// `unknown`)
    /// -> outcome -> count.
    #[serde(flatten)]
    pub routes: BTreeMap<String, BTreeMap<String, u64>>,
    pub total_requests: u64,
    pub open_streams: u64,
}

impl Counters {
    /// Count for one route and outcome (0 when never seen).
    pub fn get(&self, route: &str, outcome: &str) -> u64 {
        self.routes
            .get(route)
            .and_then(|m| m.get(outcome))
            .copied()
            .unwrap_or(0)
    }

    /// Sum over all outcomes of a route.
    pub fn route_total(&self, route: &str) -> u64 {
        self.routes.get(route).map_or(0, |m| m.values().sum())
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

#[derive(Debug, Default)]
pub(crate) struct CounterStore {
    routes: Mutex<BTreeMap<String, BTreeMap<String, u64>>>,
    total: AtomicU64,
    open: AtomicI64,
}

impl CounterStore {
    pub fn request(&self) {
        self.total.fetch_add(1, Ordering::Relaxed);
    }

    pub fn record(&self, route: &str, outcome: &str) {
        let mut routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
        *routes
            .entry(route.to_string())
            .or_default()
            .entry(outcome.to_string())
            .or_default() += 1;
    }

    pub fn open_stream(self: &Arc<Self>) -> OpenStreamGuard {
        self.open.fetch_add(1, Ordering::Relaxed);
        OpenStreamGuard(Arc::clone(self))
    }

    pub fn reset(&self) {
        self.routes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        self.total.store(0, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> Counters {
        Counters {
            routes: self
                .routes
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
            total_requests: self.total.load(Ordering::Relaxed),
            open_streams: self.open.load(Ordering::Relaxed).max(0) as u64,
        }
    }
}

/// Decrements the open-stream gauge when the stream ends, however it ends.
pub(crate) struct OpenStreamGuard(Arc<CounterStore>);

impl Drop for OpenStreamGuard {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
    }
}
