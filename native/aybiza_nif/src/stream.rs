//! NIFs of the streaming engine: start a call whose events are sent to a BEAM process,
//! cancel it, count live calls. Every NIF here only decodes, spawns and returns.

use crate::atoms;
use crate::encode::{error_term, event_term, span_outcome_term};
use crate::term_value::{term_to_value, term_to_value_with};
use crate::text::segmenter_options_from;
use aybiza_core::error::{Delivered, Error, ErrorKind, Phase};
use aybiza_core::limits::Limits;
use aybiza_core::text::{Segmenter, SegmenterOptions};
use aybiza_engine::config::ClientConfig;
use aybiza_engine::trace::{mark, Point, Trace};
use aybiza_engine::{CallHandle, CallOptions, Event, EventSink, Operation, ReceiverGone, Summary};
use rustler::{
    Atom, Encoder, Env, LocalPid, Monitor, NifResult, OwnedEnv, Resource, ResourceArc, Term,
};
use serde_json::Value;
use std::sync::{Arc, Mutex, MutexGuard};

/// What the receiver was sent, shared by the handle (which cancels) and the sink (which
/// sends). The sink sends while holding the lock and cancel sets `cancelled` under it, so
/// once `cancel/1` returns no event can be sent any more except the one terminal.
#[derive(Default)]
struct Gate {
    state: Mutex<GateState>,
}

#[derive(Default)]
struct GateState {
    cancelled: bool,
    terminal_sent: bool,
    events_sent: u64,
    /// What reached the receiver (what a cancelled call delivered): the text by its size
    /// only. Text messages go out in order and the call's summary has the whole text, so
    /// the delivered text is the first `delivered_bytes` of the summary's (no copy kept here).
    delivered_bytes: usize,
    delivered_chars: u64,
    delivered_sentences: u64,
    /// A send to the receiver failed (it is gone); seen by the sink's next `send`.
    receiver_gone: bool,
}

impl GateState {
    /// What reached the receiver, the text taken from the terminal's `summary`.
    fn delivered(&self, summary: Option<&Summary>) -> Delivered {
        let text = summary
            .and_then(|s| s.text.get(..self.delivered_bytes))
            .unwrap_or_default();
        Delivered {
            chars: self.delivered_chars,
            sentences: self.delivered_sentences,
            text: text.to_string(),
        }
    }
}

impl Gate {
    fn lock(&self) -> MutexGuard<'_, GateState> {
        // A poisoned lock still holds consistent flags; never panic here.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The handle of a running call, returned to Elixir as the `ref` of its messages.
pub struct CallResource {
    handle: Mutex<Option<CallHandle>>,
    gate: Arc<Gate>,
}

impl CallResource {
    fn cancel(&self) {
        // Never panic here: rustler does not guard `down` or `Drop`. Taking the gate waits
        // for a send in flight; after it no event but the terminal goes out.
        self.gate.lock().cancelled = true;
        if let Ok(guard) = self.handle.lock() {
            if let Some(h) = guard.as_ref() {
                h.cancel();
            }
        }
    }
}

#[rustler::resource_impl]
impl Resource for CallResource {
    const IMPLEMENTS_DOWN: bool = true;

    fn down<'a>(&'a self, _env: Env<'a>, _pid: LocalPid, _monitor: Monitor) {
        // The receiver exited: nobody can hear the rest.
        self.cancel();
    }
}

impl Drop for CallResource {
    fn drop(&mut self) {
        self.cancel();
    }
}

/// Sends events as `{:aybiza_bedrock, ref, event}` to one process.
struct BeamSink {
    pid: LocalPid,
    msg_env: OwnedEnv,
    /// The call's handle, the message tag: made into a term in `msg_env` for each message
    /// (`enif_make_resource`), cheaper than copying a saved term over from an env of its own
    /// (`enif_make_copy`) on every delta. It keeps the resource alive exactly as long as a
    /// saved copy would: until the sink is dropped.
    tag: ResourceArc<CallResource>,
    gate: Arc<Gate>,
    /// The telemetry observer (`Aybiza.Bedrock.StreamSpan`), told once how the call ended.
    observer: Option<LocalPid>,
    /// The observer was told (exactly once: here, or in `Drop` when no terminal went out).
    observed: bool,
    /// A send was attempted: the call was spawned, so `Drop` runs on the engine's thread.
    attempted: bool,
    /// A send to the receiver failed: it is gone.
    receiver_gone: bool,
}

