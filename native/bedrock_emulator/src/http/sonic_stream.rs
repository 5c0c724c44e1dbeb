//! The transport of `POST /model/{modelId}/invoke-with-bidirectional-stream` (Nova Sonic):
//! the request is checked (SigV4, model, pre-stream faults) and answered 200 at once; then one
//! task reads the caller's signed event frames, verifies each `:chunk-signature`, feeds the
//! JSON events to the [`Session`] and writes its output events as `chunk` frames, with the
//! connection limit and the mid-stream faults of the other stream routes.

use std::io;
use std::os::fd::RawFd;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use aws_smithy_eventstream::frame::MessageFrameDecoder;
use aws_smithy_eventstream::frame::{read_message_from, write_headers_to, DecodedFrame};
use aws_smithy_types::event_stream::{Header, Message};
use bytes::{Bytes, BytesMut};
use http::{Request, Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::{Frame, Incoming};
use serde_json::Value;
use tokio::sync::mpsc;

use super::body::{full, ResBody};
use super::routes::error_response;
use super::sigv4::{self, ChunkVerifier, Principal};
use super::stream::{exception_message, fault_before, inject, FaultTarget, FrameResult};
use crate::config::Faults;
use crate::counters::outcome;
use crate::error::AwsError;
use crate::handlers::sonic::{self as sonic, Out, Session};
use crate::render::eventstream;
use crate::render::stamp::{audio_chunk_frame, AudioStampSlot};
use crate::state::State;

/// Counter route name.
pub const ROUTE: &str = "invoke-with-bidirectional-stream";
/// Counter outcome of a stream ended by the connection limit.
pub const TIME_LIMIT: &str = "time_limit";
/// Largest input frame taken (an audio chunk of 32 ms is ~1.4 KB of JSON).
const MAX_FRAME: usize = 1 << 20;

/// Whether `path` is this route; returns the model id.
pub fn match_path(method: &http::Method, path: &str) -> Option<String> {
    if method != http::Method::POST {
        return None;
    }
    let rest = path.strip_prefix("/model/")?;
    let (model, op) = rest.split_once('/')?;
    if op != "invoke-with-bidirectional-stream" || model.is_empty() {
        return None;
    }
    Some(
        percent_encoding::percent_decode_str(model)
            .decode_utf8_lossy()
            .to_string(),
    )
}

fn reject(state: &State, err: &AwsError, label: &'static str, rid: &str) -> Response<ResBody> {
    state.counters.record(ROUTE, label);
    error_response(err, rid)
}

/// Checks the request and starts the stream.
pub(crate) async fn handle(
    req: Request<Incoming>,
    state: Arc<State>,
    model_id: String,
    fd: RawFd,
    rid: String,
) -> Result<Response<ResBody>, io::Error> {
    let (parts, body) = req.into_parts();
    let mut headers = parts.headers.clone();
    // HTTP/2 carries the host as `:authority`, which SigV4 signs as `host`.
    if let Some(authority) = parts.uri.authority() {
        if !headers.contains_key(http::header::HOST) {
            if let Ok(v) = http::HeaderValue::from_str(authority.as_str()) {
                headers.insert(http::header::HOST, v);
            }
        }
    }
    let mut verifier = None;
    let mut region = None;
    if state.verify_signatures {
        let signed = sigv4::SignedRequest {
            method: parts.method.as_str(),
            raw_path: parts.uri.path(),
            raw_query: parts.uri.query().unwrap_or(""),
            headers: &headers,
            body: &[],
        };
        match sigv4::verify_event_stream(&signed, &state.auth, SystemTime::now()) {
            Ok(Principal::SigV4 { service }) if service == "bedrock" => {
                verifier = sigv4::chunk_verifier(&signed, &state.auth);
                region = sigv4::signed_region(&headers);
            }
            Ok(Principal::SigV4 { .. }) => {
                let err = AwsError::new(
                    403,
                    "InvalidSignatureException",
                    "Credential should be scoped to correct service: 'bedrock'. ",
                );
                return Ok(reject(&state, &err, outcome::AUTH_ERROR, &rid));
            }
            Ok(_) => {
                // Issue 15: Bedrock API keys do not work for this operation.
                let err = AwsError::new(
                    403,
                    "AccessDeniedException",
                    "InvokeModelWithBidirectionalStream does not accept Bedrock API keys; sign the request with SigV4 (IAM credentials).",
                );
                return Ok(reject(&state, &err, outcome::AUTH_ERROR, &rid));
            }
            Err(err) => return Ok(reject(&state, &err, outcome::AUTH_ERROR, &rid)),
        }
    }
    let model = match sonic::check_model(&model_id, region.as_deref(), &state.extra_models) {
        Ok(m) => m,
        Err(err) => {
            let label = if err.status == 404 {
                outcome::NOT_FOUND
            } else {
                outcome::VALIDATION_ERROR
            };
            return Ok(reject(&state, &err, label, &rid));
        }
    };
    let (faults, pacing) = match sonic::stream_settings(&state, &model_id, &headers) {
        Ok(x) => x,
        Err((err, label)) => return Ok(reject(&state, &err, label, &rid)),
    };
    let rules = crate::state::lock(&state.rules).clone();
    let session = Session::new(
        model,
        &model_id,
        state.sonic.clone(),
        rules,
        pacing.first_token_ms.unwrap_or(0),
        &rid,
    );
    let (tx, rx) = mpsc::channel(64);
    let limit_ms = state.sonic.connection_limit_ms;
    let stream = Stream {
        state: Arc::clone(&state),
        session,
        verifier,
        verify: state.verify_signatures,
        out: Output {
            state: Arc::clone(&state),
            tx,
            faults,
            sent: 0,
            fd,
            stamp: pacing.stamp.unwrap_or(false),
        },
        limit_ms,
    };
    tokio::spawn(stream.run(body));
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header("x-amzn-requestid", rid.as_str())
        .header("content-type", eventstream::CONTENT_TYPE)
        .body(SonicBody { rx }.boxed())
        .unwrap_or_else(|_| Response::new(full(""))))
}

