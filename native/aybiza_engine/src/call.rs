//! Starting, running and cancelling calls. Each call is one tokio task on the shared
//! runtime; `start` only decodes and spawns, so it returns in microseconds.

use crate::clients::{client_with, Attempts};
use crate::config::{decode_config, ClientConfig};
use crate::convert::{guardrail_trace_to_json, output_block_to_json, to_sdk, SdkConverse};
use crate::errors::{from_sdk, request_id, status};
use crate::events::{Event, EventSink, ReceiverGone, SentenceSplitter, Summary, Usage};
use crate::eventstream::{self, Delta, Frames};
use crate::hooks::{self, CallScope};
use crate::idle::{Idle, IdleTimer};
use crate::messages::{self, MessagesCall};
use crate::runtime;
use crate::state::{StreamState, MAX_EVENT_BYTES};
use crate::trace::{Point, Trace};
use aws_sdk_bedrockruntime::operation::RequestId;
use aws_sdk_bedrockruntime::primitives::Blob;
use aws_sdk_bedrockruntime::types as sdk;
use aws_sdk_bedrockruntime::Client;
use aybiza_core::catalog::{estimate_tokens, preflight};
use aybiza_core::catalog::{CacheDetail, CacheTtl};
use aybiza_core::error::{Error, ErrorKind, Phase};
use aybiza_core::limits::Limits;
use aybiza_core::messages::{
    count_tokens_body, to_messages_body, MessagesEndpoint, COUNT_TOKENS_PATH, MESSAGES_PATH,
};
use aybiza_core::request::{
    decode_converse_with, decode_invoke_with, estimate_input_tokens, is_anthropic_model,
    InvokeRequest,
};
use futures_util::FutureExt;
use serde_json::Value;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use tokio::time::timeout;

/// The Bedrock Runtime operation of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    ConverseStream,
    Converse,
    InvokeModel,
    InvokeModelWithResponseStream,
    /// Opens a pooled connection to the endpoint without doing any model work.
    Warm,
    /// The Anthropic Messages API (`/anthropic/v1/messages`), streamed as SSE.
    Messages(MessagesEndpoint),
    /// Bedrock Runtime CountTokens for a Converse-shaped request.
    CountTokens,
    /// The Messages API's `count_tokens` (for models CountTokens does not serve).
    MessagesCountTokens(MessagesEndpoint),
}

impl Operation {
    pub fn from_name(name: &str) -> Option<Operation> {
        Some(match name {
            "converse_stream" => Operation::ConverseStream,
            "converse" => Operation::Converse,
            "invoke_model" => Operation::InvokeModel,
            "invoke_model_with_response_stream" => Operation::InvokeModelWithResponseStream,
            "warm" => Operation::Warm,
            "messages" => Operation::Messages(MessagesEndpoint::Runtime),
            "messages_mantle" => Operation::Messages(MessagesEndpoint::Mantle),
            "count_tokens" => Operation::CountTokens,
            "messages_count_tokens" => Operation::MessagesCountTokens(MessagesEndpoint::Runtime),
            "messages_count_tokens_mantle" => {
                Operation::MessagesCountTokens(MessagesEndpoint::Mantle)
            }
            _ => return None,
        })
    }
}

static LIVE_CALLS: AtomicUsize = AtomicUsize::new(0);

/// Calls whose task is still alive (streams and non-streaming calls).
pub fn live_calls() -> usize {
    LIVE_CALLS.load(Ordering::SeqCst)
}

/// Whether at most one live call per runtime worker: the workers are then likely parked,
/// so a wake-up hand-off (a spawn, a message to a sleeping BEAM scheduler) is worth giving
/// up the core for once; with more calls the workers are busy and a yield would only hand
/// the core to a busy thread. `workers`: the runtime's worker count.
pub fn few_calls_live(workers: usize) -> bool {
    live_calls() <= workers
}

/// Counts the task as live from spawn until its future is dropped, however it ends.
pub(crate) struct LiveGuard;

impl LiveGuard {
    pub(crate) fn new() -> Self {
        LIVE_CALLS.fetch_add(1, Ordering::SeqCst);
        LiveGuard
    }
}

impl Drop for LiveGuard {
    fn drop(&mut self) {
        LIVE_CALLS.fetch_sub(1, Ordering::SeqCst);
    }
}

#[derive(Default)]
struct CancelState {
    cancelled: AtomicBool,
    notify: Notify,
}

/// Cancels its call. Cloneable; cancelling twice is harmless.
#[derive(Clone)]
pub struct CallHandle {
    state: Arc<CancelState>,
}

impl CallHandle {
    /// Stops the call: the task ends at its next await point, drops the HTTP response
    /// (releasing the connection) and sends one terminal `cancelled` error if the receiver
    /// is still there.
    pub fn cancel(&self) {
        if !self.state.cancelled.swap(true, Ordering::SeqCst) {
            // notify_one stores a permit if the task is not waiting yet.
            self.state.notify.notify_one();
        }
    }

    pub fn is_cancelled(&self) -> bool {
        self.state.cancelled.load(Ordering::SeqCst)
    }
}

/// Per-call options.
#[derive(Default)]
pub struct CallOptions {
    pub splitter: Option<Box<dyn SentenceSplitter>>,
    /// Size and depth limits the request is decoded under.
    pub limits: Limits,
    /// When a stream ends without usage from Bedrock (cancelled, cut off, failed), ask
    /// CountTokens for the request's exact input tokens before the terminal message.
    pub exact_token_counts: bool,
    /// How long text may be held for more text of the same block before it is sent (see
    /// `StreamState`'s coalescing). Zero (the default): only deltas decoded from the same
    /// read are joined, and nothing waits.
    pub coalesce_window: Duration,
    /// Read ConverseStream and InvokeModelWithResponseStream bodies with the SDK's own
    /// event-stream receiver instead of the engine's decoder (`eventstream.rs`). Off by
    /// default; kept so tests and benchmarks can run both on the same replies.
    pub sdk_event_receiver: bool,
    /// Times the path to the first sentence (see [`crate::trace`]); `None`: not traced.
    pub trace: Option<Arc<Trace>>,
}

