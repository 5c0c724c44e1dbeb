//! Opt-in timestamps of one call's path to its first sentence (`stream/2`'s
//! `trace_timings: true`, the bench's `ttfs_breakdown`): where the microseconds between the
//! call and the first sentence go. Off (the default) a call carries no `Trace` and pays one
//! `Option` check per point; on, each point is one clock read and one atomic store, the
//! first time it is reached.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeDeserializationInterceptorContextRef, BeforeSerializationInterceptorContextRef,
    BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// The points of the path, in the order a call reaches them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
pub enum Point {
    /// The request, configuration and options are decoded (the NIF's term walk).
    Decoded,
    /// The request is converted and validated and the task spawned (`start` returned).
    Spawned,
    /// The task's first poll on a runtime worker.
    TaskStart,
    /// The SDK client (Converse) or the credentials (Messages API) are at hand.
    Client,
    /// The SDK's orchestrator started (Converse: the operation's input is built).
    Execution,
    /// The request body is serialized.
    Serialized,
    /// The request is signed (SigV4).
    Signed,
    /// The request is handed to the HTTP connector (connection checkout, write, the
    /// server's answer follow).
    Transmit,
    /// The response headers arrived (the connector's future completed).
    Headers,
    /// The call has the response (Converse: the SDK's initial response is deserialized).
    Response,
    /// The first stream event is decoded (Converse `messageStart`, SSE `message_start`).
    FirstEvent,
    /// The first text (or tool input) delta is decoded: the first token, as
    /// `Timings::first_token_us` counts it.
    FirstText,
    /// The segmenter cut the first sentence.
    SentenceCut,
    /// The first sentence's message was sent to the receiver (`enif_send` returned).
    SentenceSent,
}

const POINTS: usize = Point::SentenceSent as usize + 1;

const NAMES: [&str; POINTS] = [
    "decoded",
    "spawned",
    "task_start",
    "client",
    "execution",
    "serialized",
    "signed",
    "transmit",
    "headers",
    "response",
    "first_event",
    "first_text",
    "sentence_cut",
    "sentence_sent",
];

/// Nanoseconds from a base instant (the NIF's entry) to each point, 0 for a point not
/// reached. Shared by the task, the SDK interceptor and the NIF.
#[derive(Debug)]
pub struct Trace {
    base: Instant,
    /// The caller's clock at `base`, in ns (the NIF: the VM's monotonic time), so the
    /// points can be compared with timestamps taken by the caller.
    base_clock_ns: i64,
    marks: [AtomicU64; POINTS],
}

impl Trace {
    pub fn new(base: Instant, base_clock_ns: i64) -> Arc<Trace> {
        Arc::new(Trace {
            base,
            base_clock_ns,
            marks: std::array::from_fn(|_| AtomicU64::new(0)),
        })
    }

    /// The caller's clock at the base instant, in ns.
    pub fn base_clock_ns(&self) -> i64 {
        self.base_clock_ns
    }

    /// Records `point` now, unless it was reached already (the first time counts).
    pub fn mark(&self, point: Point) {
        let slot = &self.marks[point as usize];
        if slot.load(Ordering::Relaxed) == 0 {
            let ns = (self.base.elapsed().as_nanos() as u64).max(1);
            let _ = slot.compare_exchange(0, ns, Ordering::Relaxed, Ordering::Relaxed);
        }
    }

    /// The base (`entry`) and the points reached, by name, on the caller's clock (ns).
    pub fn marks(&self) -> Vec<(&'static str, i64)> {
        let reached = NAMES.iter().zip(self.marks.iter()).filter_map(|(name, m)| {
            match m.load(Ordering::Relaxed) {
                0 => None,
                ns => Some((*name, self.base_clock_ns.saturating_add(ns as i64))),
            }
        });
        std::iter::once(("entry", self.base_clock_ns))
            .chain(reached)
            .collect()
    }
}

/// Marks `point` on an optional trace.
pub fn mark(trace: &Option<Arc<Trace>>, point: Point) {
    if let Some(t) = trace {
        t.mark(point);
    }
}

/// Marks the SDK orchestrator's phases of a traced Converse call.
#[derive(Debug)]
pub struct TraceInterceptor(pub Arc<Trace>);

impl Intercept for TraceInterceptor {
    fn name(&self) -> &'static str {
        "AybizaTrace"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.mark(Point::Execution);
        Ok(())
    }

    fn read_after_serialization(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.mark(Point::Serialized);
        Ok(())
    }

    fn read_after_signing(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.mark(Point::Signed);
        Ok(())
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.mark(Point::Transmit);
        Ok(())
    }

    fn read_after_transmit(
        &self,
        _context: &BeforeDeserializationInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.mark(Point::Headers);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_point_keeps_its_first_time_and_unreached_points_are_left_out() {
        let t = Trace::new(Instant::now(), 1_000);
        t.mark(Point::TaskStart);
        let first = t.marks();
        std::thread::sleep(std::time::Duration::from_millis(2));
        t.mark(Point::TaskStart);
        t.mark(Point::Headers);
        let marks = t.marks();
        assert_eq!(marks.len(), 3);
        assert_eq!(marks[0], ("entry", 1_000));
        assert_eq!(marks[1], first[1]);
        assert_eq!(marks[1].0, "task_start");
        assert_eq!(marks[2].0, "headers");
        assert!(marks[1].1 > 1_000);
        assert!(marks[2].1 >= marks[1].1 + 2_000_000);
    }
}