impl BeamSink {
    /// Sends `{:aybiza_bedrock_span, ref, outcome}` to the observer, once. A dead observer is
    /// ignored: the call does not depend on it.
    fn observe(&mut self, outcome: impl for<'a> Fn(Env<'a>) -> Option<Term<'a>>) {
        let Some(pid) = self.observer else { return };
        if self.observed {
            return;
        }
        self.observed = true;
        let tag = &self.tag;
        let _ = self.msg_env.send_and_clear(&pid, |env| {
            let tag = tag.encode(env);
            let outcome = outcome(env).unwrap_or_else(|| atoms::nil().encode(env));
            (atoms::aybiza_bedrock_span(), tag, outcome).encode(env)
        });
    }
}

impl Drop for BeamSink {
    fn drop(&mut self) {
        // The task ended without a terminal (its receiver was gone, or the task was dropped):
        // the span still closes. Never on a BEAM thread: a sink that never sent was dropped
        // by a start that failed before spawning, and no span was opened for it.
        if self.attempted && self.observer.is_some() && !self.observed {
            // A cancel, or a receiver that is gone (its `down` cancels the call).
            let cancelled = self.receiver_gone || {
                let state = self.gate.lock();
                state.cancelled || state.receiver_gone
            };
            let reason = if cancelled { "cancelled" } else { "internal" };
            self.observe(|env| {
                let reason = Atom::from_str(env, reason).ok()?;
                Some((atoms::error(), reason, 0u64).encode(env))
            });
        }
    }
}

/// The event that may still go out once the call is cancelled: nothing but one terminal,
/// and that terminal says `cancelled` (a result that raced the cancel is not delivered as
/// one, but its summary is kept for cost).
fn after_cancel(event: Event, state: &GateState) -> Option<Event> {
    let summary = match event {
        Event::Done(summary) => Some(summary),
        Event::Error(_, summary) => summary,
        _ => return None,
    };
    let mut error = Error::new(ErrorKind::Cancelled, "the call was cancelled");
    if state.events_sent > 0 {
        error = error.mid_stream(state.delivered(summary.as_deref()));
    } else {
        error.phase = Phase::BeforeStream;
    }
    Some(Event::Error(Box::new(error), summary))
}

impl EventSink for BeamSink {
    fn send(&mut self, event: Event) -> Result<(), ReceiverGone> {
        self.attempted = true;
        let event = match self.try_hold(event) {
            Ok(held) => return held,
            Err(event) => event,
        };
        // Sent now: after this thread's held sends (this call's among them).
        flush_held();
        let mut state = self.gate.lock();
        if state.terminal_sent {
            return Ok(());
        }
        let event = if state.cancelled {
            match after_cancel(event, &state) {
                Some(e) => e,
                // Dropped: the task stops at its next await point and sends the terminal.
                None => return Ok(()),
            }
        } else {
            event
        };
        let result = if state.receiver_gone {
            Err(ReceiverGone)
        } else {
            deliver(&mut self.msg_env, &self.pid, &self.tag, &mut state, &event)
        };
        drop(state);
        self.receiver_gone |= result.is_err();
        // After the receiver's terminal (sent or not: a gone receiver is a cancelled call).
        if event.is_terminal() {
            self.observe(|env| span_outcome_term(env, &event));
        }
        // A failed send means the process is gone: stop the call.
        result
    }
}

impl BeamSink {
    /// Holds `event` until the end of the shard's pass ([`hold`]): `Ok` with what `send`
    /// returns, or `Err(event)` to send it now. Sent now: the terminal, the call's first
    /// event and first sentence (what a voice turn waits on, and the engine's yield after the
    /// first sentence is for its receiver), everything off a shard or while few calls are
    /// live (a pass then has one stream's events). A receiver found gone by an earlier flush
    /// stops the call here.
    fn try_hold(&mut self, event: Event) -> Result<Result<(), ReceiverGone>, Event> {
        if event.is_terminal() || matches!(event, Event::Sentence(0, _)) || !holding() {
            return Err(event);
        }
        {
            let state = self.gate.lock();
            if state.receiver_gone {
                self.receiver_gone = true;
                return Ok(Err(ReceiverGone));
            }
            // Nothing but the terminal goes out any more (`after_cancel`).
            if state.terminal_sent || state.cancelled {
                return Ok(Ok(()));
            }
            if state.events_sent == 0 {
                return Err(event);
            }
        }
        hold(HeldSend {
            pid: self.pid,
            tag: self.tag.clone(),
            gate: self.gate.clone(),
            event,
        });
        Ok(Ok(()))
    }
}

