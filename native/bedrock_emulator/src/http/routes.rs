//! HTTP routes: path matching, authentication, then a handler, then the response in the
//! wire format of the route (restJson1, AWS event stream, JSON, Server-Sent Events).
//!
//! Routes (bedrock-runtime unless noted):
//! - `POST /model/{modelId}/converse | converse-stream | invoke | invoke-with-response-stream`
//! - `POST /model/{modelId}/count-tokens` (CountTokens)
//! - `POST /model/{modelId}/invoke-with-bidirectional-stream` (Nova Sonic; sonic_stream.rs)
//! - `POST /guardrail/{guardrailIdentifier}/version/{guardrailVersion}/apply` (ApplyGuardrail)
//! - `POST /async-invoke`, `GET /async-invoke`, `GET /async-invoke/{invocationArn}`
//!   (StartAsyncInvoke, ListAsyncInvokes, GetAsyncInvoke)
//! - `POST /anthropic/v1/messages` and `/anthropic/v1/messages/count_tokens`: the Anthropic
//!   Messages API in either endpoint style, told apart per request (see [`messages_api`]).
//! - `GET /foundation-models[/{id}]`, `GET /inference-profiles[/{id}]`,
//!   `GET /foundation-model-availability/{id}`: the read-only `bedrock` control plane
//!   (handlers/control_plane.rs), signed as `bedrock` like the runtime.
//! - `/_emulator/...`: the control API (admin.rs), unauthenticated.

use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use super::body::{full, ResBody};
use super::sigv4::{self, Principal};
use super::stream::{any_fault, set_linger_zero, ChannelBody, PacedBody, Producer, Wire};
use crate::counters::outcome;
use crate::error::AwsError;
use crate::handlers::{self, Api, Prepared, Rejection};
use crate::render::{anthropic, converse, eventstream, prompt_body, sse};
use crate::state::State;

const MAX_BODY: usize = 25 * 1024 * 1024;

/// An operation on a `/model/{modelId}/...` path.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ModelOp {
    Converse,
    ConverseStream,
    Invoke,
    InvokeStream,
    CountTokens,
}

impl ModelOp {
    fn name(self) -> &'static str {
        match self {
            ModelOp::Converse => "converse",
            ModelOp::ConverseStream => "converse-stream",
            ModelOp::Invoke => "invoke",
            ModelOp::InvokeStream => "invoke-with-response-stream",
            ModelOp::CountTokens => "count-tokens",
        }
    }
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

/// Bedrock's error response: status, `x-amzn-ErrorType`, `{"message": ...}`.
pub fn error_response(err: &AwsError, request_id: &str) -> Response<ResBody> {
    base_response(err.status, request_id)
        .header("content-type", "application/json")
        .header("x-amzn-errortype", err.error_type.as_str())
        .body(full(err.body()))
        .unwrap_or_else(|_| Response::new(full("")))
}

/// bedrock-mantle's error response: Anthropic's `{"type": "error", "error": {...}}` body
/// (what the Anthropic SDKs parse), with the same status and `x-amzn-ErrorType`.
fn anthropic_error_response(err: &AwsError, request_id: &str) -> Response<ResBody> {
    let body = json!({"type": "error", "error": {
        "type": sse::anthropic_error_type(err.status), "message": err.message}});
    base_response(err.status, request_id)
        .header("content-type", "application/json")
        .header("x-amzn-errortype", err.error_type.as_str())
        .header("request-id", request_id)
        .body(full(body.to_string()))
        .unwrap_or_else(|_| Response::new(full("")))
}

fn reject(api: Api, err: &AwsError, rid: &str) -> Response<ResBody> {
    if api == Api::Mantle {
        anthropic_error_response(err, rid)
    } else {
        error_response(err, rid)
    }
}

fn json_response(request_id: &str) -> http::response::Builder {
    base_response(200, request_id).header("content-type", "application/json")
}

