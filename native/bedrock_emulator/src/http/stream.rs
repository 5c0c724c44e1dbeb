//! Delivery of a planned stream: pacing, faults after K events, counters. The same
//! producer serves AWS event streams (ConverseStream, InvokeModelWithResponseStream) and
//! the Messages API's Server-Sent Events; only the framing of faults differs. The faults
//! after K events ([`fault_before`], [`inject`]) are shared with the Nova Sonic stream
//! (`sonic_stream.rs`).

use std::future::Future;
use std::io;
use std::os::fd::RawFd;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame};
use tokio::sync::mpsc;

use crate::config::spec::{stream_exception_message, stream_exception_type};
use crate::config::Faults;
use crate::counters::{outcome, OpenStreamGuard};
use crate::render::{eventstream, sse};
use crate::reply::Event;
use crate::state::State;
use crate::ticker::Ticker;

const RESET_FLUSH_MS: f64 = 100.0;

/// Framing of the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    /// `application/vnd.amazon.eventstream`; `invoke` for InvokeModelWithResponseStream
    /// (which has a modelTimeoutException event; ConverseStream has not).
    EventStream { invoke: bool },
    /// `text/event-stream` (Anthropic Messages API).
    Sse,
}

pub type FrameResult = Result<Frame<Bytes>, io::Error>;

/// Response body fed by a stream producer task.
pub struct ChannelBody {
    pub rx: mpsc::Receiver<FrameResult>,
}

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<FrameResult>> {
        self.rx.poll_recv(cx)
    }
}

/// Sets SO_LINGER 0 so closing the socket sends a TCP RST instead of a FIN.
pub fn set_linger_zero(fd: RawFd) {
    if fd < 0 {
        return;
    }
    // SAFETY: the fd belongs to the connection currently being served; hyper keeps the
    // TcpStream (and so the fd) open while this request or its body is in flight.
    let borrowed = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
    let _ = socket2::SockRef::from(&borrowed).set_linger(Some(Duration::ZERO));
}

/// A mid-stream fault due before output event number K (faults `..._after=K`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamFault {
    /// An exception event of this type (`stream_exception_type`), then the end.
    Exception(&'static str),
    /// A TCP reset once the events before it had time to reach the client.
    Reset,
    /// Nothing more is sent; the stream stays open until the client leaves.
    Stall,
    /// The stream ends cleanly without the events still due.
    Truncate,
    /// The next event goes out with a broken frame, then the end.
    Corrupt,
}

/// The fault due before output event `i`; `more`: whether an event `i` exists (a truncation
/// or corruption after the last event is no fault).
pub fn fault_before(f: &Faults, i: usize, more: bool) -> Option<StreamFault> {
    if f.exception_after.unwrap_or(1) == i {
        if let Some(kind) = f.exception.as_deref().and_then(stream_exception_type) {
            return Some(StreamFault::Exception(kind));
        }
    }
    if f.reset_after == Some(i) {
        return Some(StreamFault::Reset);
    }
    if f.stall_after == Some(i) {
        return Some(StreamFault::Stall);
    }
    if more && f.truncate_after == Some(i) {
        return Some(StreamFault::Truncate);
    }
    if more && f.corrupt_after == Some(i) {
        return Some(StreamFault::Corrupt);
    }
    None
}

/// The message of an injected exception: the fault's `message`, else the type's default.
pub fn exception_message(f: &Faults, kind: &str) -> String {
    f.error_message
        .clone()
        .unwrap_or_else(|| stream_exception_message(kind).to_string())
}

/// Where a stream writer's faults go.
pub struct FaultTarget<'a, T = FrameResult> {
    pub state: &'a State,
    pub route: &'static str,
    pub tx: &'a mpsc::Sender<T>,
    pub fd: RawFd,
}

/// Carries `fault` out: counts it, sends what it sends (`exception_frame(kind)` or
/// `corrupt_frame()`, framed by the writer) and returns the label the stream ends with
/// ("" = already counted). The stream ends after every fault.
pub async fn inject<T: From<FrameResult>>(
    t: FaultTarget<'_, T>,
    fault: StreamFault,
    exception_frame: impl FnOnce(&'static str) -> Bytes,
    corrupt_frame: impl FnOnce() -> Bytes,
) -> &'static str {
    let send = |frame: Bytes| async move { t.tx.send(Ok(Frame::data(frame)).into()).await.is_ok() };
    match fault {
        StreamFault::Exception(kind) => {
            // Counted before sending so a client that saw the error sees the count.
            t.state.counters.record(t.route, outcome::EXCEPTION);
            send(exception_frame(kind)).await;
        }
        StreamFault::Reset => {
            // Let hyper flush and the client read the first K events before the RST,
            // which would otherwise discard them.
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_micros((RESET_FLUSH_MS * 1000.0) as u64)) => {}
                _ = t.tx.closed() => return outcome::CLIENT_CLOSED,
            }
            t.state.counters.record(t.route, outcome::RESET);
            set_linger_zero(t.fd);
            let _ =
                t.tx.send(
                    Err(io::Error::new(
                        io::ErrorKind::ConnectionReset,
                        "injected reset",
                    ))
                    .into(),
                )
                .await;
        }
        StreamFault::Stall => {
            t.state.counters.record(t.route, outcome::STALL);
            t.tx.closed().await;
        }
        StreamFault::Truncate => t.state.counters.record(t.route, outcome::TRUNCATED),
        StreamFault::Corrupt => {
            t.state.counters.record(t.route, outcome::CORRUPT);
            send(corrupt_frame()).await;
        }
    }
    ""
}