/// Sends `event` to `pid` as `{:aybiza_bedrock, tag, event}` and counts what reached it;
/// `state` is the call's gate, locked by the caller (a cancel waits for the send).
fn deliver(
    msg_env: &mut OwnedEnv,
    pid: &LocalPid,
    tag: &ResourceArc<CallResource>,
    state: &mut GateState,
    event: &Event,
) -> Result<(), ReceiverGone> {
    let result = msg_env.send_and_clear(pid, |env| {
        (atoms::aybiza_bedrock(), tag, event_term(env, event))
    });
    if result.is_err() {
        state.receiver_gone = true;
        return Err(ReceiverGone);
    }
    state.events_sent += 1;
    match event {
        Event::Text(t) => {
            state.delivered_chars += t.chars().count() as u64;
            state.delivered_bytes += t.len();
        }
        Event::Sentence(..) => state.delivered_sentences += 1,
        e if e.is_terminal() => state.terminal_sent = true,
        _ => {}
    }
    Ok(())
}

// Held sends: one BEAM wake-up per shard pass. At many paced streams a shard wakes with
// several sockets readable and handles them one after the other (~15 µs each at 1,000
// streams); each delta's `enif_send` to a sleeping scheduler woke it (a pipe write or a
// futex on the shard, a poll wake-up and timerfd re-arm on the scheduler) for a microsecond
// of work. Held, the pass's non-terminal events are sent back to back by one flusher task
// queued behind the tasks the pass had ready: the first send wakes a scheduler, the rest
// find it awake; at most `hold_limit()` wait at once, so a busy shard's pass does not hold its
// first message for the whole pass. Per call the order is kept (one FIFO per thread; a terminal first flushes
// it), and the gate is checked at the flush: after `cancel/1` a held event is dropped, as a
// later send would be. A receiver found gone at the flush stops its call at its next send.

/// A non-terminal event waiting for the end of its shard's pass.
struct HeldSend {
    pid: LocalPid,
    tag: ResourceArc<CallResource>,
    gate: Arc<Gate>,
    event: Event,
}

/// One shard thread's held sends and the task that flushes them.
#[derive(Default)]
struct Held {
    sends: Vec<HeldSend>,
    /// The flusher's waker once it ran; until then `spawned` says it is queued.
    flusher: Option<std::task::Waker>,
    spawned: bool,
    /// The flusher's message env (each send clears it).
    env: Option<OwnedEnv>,
}

thread_local! {
    static HELD: std::cell::RefCell<Held> = std::cell::RefCell::default();
}

/// The most sends a shard holds at once (`AYBIZA_BEDROCK_HOLD_SENDS`, read once; default
/// [`HOLD_DEFAULT`], `0`: off, at most [`HOLD_MAX`]): the one that reaches it flushes them.
/// It bounds the wait of a pass's first message when the shard has many streams ready.
fn hold_limit() -> usize {
    static LIMIT: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *LIMIT.get_or_init(|| {
        parse_hold_limit(std::env::var("AYBIZA_BEDROCK_HOLD_SENDS").ok().as_deref())
    })
}

/// Off by default: the idle `bin/bench` of stop 19 (3 runs, same session) measured held
/// sends at 16 against off: Converse text p99 at 1,000 streams 1.11 against 1.23 ms, but SSE
/// 1.26 against 1.11 and both APIs worse at 2,000 (2.68 / 3.34 against 2.45 / 2.86 ms), VM CPU
/// per paced delta equal (29.2 / 29.1 µs): it does not pay (BENCHMARKS.md "Held sends").
const HOLD_DEFAULT: usize = 0;
const HOLD_MAX: usize = 1024;

/// `AYBIZA_BEDROCK_HOLD_SENDS`'s value: unset or not a number gives the default.
fn parse_hold_limit(configured: Option<&str>) -> usize {
    configured
        .and_then(|v| v.trim().parse::<usize>().ok())
        .map_or(HOLD_DEFAULT, |n| n.min(HOLD_MAX))
}

/// Whether this thread holds sends: a shard thread (a single-threaded runtime whose tasks,
/// the flusher among them, all run here) with a hold limit above 1, while more calls are
/// live than there are shards.
fn holding() -> bool {
    hold_limit() > 1
        && aybiza_engine::runtime::current_shard().is_some()
        && !aybiza_engine::call::few_calls_live(aybiza_engine::runtime::threads())
}

