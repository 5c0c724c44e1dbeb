//! Request handling: routing, auth, validation, faults, then the reply per route.

use std::convert::Infallible;
use std::io;
use std::os::fd::RawFd;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, Incoming};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use crate::config::{script_for, Faults, Pacing};
use crate::counters::outcome;
use crate::error::AwsError;
use crate::faults::{
    parse_faults, parse_pacing, stream_exception_message, stream_exception_type, throttle_hit,
};
use crate::replies::Rng;
use crate::reply::{Event, Reply};
use crate::server::{lock, State};
use crate::{anthropic, converse, eventstream, models, replies, request, sigv4};

pub type ResBody = BoxBody<Bytes, io::Error>;

/// Request header selecting faults for one request (fault spec syntax).
pub const FAULT_HEADER: &str = "x-emulator-fault";
/// Request header selecting pacing for one request (pacing spec syntax).
pub const PACING_HEADER: &str = "x-emulator-pacing";

const MAX_BODY: usize = 25 * 1024 * 1024;
const DEFAULT_DELTA_CHARS: usize = 16;
const RESET_FLUSH_MS: f64 = 100.0;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Route {
    Converse,
    ConverseStream,
    Invoke,
    InvokeStream,
}

impl Route {
    fn name(self) -> &'static str {
        match self {
            Route::Converse => "converse",
            Route::ConverseStream => "converse-stream",
            Route::Invoke => "invoke",
            Route::InvokeStream => "invoke-with-response-stream",
        }
    }

    fn streaming(self) -> bool {
        matches!(self, Route::ConverseStream | Route::InvokeStream)
    }
}

fn full(body: impl Into<Bytes>) -> ResBody {
    Full::new(body.into())
        .map_err(|never: Infallible| match never {})
        .boxed()
}

fn request_id(state: &State) -> String {
    let n = state.request_seq.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let d = Sha256::digest(format!("{n}:{nanos}:{:p}", state as *const State).as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

fn base_response(status: u16, request_id: &str) -> http::response::Builder {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("x-amzn-requestid", request_id)
}

fn error_response(err: &AwsError, request_id: &str) -> Response<ResBody> {
    base_response(err.status, request_id)
        .header("content-type", "application/json")
        .header("x-amzn-errortype", err.error_type.as_str())
        .body(full(err.body()))
        .unwrap_or_else(|_| Response::new(full("")))
}

fn json_response(request_id: &str) -> http::response::Builder {
    base_response(200, request_id).header("content-type", "application/json")
}

/// Entry point for every request of a connection. An `Err` makes hyper drop the connection
/// (used for the reset fault on non-streaming routes).
pub(crate) async fn handle(
    req: Request<Incoming>,
    state: Arc<State>,
    fd: RawFd,
) -> Result<Response<ResBody>, io::Error> {
    state.counters.request();
    let rid = request_id(&state);
    let (parts, body) = req.into_parts();
    let body = match http_body_util::Limited::new(body, MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            let err = AwsError::validation("Request body is too large or could not be read.");
            return Ok(error_response(&err, &rid));
        }
    };
    let path = parts.uri.path().to_string();
    if let Some(admin) = path.strip_prefix("/_emulator/") {
        return Ok(crate::admin::handle(
            &state,
            parts.method.as_str(),
            admin,
            &body,
            &rid,
        ));
    }
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let route = match (parts.method.as_str(), segments.as_slice()) {
        ("POST", ["model", _, "converse"]) => Some(Route::Converse),
        ("POST", ["model", _, "converse-stream"]) => Some(Route::ConverseStream),
        ("POST", ["model", _, "invoke"]) => Some(Route::Invoke),
        ("POST", ["model", _, "invoke-with-response-stream"]) => Some(Route::InvokeStream),
        _ => None,
    };
    let Some(route) = route else {
        state.counters.record("unknown", outcome::NOT_FOUND);
        let err = AwsError::new(
            404,
            "UnknownOperationException",
            format!("Unknown operation: {} {}", parts.method, path),
        );
        return Ok(error_response(&err, &rid));
    };
    let model_id = percent_encoding::percent_decode_str(segments[1])
        .decode_utf8_lossy()
        .to_string();

    if state.verify_signatures {
        let signed = sigv4::SignedRequest {
            method: parts.method.as_str(),
            raw_path: &path,
            raw_query: parts.uri.query().unwrap_or(""),
            headers: &parts.headers,
            body: &body,
        };
        if let Err(err) = sigv4::verify(&signed, &state.auth, SystemTime::now()) {
            state.counters.record(route.name(), outcome::AUTH_ERROR);
            return Ok(error_response(&err, &rid));
        }
    }

    let prepared = prepare(&state, route, &model_id, &parts.headers, &body);
    let (mut reply, faults, pacing) = match prepared {
        Ok(p) => p,
        Err((err, label)) => {
            state.counters.record(route.name(), label);
            return Ok(error_response(&err, &rid));
        }
    };
    let tps = pacing.tps.unwrap_or(0.0);

    if !route.streaming() {
        // Mid-stream faults map onto the whole response for non-streaming routes.
        if faults.reset_after.is_some() {
            state.counters.record(route.name(), outcome::RESET);
            set_linger_zero(fd);
            return Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "injected reset",
            ));
        }
        if faults.stall_after.is_some() {
            state.counters.record(route.name(), outcome::STALL);
            std::future::pending::<()>().await;
        }
        if let Some(kind) = faults.exception.as_deref() {
            state.counters.record(route.name(), outcome::EXCEPTION);
            let name = match kind {
                "throttlingException" => "ThrottlingException",
                "modelStreamErrorException" => "ModelErrorException",
                "validationException" => "ValidationException",
                "serviceUnavailableException" => "ServiceUnavailableException",
                "modelTimeoutException" => "ModelTimeoutException",
                _ => "InternalServerException",
            };
            let err = AwsError::named(name, faults.error_message.as_deref())
                .unwrap_or_else(|| AwsError::validation(""));
            return Ok(error_response(&err, &rid));
        }
        tokio::time::sleep(Duration::from_millis(reply.latency_ms)).await;
        state.counters.record(route.name(), outcome::OK);
        let out = match route {
            Route::Converse => {
                let v = converse::response(&reply);
                json_response(&rid).body(full(v.to_string()))
            }
            _ => {
                let v = anthropic::response(&mut reply);
                json_response(&rid)
                    .header(
                        "x-amzn-bedrock-invocation-latency",
                        reply.latency_ms.to_string(),
                    )
                    .header(
                        "x-amzn-bedrock-input-token-count",
                        reply.input_tokens.to_string(),
                    )
                    .header(
                        "x-amzn-bedrock-output-token-count",
                        reply.output_tokens.to_string(),
                    )
                    .header(
                        "x-amzn-bedrock-cache-read-input-token-count",
                        reply.cache.read.to_string(),
                    )
                    .header(
                        "x-amzn-bedrock-cache-write-input-token-count",
                        reply.cache.write.to_string(),
                    )
                    .body(full(v.to_string()))
            }
        };
        return Ok(out.unwrap_or_else(|_| Response::new(full(""))));
    }

    let events = match route {
        Route::ConverseStream => converse::stream_events(&mut reply),
        _ => anthropic::stream_events(&mut reply),
    };
    let (tx, rx) = mpsc::channel(16);
    let producer = Producer {
        state: Arc::clone(&state),
        route: route.name(),
        events,
        faults,
        first_token_ms: reply.first_token_ms,
        tps,
        fd,
        tx,
        invoke: route == Route::InvokeStream,
        stamp: pacing.stamp.unwrap_or(false),
    };
    tokio::spawn(producer.run());
    let mut builder = base_response(200, &rid).header("content-type", eventstream::CONTENT_TYPE);
    if route == Route::InvokeStream {
        builder = builder.header(
            "x-amzn-bedrock-content-type",
            HeaderValue::from_static("application/json"),
        );
    }
    Ok(builder
        .body(ChannelBody { rx }.boxed())
        .unwrap_or_else(|_| Response::new(full(""))))
}