/// Which endpoint style a `/anthropic/v1/messages` request speaks. One instance serves
/// both, told apart by how the request authenticated: SigV4 scoped to `bedrock-mantle` or
/// an `x-api-key` header means bedrock-mantle, SigV4 scoped to `bedrock` means
/// bedrock-runtime. A bearer key (both endpoints take one) or no check at all goes by the
/// `Host` (`bedrock-mantle.*`), then by the body: `anthropic_version` in the body is the
/// bedrock-runtime form, the `anthropic-version` header alone the bedrock-mantle form.
pub fn messages_api(principal: &Principal, headers: &http::HeaderMap, body: &[u8]) -> Api {
    match principal {
        Principal::SigV4 { service } if service == "bedrock-mantle" => return Api::Mantle,
        Principal::SigV4 { .. } => return Api::Messages,
        Principal::ApiKeyHeader => return Api::Mantle,
        Principal::Bearer | Principal::Unchecked => {}
    }
    let host = headers
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if host.starts_with("bedrock-mantle.") {
        return Api::Mantle;
    }
    let body_version = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .is_some_and(|v| v.get("anthropic_version").is_some());
    if !body_version && headers.contains_key("anthropic-version") {
        Api::Mantle
    } else {
        Api::Messages
    }
}

enum Target {
    Model(ModelOp, String),
    Messages { count_tokens: bool },
    ApplyGuardrail { identifier: String, version: String },
    AsyncStart,
    AsyncList,
    AsyncGet(String),
    Control(handlers::control_plane::Op),
}

impl Target {
    /// The counters' route name of a non-model target.
    fn other_route(&self) -> &'static str {
        match self {
            Target::ApplyGuardrail { .. } => "apply-guardrail",
            Target::Control(op) => op.route(),
            _ => "async-invoke",
        }
    }
}

fn decode(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .to_string()
}