/// Queues `send` on this thread; the first of a pass wakes (or starts) the flusher, which
/// runs after the tasks already ready.
fn hold(send: HeldSend) {
    enum Next {
        Nothing,
        Flush,
        Wake(std::task::Waker),
        Spawn,
    }
    let next = HELD.with(|h| {
        let mut h = h.borrow_mut();
        let first = h.sends.is_empty();
        h.sends.push(send);
        if h.sends.len() >= hold_limit() {
            Next::Flush
        } else if !first {
            Next::Nothing
        } else if let Some(w) = &h.flusher {
            Next::Wake(w.clone())
        } else if !h.spawned {
            h.spawned = true;
            Next::Spawn
        } else {
            Next::Nothing
        }
    });
    match next {
        Next::Nothing => {}
        // The flusher, if woken, finds nothing left.
        Next::Flush => flush_held(),
        Next::Wake(w) => w.wake(),
        Next::Spawn => {
            // Never ends: a shard's runtime lives as long as the VM.
            tokio::spawn(std::future::poll_fn(|cx| {
                HELD.with(|h| {
                    let mut h = h.borrow_mut();
                    if !h.flusher.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                        h.flusher = Some(cx.waker().clone());
                    }
                });
                flush_held();
                std::task::Poll::<()>::Pending
            }));
        }
    }
}

/// Sends this thread's held events in order, each through its call's gate.
fn flush_held() {
    let (mut sends, env) = HELD.with(|h| {
        let mut h = h.borrow_mut();
        if h.sends.is_empty() {
            return (Vec::new(), None);
        }
        (std::mem::take(&mut h.sends), h.env.take())
    });
    if sends.is_empty() {
        return;
    }
    let mut env = env.unwrap_or_else(OwnedEnv::new);
    for held in sends.drain(..) {
        let mut state = held.gate.lock();
        if !(state.cancelled || state.terminal_sent || state.receiver_gone) {
            let _ = deliver(&mut env, &held.pid, &held.tag, &mut state, &held.event);
        }
        // The guard goes before `held`, whose tag may be the call's last reference (its
        // `Drop` cancels through the same gate).
        drop(state);
    }
    HELD.with(|h| {
        let mut h = h.borrow_mut();
        h.env = Some(env);
        // Keep the buffer's capacity for the next pass.
        if h.sends.is_empty() {
            h.sends = sends;
        }
    });
}

struct CoreSplitter(Segmenter);

impl aybiza_engine::SentenceSplitter for CoreSplitter {
    fn push(&mut self, delta: &str) -> Vec<String> {
        self.0.push(delta)
    }
    fn finish(&mut self) -> Vec<String> {
        self.0.finish()
    }
}

fn invalid(env: Env, kind: ErrorKind, message: String) -> Term {
    (
        atoms::error(),
        error_term(env, &Error::new(kind, message), None),
    )
        .encode(env)
}

/// A new call handle and the sink that tags its messages with that handle.
fn new_call(
    receiver: LocalPid,
    observer: Option<LocalPid>,
) -> (ResourceArc<CallResource>, BeamSink) {
    let gate = Arc::new(Gate::default());
    let resource = ResourceArc::new(CallResource {
        handle: Mutex::new(None),
        gate: gate.clone(),
    });
    let sink = BeamSink {
        pid: receiver,
        msg_env: OwnedEnv::new(),
        tag: resource.clone(),
        gate,
        observer,
        observed: false,
        attempted: false,
        receiver_gone: false,
    };
    (resource, sink)
}

fn attach(resource: &ResourceArc<CallResource>, handle: CallHandle) {
    if let Ok(mut slot) = resource.handle.lock() {
        *slot = Some(handle);
    }
}

/// The `observer` of a call's options (`nil` or absent: none) and the options without it.
fn take_observer(options: Term) -> Result<(Option<LocalPid>, Term), &'static str> {
    let Ok(value) = options.map_get(atoms::observer()) else {
        return Ok((None, options));
    };
    let rest = options
        .map_remove(atoms::observer())
        .map_err(|_| "invalid call options")?;
    if value.is_atom() && value.decode::<Atom>().ok() == Some(atoms::nil()) {
        return Ok((None, rest));
    }
    match value.decode::<LocalPid>() {
        Ok(pid) => Ok((Some(pid), rest)),
        Err(_) => Err("invalid call options: observer must be a local pid or nil"),
    }
}

