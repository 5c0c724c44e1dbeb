//! The Anthropic Messages API transport: `POST /anthropic/v1/messages` on bedrock-runtime
//! (SigV4, signing name `bedrock`, or a Bedrock API key) or on bedrock-mantle (SigV4,
//! signing name `bedrock-mantle`, or a Bedrock API key in `x-api-key`), streamed back as
//! Server-Sent Events.
//!
//! It shares the Converse path's machinery rather than growing a second one: the HTTP
//! connector is the AWS SDK's own (`aws-smithy-http-client`, hyper 1 with rustls/aws-lc,
//! platform roots, pooled keep-alive connections), the very connector of the SDK client of
//! the same configuration (`clients::connector_for`), so both share one pool; the
//! credentials come from the cached SDK client's provider (so the default chain, profiles
//! and assumed roles are resolved and refreshed in one place); signing is [`crate::sigv4`]
//! (the signing key cached per day; the official `aws-sigv4` crate for any request it does
//! not write the same way); events go through the same [`StreamState`] (sentences, tool input,
//! thinking, usage) and the Anthropic event decoder the InvokeModel stream uses.

use crate::call::{anthropic_event, Stop};
use crate::clients::{connector_for, credentials_for, MAX_CONFIGS};
use crate::config::{ClientConfig, CredentialSpec};
use crate::idle::{Idle, IdleTimer};
use crate::sigv4::{self, KeyCache, Secrets};
use crate::state::StreamState;
use crate::trace::{mark, Point, Trace};
use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::http::HttpConnector;
use aws_smithy_runtime_api::client::identity::Identity;
use aws_smithy_types::body::SdkBody;
use aybiza_core::error::{Error, ErrorKind};
use aybiza_core::messages::{
    http_error, stream_error, take_betas_for_header, MessagesEndpoint, MANTLE_ANTHROPIC_VERSION,
};
use aybiza_core::sse::{SseEvent, SseLimits, SseParser};
use http_body_util::BodyExt;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, SystemTime};
use tokio::time::timeout;

/// Largest error body read from a failed response (the rest is not needed for the message).
const MAX_ERROR_BODY: usize = 64 * 1024;

type Key = (String, Option<String>, u64);

/// A Messages-API request ready to send: the JSON body (already translated) and where to.
pub struct MessagesCall {
    pub endpoint: MessagesEndpoint,
    pub body: Value,
    /// `/anthropic/v1/messages` or `/anthropic/v1/messages/count_tokens`.
    pub path: &'static str,
}