/// Why the stream loop stopped: a counter label, or "" when already counted.
type Stop = &'static str;

/// What the session task hands the response body: a finished frame, or an audio chunk to
/// stamp with its send time when hyper takes it (pacing `stamp`).
enum SonicFrame {
    Ready(FrameResult),
    Stamped(Vec<u8>, AudioStampSlot),
}

impl From<FrameResult> for SonicFrame {
    fn from(frame: FrameResult) -> Self {
        SonicFrame::Ready(frame)
    }
}

/// The response body: frames in order; a stamped audio chunk gets the wall-clock time at
/// the moment hyper polls it for the connection (what `bench/sonic.exs` subtracts), so the
/// emulator's own synthesis and queueing stay out of the client's measured latency.
struct SonicBody {
    rx: mpsc::Receiver<SonicFrame>,
}

impl hyper::body::Body for SonicBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<FrameResult>> {
        self.rx.poll_recv(cx).map(|frame| {
            frame.map(|frame| match frame {
                SonicFrame::Ready(frame) => frame,
                SonicFrame::Stamped(mut bytes, slot) => {
                    slot.stamp_now(&mut bytes);
                    Ok(Frame::data(Bytes::from(bytes)))
                }
            })
        })
    }
}

struct Output {
    state: Arc<State>,
    tx: mpsc::Sender<SonicFrame>,
    faults: Faults,
    sent: usize,
    fd: RawFd,
    /// Stamp audio chunks with their send time (pacing `stamp`, see `render/stamp.rs`).
    stamp: bool,
}

impl Output {
    async fn raw(&self, frame: Bytes) -> bool {
        self.send(SonicFrame::Ready(Ok(Frame::data(frame)))).await
    }