/// Starts a call. Returns `{:ok, ref}` or `{:error, %Aybiza.Error{}}`. Decoding a request
/// with large images takes longer than a scheduler slice, so it runs on a dirty scheduler.
#[rustler::nif(schedule = "DirtyCpu")]
fn start_call<'a>(
    env: Env<'a>,
    operation: Atom,
    request: Term<'a>,
    config: Term<'a>,
    receiver: LocalPid,
    options: Term<'a>,
) -> NifResult<Term<'a>> {
    let started = start(env, operation, request, config, receiver, options);
    // The one-time work of milliseconds, done here even when the call failed before it
    // (a bad request): the runtime, the catalog and the segmenter's tables.
    if !WARM.load(std::sync::atomic::Ordering::Relaxed) {
        aybiza_engine::runtime::runtime();
        aybiza_core::catalog::catalog();
        aybiza_core::text::segmenter::warm_up();
        WARM.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    started
}

/// Set once a `start_call/5` ran: the first call of the VM builds the tokio runtime and may
/// parse the catalog, which must not happen on a normal scheduler.
static WARM: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

mod small_atoms {
    rustler::atoms! { dirty }
}

/// Terms and binary bytes a request may have to start on a normal scheduler: its decoding
/// then stays far under the ~1 ms a NIF may hold one (tens of µs in a release build).
const SMALL_ITEMS: usize = 2_048;
const SMALL_BYTES: usize = 32 * 1024;

/// Whether `term` has at most `max_items` terms and `max_bytes` of binaries. The walk stops
/// as soon as either is passed, so it costs at most the budget whatever the term.
fn is_small(term: Term, max_items: usize, max_bytes: usize) -> bool {
    let (mut items, mut bytes) = (1usize, 0usize);
    let mut stack = vec![term];
    fn push_within<'a>(
        t: Term<'a>,
        stack: &mut Vec<Term<'a>>,
        items: &mut usize,
        max: usize,
    ) -> bool {
        *items += 1;
        stack.push(t);
        *items <= max
    }
    macro_rules! push {
        ($t:expr) => {
            push_within($t, &mut stack, &mut items, max_items)
        };
    }
    while let Some(t) = stack.pop() {
        match t.get_type() {
            rustler::TermType::Binary => {
                bytes += rustler::Binary::from_term(t).map_or(0, |b| b.len());
                if bytes > max_bytes {
                    return false;
                }
            }
            rustler::TermType::Map => {
                let Some(entries) = rustler::types::map::MapIterator::new(t) else {
                    return false;
                };
                for (k, v) in entries {
                    if !push!(k) || !push!(v) {
                        return false;
                    }
                }
            }
            rustler::TermType::List => {
                let mut rest = t;
                while let Ok((head, tail)) = rest.list_get_cell() {
                    if !push!(head) {
                        return false;
                    }
                    rest = tail;
                }
                if rest.get_type() != rustler::TermType::List && !push!(rest) {
                    return false;
                }
            }
            rustler::TermType::Tuple => {
                let Ok(elems) = rustler::types::tuple::get_tuple(t) else {
                    return false;
                };
                for e in elems {
                    if !push!(e) {
                        return false;
                    }
                }
            }
            _ => {}
        }
    }
    true
}

/// `start_call/5` on the calling (normal) scheduler, for the common small request: it saves
/// the round trip to a dirty scheduler (tens of µs on the first sentence's path when the
/// dirty scheduler was asleep). A request past [`SMALL_ITEMS`] / [`SMALL_BYTES`], or the
/// VM's first call (see [`WARM`]), answers `:dirty`, and the caller uses `start_call/5`.
#[rustler::nif]
fn start_call_small<'a>(
    env: Env<'a>,
    operation: Atom,
    request: Term<'a>,
    config: Term<'a>,
    receiver: LocalPid,
    options: Term<'a>,
) -> NifResult<Term<'a>> {
    if !WARM.load(std::sync::atomic::Ordering::Relaxed)
        || !is_small(request, SMALL_ITEMS, SMALL_BYTES)
        || !is_small(config, SMALL_ITEMS, SMALL_BYTES)
        || !is_small(options, SMALL_ITEMS, SMALL_BYTES)
    {
        return Ok(small_atoms::dirty().encode(env));
    }
    start(env, operation, request, config, receiver, options)
}