/// The largest coalescing window a call accepts.
pub const MAX_COALESCE_WINDOW: Duration = Duration::from_millis(50);

enum Prepared {
    /// The request and its estimated input tokens (for pricing an interrupted stream).
    Converse(Box<SdkConverse>, u64),
    Invoke(InvokeRequest),
    /// A Messages-API call, the caller's model id and the estimated input tokens.
    Messages(MessagesCall, String, u64),
    Warm,
}

/// Decodes and validates everything, then spawns the call. Errors here are returned
/// directly (nothing is sent to the sink).
pub fn start(
    operation: Operation,
    request: &Value,
    config: &Value,
    options: CallOptions,
    sink: Box<dyn EventSink>,
) -> Result<CallHandle, Error> {
    start_with_config(operation, request, decode_config(config)?, options, sink)
}

/// [`start`] with the client configuration already decoded (the NIF keeps the configurations
/// it decoded: a caller passes the same one call after call).
pub fn start_with_config(
    operation: Operation,
    request: &Value,
    config: ClientConfig,
    options: CallOptions,
    sink: Box<dyn EventSink>,
) -> Result<CallHandle, Error> {
    let prepared = prepare(operation, request, &options.limits, &config.region)?;
    // The request is kept only when the caller wants exact counts for an interrupted call.
    let count = match operation {
        _ if !options.exact_token_counts => None,
        Operation::ConverseStream => Some((Operation::CountTokens, request.clone())),
        Operation::Messages(endpoint) => {
            Some((Operation::MessagesCountTokens(endpoint), request.clone()))
        }
        _ => None,
    };
    Ok(spawn(operation, prepared, config, options, count, sink))
}

/// Decodes and validates a request for `operation` under `limits`, with the catalog's
/// pre-flight rules for `region` where the API has them.
fn prepare(
    operation: Operation,
    request: &Value,
    limits: &Limits,
    region: &str,
) -> Result<Prepared, Error> {
    Ok(match operation {
        Operation::ConverseStream | Operation::Converse => {
            let mut req = decode_converse_with(request, limits)?;
            // Converse's GuardrailConfiguration has no stream processing mode: refused, not
            // silently dropped.
            if operation == Operation::Converse
                && req
                    .guardrail_config
                    .as_ref()
                    .is_some_and(|g| g.stream_processing_mode.is_some())
            {
                return Err(Error::invalid_request(
                    "guardrail_config.stream_processing_mode",
                    "applies to streaming calls (ConverseStream) only",
                ));
            }
            // Catalog rules (lifecycle, profile, sampling, thinking) before any network.
            preflight::check_converse(&mut req, region)?;
            let input_tokens = estimate_input_tokens(&req);
            Prepared::Converse(Box::new(to_sdk(&req)?), input_tokens)
        }
        Operation::InvokeModel | Operation::InvokeModelWithResponseStream => {
            let mut req = decode_invoke_with(request, limits)?;
            preflight::check_invoke(&mut req, region)?;
            Prepared::Invoke(req)
        }
        Operation::Warm => Prepared::Warm,
        Operation::CountTokens => {
            let req = decode_converse_with(request, limits)?;
            preflight::check_count_tokens(&req.model_id)?;
            Prepared::Converse(Box::new(to_sdk(&req)?), 0)
        }
        Operation::Messages(endpoint) | Operation::MessagesCountTokens(endpoint) => {
            let mut req = decode_converse_with(request, limits)?;
            preflight::check_messages(&mut req, region)?;
            let input_tokens = estimate_input_tokens(&req);
            let body = to_messages_body(&req, endpoint)?;
            let (body, path) = if matches!(operation, Operation::Messages(_)) {
                (body, MESSAGES_PATH)
            } else {
                (count_tokens_body(body), COUNT_TOKENS_PATH)
            };
            let call = MessagesCall {
                endpoint,
                body,
                path,
            };
            Prepared::Messages(call, req.model_id, input_tokens)
        }
    })
}

/// A sink for internal calls whose events nobody hears.
struct Discard;

impl EventSink for Discard {
    fn send(&mut self, _event: Event) -> Result<(), ReceiverGone> {
        Ok(())
    }
}

/// The exact input tokens of `request` by CountTokens (`operation` is a count operation),
/// or `None` when counting fails or takes longer than the first-byte timeout (capped at 5 s).
async fn exact_input_tokens(
    operation: Operation,
    request: &Value,
    limits: &Limits,
    config: &ClientConfig,
) -> Option<u64> {
    let prepared = prepare(operation, request, limits, &config.region).ok()?;
    let summary = Summary::default();
    let mut state = StreamState::new(Box::new(Discard), None, Instant::now(), summary);
    let limit = config.timeouts.first_byte.min(Duration::from_secs(5));
    let work = AssertUnwindSafe(run(operation, prepared, config, &mut state)).catch_unwind();
    match timeout(limit, work).await {
        Ok(Ok(Ok(()))) => state
            .summary
            .body
            .as_ref()
            .and_then(|b| b.get("input_tokens"))
            .and_then(Value::as_u64),
        _ => None,
    }
}