    async fn send(&self, frame: SonicFrame) -> bool {
        self.tx.send(frame).await.is_ok()
    }

    /// Sends output event number `self.sent`, applying the faults set for that position
    /// (the same fault piece as the other stream routes, `stream::inject`).
    async fn event(&mut self, event: &Value) -> Result<(), Stop> {
        let stamped = match self.stamp {
            true => audio_chunk_frame(event),
            false => None,
        };
        let out = match stamped {
            Some((bytes, slot)) => SonicFrame::Stamped(bytes, slot),
            None => SonicFrame::Ready(Ok(Frame::data(eventstream::chunk(
                event.to_string().as_bytes(),
            )))),
        };
        if let Some(fault) = fault_before(&self.faults, self.sent, true) {
            let frame = match &out {
                SonicFrame::Stamped(bytes, _) => Bytes::copy_from_slice(bytes),
                SonicFrame::Ready(Ok(frame)) => frame.data_ref().cloned().unwrap_or_default(),
                SonicFrame::Ready(Err(_)) => Bytes::new(),
            };
            let target = FaultTarget {
                state: &self.state,
                route: ROUTE,
                tx: &self.tx,
                fd: self.fd,
            };
            let faults = &self.faults;
            return Err(inject(
                target,
                fault,
                |kind| eventstream::exception(kind, &exception_message(faults, kind)),
                || eventstream::corrupt(&frame),
            )
            .await);
        }
        if !self.send(out).await {
            return Err(outcome::CLIENT_CLOSED);
        }
        self.sent += 1;
        Ok(())
    }

    async fn exception(&self, kind: &str, message: &str) {
        self.raw(eventstream::exception(kind, message)).await;
    }
}

struct Stream {
    state: Arc<State>,
    session: Session,
    verifier: Option<ChunkVerifier>,
    verify: bool,
    out: Output,
    limit_ms: u64,
}

/// What one input frame asked for.
enum Input {
    Event(Bytes),
    /// The SDK's empty signed frame: the caller's input is complete.
    End,
}

impl Stream {
    async fn run(mut self, body: Incoming) {
        let counters = Arc::clone(&self.state.counters);
        let _open = counters.open_stream();
        let label = self.serve(body).await;
        if !label.is_empty() {
            counters.record(ROUTE, label);
        }
    }

    async fn serve(&mut self, mut body: Incoming) -> Stop {
        let start = Instant::now();
        let mut decoder = MessageFrameDecoder::new();
        let mut buf = BytesMut::new();
        let mut input_done = false;
        loop {
            let now_ms = start.elapsed().as_millis() as u64;
            for out in self.session.due(now_ms) {
                match out {
                    Out::Event(event) => {
                        if let Err(stop) = self.out.event(&event).await {
                            return stop;
                        }
                    }
                    Out::Exception { kind, message } => {
                        self.state.counters.record(ROUTE, outcome::EXCEPTION);
                        self.out.exception(kind, &message).await;
                        return "";
                    }
                }
            }
            if self.session.finished() || (input_done && self.session.next_wakeup().is_none()) {
                return outcome::OK;
            }
            if now_ms >= self.limit_ms {
                let msg = format!(
                    "The bidirectional stream reached its connection limit of {} seconds.",
                    self.limit_ms as f64 / 1000.0
                );
                self.out.exception("validationException", &msg).await;
                return TIME_LIMIT;
            }
            let wake = self
                .session
                .next_wakeup()
                .unwrap_or(u64::MAX)
                .min(self.limit_ms)
                .max(now_ms);
            let deadline = tokio::time::Instant::from_std(start + Duration::from_millis(wake));
            tokio::select! {
                _ = self.out.tx.closed() => return outcome::CLIENT_CLOSED,
                frame = body.frame(), if !input_done => match frame {
                    None => input_done = true,
                    Some(Err(_)) => return outcome::CLIENT_CLOSED,
                    Some(Ok(frame)) => {
                        let Ok(data) = frame.into_data() else { continue };
                        buf.extend_from_slice(&data);
                        loop {
                            match decoder.decode_frame(&mut buf) {
                                Ok(DecodedFrame::Complete(message)) => {
                                    let now_ms = start.elapsed().as_millis() as u64;
                                    match self.input(&message) {
                                        Ok(Input::End) => input_done = true,
                                        Ok(Input::Event(json)) => {
                                            if let Err(v) = self.session.on_event(now_ms, &json) {
                                                self.out.exception("validationException", &v.0).await;
                                                return outcome::VALIDATION_ERROR;
                                            }
                                        }
                                        Err(msg) => {
                                            self.out.exception("validationException", &msg).await;
                                            return outcome::VALIDATION_ERROR;
                                        }
                                    }
                                }
                                Ok(DecodedFrame::Incomplete) => break,
                                Err(_) => {
                                    self.out
                                        .exception("validationException", "The input stream holds a malformed event-stream frame.")
                                        .await;
                                    return outcome::VALIDATION_ERROR;
                                }
                            }
                        }
                        if buf.len() > MAX_FRAME + 16 {
                            self.out.exception("validationException", "Input event frame is too large.").await;
                            return outcome::VALIDATION_ERROR;
                        }
                    }
                },
                _ = tokio::time::sleep_until(deadline) => {}
            }
        }
    }