/// Whether a call's start yields the scheduler thread's core once after the spawn (see
/// `start`): off unless `AYBIZA_BEDROCK_START_YIELD=1` (read once). On, the first sentence
/// came sooner in the bench (Messages API within 100 µs of the SDK floor) but a scheduler
/// thread that yields can lose its core to another runnable thread for a time slice:
/// long_schedule events of 2-5 ms in 3-8 % of the calls even on a nearly idle machine
/// (BENCHMARKS.md, "First sentence: phases and threads").
fn start_yield() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var("AYBIZA_BEDROCK_START_YIELD").is_ok_and(|v| v.trim() == "1"))
}

/// The VM's monotonic time in ns (`erlang:monotonic_time(:nanosecond)`), the clock of a
/// traced call's points.
fn vm_monotonic_ns() -> i64 {
    // SAFETY: a plain read of the VM's clock; thread-safe and without arguments to check.
    unsafe { rustler::sys::enif_monotonic_time(rustler::sys::ErlNifTimeUnit::ERL_NIF_NSEC) }
}

/// Client configurations decoded before, with the terms they came from: a caller passes the
/// same configuration call after call, and decoding it (a term walk, serde, the endpoint's
/// URL check: ~15k instructions) was on every call's path to its first sentence. A term is
/// reused only when it is identical to the one decoded (`enif_is_identical`, never a hash
/// alone: a configuration names credentials). At most [`CONFIG_CACHE_MAX`] are kept; a new
/// one then replaces the oldest. Configurations the engine refuses are not kept.
struct DecodedConfig {
    env: OwnedEnv,
    term: rustler::env::SavedTerm,
    config: ClientConfig,
}

const CONFIG_CACHE_MAX: usize = 8;

static CONFIGS: Mutex<Vec<DecodedConfig>> = Mutex::new(Vec::new());

/// The decoded client configuration of `term` (see [`DecodedConfig`]). `Err(None)`: the term
/// is no JSON-like value; `Err(Some(e))`: the engine refuses the configuration.
fn client_config(term: Term) -> Result<ClientConfig, Option<Error>> {
    let configs = || CONFIGS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(hit) = configs()
        .iter()
        .find(|c| c.env.run(|env| c.term.load(env) == term))
    {
        return Ok(hit.config.clone());
    }
    let value = term_to_value(term).map_err(|_| None)?;
    let config = aybiza_engine::config::decode_config(&value).map_err(Some)?;
    let env = OwnedEnv::new();
    let saved = env.save(term);
    let mut cache = configs();
    if cache.len() >= CONFIG_CACHE_MAX {
        cache.remove(0);
    }
    cache.push(DecodedConfig {
        env,
        term: saved,
        config: config.clone(),
    });
    Ok(config)
}