/// Signs (or attaches the API key to) and sends the request; returns the response once its
/// headers arrived, within the first-byte timeout. Non-2xx answers become errors here.
async fn send(
    call: MessagesCall,
    config: &ClientConfig,
    first_byte: Duration,
    trace: &Option<Arc<Trace>>,
) -> Result<aws_smithy_runtime_api::http::Response<SdkBody>, Stop> {
    let MessagesCall {
        endpoint,
        mut body,
        path,
    } = call;
    let base = match &config.endpoint {
        Some(e) => e.trim_end_matches('/').to_string(),
        None => endpoint.default_url(&config.region),
    };
    let url = format!("{base}{path}");
    let mut builder = http::Request::builder()
        .method("POST")
        .uri(&url)
        .header("content-type", "application/json")
        .header("accept", "text/event-stream");
    if endpoint == MessagesEndpoint::Mantle {
        builder = builder.header("anthropic-version", MANTLE_ANTHROPIC_VERSION);
        if let Some(betas) = take_betas_for_header(&mut body).map_err(Stop::Failed)? {
            builder = builder.header("anthropic-beta", betas);
        }
    }
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    mark(trace, Point::Serialized);

    let mut request = match &config.credentials {
        CredentialSpec::ApiKey { api_key } => {
            // Mantle documents `x-api-key`; bedrock-runtime takes the key as a bearer token.
            let (name, value) = match endpoint {
                MessagesEndpoint::Mantle => ("x-api-key", api_key.clone()),
                MessagesEndpoint::Runtime => ("authorization", format!("Bearer {api_key}")),
            };
            let mut value = http::HeaderValue::from_str(&value).map_err(|_| {
                Stop::Failed(Error::new(
                    ErrorKind::InvalidCredentials,
                    "the API key is not a valid header value",
                ))
            })?;
            value.set_sensitive(true);
            builder
                .header(name, value)
                .body(SdkBody::from(bytes))
                .map_err(|e| internal(format!("building the request: {e}")))?
        }
        _ => {
            let identity = identity(config).await?;
            mark(trace, Point::Client);
            // Hashed before the body moves into the request (no copy of it).
            let payload_hash = sigv4::payload_hash(&bytes);
            let mut request = builder
                .body(SdkBody::from(bytes))
                .map_err(|e| internal(format!("building the request: {e}")))?;
            sign_request(
                &mut request,
                &payload_hash,
                &identity,
                &config.region,
                endpoint.signing_name(),
            )?;
            mark(trace, Point::Signed);
            request
        }
    };
    request.headers_mut().insert(
        "user-agent",
        http::HeaderValue::from_static("aybiza-bedrock (messages-api)"),
    );
    let request = request
        .try_into()
        .map_err(|e| internal(format!("converting the request: {e}")))?;
    let connector = connector_for(config);
    mark(trace, Point::Transmit);
    let response = match timeout(first_byte, connector.call(request)).await {
        Err(_) => {
            return Err(Stop::Failed(Error::new(
                ErrorKind::FirstByteTimeout,
                format!("no response within {} ms", first_byte.as_millis()),
            )))
        }
        Ok(Err(e)) => return Err(Stop::Failed(connect_error(&e))),
        Ok(Ok(r)) => r,
    };
    mark(trace, Point::Headers);
    let status = response.status().as_u16();
    if !(200..300).contains(&status) {
        let error_type = response
            .headers()
            .get("x-amzn-errortype")
            .map(str::to_string);
        let request_id = request_id(response.headers());
        let body = read_bounded(response.into_body(), first_byte).await;
        let mut e = http_error(status, error_type.as_deref(), &body);
        e.request_id = request_id;
        if e.kind == ErrorKind::Validation && e.message.contains("expired") {
            e.kind = ErrorKind::ExpiredCredentials;
        }
        return Err(Stop::Failed(e));
    }
    Ok(response)
}

fn internal(message: String) -> Stop {
    Stop::Failed(Error::new(ErrorKind::Internal, message))
}

/// The connector's failure, classified as the SDK's dispatch failures are (same reason and
/// wording on every transport; never the connector's text).
fn connect_error(e: &aws_smithy_runtime_api::client::result::ConnectorError) -> Error {
    crate::errors::dispatch_error(e)
}

/// Each entry keeps the configuration it was resolved for: a hit needs the same one
/// (`ClientConfig::same_client`), not only the same key, whose hash two may share.
static CREDENTIALS: Mutex<Option<HashMap<Key, (ClientConfig, Credentials)>>> = Mutex::new(None);

/// Credentials are fetched again this long before they expire.
const REFRESH_BEFORE_EXPIRY: Duration = Duration::from_secs(300);