fn spawn(
    operation: Operation,
    prepared: Prepared,
    config: ClientConfig,
    options: CallOptions,
    count: Option<(Operation, Value)>,
    sink: Box<dyn EventSink>,
) -> CallHandle {
    let cancel = Arc::new(CancelState::default());
    let handle = CallHandle {
        state: cancel.clone(),
    };
    let guard = LiveGuard::new();
    // The call's state is a few KB: the large futures (the SDK's sends, a client build,
    // the error path's token count) are boxed where they are awaited, so the moves here and in
    // the task's first poll copy little (moved inline, ~20 KB was copied 3 times on this thread
    // and 4 more on the worker: BENCHMARKS.md, "First sentence, eighth pass"). Boxed here too,
    // so the spawn moves a pointer.
    spawn_call(Box::pin(async move {
        crate::trace::mark(&options.trace, Point::TaskStart);
        let _guard = guard;
        let started = Instant::now();
        let (model_id, request_input_tokens) = match &prepared {
            Prepared::Converse(c, tokens) => (c.model_id.clone(), *tokens),
            Prepared::Invoke(i) => (i.model_id.clone(), estimate_tokens(&i.body.to_string())),
            Prepared::Messages(_, model_id, tokens) => (model_id.clone(), *tokens),
            Prepared::Warm => (String::new(), 0),
        };
        let summary = Summary {
            model_id,
            region: config.region.clone(),
            request_input_tokens,
            ..Summary::default()
        };
        let mut state = StreamState::new(sink, options.splitter, started, summary)
            .with_coalesce_window(options.coalesce_window.min(MAX_COALESCE_WINDOW))
            .with_sdk_event_receiver(options.sdk_event_receiver)
            .with_trace(options.trace);
        let total = config.timeouts.total;

        let outcome = {
            let work =
                AssertUnwindSafe(run(operation, prepared, &config, &mut state)).catch_unwind();
            tokio::select! {
                biased;
                _ = cancelled(&cancel) => Err(Stop::Failed(Error::new(
                    ErrorKind::Cancelled, "the call was cancelled"))),
                r = timeout(total, work) => match r {
                    Err(_) => Err(Stop::Failed(Error::new(
                        ErrorKind::Timeout,
                        format!("the call exceeded its total timeout of {} ms", total.as_millis())))),
                    Ok(Err(panic)) => Err(Stop::Failed(Error::new(
                        ErrorKind::Internal, format!("the call task panicked: {}", panic_text(&panic))))),
                    Ok(Ok(r)) => r,
                },
            }
        };
        // Text held when the call stopped goes out before anything else (a cancelled
        // call's sink drops it); never held across the token count below.
        let outcome = match state.flush_text() {
            Err(ReceiverGone) if outcome.is_ok() => Err(Stop::ReceiverGone),
            _ => outcome,
        };
        if let (Err(Stop::Failed(_)), Some((op, req))) = (&outcome, &count) {
            if state.summary.usage.is_none() {
                // Boxed: it holds a whole `run`; only failed calls pay for it.
                let count = Box::pin(exact_input_tokens(*op, req, &options.limits, &config));
                if let Some(n) = count.await {
                    state.summary.request_input_tokens = n;
                    state.summary.input_tokens_exact = true;
                }
            }
        }
        finish(&mut state, outcome);
    }));
    handle
}

/// Places a call's task on one of the runtime's shards (the least loaded), where it and the
/// connection task serving it stay.
fn spawn_call(task: impl std::future::Future<Output = ()> + Send + 'static) {
    runtime::spawn(task);
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}

async fn cancelled(state: &CancelState) {
    loop {
        if state.cancelled.load(Ordering::SeqCst) {
            return;
        }
        state.notify.notified().await;
    }
}

/// Why a call stopped early.
pub(crate) enum Stop {
    Failed(Error),
    ReceiverGone,
}

impl From<ReceiverGone> for Stop {
    fn from(_: ReceiverGone) -> Self {
        Stop::ReceiverGone
    }
}

/// Sends the one terminal message.
fn finish(state: &mut StreamState, outcome: Result<(), Stop>) {
    match outcome {
        Ok(()) => {
            let summary = state.take_summary();
            let _ = state.send(Event::Done(Box::new(summary)));
        }
        Err(Stop::ReceiverGone) => {}
        Err(Stop::Failed(mut error)) => {
            error.request_id = error
                .request_id
                .take()
                .or_else(|| state.summary.request_id.clone());
            if state.anything_delivered() {
                error = error.mid_stream(state.delivered());
            } else {
                error.phase = Phase::BeforeStream;
            }
            let mut summary = state.take_summary();
            if summary.usage.is_none() {
                summary.usage_estimated = true;
            }
            let _ = state.send(Event::Error(Box::new(error), Some(Box::new(summary))));
        }
    }
}

async fn run(
    operation: Operation,
    prepared: Prepared,
    config: &ClientConfig,
    state: &mut StreamState,
) -> Result<(), Stop> {
    if let Prepared::Messages(..) = prepared {
        // The Messages API needs no SDK client unless it signs (it then fetches one for
        // the credentials).
        return match (operation, prepared) {
            (Operation::Messages(_), Prepared::Messages(call, ..)) => {
                messages::stream(call, config, state).await
            }
            (Operation::MessagesCountTokens(_), Prepared::Messages(call, ..)) => {
                messages::count_tokens(call, config, state).await
            }
            _ => Err(Stop::Failed(Error::new(
                ErrorKind::Internal,
                "operation and request do not match",
            ))),
        };
    }
    // Streams and the warm-up make one attempt (a retried stream could repeat what the
    // caller already heard); the other calls keep the SDK's standard retries.
    let attempts = match operation {
        Operation::ConverseStream | Operation::InvokeModelWithResponseStream | Operation::Warm => {
            Attempts::Single
        }
        _ => Attempts::Standard,
    };
    let client = client_with(config, attempts).await;
    state.mark(Point::Client);
    match (operation, prepared) {
        (Operation::ConverseStream, Prepared::Converse(req, _)) => {
            converse_stream(&client, *req, config, state).await
        }
        (Operation::Converse, Prepared::Converse(req, _)) => {
            converse(&client, *req, config, state).await
        }
        (Operation::InvokeModel, Prepared::Invoke(req)) => {
            invoke(&client, req, config, state).await
        }
        (Operation::InvokeModelWithResponseStream, Prepared::Invoke(req)) => {
            invoke_stream(&client, req, config, state).await
        }
        (Operation::Warm, _) => warm(&client, config, state).await,
        (Operation::CountTokens, Prepared::Converse(req, _)) => {
            count_tokens(&client, *req, config, state).await
        }
        _ => Err(Stop::Failed(Error::new(
            ErrorKind::Internal,
            "operation and request do not match",
        ))),
    }
}