/// `frame` with its send time stamped into a text delta when `stamp` is on.
fn stamped(stamp: bool, wire: Wire, frame: &Bytes) -> Bytes {
    stamped_owned(stamp, wire, frame.clone())
}

/// [`stamped`] for a frame the caller gives up: an unstamped frame goes out as it is, with
/// no clone (cloning a `Bytes` made from a `Vec` allocates its shared header on first use).
fn stamped_owned(stamp: bool, wire: Wire, frame: Bytes) -> Bytes {
    if !stamp {
        return frame;
    }
    let stamped = match wire {
        Wire::EventStream { .. } => crate::render::stamp::stamp_frame(&frame),
        Wire::Sse => crate::render::stamp::stamp_sse(&frame),
    };
    stamped.unwrap_or(frame)
}

/// Whether any fault is due before some event of a stream of `n` events.
pub fn any_fault(f: &Faults, n: usize) -> bool {
    (0..=n).any(|i| fault_before(f, i, i < n).is_some())
}

/// A planned stream without faults, paced by the response body itself: hyper's connection
/// task polls it, the body waits on its one timer (re-armed per event, never reallocated)
/// or, with `pacing_tick_ms` set, on the instance's [`Ticker`], and hands out the next
/// frame, stamped at that moment. No producer task, no channel, no
/// wake-up of a second task per event (the [`Producer`] stays for streams with faults,
/// whose injection is async).
///
/// Same pacing as the producer: the first-token delay, then `tokens / tps` seconds before
/// each event that carries tokens, counted from the previous event's hand-out. Counted like
/// the producer's streams: open while the body lives, `ok` once the last event was handed
/// out, `client_closed` when dropped before that (the client went away).
pub struct PacedBody {
    state: Arc<State>,
    route: &'static str,
    events: std::vec::IntoIter<Event>,
    /// The next event, taken from `events`, with its pause still due (`waiting`).
    next: Option<Event>,
    tps: f64,
    stamp: bool,
    wire: Wire,
    timer: Timer,
    waiting: bool,
    done: bool,
    _open: OpenStreamGuard,
}

/// How a [`PacedBody`] waits out its pauses.
enum Timer {
    /// Its own tokio timer, re-armed per event (`pacing_tick_ms` 0).
    Exact(Pin<Box<tokio::time::Sleep>>),
    /// The instance's [`Ticker`]: `due` is the tick the pause ends in; `filed`: the task's
    /// waker is filed under it.
    Tick {
        ticker: Arc<Ticker>,
        due: u64,
        filed: bool,
    },
}

impl Timer {
    fn new(ticker: Option<Arc<Ticker>>, first: Duration) -> Timer {
        match ticker {
            Some(ticker) => Timer::Tick {
                due: ticker.tick_at(tokio::time::Instant::now() + first),
                ticker,
                filed: false,
            },
            None => Timer::Exact(Box::pin(tokio::time::sleep(first))),
        }
    }

    fn reset(&mut self, at: tokio::time::Instant) {
        match self {
            Timer::Exact(sleep) => sleep.as_mut().reset(at),
            Timer::Tick { ticker, due, filed } => {
                *due = ticker.tick_at(at);
                *filed = false;
            }
        }
    }

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        match self {
            Timer::Exact(sleep) => sleep.as_mut().poll(cx),
            Timer::Tick { ticker, due, filed } => ticker.poll_due(*due, filed, cx),
        }
    }
}

impl PacedBody {
    /// `ticker`: the instance's shared clock ([`Ticker`]), or `None` for a timer of its own.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        state: Arc<State>,
        route: &'static str,
        events: Vec<Event>,
        first_token_ms: u64,
        tps: f64,
        stamp: bool,
        wire: Wire,
        ticker: Option<Arc<Ticker>>,
    ) -> PacedBody {
        let open = state.counters.open_stream();
        let first = Duration::from_millis(first_token_ms);
        PacedBody {
            route,
            events: events.into_iter(),
            next: None,
            tps,
            stamp,
            wire,
            timer: Timer::new(ticker, first),
            waiting: first_token_ms > 0,
            done: false,
            _open: open,
            state,
        }
    }
}