/// SigV4 credentials from the cached SDK client's provider, kept until shortly before they
/// expire (the provider itself may call IMDS or STS, which must not happen every turn).
async fn identity(config: &ClientConfig) -> Result<Identity, Stop> {
    let key = config.cache_key();
    let fresh = |c: &Credentials| match c.expiry() {
        None => true,
        Some(t) => t
            .duration_since(SystemTime::now())
            .map(|left| left > REFRESH_BEFORE_EXPIRY)
            .unwrap_or(false),
    };
    if let Some(c) = CREDENTIALS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .as_ref()
        .and_then(|m| m.get(&key))
        .filter(|(kept, c)| kept.same_client(config) && fresh(c))
    {
        return Ok(c.1.clone().into());
    }
    let provider = credentials_for(config).await.ok_or_else(|| {
        Stop::Failed(Error::new(
            ErrorKind::InvalidCredentials,
            "no AWS credentials are configured",
        ))
    })?;
    let creds = provider.provide_credentials().await.map_err(|e| {
        let text = e.to_string();
        let kind = if text.contains("xpired") {
            ErrorKind::ExpiredCredentials
        } else {
            ErrorKind::InvalidCredentials
        };
        Stop::Failed(Error::new(
            kind,
            format!("resolving AWS credentials: {text}"),
        ))
    })?;
    let mut guard = CREDENTIALS.lock().unwrap_or_else(|p| p.into_inner());
    let kept = guard.get_or_insert_with(HashMap::new);
    // Bounded as the clients are (rotated session credentials, per-tenant keys came and went
    // and every one stayed, secrets included, for the VM's life): the stale ones go first,
    // then any one (its client's provider keeps the identity too).
    if kept.len() >= MAX_CONFIGS && !kept.contains_key(&key) {
        kept.retain(|_, (_, c)| fresh(c));
        if let Some(k) = kept.keys().next().filter(|_| kept.len() >= MAX_CONFIGS) {
            let k = k.clone();
            kept.remove(&k);
        }
    }
    kept.insert(key, (config.clone(), creds.clone()));
    Ok(creds.into())
}

/// How many configurations' SigV4 credentials [`identity`] keeps now.
#[cfg(test)]
fn kept_identities() -> usize {
    CREDENTIALS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .as_ref()
        .map_or(0, HashMap::len)
}

/// SigV4 signing keys of the Messages-API calls, per secret, region and service (bounded as
/// the clients are).
static SIGNING_KEYS: LazyLock<KeyCache> = LazyLock::new(|| KeyCache::new(MAX_CONFIGS));

fn sign_request(
    request: &mut http::Request<SdkBody>,
    payload_hash: &str,
    identity: &Identity,
    region: &str,
    service: &str,
) -> Result<(), Stop> {
    let fail = |e: &dyn std::fmt::Display| {
        Stop::Failed(Error::new(
            ErrorKind::InvalidCredentials,
            format!("signing the request: {e}"),
        ))
    };
    let now = SystemTime::now();
    if let Some(creds) = identity.data::<Credentials>() {
        let secrets = Secrets {
            access_key_id: creds.access_key_id(),
            secret_access_key: creds.secret_access_key(),
            session_token: creds.session_token(),
        };
        if sigv4::sign(
            request,
            payload_hash,
            &secrets,
            region,
            service,
            now,
            &SIGNING_KEYS,
        )
        .is_ok()
        {
            return Ok(());
        }
    }
    // A request the cached-key signer does not write like aws-sigv4 (a configured endpoint
    // with a query or an unusual path), or an identity that is not AWS credentials (which
    // aws-sigv4 refuses with its own error).
    let params = v4::SigningParams::builder()
        .identity(identity)
        .region(region)
        .name(service)
        .time(now)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| fail(&e))?
        .into();
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    let uri = request.uri().to_string();
    let signable = SignableRequest::new(
        "POST",
        &uri,
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Precomputed(payload_hash.to_string()),
    )
    .map_err(|e| fail(&e))?;
    let (instructions, _signature) = sign(signable, &params).map_err(|e| fail(&e))?.into_parts();
    instructions.apply_to_request_http1x(request);
    Ok(())
}

fn request_id(headers: &aws_smithy_runtime_api::http::Headers) -> Option<String> {
    ["x-amzn-requestid", "x-amz-request-id", "request-id"]
        .iter()
        .find_map(|h| headers.get(*h))
        .map(|v| v.chars().take(128).collect())
}

