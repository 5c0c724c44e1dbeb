//! The per-call hooks of a stream's SDK operation (taking the event-stream body, the trace
//! points), run by one interceptor on the client instead of interceptors on the operation.
//!
//! Why: an operation interceptor needs `customize()`, and a customized send builds a
//! configuration override for that one call (an empty `config::Builder`, a
//! `ConfigOverrideRuntimePlugin` that clones the client's runtime components, one more
//! configuration layer and components merge in the orchestrator, a boxed future): work on the
//! way to the request that the plain `send()` of the raw-SDK floor does not do (BENCHMARKS.md,
//! "First sentence, sixth pass"). The client's [`CallHooks`] reads the call's [`CallScope`]
//! from a task-local set around the SDK's `send` future (the orchestrator runs the
//! interceptors inside that future's polls); outside a scope (the other operations on the
//! same client, the credential providers' own calls) it does nothing. The configuration
//! (retries, timeouts, credentials, signing, skew) is the client's either way: the override
//! was empty.

use crate::eventstream::TakeBody;
use crate::trace::{Point, Trace};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeDeserializationInterceptorContextMut, BeforeDeserializationInterceptorContextRef,
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use std::future::Future;
use std::sync::Arc;

tokio::task_local! {
    static CALL: CallScope;
}

/// What the client's interceptor does for one call.
#[derive(Debug, Default)]
pub(crate) struct CallScope {
    /// Takes a 2xx response's body for the engine's own decoder (`None`: the SDK's receiver
    /// reads it).
    pub(crate) take: Option<TakeBody>,
    /// Marks the orchestrator's phases of a traced call.
    pub(crate) trace: Option<Arc<Trace>>,
}

/// Runs `send` (an SDK operation's send future) with `scope` as its call's hooks.
pub(crate) async fn with_scope<F: Future>(scope: CallScope, send: F) -> F::Output {
    CALL.scope(scope, send).await
}

fn mark(point: Point) {
    let _ = CALL.try_with(|c| {
        if let Some(t) = &c.trace {
            t.mark(point);
        }
    });
}

/// The client-level interceptor of [`CallScope`]s (pushed on every engine client).
#[derive(Debug)]
pub struct CallHooks;

impl Intercept for CallHooks {
    fn name(&self) -> &'static str {
        "AybizaCallHooks"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        mark(Point::Execution);
        Ok(())
    }

    fn read_after_serialization(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        mark(Point::Serialized);
        Ok(())
    }

    fn read_after_signing(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        mark(Point::Signed);
        Ok(())
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        mark(Point::Transmit);
        Ok(())
    }

    fn read_after_transmit(
        &self,
        _context: &BeforeDeserializationInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        mark(Point::Headers);
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        take(context.response_mut());
        Ok(())
    }
}

/// Gives a 2xx body to the current call's taker, if it has one.
fn take(response: &mut HttpResponse) {
    let _ = CALL.try_with(|c| {
        if let Some(take) = &c.take {
            take.take(response);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eventstream::take_body;
    use aws_smithy_types::body::SdkBody;
    use std::time::Instant;

    fn response(status: u16, body: &'static str) -> HttpResponse {
        HttpResponse::try_from(
            http::Response::builder()
                .status(status)
                .body(SdkBody::from(body))
                .unwrap(),
        )
        .unwrap()
    }

    /// Two calls interleaved on one thread (as on a shard) each see their own scope; outside
    /// any scope the hooks do nothing.
    #[tokio::test(flavor = "current_thread")]
    async fn each_call_sees_its_own_scope_and_none_outside() {
        let (a_take, a_slot, _) = take_body();
        let (b_take, b_slot, _) = take_body();
        let a_trace = Trace::new(Instant::now(), 0);
        let b_trace = Trace::new(Instant::now(), 0);
        let scope = |take, trace: &Arc<Trace>| CallScope {
            take: Some(take),
            trace: Some(trace.clone()),
        };
        let a = with_scope(scope(a_take, &a_trace), async {
            mark(Point::Execution);
            tokio::task::yield_now().await;
            let mut r = response(200, "a-body");
            take(&mut r);
            tokio::task::yield_now().await;
            mark(Point::Headers);
        });
        let b = with_scope(scope(b_take, &b_trace), async {
            tokio::task::yield_now().await;
            mark(Point::Transmit);
            // A non-2xx response stays with the SDK (its error mapping).
            let mut r = response(400, "b-error");
            take(&mut r);
            assert_eq!(r.body().bytes(), Some(&b"b-error"[..]));
        });
        tokio::join!(a, b);
        let names = |t: &Arc<Trace>| t.marks().iter().map(|m| m.0).collect::<Vec<_>>();
        assert_eq!(names(&a_trace), ["entry", "execution", "headers"]);
        assert_eq!(names(&b_trace), ["entry", "transmit"]);
        let body = a_slot.take().expect("a's 2xx body taken");
        assert_eq!(body.bytes(), Some(&b"a-body"[..]));
        assert!(b_slot.take().is_none());

        // No scope: nothing marked, nothing taken (the client's other operations).
        mark(Point::Signed);
        let mut r = response(200, "kept");
        take(&mut r);
        assert_eq!(r.body().bytes(), Some(&b"kept"[..]));
        assert_eq!(names(&a_trace), ["entry", "execution", "headers"]);
    }
}