impl Body for PacedBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<FrameResult>> {
        let this = &mut *self;
        loop {
            if this.waiting {
                if this.timer.poll(cx).is_pending() {
                    return Poll::Pending;
                }
                this.waiting = false;
                if let Some(event) = this.next.take() {
                    let frame = stamped_owned(this.stamp, this.wire, event.frame);
                    return Poll::Ready(Some(Ok(Frame::data(frame))));
                }
            }
            let Some(event) = this.events.next() else {
                if !this.done {
                    this.done = true;
                    this.state.counters.record(this.route, outcome::OK);
                }
                return Poll::Ready(None);
            };
            if event.tokens > 0 && this.tps > 0.0 {
                let pause =
                    Duration::from_micros((event.tokens as f64 / this.tps * 1_000_000.0) as u64);
                if !pause.is_zero() {
                    this.timer.reset(tokio::time::Instant::now() + pause);
                    this.waiting = true;
                    this.next = Some(event);
                    continue;
                }
            }
            let frame = stamped_owned(this.stamp, this.wire, event.frame);
            return Poll::Ready(Some(Ok(Frame::data(frame))));
        }
    }
}

impl Drop for PacedBody {
    fn drop(&mut self) {
        if !self.done {
            self.state
                .counters
                .record(self.route, outcome::CLIENT_CLOSED);
        }
    }
}

pub struct Producer {
    pub state: Arc<State>,
    pub route: &'static str,
    pub events: Vec<Event>,
    pub faults: Faults,
    pub first_token_ms: u64,
    pub tps: f64,
    pub fd: RawFd,
    pub tx: mpsc::Sender<FrameResult>,
    pub wire: Wire,
    /// Stamp text deltas with their send time (pacing `stamp`).
    pub stamp: bool,
}

impl Producer {
    async fn pause(&self, ms: f64) -> bool {
        if ms <= 0.0 {
            return true;
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_micros((ms * 1000.0) as u64)) => true,
            _ = self.tx.closed() => false,
        }
    }

    async fn send(&self, frame: Bytes) -> bool {
        self.tx.send(Ok(Frame::data(frame))).await.is_ok()
    }

    pub async fn run(self) {
        let counters = Arc::clone(&self.state.counters);
        let _open = counters.open_stream();
        let label = self.run_events().await;
        if !label.is_empty() {
            counters.record(self.route, label);
        }
    }

    fn exception_frame(&self, kind: &str) -> Bytes {
        let msg = exception_message(&self.faults, kind);
        match self.wire {
            Wire::EventStream { invoke } => {
                // ConverseStream has no modelTimeoutException event; the invoke stream does.
                let kind = if !invoke && kind == "modelTimeoutException" {
                    "internalServerException"
                } else {
                    kind
                };
                eventstream::exception(kind, &msg)
            }
            Wire::Sse => sse::error(sse::stream_error_type(kind), &msg),
        }
    }

    fn corrupt_frame(&self, frame: &Bytes) -> Bytes {
        match self.wire {
            Wire::EventStream { .. } => eventstream::corrupt(frame),
            Wire::Sse => sse::malformed(frame),
        }
    }

    fn stamped(&self, frame: &Bytes) -> Bytes {
        stamped(self.stamp, self.wire, frame)
    }

    async fn run_events(&self) -> &'static str {
        if !self.pause(self.first_token_ms as f64).await {
            return outcome::CLIENT_CLOSED;
        }
        for i in 0..=self.events.len() {
            let event = self.events.get(i);
            if let Some(fault) = fault_before(&self.faults, i, event.is_some()) {
                let target = FaultTarget {
                    state: &self.state,
                    route: self.route,
                    tx: &self.tx,
                    fd: self.fd,
                };
                return inject(
                    target,
                    fault,
                    |kind| self.exception_frame(kind),
                    || self.corrupt_frame(&event.map(|e| e.frame.clone()).unwrap_or_default()),
                )
                .await;
            }
            let Some(event) = event else {
                break;
            };
            if event.tokens > 0
                && self.tps > 0.0
                && !self.pause(event.tokens as f64 / self.tps * 1000.0).await
            {
                return outcome::CLIENT_CLOSED;
            }
            if !self.send(self.stamped(&event.frame)).await {
                return outcome::CLIENT_CLOSED;
            }
        }
        outcome::OK
    }
}