/// Reads at most [`MAX_ERROR_BODY`] bytes of an error body, within `limit`.
async fn read_bounded(mut body: SdkBody, limit: Duration) -> Vec<u8> {
    let mut out = Vec::new();
    let read = async {
        while let Some(Ok(frame)) = body.frame().await {
            if let Ok(data) = frame.into_data() {
                let room = MAX_ERROR_BODY - out.len();
                out.extend_from_slice(&data[..data.len().min(room)]);
                if out.len() >= MAX_ERROR_BODY {
                    break;
                }
            }
        }
    };
    let _ = timeout(limit, read).await;
    out
}

/// Streams one Messages-API call into `state`.
pub(crate) async fn stream(
    call: MessagesCall,
    config: &ClientConfig,
    state: &mut StreamState,
) -> Result<(), Stop> {
    let trace = state.trace().cloned();
    // Boxed: the request's future is most of the call's state, which the spawn would
    // otherwise copy on the scheduler thread (call.rs `converse_stream`).
    let response = Box::pin(send(call, config, config.timeouts.first_byte, &trace)).await?;
    state.first_byte();
    state.summary.request_id = request_id(response.headers());
    if let Some(ct) = response.headers().get("content-type") {
        if !ct.trim_start().starts_with("text/event-stream") {
            return Err(Stop::Failed(Error::new(
                ErrorKind::Protocol,
                format!(
                    "expected a text/event-stream response, got {:?}",
                    ct.chars().take(80).collect::<String>()
                ),
            )));
        }
    }
    let mut body = response.into_body();
    let mut parser = SseParser::new(SseLimits::default()).strict_utf8();
    let mut events: Vec<SseEvent> = Vec::new();
    let mut input_usage = Value::Null;
    let mut stopped = false;
    let mut idle = IdleTimer::new(config.timeouts.idle);
    loop {
        let frame = match state.next(idle.run(body.frame())).await? {
            Err(Idle) => {
                return Err(Stop::Failed(Error::new(
                    ErrorKind::IdleTimeout,
                    format!("no event for {} ms", idle.limit().as_millis()),
                )))
            }
            Ok(None) => break,
            // As on the event-stream transports: `:connect`, the phase tells what was heard.
            Ok(Some(Err(e))) => return Err(Stop::Failed(crate::errors::broke_off(&*e))),
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        // The events this chunk completed before a parse error are the caller's first, as
        // the frame decoders deliver every whole frame before the bad one.
        let pushed = parser.push(&data, &mut events);
        for event in events.drain(..) {
            if stopped {
                // Nothing may follow message_stop; ignore keep-alives the peer still sends.
                continue;
            }
            stopped = dispatch(&event, state, &mut input_usage)?;
            state.check_answer_size().map_err(Stop::Failed)?;
            state.pace().await?;
        }
        pushed.map_err(|e| {
            Stop::Failed(Error::new(
                ErrorKind::Protocol,
                format!(
                    "unreadable event stream from Bedrock: an event could not be decoded ({e})"
                ),
            ))
        })?;
    }
    if stopped && parser.has_pending() {
        // The body is read to its end, as on ConverseStream: bytes after message_stop that
        // are no whole event are an unreadable stream, not a cut answer.
        return Err(Stop::Failed(Error::new(
            ErrorKind::Protocol,
            "unreadable event stream from Bedrock: bytes after the last event",
        )));
    }
    if !stopped {
        let why = if parser.has_pending() {
            "the stream ended inside an event, before message_stop"
        } else {
            "the stream ended before message_stop"
        };
        return Err(Stop::Failed(Error::new(ErrorKind::ModelStreamError, why)));
    }
    state.finish_message()?;
    Ok(())
}

/// One SSE event; returns whether it was `message_stop`.
fn dispatch(
    event: &SseEvent,
    state: &mut StreamState,
    input_usage: &mut Value,
) -> Result<bool, Stop> {
    match event.event.as_str() {
        "ping" => return Ok(false),
        "error" => return Err(Stop::Failed(stream_error(&event.data))),
        _ => {}
    }
    let value: Value = serde_json::from_str(&event.data).map_err(|e| {
        Stop::Failed(Error::new(
            ErrorKind::Protocol,
            format!(
                "unreadable event stream from Bedrock: an event could not be decoded \
                 (a {:?} event is not JSON: {e})",
                truncate(&event.event, 40)
            ),
        ))
    })?;
    // Anthropic repeats the event name as `type` in the data; the data decides.
    match value.get("type").and_then(Value::as_str) {
        Some("error") => Err(Stop::Failed(stream_error(&event.data))),
        Some("message_stop") => {
            anthropic_event(&value, state, input_usage)?;
            Ok(true)
        }
        _ => {
            anthropic_event(&value, state, input_usage)?;
            Ok(false)
        }
    }
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// Counts input tokens on the Messages API (`/anthropic/v1/messages/count_tokens`).
pub(crate) async fn count_tokens(
    call: MessagesCall,
    config: &ClientConfig,
    state: &mut StreamState,
) -> Result<(), Stop> {
    let response = Box::pin(send(call, config, config.timeouts.total, &None)).await?;
    state.first_byte();
    state.summary.request_id = request_id(response.headers());
    let body = read_bounded(response.into_body(), config.timeouts.total).await;
    let value: Value = serde_json::from_slice(&body).map_err(|e| {
        Stop::Failed(Error::new(
            ErrorKind::Protocol,
            format!("count_tokens returned invalid JSON: {e}"),
        ))
    })?;
    let tokens = value
        .get("input_tokens")
        .and_then(Value::as_u64)
        .ok_or_else(|| {
            Stop::Failed(Error::new(
                ErrorKind::Protocol,
                "count_tokens returned no input_tokens",
            ))
        })?;
    state.summary.body = Some(serde_json::json!({"input_tokens": tokens}));
    Ok(())
}

#[cfg(test)]
mod probe_tests {
    use super::*;

    /// More distinct SigV4 configurations than the clients keep (rotated static session
    /// credentials): the kept credentials stay at the clients' bound, and each call still
    /// gets its own configuration's credentials.
    #[test]
    fn kept_credentials_are_bounded() {
        let rt = crate::runtime::runtime();
        for i in 0..MAX_CONFIGS + 40 {
            let config = crate::config::decode_config(&serde_json::json!({
                "region": "us-east-1", "endpoint": "http://127.0.0.1:9",
                "credentials": {"type": "static", "access_key_id": format!("AKID{i}"),
                                "secret_access_key": format!("secret-{i}"),
                                "session_token": format!("token-{i}")}}))
            .unwrap();
            let identity = rt
                .block_on(identity(&config))
                .ok()
                .expect("static credentials");
            let creds: &Credentials = identity.data().expect("AWS credentials");
            assert_eq!(creds.access_key_id(), format!("AKID{i}"));
            assert_eq!(creds.session_token(), Some(format!("token-{i}").as_str()));
        }
        assert!(kept_identities() <= MAX_CONFIGS, "{}", kept_identities());
    }

    /// Two configurations whose keys collide (the test seam makes every hash equal) each
    /// sign with their own credentials, not with those kept for the other.
    #[test]
    fn colliding_configurations_keep_their_own_credentials() {
        let rt = crate::runtime::runtime();
        let (a, b) = crate::config::test_seam::colliding_pair("AKIDSIGNA", "AKIDSIGNB");
        for _ in 0..2 {
            for (c, want) in [(&a, "AKIDSIGNA"), (&b, "AKIDSIGNB")] {
                let identity = rt.block_on(identity(c)).ok().expect("static credentials");
                let creds: &Credentials = identity.data().expect("AWS credentials");
                assert_eq!(creds.access_key_id(), want);
            }
        }
        crate::config::test_seam::collide(false);
    }
}