fn start<'a>(
    env: Env<'a>,
    operation: Atom,
    request: Term<'a>,
    config: Term<'a>,
    receiver: LocalPid,
    options: Term<'a>,
) -> NifResult<Term<'a>> {
    let entered = std::time::Instant::now();
    let op_name = operation.to_term(env).atom_to_string()?;
    let Some(op) = Operation::from_name(&op_name) else {
        return Err(rustler::Error::BadArg);
    };
    // `observer: pid` (a raw stream's telemetry span, `Aybiza.Bedrock.StreamSpan`) is told
    // once how the call ended; it is no JSON value, so it is taken out of the options here.
    let (observer, options) = match take_observer(options) {
        Ok(taken) => taken,
        Err(msg) => return Ok(invalid(env, ErrorKind::InvalidConfig, msg.into())),
    };
    // Options first: they carry the limits the request is converted under.
    let options = match term_to_value(options) {
        Ok(v) => v,
        Err(e) => {
            let msg = format!("invalid call options: {e}");
            return Ok(invalid(env, ErrorKind::InvalidConfig, msg));
        }
    };
    let limits = match Limits::from_value(options.get("limits").unwrap_or(&Value::Null)) {
        Ok(l) => l,
        Err(e) => return Ok((atoms::error(), error_term(env, &e, None)).encode(env)),
    };
    let request = match term_to_value_with(request, &limits, "") {
        Ok(v) => v,
        Err(e) => return Ok((atoms::error(), error_term(env, &e, None)).encode(env)),
    };
    // A term that is no configuration fails here; a configuration the engine refuses fails
    // where the engine's start reported it (after the options below).
    let config = match client_config(config) {
        Ok(config) => Ok(config),
        Err(None) => {
            return Ok(invalid(
                env,
                ErrorKind::InvalidConfig,
                "invalid client configuration".into(),
            ))
        }
        Err(Some(e)) => Err(e),
    };
    // `sentences: false` turns segmentation off; a map carries segmenter options.
    let segmenter = match options.get("sentences") {
        Some(Value::Bool(false)) => None,
        Some(v @ Value::Object(_)) => match segmenter_options_from(v) {
            Ok(o) => Some(Segmenter::new(o)),
            Err(_) => {
                let msg = "invalid :sentences options".to_string();
                return Ok(invalid(env, ErrorKind::InvalidRequest, msg));
            }
        },
        _ => Some(Segmenter::new(SegmenterOptions::default())),
    };
    let splitter =
        segmenter.map(|s| Box::new(CoreSplitter(s)) as Box<dyn aybiza_engine::SentenceSplitter>);

    // `observer: pid` (a raw stream's telemetry span): told once how the call ended.
    let (resource, sink) = new_call(receiver, observer);
    let exact_token_counts = matches!(options.get("exact_token_counts"), Some(Value::Bool(true)));
    // `coalesce_us`: how long text may wait for more text of its block (validated in
    // Elixir; capped by the engine).
    let coalesce_window = options
        .get("coalesce_us")
        .and_then(Value::as_u64)
        .map(std::time::Duration::from_micros)
        .unwrap_or_default();
    // `trace_timings: true`: the first sentence's path, timed (summary.timings.trace).
    let trace = matches!(options.get("trace_timings"), Some(Value::Bool(true))).then(|| {
        let t = Trace::new(
            entered,
            vm_monotonic_ns() - entered.elapsed().as_nanos() as i64,
        );
        t.mark(Point::Decoded);
        t
    });
    let options = CallOptions {
        splitter,
        limits,
        exact_token_counts,
        coalesce_window,
        trace: trace.clone(),
        ..Default::default()
    };
    let started = config.and_then(|config| {
        aybiza_engine::start_with_config(op, &request, config, options, Box::new(sink))
    });
    mark(&trace, Point::Spawned);
    if started.is_ok()
        && start_yield()
        && aybiza_engine::few_calls_live(aybiza_engine::runtime::threads())
    {
        // Opt-in (see `start_yield`). The spawn woke a tokio worker. When the kernel put it
        // on this thread's core, it may wait until this scheduler thread sleeps (after
        // stream/2 returned and its caller blocked), with the request not sent yet. Giving
        // the core up once lets it run now (spawn -> task start 55-66 µs p50 before, 5-8 µs
        // after, loaded machine). Only while few calls are live: with more, the workers are
        // awake and busy, and the core would go to one of them.
        std::thread::yield_now();
    }
    match started {
        Ok(handle) => {
            attach(&resource, handle.clone());
            if resource.monitor(Some(env), &receiver).is_none() {
                // The receiver is already dead.
                handle.cancel();
            }
            Ok((atoms::ok(), resource).encode(env))
        }
        Err(e) => Ok((atoms::error(), error_term(env, &e, None)).encode(env)),
    }
}

#[rustler::nif]
fn cancel(resource: ResourceArc<CallResource>) -> Atom {
    resource.cancel();
    atoms::ok()
}

#[rustler::nif]
fn live_streams() -> usize {
    aybiza_engine::live_calls()
}

/// Opens a pooled connection for the client configuration; replies like a call.
/// Dirty: decoding the configuration grows with the caller's option values.
#[rustler::nif(schedule = "DirtyCpu")]
fn warm<'a>(env: Env<'a>, config: Term<'a>) -> NifResult<Term<'a>> {
    let config = match term_to_value(config) {
        Ok(v) => v,
        Err(_) => {
            return Ok(invalid(
                env,
                ErrorKind::InvalidConfig,
                "invalid client configuration".into(),
            ))
        }
    };
    let (resource, sink) = new_call(env.pid(), None);
    let opts = CallOptions::default();
    match aybiza_engine::start(Operation::Warm, &Value::Null, &config, opts, Box::new(sink)) {
        Ok(handle) => {
            attach(&resource, handle);
            Ok((atoms::ok(), resource).encode(env))
        }
        Err(e) => Ok((atoms::error(), error_term(env, &e, None)).encode(env)),
    }
}