type Rejection = (AwsError, &'static str);

/// Everything between auth and the reply: model, body, rules, faults before the stream.
fn prepare(
    state: &State,
    route: Route,
    model_id: &str,
    headers: &http::HeaderMap,
    body: &[u8],
) -> Result<(Reply, Faults, Pacing), Rejection> {
    let invalid = |e: AwsError| (e, outcome::VALIDATION_ERROR);
    let resolved = models::resolve(model_id, &state.extra_models)
        .ok_or_else(|| invalid(AwsError::invalid_model()))?;
    let conv = match route {
        Route::Converse | Route::ConverseStream => request::parse_converse(body).map_err(invalid)?,
        _ if models::is_anthropic(&resolved) => request::parse_anthropic(body).map_err(invalid)?,
        _ => {
            return Err(invalid(AwsError::validation(format!(
                "The emulator implements InvokeModel for Anthropic models only; use Converse for {model_id}."
            ))))
        }
    };
    let rules = lock(&state.rules).clone();
    let script = script_for(&rules, model_id, &conv.last_user_text());
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let header_faults = match header(FAULT_HEADER) {
        Some(spec) => parse_faults(&spec).map_err(|e| {
            invalid(AwsError::validation(format!(
                "Invalid {FAULT_HEADER} header: {e}"
            )))
        })?,
        None => Faults::default(),
    };
    let header_pacing = match header(PACING_HEADER) {
        Some(spec) => parse_pacing(&spec).map_err(|e| {
            invalid(AwsError::validation(format!(
                "Invalid {PACING_HEADER} header: {e}"
            )))
        })?,
        None => Pacing::default(),
    };
    let faults = lock(&state.faults)
        .merged(&script.faults)
        .merged(&header_faults);
    let pacing = lock(&state.pacing)
        .merged(&script.pacing)
        .merged(&header_pacing);

    if let Some(name) = faults.error.as_deref() {
        let err = AwsError::named(name, faults.error_message.as_deref())
            .unwrap_or_else(|| AwsError::new(500, "InternalServerException", "Injected error."));
        let label = if err.error_type == "ThrottlingException" {
            outcome::THROTTLED
        } else {
            outcome::ERROR
        };
        return Err((err, label));
    }
    if let Some(share) = faults.throttle_share.filter(|s| *s > 0.0) {
        let n = state.throttle_seq.fetch_add(1, Ordering::Relaxed) + 1;
        if throttle_hit(n, share) {
            let err = AwsError::named("ThrottlingException", faults.error_message.as_deref())
                .unwrap_or_else(|| AwsError::new(429, "ThrottlingException", "Too many requests"));
            return Err((err, outcome::THROTTLED));
        }
    }

    let mut rng = Rng::from_bytes(body);
    let plan = replies::plan(&conv, &script, &mut rng);
    let cache = if conv.has_cache_points() {
        lock(&state.cache).account(model_id, &conv.cache_items, Instant::now())
    } else {
        Default::default()
    };
    let output_tokens = plan.output_tokens();
    let input_tokens = conv.input_tokens().saturating_sub(cache.read + cache.write);
    let first_token_ms = pacing.first_token_ms.unwrap_or(0);
    let tps = pacing.tps.unwrap_or(0.0);
    let gen_ms = if tps > 0.0 {
        (output_tokens as f64 / tps * 1000.0) as u64
    } else {
        0
    };
    let reply = Reply {
        plan,
        input_tokens,
        output_tokens,
        cache,
        model_name: models::anthropic_name(&resolved),
        first_token_ms,
        // Never 0: Bedrock always reports some latency.
        latency_ms: (first_token_ms + gen_ms).max(1),
        delta_chars: pacing.delta_chars.unwrap_or(DEFAULT_DELTA_CHARS).max(1),
        rng,
    };
    Ok((reply, faults, pacing))
}

/// Sets SO_LINGER 0 so closing the socket sends a TCP RST instead of a FIN.
fn set_linger_zero(fd: RawFd) {
    // SAFETY: the fd belongs to the connection currently being served; hyper keeps the
    // TcpStream (and so the fd) open while this request or its body is in flight.
    let borrowed = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
    let _ = socket2::SockRef::from(&borrowed).set_linger(Some(Duration::ZERO));
}

type FrameResult = Result<Frame<Bytes>, io::Error>;

/// Response body fed by a stream producer task.
struct ChannelBody {
    rx: mpsc::Receiver<FrameResult>,
}

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<FrameResult>> {
        self.rx.poll_recv(cx)
    }
}

