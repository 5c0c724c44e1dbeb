//! The shared state of one running instance: credentials, the configuration layers that
//! can change at run time (pacing, faults, rules), the prompt cache, the counters and the
//! rate windows.

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use super::sigv4::Auth;
use crate::config::{ApplicationProfileSpec, Faults, GuardrailSpec, Pacing, Rule};
use crate::counters::CounterStore;
use crate::rate::RateWindows;
use crate::reply::cache::PromptCache;

pub(crate) struct State {
    pub sonic: crate::config::SonicSettings,
    pub auth: Auth,
    pub verify_signatures: bool,
    pub extra_models: Vec<String>,
    pub guardrails: Vec<GuardrailSpec>,
    pub application_profiles: Vec<ApplicationProfileSpec>,
    pub pacing: Mutex<Pacing>,
    pub faults: Mutex<Faults>,
    pub rules: Mutex<Vec<Rule>>,
    pub counters: Arc<CounterStore>,
    pub cache: Mutex<PromptCache>,
    /// Windows of the `throttle_above` fault (cleared with the counters).
    pub rate: Mutex<RateWindows>,
    pub throttle_seq: AtomicU64,
    pub request_seq: AtomicU64,
    /// The shared clock of paced streams (`pacing_tick_ms` > 0); `None`: a timer per stream.
    pub ticker: Option<Arc<crate::ticker::Ticker>>,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