fn match_route(method: &str, path: &str) -> Option<Target> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let op = match (method, segments.as_slice()) {
        ("POST", ["model", _, "converse"]) => ModelOp::Converse,
        ("POST", ["model", _, "converse-stream"]) => ModelOp::ConverseStream,
        ("POST", ["model", _, "invoke"]) => ModelOp::Invoke,
        ("POST", ["model", _, "invoke-with-response-stream"]) => ModelOp::InvokeStream,
        ("POST", ["model", _, "count-tokens"]) => ModelOp::CountTokens,
        ("POST", ["anthropic", "v1", "messages"]) => {
            return Some(Target::Messages {
                count_tokens: false,
            })
        }
        ("POST", ["anthropic", "v1", "messages", "count_tokens"]) => {
            return Some(Target::Messages { count_tokens: true })
        }
        ("POST", ["guardrail", identifier, "version", version, "apply"]) => {
            return Some(Target::ApplyGuardrail {
                identifier: decode(identifier),
                version: decode(version),
            })
        }
        ("POST", ["async-invoke"]) => return Some(Target::AsyncStart),
        ("GET", ["async-invoke"]) => return Some(Target::AsyncList),
        ("GET", ["async-invoke", arn]) => return Some(Target::AsyncGet(decode(arn))),
        ("GET", control) => {
            return handlers::control_plane::match_path(control).map(Target::Control)
        }
        _ => return None,
    };
    Some(Target::Model(op, decode(segments[1])))
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
    // The bidirectional stream reads its body as it arrives, never collected.
    if let Some(model_id) = super::sonic_stream::match_path(req.method(), req.uri().path()) {
        return super::sonic_stream::handle(req, state, model_id, fd, rid).await;
    }
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
        return Ok(super::admin::handle(
            &state,
            parts.method.as_str(),
            admin,
            &body,
            &rid,
        ));
    }
    let Some(target) = match_route(parts.method.as_str(), &path) else {
        state.counters.record("unknown", outcome::NOT_FOUND);
        let err = AwsError::new(
            404,
            "UnknownOperationException",
            format!("Unknown operation: {} {}", parts.method, path),
        );
        return Ok(error_response(&err, &rid));
    };
    let is_messages = matches!(target, Target::Messages { .. });

    let principal = if state.verify_signatures {
        // HTTP/2 carries the host as `:authority` (the URI's), which SigV4 signs as `host`.
        let with_authority;
        let headers = match parts.uri.authority() {
            Some(authority) if !parts.headers.contains_key(http::header::HOST) => {
                let mut h = parts.headers.clone();
                if let Ok(v) = http::HeaderValue::from_str(authority.as_str()) {
                    h.insert(http::header::HOST, v);
                }
                with_authority = h;
                &with_authority
            }
            _ => &parts.headers,
        };
        let signed = sigv4::SignedRequest {
            method: parts.method.as_str(),
            raw_path: &path,
            raw_query: parts.uri.query().unwrap_or(""),
            headers,
            body: &body,
        };
        match sigv4::verify_with(&signed, &state.auth, SystemTime::now(), is_messages) {
            Ok(p) => p,
            Err(err) => {
                let (api, route) = match &target {
                    Target::Model(op, _) => (Api::Converse, op.name()),
                    Target::Messages { .. } => {
                        let api = messages_api(&Principal::Unchecked, &parts.headers, &body);
                        (api, route_name(api, false, false))
                    }
                    other => (Api::Converse, other.other_route()),
                };
                state.counters.record(route, outcome::AUTH_ERROR);
                return Ok(reject(api, &err, &rid));
            }
        }
    } else {
        Principal::Unchecked
    };

    if let (Principal::SigV4 { service }, false) = (&principal, is_messages) {
        if service != "bedrock" {
            let route = match &target {
                Target::Model(op, _) => op.name(),
                other => other.other_route(),
            };
            state.counters.record(route, outcome::AUTH_ERROR);
            let err = AwsError::new(
                403,
                "InvalidSignatureException",
                "Credential should be scoped to correct service: 'bedrock'. ",
            );
            return Ok(error_response(&err, &rid));
        }
    }
    match target {
        Target::Model(op, model_id) => {
            model_route(state, op, &model_id, &parts.headers, &body, fd, rid).await
        }
        Target::ApplyGuardrail {
            identifier,
            version,
        } => {
            let result = handlers::apply_guardrail::apply(
                &state,
                &identifier,
                &version,
                &parts.headers,
                &body,
            );
            Ok(json_route(&state, "apply-guardrail", result, &rid))
        }
        Target::AsyncStart => {
            let rejection = handlers::async_invoke::start(&state, &parts.headers, &body);
            Ok(rejected(
                &state,
                "async-invoke",
                Api::Converse,
                rejection,
                &rid,
            ))
        }
        Target::AsyncGet(arn) => {
            let rejection = handlers::async_invoke::get(&arn, &parts.headers);
            Ok(rejected(
                &state,
                "async-invoke",
                Api::Converse,
                rejection,
                &rid,
            ))
        }
        Target::AsyncList => Ok(json_route(
            &state,
            "async-invoke",
            handlers::async_invoke::list(parts.uri.query().unwrap_or("")),
            &rid,
        )),
        Target::Control(op) => {
            let authorization = parts
                .headers
                .get(http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok());
            let caller = handlers::control_plane::Caller {
                region: crate::rate::credential_region(authorization)
                    .unwrap_or(handlers::control_plane::DEFAULT_REGION),
                applications: &state.application_profiles,
            };
            let result =
                handlers::control_plane::handle(&op, caller, parts.uri.query().unwrap_or(""));
            Ok(json_route(&state, op.route(), result, &rid))
        }
        Target::Messages { count_tokens } => {
            let api = messages_api(&principal, &parts.headers, &body);
            if count_tokens {
                return Ok(count_tokens_route(
                    &state,
                    api,
                    None,
                    &parts.headers,
                    &body,
                    &rid,
                ));
            }
            messages_route(state, api, &parts.headers, &body, fd, rid).await
        }
    }
}

