//! Delivery of a planned stream: pacing, faults after K events, counters. The same
//! producer serves AWS event streams (ConverseStream, InvokeModelWithResponseStream) and
//! the Messages API's Server-Sent Events; only the framing of faults differs.

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
use crate::counters::outcome;
use crate::render::{eventstream, sse};
use crate::reply::Event;
use crate::state::State;

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
        let msg = self
            .faults
            .error_message
            .clone()
            .unwrap_or_else(|| stream_exception_message(kind).to_string());
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
        if !self.stamp {
            return frame.clone();
        }
        let stamped = match self.wire {
            Wire::EventStream { .. } => crate::render::stamp::stamp_frame(frame),
            Wire::Sse => crate::render::stamp::stamp_sse(frame),
        };
        stamped.unwrap_or_else(|| frame.clone())
    }

    async fn run_events(&self) -> &'static str {
        if !self.pause(self.first_token_ms as f64).await {
            return outcome::CLIENT_CLOSED;
        }
        let f = &self.faults;
        for i in 0..=self.events.len() {
            if f.exception_after.unwrap_or(1) == i {
                if let Some(kind) = f.exception.as_deref().and_then(stream_exception_type) {
                    // Counted before sending so a client that saw the error sees the count.
                    self.state.counters.record(self.route, outcome::EXCEPTION);
                    self.send(self.exception_frame(kind)).await;
                    return "";
                }
            }
            if f.reset_after == Some(i) {
                // Let hyper flush and the client read the first K events before the RST,
                // which would otherwise discard them.
                if !self.pause(RESET_FLUSH_MS).await {
                    return outcome::CLIENT_CLOSED;
                }
                self.state.counters.record(self.route, outcome::RESET);
                set_linger_zero(self.fd);
                let _ = self
                    .tx
                    .send(Err(io::Error::new(
                        io::ErrorKind::ConnectionReset,
                        "injected reset",
                    )))
                    .await;
                return "";
            }
            if f.stall_after == Some(i) {
                self.state.counters.record(self.route, outcome::STALL);
                self.tx.closed().await;
                return "";
            }
            if f.truncate_after == Some(i) && i < self.events.len() {
                self.state.counters.record(self.route, outcome::TRUNCATED);
                return "";
            }
            let Some(event) = self.events.get(i) else {
                break;
            };
            if f.corrupt_after == Some(i) {
                self.state.counters.record(self.route, outcome::CORRUPT);
                self.send(self.corrupt_frame(&event.frame)).await;
                return "";
            }
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