struct Producer {
    state: Arc<State>,
    route: &'static str,
    events: Vec<Event>,
    faults: Faults,
    first_token_ms: u64,
    tps: f64,
    fd: RawFd,
    tx: mpsc::Sender<FrameResult>,
    invoke: bool,
    /// Stamp text deltas with their send time (pacing `stamp`).
    stamp: bool,
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

    async fn run(self) {
        let counters = Arc::clone(&self.state.counters);
        let _open = counters.open_stream();
        let label = self.run_events().await;
        if !label.is_empty() {
            counters.record(self.route, label);
        }
    }

    async fn run_events(&self) -> &'static str {
        if !self.pause(self.first_token_ms as f64).await {
            return outcome::CLIENT_CLOSED;
        }
        let f = &self.faults;
        for i in 0..=self.events.len() {
            if f.exception_after.unwrap_or(1) == i {
                if let Some(kind) = f.exception.as_deref().and_then(stream_exception_type) {
                    // ConverseStream has no modelTimeoutException event; the invoke stream does.
                    let kind = if !self.invoke && kind == "modelTimeoutException" {
                        "internalServerException"
                    } else {
                        kind
                    };
                    let msg = f
                        .error_message
                        .clone()
                        .unwrap_or_else(|| stream_exception_message(kind).to_string());
                    // Counted before sending so a client that saw the error sees the count.
                    self.state.counters.record(self.route, outcome::EXCEPTION);
                    self.send(eventstream::exception(kind, &msg)).await;
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
            let Some(event) = self.events.get(i) else {
                break;
            };
            if f.corrupt_after == Some(i) {
                self.state.counters.record(self.route, outcome::CORRUPT);
                self.send(eventstream::corrupt(&event.frame)).await;
                return "";
            }
            if event.tokens > 0
                && self.tps > 0.0
                && !self.pause(event.tokens as f64 / self.tps * 1000.0).await
            {
                return outcome::CLIENT_CLOSED;
            }
            let frame = if self.stamp {
                crate::stamp::stamp_frame(&event.frame).unwrap_or_else(|| event.frame.clone())
            } else {
                event.frame.clone()
            };
            if !self.send(frame).await {
                return outcome::CLIENT_CLOSED;
            }
        }
        outcome::OK
    }
}