fn route_name(api: Api, stream: bool, count: bool) -> &'static str {
    match (api, stream, count) {
        (Api::Mantle, _, true) => "mantle-count-tokens",
        (_, _, true) => "count-tokens",
        (Api::Mantle, true, _) => "mantle-messages-stream",
        (Api::Mantle, false, _) => "mantle-messages",
        (_, true, _) => "messages-stream",
        (_, false, _) => "messages",
    }
}

/// CountTokens (`/model/{id}/count-tokens`) and the Messages API's `count_tokens`.
fn count_tokens_route(
    state: &State,
    api: Api,
    path_model: Option<&str>,
    headers: &http::HeaderMap,
    body: &[u8],
    rid: &str,
) -> Response<ResBody> {
    let route = route_name(api, false, true);
    match crate::handlers::count_tokens::count(state, api, path_model, headers, body) {
        Ok(n) => {
            state.counters.record(route, outcome::OK);
            let v = if path_model.is_some() {
                json!({ "inputTokens": n })
            } else {
                json!({ "input_tokens": n })
            };
            json_response(rid)
                .body(full(v.to_string()))
                .unwrap_or_else(|_| Response::new(full("")))
        }
        Err((err, label)) => {
            state.counters.record(route, label);
            reject(api, &err, rid)
        }
    }
}

/// Non-stream faults (reset, stall, mid-stream exception) applied to a whole response.
async fn whole_response_faults(
    state: &State,
    prepared: &Prepared,
    route: &'static str,
    api: Api,
    fd: RawFd,
    rid: &str,
) -> Option<Result<Response<ResBody>, io::Error>> {
    let faults = &prepared.faults;
    if faults.reset_after.is_some() {
        state.counters.record(route, outcome::RESET);
        set_linger_zero(fd);
        return Some(Err(io::Error::new(
            io::ErrorKind::ConnectionReset,
            "injected reset",
        )));
    }
    if faults.stall_after.is_some() {
        state.counters.record(route, outcome::STALL);
        std::future::pending::<()>().await;
    }
    if let Some(kind) = faults.exception.as_deref() {
        state.counters.record(route, outcome::EXCEPTION);
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
        return Some(Ok(reject(api, &err, rid)));
    }
    None
}