/// Awaits the response headers within the first-byte timeout.
async fn first_byte<T, F>(limit: Duration, fut: F) -> Result<T, Stop>
where
    F: std::future::Future<Output = Result<T, Error>>,
{
    match timeout(limit, fut).await {
        Ok(r) => r.map_err(Stop::Failed),
        Err(_) => Err(Stop::Failed(Error::new(
            ErrorKind::FirstByteTimeout,
            format!("no response within {} ms", limit.as_millis()),
        ))),
    }
}

fn idle_error(limit: Duration) -> Stop {
    Stop::Failed(Error::new(
        ErrorKind::IdleTimeout,
        format!("no event for {} ms", limit.as_millis()),
    ))
}

pub(crate) fn sdk_error<E, R>(err: aws_sdk_bedrockruntime::error::SdkError<E, R>) -> Error
where
    E: aws_sdk_bedrockruntime::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + crate::errors::HttpStatus,
{
    let mut e = from_sdk(&err);
    e.status = status(&err);
    e.request_id = request_id(&err);
    e
}

fn usage_from(u: &sdk::TokenUsage) -> Usage {
    Usage {
        input_tokens: u.input_tokens().max(0) as u64,
        output_tokens: u.output_tokens().max(0) as u64,
        total_tokens: u.total_tokens().max(0) as u64,
        cache_read_input_tokens: u.cache_read_input_tokens().unwrap_or(0).max(0) as u64,
        cache_write_input_tokens: u.cache_write_input_tokens().unwrap_or(0).max(0) as u64,
        cache_details: cache_details_by_ttl(u.cache_details()),
    }
}

/// Bedrock's `cacheDetails`, one entry per TTL (in first-seen order), summed: the server
/// decides how many entries it sends, and the summary's usage must stay a valid
/// `Cost.calculate` input (at most `MAX_CACHE_DETAILS` entries) with the same bill.
fn cache_details_by_ttl(details: &[sdk::CacheDetail]) -> Vec<CacheDetail> {
    let mut out: Vec<CacheDetail> = Vec::new();
    for d in details {
        let Some(ttl) = CacheTtl::from_bedrock(d.ttl().as_str()) else {
            continue;
        };
        // i32 counts: no u64 sum of a frame's entries overflows.
        let tokens = d.input_tokens().max(0) as u64;
        match out.iter_mut().find(|e| e.ttl == ttl) {
            Some(e) => e.input_tokens += tokens,
            None => out.push(CacheDetail {
                input_tokens: tokens,
                ttl,
            }),
        }
    }
    out
}

/// Sets the request fields Converse and ConverseStream share (their builders are distinct
/// types with the same setters).
macro_rules! converse_fields {
    ($builder:expr, $req:expr) => {
        $builder
            .model_id(&$req.model_id)
            .set_messages(Some($req.messages))
            .set_system((!$req.system.is_empty()).then_some($req.system))
            .set_inference_config($req.inference_config)
            .set_tool_config($req.tool_config)
            .set_additional_model_request_fields($req.additional_model_request_fields)
            .set_additional_model_response_field_paths(
                (!$req.additional_model_response_field_paths.is_empty())
                    .then_some($req.additional_model_response_field_paths),
            )
            .set_performance_config($req.performance_config)
            .set_request_metadata(
                (!$req.request_metadata.is_empty()).then_some($req.request_metadata),
            )
    };
}

/// The next event of a stream within the idle timeout (the SDK receiver's path). Its
/// failures are mapped as the engine's own decoder maps them: a body that breaks off is
/// `crate::errors::broke_off`, one that ends inside a frame `ended_inside(last_event)`, and
/// any unreadable bytes once the last event arrived (`stopped`) `trailing_bytes`.
async fn next_event<T, E, R>(
    idle: &mut IdleTimer,
    recv: impl std::future::Future<
        Output = Result<Option<T>, aws_sdk_bedrockruntime::error::SdkError<E, R>>,
    >,
    last_event: &str,
    stopped: bool,
) -> Result<Option<T>, Stop>
where
    E: aws_sdk_bedrockruntime::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + crate::errors::HttpStatus,
{
    use aws_sdk_bedrockruntime::error::SdkError;
    match idle.run(recv).await {
        Err(Idle) => Err(idle_error(idle.limit())),
        Ok(Err(SdkError::DispatchFailure(df))) if !df.is_timeout() && !df.is_user() => {
            Err(Stop::Failed(match df.as_connector_error() {
                Some(c) => crate::errors::broke_off(c),
                None => Error::new(ErrorKind::Connect, "the connection to Bedrock broke off"),
            }))
        }
        Ok(Err(SdkError::ResponseError(_))) if stopped => Err(trailing_bytes()),
        Ok(Err(e)) if crate::errors::ended_inside_frame(&e) => Err(ended_inside(last_event)),
        Ok(Err(SdkError::ResponseError(_))) => Err(Stop::Failed(crate::errors::unreadable_event())),
        Ok(Err(e)) => Err(Stop::Failed(sdk_error(e))),
        Ok(Ok(next)) => Ok(next),
    }
}