    /// Unwraps one input frame: the signature envelope (verified), then the `chunk` event
    /// and its `{"bytes": base64}` payload.
    fn input(&mut self, message: &Message) -> Result<Input, String> {
        let header = |name: &str| -> Option<&Header> {
            message.headers().iter().find(|h| h.name().as_str() == name)
        };
        let inner = match (header(":chunk-signature"), header(":date")) {
            (Some(sig), Some(date)) => {
                let (Ok(sig), Ok(ts)) = (sig.value().as_byte_array(), date.value().as_timestamp())
                else {
                    return Err("Malformed :chunk-signature or :date header.".into());
                };
                if let Some(v) = self.verifier.as_mut() {
                    let mut encoded = Vec::new();
                    write_headers_to(std::slice::from_ref(date), &mut encoded)
                        .map_err(|_| "Malformed :date header.".to_string())?;
                    if !v.verify(ts.secs(), &encoded, message.payload(), sig) {
                        return Err("The event signature we calculated does not match the signature you provided.".into());
                    }
                }
                if message.payload().is_empty() {
                    return Ok(Input::End);
                }
                read_message_from(message.payload().clone()).map_err(|_| {
                    "The signed frame does not hold an event-stream message.".to_string()
                })?
            }
            _ if self.verify && self.verifier.is_some() => {
                return Err("Input event frames must be signed (:chunk-signature).".into())
            }
            _ => message.clone(),
        };
        let str_header = |name: &str| {
            inner
                .headers()
                .iter()
                .find(|h| h.name().as_str() == name)
                .and_then(|h| h.value().as_string().ok())
                .map(|s| s.as_str().to_string())
        };
        if str_header(":message-type").as_deref() != Some("event")
            || str_header(":event-type").as_deref() != Some("chunk")
        {
            return Err("Input events must be `chunk` events.".into());
        }
        if inner.payload().len() > MAX_FRAME {
            return Err("Input event is too large.".into());
        }
        let part: Value = serde_json::from_slice(inner.payload())
            .map_err(|_| "The chunk payload is not valid JSON.".to_string())?;
        let Some(b64) = part.get("bytes").and_then(Value::as_str) else {
            return Err("The chunk payload has no bytes member.".into());
        };
        use base64::Engine;
        let json = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|_| "The chunk's bytes are not valid base64.".to_string())?;
        Ok(Input::Event(Bytes::from(json)))
    }
}