async fn model_route(
    state: Arc<State>,
    op: ModelOp,
    model_id: &str,
    headers: &http::HeaderMap,
    body: &[u8],
    fd: RawFd,
    rid: String,
) -> Result<Response<ResBody>, io::Error> {
    let api = match op {
        ModelOp::Converse | ModelOp::ConverseStream => Api::Converse,
        ModelOp::CountTokens => {
            return Ok(count_tokens_route(
                &state,
                Api::Converse,
                Some(model_id),
                headers,
                body,
                &rid,
            ))
        }
        _ => Api::Invoke,
    };
    let route = op.name();
    // The service model's constraints of this very operation (ConverseStream's guardrail
    // configuration has `streamProcessingMode`, Converse's has not).
    let operation = match op {
        ModelOp::Converse => "Converse",
        ModelOp::ConverseStream => "ConverseStream",
        ModelOp::InvokeStream => "InvokeModelWithResponseStream",
        _ => "InvokeModel",
    };
    let shape_headers = handlers::RequestHeaders(headers);
    if let Err(rejection) = handlers::check_shape(operation, model_id, &shape_headers, body) {
        return Ok(rejected(&state, route, api, rejection, &rid));
    }
    let mut prepared = match handlers::prepare(&state, api, Some(model_id), headers, body) {
        Ok(p) => p,
        Err(rejection) => return Ok(rejected(&state, route, api, rejection, &rid)),
    };
    let streaming = matches!(op, ModelOp::ConverseStream | ModelOp::InvokeStream);
    if !streaming {
        if let Some(r) = whole_response_faults(&state, &prepared, route, api, fd, &rid).await {
            return r;
        }
        let reply = &mut prepared.reply;
        tokio::time::sleep(Duration::from_millis(reply.latency_ms)).await;
        state.counters.record(route, outcome::OK);
        let out = if op == ModelOp::Converse {
            json_response(&rid).body(full(converse::response(reply).to_string()))
        } else {
            let v = if reply.anthropic {
                anthropic::response(reply)
            } else if let Some(kind) = reply.prompt_body {
                prompt_body::response(reply, kind)
            } else {
                converse::nova_invoke_response(reply)
            };
            tier_headers(json_response(&rid), reply)
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
        };
        return Ok(out.unwrap_or_else(|_| Response::new(full(""))));
    }
    let (events, wire) = if op == ModelOp::ConverseStream {
        (
            converse::stream_events(&mut prepared.reply),
            Wire::EventStream { invoke: false },
        )
    } else if prepared.reply.anthropic {
        (
            anthropic::stream_events(&mut prepared.reply),
            Wire::EventStream { invoke: true },
        )
    } else if let Some(kind) = prepared.reply.prompt_body {
        (
            prompt_body::stream_events(&mut prepared.reply, kind),
            Wire::EventStream { invoke: true },
        )
    } else {
        (
            converse::nova_invoke_stream_events(&mut prepared.reply),
            Wire::EventStream { invoke: true },
        )
    };
    let mut builder = base_response(200, &rid).header("content-type", eventstream::CONTENT_TYPE);
    if op == ModelOp::InvokeStream {
        builder = tier_headers(builder, &prepared.reply).header(
            "x-amzn-bedrock-content-type",
            HeaderValue::from_static("application/json"),
        );
    }
    Ok(start_stream(
        state, route, prepared, events, wire, fd, builder,
    ))
}

/// InvokeModel's echo of the service tier and latency setting it was asked for: the
/// response headers of botocore's InvokeModelResponse / InvokeModelWithResponseStreamResponse
/// (`serviceTier`, `performanceConfigLatency`). Values reaching here passed the enum checks.
fn tier_headers(
    mut builder: http::response::Builder,
    reply: &crate::reply::Reply,
) -> http::response::Builder {
    if let Some(tier) = &reply.service_tier {
        builder = builder.header("x-amzn-bedrock-service-tier", tier.as_str());
    }
    if let Some(latency) = &reply.latency {
        builder = builder.header("x-amzn-bedrock-performanceconfig-latency", latency.as_str());
    }
    builder
}

/// A JSON answer or a rejection, counted under `route`.
fn json_route(
    state: &State,
    route: &'static str,
    result: Result<serde_json::Value, Rejection>,
    rid: &str,
) -> Response<ResBody> {
    match result {
        Ok(v) => {
            state.counters.record(route, outcome::OK);
            json_response(rid)
                .body(full(v.to_string()))
                .unwrap_or_else(|_| Response::new(full("")))
        }
        Err(rejection) => rejected(state, route, Api::Converse, rejection, rid),
    }
}

fn rejected(
    state: &State,
    route: &'static str,
    api: Api,
    (err, label): Rejection,
    rid: &str,
) -> Response<ResBody> {
    state.counters.record(route, label);
    reject(api, &err, rid)
}