async fn converse_stream(
    client: &Client,
    req: SdkConverse,
    config: &ClientConfig,
    state: &mut StreamState,
) -> Result<(), Stop> {
    let mut b = converse_fields!(client.converse_stream(), req);
    if let Some(g) = req.guardrail {
        let mut gb = sdk::GuardrailStreamConfiguration::builder()
            .guardrail_identifier(g.identifier)
            .guardrail_version(g.version);
        if let Some(t) = g.trace {
            gb = gb.trace(sdk::GuardrailTrace::from(t.as_str()));
        }
        if let Some(m) = g.stream_processing_mode {
            gb = gb.stream_processing_mode(sdk::GuardrailStreamProcessingMode::from(m.as_str()));
        }
        b = b.guardrail_config(gb.build());
    }
    let raw = !state.sdk_event_receiver();
    let (take, slot, feed) = eventstream::take_body();
    // One attempt: `client` is the configuration's single-attempt client (`run`). The
    // body taker and the trace run in the client's interceptor (hooks.rs): no per-call
    // configuration override.
    let scope = CallScope {
        take: raw.then_some(take),
        trace: state.trace().cloned(),
    };
    // Boxed: the SDK's send future is most of the call's state; inline, the whole state
    // was copied on the scheduler thread at the spawn (BENCHMARKS.md, "eighth pass").
    let send = Box::pin(hooks::with_scope(scope, b.send()));
    let output = first_byte(config.timeouts.first_byte, async {
        send.await.map_err(sdk_error)
    })
    .await?;
    state.first_byte();
    state.summary.request_id = output.request_id().map(str::to_string);
    let mut stream = output.stream;
    let mut idle = IdleTimer::new(config.timeouts.idle);
    // A body that ends before messageStop is a cut answer, not a finished one.
    let mut stopped = false;
    if let Some(body) = slot.take() {
        let mut frames = Frames::new(body, feed);
        loop {
            let more = read_body(state, &mut idle, &mut frames).await?;
            // Every whole frame of this read; text deltas among them are coalesced.
            while let Some(frame) = frames.next_frame().map_err(Stop::Failed)? {
                if let Some((index, delta)) = eventstream::converse_delta(&frame) {
                    event_fits(delta.len())?;
                    match delta {
                        Delta::Text(t) => state.text_delta(index, &t)?,
                        Delta::ToolInput(i) => state.tool_delta(index, &i)?,
                        Delta::ReasoningText(t) => state.reasoning_delta(index, &t)?,
                        Delta::ReasoningSignature(s) => state.reasoning_signature(index, &s),
                    }
                } else if let Some(ev) = frames
                    .through_sdk(&mut stream, frame)
                    .map_err(Stop::Failed)?
                {
                    converse_event(ev, state, &mut stopped)?;
                }
                state.check_answer_size().map_err(Stop::Failed)?;
                state.pace().await?;
            }
            if !more {
                break;
            }
        }
        check_body_end(&frames, stopped, "messageStop")?;
    } else {
        while let Some(next) = state
            .next(next_event(&mut idle, stream.recv(), "messageStop", stopped))
            .await??
        {
            converse_event(next, state, &mut stopped)?;
            state.check_answer_size().map_err(Stop::Failed)?;
            state.pace().await?;
        }
    }
    if !stopped {
        return Err(ended_early("messageStop"));
    }
    state.finish_message()?;
    Ok(())
}

/// One ConverseStream event as the SDK types it (every event on the SDK receiver's path;
/// on the default path every event but the deltas `eventstream::converse_delta` takes).
fn converse_event(
    next: sdk::ConverseStreamOutput,
    state: &mut StreamState,
    stopped: &mut bool,
) -> Result<(), Stop> {
    match next {
        sdk::ConverseStreamOutput::MessageStart(_) => state.message_start()?,
        sdk::ConverseStreamOutput::ContentBlockStart(ev) => {
            if let Some(sdk::ContentBlockStart::ToolUse(tu)) = ev.start() {
                state.tool_start(
                    i64::from(ev.content_block_index()),
                    tu.tool_use_id(),
                    tu.name(),
                )?;
            }
        }
        sdk::ConverseStreamOutput::ContentBlockDelta(ev) => {
            let index = i64::from(ev.content_block_index());
            event_fits(converse_delta_len(ev.delta()))?;
            match ev.delta() {
                Some(sdk::ContentBlockDelta::Text(t)) => state.text_delta(index, t)?,
                Some(sdk::ContentBlockDelta::ToolUse(tu)) => state.tool_delta(index, tu.input())?,
                Some(sdk::ContentBlockDelta::ReasoningContent(r)) => match r {
                    sdk::ReasoningContentBlockDelta::Text(t) => state.reasoning_delta(index, t)?,
                    sdk::ReasoningContentBlockDelta::Signature(s) => {
                        state.reasoning_signature(index, s)
                    }
                    _ => {}
                },
                _ => {}
            }
        }
        sdk::ConverseStreamOutput::ContentBlockStop(ev) => {
            state.block_stop(i64::from(ev.content_block_index()))?
        }
        sdk::ConverseStreamOutput::MessageStop(ev) => {
            *stopped = true;
            state.finish_message()?;
            state.stop_reason(ev.stop_reason().as_str())?;
        }
        sdk::ConverseStreamOutput::Metadata(ev) => {
            if let Some(m) = ev.metrics() {
                state.summary.latency_ms = Some(m.latency_ms().max(0) as u64);
            }
            if let Some(u) = ev.usage() {
                state.usage(usage_from(u))?;
            }
            if let Some(g) = ev.trace().and_then(|t| t.guardrail()) {
                state.guardrail_trace(guardrail_trace_to_json(g))?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Bytes of a Converse delta's payload.
fn converse_delta_len(delta: Option<&sdk::ContentBlockDelta>) -> usize {
    match delta {
        Some(sdk::ContentBlockDelta::Text(t)) => t.len(),
        Some(sdk::ContentBlockDelta::ToolUse(tu)) => tu.input().len(),
        Some(sdk::ContentBlockDelta::ReasoningContent(r)) => match r {
            sdk::ReasoningContentBlockDelta::Text(t) => t.len(),
            sdk::ReasoningContentBlockDelta::Signature(s) => s.len(),
            _ => 0,
        },
        _ => 0,
    }
}

/// An error for one streamed event larger than [`MAX_EVENT_BYTES`], before it is copied.
pub(crate) fn event_fits(bytes: usize) -> Result<(), Stop> {
    if bytes > MAX_EVENT_BYTES {
        return Err(Stop::Failed(Error::new(
            ErrorKind::Protocol,
            format!("a streamed event of {bytes} bytes is larger than {MAX_EVENT_BYTES} bytes"),
        )));
    }
    Ok(())
}

/// One read of the raw body into `frames` under the idle timer; whether more may come.
async fn read_body(
    state: &mut StreamState,
    idle: &mut IdleTimer,
    frames: &mut Frames,
) -> Result<bool, Stop> {
    match state.next(idle.run(frames.fill())).await? {
        Err(Idle) => Err(idle_error(idle.limit())),
        Ok(read) => read.map_err(Stop::Failed),
    }
}

/// The end of a raw body: bytes of an unfinished frame left are a cut event before
/// `last_event`, or, once the last event came (`stopped`), bytes that are no event at all
/// (the SDK's receiver: `:protocol` as well).
fn check_body_end(frames: &Frames, stopped: bool, last_event: &str) -> Result<(), Stop> {
    if !frames.has_partial() {
        return Ok(());
    }
    Err(if stopped {
        trailing_bytes()
    } else {
        ended_inside(last_event)
    })
}

/// The error of a stream whose body ended inside a frame (bytes of an unfinished event).
fn ended_inside(last_event: &str) -> Stop {
    Stop::Failed(Error::new(
        ErrorKind::ModelStreamError,
        format!("the stream ended inside an event, before {last_event}"),
    ))
}

/// The error of a body with bytes after its last event that are not a whole frame.
fn trailing_bytes() -> Stop {
    Stop::Failed(Error::new(
        ErrorKind::Protocol,
        "unreadable event stream from Bedrock: bytes after the last event",
    ))
}

/// The error of a stream whose body ended before its last event.
fn ended_early(last_event: &str) -> Stop {
    Stop::Failed(Error::new(
        ErrorKind::ModelStreamError,
        format!("the stream ended before {last_event}"),
    ))
}

async fn converse(
    client: &Client,
    req: SdkConverse,
    config: &ClientConfig,
    state: &mut StreamState,
) -> Result<(), Stop> {
    let mut b = converse_fields!(client.converse(), req);
    if let Some(g) = req.guardrail {
        let mut gb = sdk::GuardrailConfiguration::builder()
            .guardrail_identifier(g.identifier)
            .guardrail_version(g.version);
        if let Some(t) = g.trace {
            gb = gb.trace(sdk::GuardrailTrace::from(t.as_str()));
        }
        b = b.guardrail_config(gb.build());
    }
    // Non-streaming calls keep the SDK's standard retries (3 attempts). Boxed, as in
    // `converse_stream`: the spawned state stays small.
    let send = Box::pin(b.send());
    let output = first_byte(config.timeouts.total, async {
        send.await.map_err(sdk_error)
    })
    .await?;
    state.first_byte();
    state.summary.request_id = output.request_id().map(str::to_string);
    if let Some(sdk::ConverseOutput::Message(msg)) = output.output() {
        for block in msg.content() {
            if let sdk::ContentBlock::Text(t) = block {
                state.summary.text.push_str(t);
            }
            if let Some(v) = output_block_to_json(block) {
                state.push_content(v);
            }
        }
    }
    state.summary.stop_reason = Some(output.stop_reason().as_str().to_string());
    state.summary.usage = output.usage().map(usage_from);
    state.summary.latency_ms = output.metrics().map(|m| m.latency_ms().max(0) as u64);
    state.summary.guardrail_trace = output
        .trace()
        .and_then(|t| t.guardrail())
        .map(guardrail_trace_to_json);
    Ok(())
}

async fn invoke(
    client: &Client,
    req: InvokeRequest,
    config: &ClientConfig,
    state: &mut StreamState,
) -> Result<(), Stop> {
    let body = serde_json::to_vec(&req.body).unwrap_or_default();
    let send = client
        .invoke_model()
        .model_id(&req.model_id)
        .content_type("application/json")
        .accept("application/json")
        .body(Blob::new(body))
        .send();
    let send = Box::pin(send);
    let output = first_byte(config.timeouts.total, async {
        send.await.map_err(sdk_error)
    })
    .await?;
    state.first_byte();
    state.summary.request_id = output.request_id().map(str::to_string);
    let body: Value = serde_json::from_slice(output.body().as_ref()).map_err(|e| {
        Stop::Failed(Error::new(
            ErrorKind::Protocol,
            format!("the model returned invalid JSON: {e}"),
        ))
    })?;
    if is_anthropic_model(&req.model_id) {
        if let Some(blocks) = body.get("content").and_then(Value::as_array) {
            for b in blocks {
                if let Some(t) = b.get("text").and_then(Value::as_str) {
                    state.summary.text.push_str(t);
                }
            }
        }
        state.summary.stop_reason = body
            .get("stop_reason")
            .and_then(Value::as_str)
            .map(str::to_string);
        if let Some(u) = body.get("usage") {
            state.summary.usage = Some(anthropic_usage(u, None));
        }
    }
    state.summary.body = Some(body);
    Ok(())
}

fn num(v: Option<&Value>) -> u64 {
    v.and_then(Value::as_u64).unwrap_or(0)
}

fn anthropic_usage(u: &Value, output_override: Option<u64>) -> Usage {
    let input = num(u.get("input_tokens"));
    let output = output_override.unwrap_or_else(|| num(u.get("output_tokens")));
    let cache_read = num(u.get("cache_read_input_tokens"));
    let cache_write = num(u.get("cache_creation_input_tokens"));
    Usage {
        input_tokens: input,
        output_tokens: output,
        total_tokens: input + output + cache_read + cache_write,
        cache_read_input_tokens: cache_read,
        cache_write_input_tokens: cache_write,
        cache_details: Vec::new(),
    }
}

async fn invoke_stream(
    client: &Client,
    req: InvokeRequest,
    config: &ClientConfig,
    state: &mut StreamState,
) -> Result<(), Stop> {
    let body = serde_json::to_vec(&req.body).unwrap_or_default();
    let raw = !state.sdk_event_receiver();
    let (take, slot, feed) = eventstream::take_body();
    let op = client
        .invoke_model_with_response_stream()
        .model_id(&req.model_id)
        .content_type("application/json")
        .accept("application/json")
        .body(Blob::new(body));
    // One attempt: `client` is the configuration's single-attempt client (`run`).
    let scope = CallScope {
        take: raw.then_some(take),
        trace: state.trace().cloned(),
    };
    // Boxed, as in `converse_stream`: the spawned state stays small.
    let send = Box::pin(hooks::with_scope(scope, op.send()));
    let output = first_byte(config.timeouts.first_byte, async {
        send.await.map_err(sdk_error)
    })
    .await?;
    state.first_byte();
    state.summary.request_id = output.request_id().map(str::to_string);
    let anthropic = is_anthropic_model(&req.model_id);
    let mut stream = output.body;
    let mut idle = IdleTimer::new(config.timeouts.idle);
    // Other providers' chunks have no common last event; Anthropic's end with message_stop.
    let last = if anthropic {
        "message_stop"
    } else {
        "the last event"
    };
    let mut chunks = InvokeChunks {
        anthropic,
        input_usage: Value::Null,
        stopped: false,
    };
    if let Some(body) = slot.take() {
        let mut frames = Frames::new(body, feed);
        loop {
            let more = read_body(state, &mut idle, &mut frames).await?;
            while let Some(frame) = frames.next_frame().map_err(Stop::Failed)? {
                match eventstream::invoke_chunk(&frame) {
                    Some(Some(bytes)) => chunks.chunk(&bytes, state)?,
                    Some(None) => {}
                    None => {
                        if let Some(sdk::ResponseStream::Chunk(part)) = frames
                            .through_sdk(&mut stream, frame)
                            .map_err(Stop::Failed)?
                        {
                            if let Some(bytes) = part.bytes() {
                                chunks.chunk(bytes.as_ref(), state)?;
                            }
                        }
                    }
                }
                state.check_answer_size().map_err(Stop::Failed)?;
                state.pace().await?;
            }
            if !more {
                break;
            }
        }
        check_body_end(&frames, chunks.stopped, last)?;
    } else {
        while let Some(next) = state
            .next(next_event(&mut idle, stream.recv(), last, chunks.stopped))
            .await??
        {
            let sdk::ResponseStream::Chunk(part) = next else {
                continue;
            };
            let Some(bytes) = part.bytes() else { continue };
            chunks.chunk(bytes.as_ref(), state)?;
            state.check_answer_size().map_err(Stop::Failed)?;
            state.pace().await?;
        }
    }
    // Other providers' chunks have no common last event; Anthropic's end with message_stop.
    if anthropic && !chunks.stopped {
        return Err(ended_early("message_stop"));
    }
    state.finish_message()?;
    Ok(())
}

/// The decoding state of an InvokeModelWithResponseStream call's chunks.
struct InvokeChunks {
    anthropic: bool,
    input_usage: Value,
    stopped: bool,
}

impl InvokeChunks {
    /// One chunk's decoded `bytes`: a model-native JSON event.
    fn chunk(&mut self, bytes: &[u8], state: &mut StreamState) -> Result<(), Stop> {
        event_fits(bytes.len())?;
        let chunk: Value = serde_json::from_slice(bytes).map_err(|e| {
            Stop::Failed(Error::new(
                ErrorKind::Protocol,
                format!(
                    "unreadable event stream from Bedrock: an event could not be decoded \
                     (a stream chunk is not JSON: {e})"
                ),
            ))
        })?;
        if self.anthropic {
            self.stopped |= chunk.get("type").and_then(Value::as_str) == Some("message_stop");
            anthropic_event(&chunk, state, &mut self.input_usage)
        } else {
            generic_chunk(&chunk, state)
        }
    }
}

/// One Anthropic Messages stream event (InvokeModelWithResponseStream chunks and the
/// Messages API's SSE data are the same JSON).
pub(crate) fn anthropic_event(
    ev: &Value,
    state: &mut StreamState,
    input_usage: &mut Value,
) -> Result<(), Stop> {
    let index = ev.get("index").and_then(Value::as_i64).unwrap_or(0);
    match ev.get("type").and_then(Value::as_str).unwrap_or("") {
        "message_start" => {
            if let Some(u) = ev.pointer("/message/usage") {
                *input_usage = u.clone();
            }
            state.message_start()?;
        }
        "content_block_start" => {
            let block = ev.get("content_block").unwrap_or(&Value::Null);
            if block.get("type").and_then(Value::as_str) == Some("tool_use") {
                let id = block.get("id").and_then(Value::as_str).unwrap_or("");
                let name = block.get("name").and_then(Value::as_str).unwrap_or("");
                state.tool_start(index, id, name)?;
            }
        }
        "content_block_delta" => {
            // Borrowed, not cloned: this runs once per streamed delta.
            let delta = ev.get("delta").unwrap_or(&Value::Null);
            let s = |k: &str| delta.get(k).and_then(Value::as_str).unwrap_or("");
            match delta.get("type").and_then(Value::as_str).unwrap_or("") {
                "text_delta" => state.text_delta(index, s("text"))?,
                "input_json_delta" => state.tool_delta(index, s("partial_json"))?,
                "thinking_delta" => state.reasoning_delta(index, s("thinking"))?,
                "signature_delta" => state.reasoning_signature(index, s("signature")),
                _ => {}
            }
        }
        "content_block_stop" => state.block_stop(index)?,
        "message_delta" => {
            if let Some(reason) = ev.pointer("/delta/stop_reason").and_then(Value::as_str) {
                state.finish_message()?;
                state.stop_reason(reason)?;
            }
            let output = ev.pointer("/usage/output_tokens").and_then(Value::as_u64);
            let mut usage = anthropic_usage(input_usage, output);
            if usage.input_tokens == 0 {
                usage.input_tokens = num(ev.pointer("/usage/input_tokens"));
                usage.total_tokens += usage.input_tokens;
            }
            state.usage(usage)?;
        }
        "message_stop" => {
            if let Some(m) = ev.get("amazon-bedrock-invocationMetrics") {
                state.summary.latency_ms = m.get("invocationLatency").and_then(Value::as_u64);
            }
        }
        _ => {}
    }
    Ok(())
}

/// Other model families: the chunk is forwarded as text when it has a known text field.
fn generic_chunk(chunk: &Value, state: &mut StreamState) -> Result<(), Stop> {
    for key in ["generation", "outputText", "completion", "text"] {
        if let Some(t) = chunk.get(key).and_then(Value::as_str) {
            state.text_delta(0, t)?;
            break;
        }
    }
    if let Some(t) = chunk
        .pointer("/contentBlockDelta/delta/text")
        .and_then(Value::as_str)
    {
        state.text_delta(0, t)?;
    }
    if let Some(reason) = chunk
        .get("stop_reason")
        .or_else(|| chunk.get("completionReason"))
        .and_then(Value::as_str)
    {
        state.stop_reason(reason)?;
    }
    Ok(())
}

/// Bedrock Runtime CountTokens: the token count of a Converse request, as the model's
/// tokenizer sees it (no inference, no charge). The count goes in the summary's body as
/// `{"input_tokens": n}`.
async fn count_tokens(
    client: &Client,
    req: SdkConverse,
    config: &ClientConfig,
    state: &mut StreamState,
) -> Result<(), Stop> {
    let request = sdk::ConverseTokensRequest::builder()
        .set_messages(Some(req.messages))
        .set_system((!req.system.is_empty()).then_some(req.system))
        .set_tool_config(req.tool_config)
        .set_additional_model_request_fields(req.additional_model_request_fields)
        .build();
    let send = client
        .count_tokens()
        .model_id(&req.model_id)
        .input(sdk::CountTokensInput::Converse(request))
        .send();
    let send = Box::pin(send);
    let output = first_byte(config.timeouts.total, async {
        send.await.map_err(sdk_error)
    })
    .await?;
    state.first_byte();
    state.summary.request_id = output.request_id().map(str::to_string);
    let tokens = output.input_tokens().max(0) as u64;
    state.summary.body = Some(serde_json::json!({"input_tokens": tokens}));
    Ok(())
}

/// Opens (and pools) a connection: a cheap request that Bedrock rejects without model work.
/// Opens a connection in every shard's pool (each shard has its own, so that a connection's
/// task runs on the thread of the calls using it; a call may land on any shard).
async fn warm(client: &Client, config: &ClientConfig, state: &mut StreamState) -> Result<(), Stop> {
    let here = runtime::current_shard();
    let others = runtime::on_every_shard(|| {
        let config = config.clone();
        async move {
            match runtime::current_shard() {
                s if s == here => Ok(()),
                _ => warm_one(&client_with(&config, Attempts::Single).await, &config).await,
            }
        }
    });
    let (mine, others) = tokio::join!(warm_one(client, config), others);
    mine?;
    for other in others {
        match other {
            Ok(r) => r?,
            Err(e) => {
                return Err(Stop::Failed(Error::new(
                    ErrorKind::Internal,
                    format!("warming a shard's connection failed: {e}"),
                )))
            }
        }
    }
    state.first_byte();
    Ok(())
}

/// Opens (or reuses) one pooled connection through `client` (a single-attempt client).
async fn warm_one(client: &Client, config: &ClientConfig) -> Result<(), Stop> {
    let send = client
        .converse()
        .model_id("aybiza-connection-warmup")
        .send();
    let send = Box::pin(send);
    match first_byte(config.timeouts.first_byte, async {
        send.await.map_err(sdk_error)
    })
    .await
    {
        Ok(_) => Ok(()),
        // Any answer from the service means the connection is open and pooled.
        Err(Stop::Failed(e)) if e.status.is_some() => Ok(()),
        Err(stop) => Err(stop),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detail(tokens: i32, ttl: &str) -> sdk::CacheDetail {
        sdk::CacheDetail::builder()
            .input_tokens(tokens)
            .ttl(sdk::CacheTtl::from(ttl))
            .build()
            .unwrap()
    }

    /// A server sending many (or repeated, negative, unknown) `cacheDetails` entries: the
    /// usage keeps one summed entry per TTL, still consistent with the written total and
    /// within what `Cost.calculate` accepts.
    #[test]
    fn hostile_cache_details_are_summed_per_ttl() {
        let mut b = sdk::TokenUsage::builder()
            .input_tokens(1)
            .output_tokens(1)
            .total_tokens(2)
            .cache_write_input_tokens(1_000 + 7);
        for _ in 0..1_000 {
            b = b.cache_details(detail(1, "1h"));
        }
        b = b
            .cache_details(detail(7, "5m"))
            .cache_details(detail(-5, "5m"))
            .cache_details(detail(9, "24h"));
        let usage = usage_from(&b.build().unwrap());
        assert_eq!(
            usage.cache_details,
            vec![
                CacheDetail {
                    input_tokens: 1_000,
                    ttl: CacheTtl::OneHour
                },
                CacheDetail {
                    input_tokens: 7,
                    ttl: CacheTtl::FiveMinutes
                },
            ]
        );
        let (details, one_hour) = usage.consistent_cache_details().unwrap();
        assert!(details.len() <= aybiza_core::catalog::MAX_CACHE_DETAILS);
        assert_eq!(one_hour, 1_000);
    }
}
#[cfg(test)]
mod state_size {
    use super::*;

    fn size<F: std::future::Future>(_: &F) -> usize {
        std::mem::size_of::<F>()
    }

    /// The spawn moves the call's state on the scheduler thread: the SDK's send futures (and
    /// the client build of a cache miss) are boxed where they are awaited, so the state stays
    /// a few KB (it was ~60 KB in a debug build, ~20 KB in release, with them inline).
    #[test]
    fn the_calls_state_stays_small() {
        let config = decode_config(&serde_json::json!({"region": "us-east-1"})).unwrap();
        let summary = Summary::default();
        let mut state = StreamState::new(Box::new(Discard), None, Instant::now(), summary);
        let run = run(Operation::Warm, Prepared::Warm, &config, &mut state);
        assert!(
            size(&run) < 8 * 1024,
            "run's future is {} bytes",
            size(&run)
        );
        drop(run);
        let client = client_with(&config, Attempts::Single);
        assert!(
            size(&client) < 1024,
            "client_with's future is {} bytes",
            size(&client)
        );
    }
}