async fn messages_route(
    state: Arc<State>,
    api: Api,
    headers: &http::HeaderMap,
    body: &[u8],
    fd: RawFd,
    rid: String,
) -> Result<Response<ResBody>, io::Error> {
    let mut prepared = match handlers::prepare(&state, api, None, headers, body) {
        Ok(p) => p,
        Err(rejection) => {
            let stream = serde_json::from_slice::<serde_json::Value>(body)
                .ok()
                .and_then(|v| v.get("stream").and_then(|s| s.as_bool()))
                .unwrap_or(false);
            return Ok(rejected(
                &state,
                route_name(api, stream, false),
                api,
                rejection,
                &rid,
            ));
        }
    };
    let route = route_name(api, prepared.stream, false);
    let runtime = api == Api::Messages;
    if !prepared.stream {
        if let Some(r) = whole_response_faults(&state, &prepared, route, api, fd, &rid).await {
            return r;
        }
        let reply = &mut prepared.reply;
        tokio::time::sleep(Duration::from_millis(reply.latency_ms)).await;
        state.counters.record(route, outcome::OK);
        let v = anthropic::response(reply);
        return Ok(json_response(&rid)
            .header("request-id", rid.as_str())
            .body(full(v.to_string()))
            .unwrap_or_else(|_| Response::new(full(""))));
    }
    let events = anthropic::sse_events(&mut prepared.reply, runtime);
    let builder = base_response(200, &rid)
        .header("content-type", sse::CONTENT_TYPE)
        .header("cache-control", "no-cache")
        .header("request-id", rid.as_str());
    Ok(start_stream(
        state,
        route,
        prepared,
        events,
        Wire::Sse,
        fd,
        builder,
    ))
}

fn start_stream(
    state: Arc<State>,
    route: &'static str,
    prepared: Prepared,
    events: Vec<crate::reply::Event>,
    wire: Wire,
    fd: RawFd,
    builder: http::response::Builder,
) -> Response<ResBody> {
    let tps = prepared.pacing.tps.unwrap_or(0.0);
    let stamp = prepared.pacing.stamp.unwrap_or(false);
    if !any_fault(&prepared.faults, events.len()) {
        // The common case (every paced benchmark stream): the body paces itself.
        let ticker = state.ticker.clone();
        let body = PacedBody::new(
            state,
            route,
            events,
            prepared.reply.first_token_ms,
            tps,
            stamp,
            wire,
            ticker,
        );
        return builder
            .body(body.boxed())
            .unwrap_or_else(|_| Response::new(full("")));
    }
    let (tx, rx) = mpsc::channel(16);
    let producer = Producer {
        state,
        route,
        events,
        first_token_ms: prepared.reply.first_token_ms,
        tps,
        stamp,
        faults: prepared.faults,
        fd,
        tx,
        wire,
    };
    tokio::spawn(producer.run());
    builder
        .body(ChannelBody { rx }.boxed())
        .unwrap_or_else(|_| Response::new(full("")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn messages_style_per_request() {
        let sigv4 = |s: &str| Principal::SigV4 {
            service: s.to_string(),
        };
        let none = headers(&[]);
        let runtime_body = br#"{"anthropic_version":"bedrock-2023-05-31"}"#;
        let mantle_body = br#"{"model":"anthropic.claude-opus-4-7"}"#;
        assert_eq!(
            messages_api(&sigv4("bedrock"), &none, mantle_body),
            Api::Messages
        );
        assert_eq!(
            messages_api(&sigv4("bedrock-mantle"), &none, runtime_body),
            Api::Mantle
        );
        assert_eq!(
            messages_api(&Principal::ApiKeyHeader, &none, runtime_body),
            Api::Mantle
        );
        let version = headers(&[("anthropic-version", "2023-06-01")]);
        assert_eq!(
            messages_api(&Principal::Bearer, &version, mantle_body),
            Api::Mantle
        );
        assert_eq!(
            messages_api(&Principal::Bearer, &version, runtime_body),
            Api::Messages
        );
        assert_eq!(
            messages_api(&Principal::Bearer, &none, mantle_body),
            Api::Messages
        );
        let host = headers(&[("host", "bedrock-mantle.us-east-1.api.aws")]);
        assert_eq!(
            messages_api(&Principal::Unchecked, &host, runtime_body),
            Api::Mantle
        );
    }
}
