//! A Nova Sonic speech-to-speech session over `InvokeModelWithBidirectionalStream`: one
//! tokio task on one of the runtime's shards owns the HTTP/2 stream, builds every protocol event
//! (ids and order), decodes the model's output into [`SonicEvent`]s for a [`SonicSink`],
//! renews the connection before the service's ~8-minute limit carrying the conversation as
//! history, and ends with exactly one terminal event.
//!
//! Input goes through a bounded queue ([`SonicHandle`]): `send_audio` copies the frame and
//! `try_send`s it, so it never blocks. The task takes a command only when the stream's own
//! queue has room, so when Bedrock (or the network) reads slower than the caller sends, the
//! queue fills and `send_audio` answers `overloaded` instead of buffering without bound.

use crate::call::{sdk_error, LiveGuard};
use crate::clients::client_for;
use crate::config::{decode_config, ClientConfig, CredentialSpec};
use crate::events::ReceiverGone;
use crate::runtime;
use crate::sonic_options::{
    decode_options, max_frame_bytes, SonicOptions, MAX_TEXT_INPUT_BYTES, MAX_TOOL_RESULT_BYTES,
};
use crate::sonic_protocol::{self as proto, decode_output, Output, Role, SonicUsage, Stage};
use aws_sdk_bedrockruntime::config::retry::RetryConfig;
use aws_sdk_bedrockruntime::operation::RequestId;
use aws_sdk_bedrockruntime::primitives::Blob;
use aws_sdk_bedrockruntime::types as sdk;
use aws_sdk_bedrockruntime::types::error::InvokeModelWithBidirectionalStreamInputError;
use aws_sdk_bedrockruntime::Client;
use aybiza_core::error::{Delivered, Error, ErrorKind, Phase};
use futures_util::FutureExt;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Notify};
use tokio::time::{sleep_until, timeout};

/// What a session delivers to its receiver.
#[derive(Debug, Clone, PartialEq)]
pub enum SonicEvent {
    SessionStarted,
    Transcript {
        role: Role,
        stage: Stage,
        text: String,
    },
    /// 16-bit mono PCM at the output rate, as the model sent it.
    Audio(Vec<u8>),
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
    /// The model heard the caller over its own speech: flush playback.
    BargeIn,
    /// Token counts of the whole session so far (all connections).
    Usage(SonicUsage),
    ContentEnd {
        kind: String,
        role: Option<Role>,
        stop_reason: Option<String>,
    },
    /// The connection was renewed (the number of connections so far).
    Reconnected(u32),
    Done(Box<SonicSummary>),
    Error(Box<Error>, Box<SonicSummary>),
}

impl SonicEvent {
    pub fn is_terminal(&self) -> bool {
        matches!(self, SonicEvent::Done(_) | SonicEvent::Error(..))
    }
}

/// Where a session's events go. `send` is called from tokio worker threads.
pub trait SonicSink: Send + 'static {
    fn send(&mut self, event: SonicEvent) -> Result<(), ReceiverGone>;
}

/// What a finished session did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SonicSummary {
    pub model_id: String,
    pub region: String,
    pub request_ids: Vec<String>,
    pub connections: u32,
    pub usage: SonicUsage,
    /// Final transcripts in order, consecutive turns of one role merged.
    pub transcript: Vec<(Role, String)>,
    pub audio_in_bytes: u64,
    pub audio_out_bytes: u64,
    pub barge_ins: u64,
    pub tool_uses: u64,
    pub stop_reason: Option<String>,
    /// Microseconds from the start to the first audio frame of the model.
    pub first_audio_us: Option<u64>,
    pub total_us: u64,
}

enum Command {
    Audio(Vec<u8>),
    Text(String),
    ToolResult { id: String, content: String },
    EndTurn,
}

#[derive(Default)]
struct Shared {
    closing: AtomicBool,
    cancelled: AtomicBool,
    /// No more input is accepted (closed, cancelled or finished).
    closed: AtomicBool,
    notify: Notify,
    pending_tools: Mutex<HashSet<String>>,
    /// An audio turn is open from the caller's side (`send_audio` since the last `end_turn`).
    audio_open: AtomicBool,
}

impl Shared {
    fn pending(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.pending_tools.lock().unwrap_or_else(|p| p.into_inner())
    }
}

static LIVE_SESSIONS: AtomicU64 = AtomicU64::new(0);

/// Sessions whose task is alive (also counted in [`crate::live_calls`]).
pub fn live_sessions() -> u64 {
    LIVE_SESSIONS.load(Ordering::SeqCst)
}

/// The caller's side of a session. Cloneable; every method returns at once.
#[derive(Clone)]
pub struct SonicHandle {
    tx: mpsc::Sender<Command>,
    shared: Arc<Shared>,
    input_rate: u32,
    text_input: bool,
    model_id: String,
}

fn bad(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidRequest, message)
}

impl SonicHandle {
    fn check_open(&self) -> Result<(), Error> {
        if self.shared.closed.load(Ordering::SeqCst) {
            Err(bad("the session is closed"))
        } else {
            Ok(())
        }
    }

    fn push(&self, cmd: Command) -> Result<(), Error> {
        match self.tx.try_send(cmd) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Full(_)) => Err(Error::new(
                ErrorKind::Overloaded,
                format!(
                    "the session's input queue is full ({} commands): Bedrock is reading \
                     slower than input arrives; drop or retry the frame",
                    self.tx.max_capacity()
                ),
            )),
            Err(mpsc::error::TrySendError::Closed(_)) => Err(bad("the session is closed")),
        }
    }

    /// Queues one frame of 16-bit little-endian mono PCM at the session's input rate.
    /// `rate`, when given, must be that rate.
    pub fn send_audio(&self, pcm: &[u8], rate: Option<u32>) -> Result<(), Error> {
        if let Some(r) = rate {
            if r != self.input_rate {
                return Err(bad(format!(
                    "audio at {r} Hz sent to a session that takes {} Hz",
                    self.input_rate
                )));
            }
        }
        if pcm.is_empty() {
            return Err(bad("an audio frame is empty"));
        }
        if !pcm.len().is_multiple_of(2) {
            return Err(bad(format!(
                "an audio frame of {} bytes is not whole 16-bit samples (odd byte count)",
                pcm.len()
            )));
        }
        let max = max_frame_bytes(self.input_rate);
        if pcm.len() > max {
            return Err(bad(format!(
                "an audio frame of {} bytes is longer than one second ({max} bytes); send ~32 ms frames",
                pcm.len()
            )));
        }
        self.check_open()?;
        self.push(Command::Audio(pcm.to_vec()))?;
        self.shared.audio_open.store(true, Ordering::SeqCst);
        Ok(())
    }

    /// Sends typed user text (Nova 2 Sonic).
    pub fn send_text(&self, text: &str) -> Result<(), Error> {
        self.check_open()?;
        if !self.text_input {
            return Err(bad(format!(
                "{} takes no text input (the catalog's speech models with text input do, e.g. amazon.nova-2-sonic-v1:0)",
                self.model_id
            )));
        }
        // The length first: trimming a huge blank text would walk all of it.
        if text.len() > MAX_TEXT_INPUT_BYTES || text.trim().is_empty() {
            return Err(bad(format!(
                "text input must be 1 to {MAX_TEXT_INPUT_BYTES} bytes and not blank"
            )));
        }
        self.push(Command::Text(text.to_string()))
    }

    /// Answers the model's tool use `id` with `content` (text; JSON as text is usual).
    pub fn send_tool_result(&self, id: &str, content: String) -> Result<(), Error> {
        self.check_open()?;
        if content.len() > MAX_TOOL_RESULT_BYTES {
            return Err(bad(format!(
                "a tool result is longer than {MAX_TOOL_RESULT_BYTES} bytes"
            )));
        }
        let mut pending = self.shared.pending();
        if !pending.contains(id) {
            return Err(bad(format!(
                "no tool use {:?} is waiting for a result",
                id.chars().take(80).collect::<String>()
            )));
        }
        self.push(Command::ToolResult {
            id: id.to_string(),
            content,
        })?;
        pending.remove(id);
        Ok(())
    }

    /// Ends the caller's audio turn (push-to-talk release, end of a file): the model answers.
    pub fn end_turn(&self) -> Result<(), Error> {
        self.check_open()?;
        if !self.shared.audio_open.load(Ordering::SeqCst) {
            return Err(bad("no audio turn is open (send_audio first)"));
        }
        self.push(Command::EndTurn)?;
        self.shared.audio_open.store(false, Ordering::SeqCst);
        Ok(())
    }

    /// Ends the session in order (contentEnd, promptEnd, sessionEnd), lets the model finish
    /// the stream (bounded by `close_timeout_ms`) and delivers `Done`. Idempotent.
    pub fn close(&self) {
        self.shared.closed.store(true, Ordering::SeqCst);
        if !self.shared.closing.swap(true, Ordering::SeqCst) {
            self.shared.notify.notify_one();
        }
    }

    /// Stops at once (the receiver is gone): the task drops the stream.
    pub fn cancel(&self) {
        self.shared.closed.store(true, Ordering::SeqCst);
        if !self.shared.cancelled.swap(true, Ordering::SeqCst) {
            self.shared.notify.notify_one();
        }
    }

    pub fn is_closed(&self) -> bool {
        self.shared.closed.load(Ordering::SeqCst)
    }

    /// Tool uses waiting for a result.
    pub fn pending_tool_uses(&self) -> Vec<String> {
        self.shared.pending().iter().cloned().collect()
    }
}

/// Decodes and validates everything, then spawns the session. Errors here are returned
/// directly (nothing is sent to the sink).
pub fn start_session(
    options: &Value,
    config: &Value,
    sink: Box<dyn SonicSink>,
) -> Result<SonicHandle, Error> {
    let config = decode_config(config)?;
    if matches!(config.credentials, CredentialSpec::ApiKey { .. }) {
        return Err(Error::new(
            ErrorKind::InvalidCredentials,
            "Bedrock API keys do not work for InvokeModelWithBidirectionalStream (Nova Sonic); \
             give SigV4 credentials (static keys, a profile, a role or the default chain)",
        ));
    }
    let opts = decode_options(options, &config.region)?;
    let (tx, rx) = mpsc::channel(opts.input_queue);
    let shared = Arc::new(Shared::default());
    let handle = SonicHandle {
        tx,
        shared: shared.clone(),
        input_rate: opts.input_rate,
        text_input: opts.model.text_input,
        model_id: opts.model.id.clone(),
    };
    let guard = LiveGuard::new();
    LIVE_SESSIONS.fetch_add(1, Ordering::SeqCst);
    runtime::spawn(async move {
        let _guard = guard;
        let _sessions = SessionGuard;
        let mut session = Session::new(opts, config, sink, shared.clone());
        let outcome = AssertUnwindSafe(session.run(rx)).catch_unwind().await;
        shared.closed.store(true, Ordering::SeqCst);
        let outcome = match outcome {
            Ok(Err(Stop::Closed)) => Ok(()),
            Ok(r) => r,
            Err(_) => Err(Stop::Failed(Error::new(
                ErrorKind::Internal,
                "the session task panicked",
            ))),
        };
        session.finish(outcome);
    });
    Ok(handle)
}

struct SessionGuard;

impl Drop for SessionGuard {
    fn drop(&mut self) {
        LIVE_SESSIONS.fetch_sub(1, Ordering::SeqCst);
    }
}

enum Stop {
    Failed(Error),
    ReceiverGone,
    /// Closed while no connection was open: the session ends normally.
    Closed,
}

impl From<ReceiverGone> for Stop {
    fn from(_: ReceiverGone) -> Self {
        Stop::ReceiverGone
    }
}

/// Frames of one connection's input, read by the SDK as the request body.
struct WireStream(mpsc::Receiver<Vec<u8>>);

type WireItem = Result<
    sdk::InvokeModelWithBidirectionalStreamInput,
    InvokeModelWithBidirectionalStreamInputError,
>;

impl futures_util::Stream for WireStream {
    type Item = WireItem;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<WireItem>> {
        self.0.poll_recv(cx).map(|next| {
            next.map(|bytes| {
                Ok(sdk::InvokeModelWithBidirectionalStreamInput::Chunk(
                    sdk::BidirectionalInputPayloadPart::builder()
                        .bytes(Blob::new(bytes))
                        .build(),
                ))
            })
        })
    }
}

type OutputReceiver = aws_sdk_bedrockruntime::primitives::event_stream::EventReceiver<
    sdk::InvokeModelWithBidirectionalStreamOutput,
    sdk::error::InvokeModelWithBidirectionalStreamOutputError,
>;

/// One open connection.
struct Conn {
    wire: mpsc::Sender<Vec<u8>>,
    output: OutputReceiver,
    prompt: String,
    audio_content: Option<String>,
    opened: tokio::time::Instant,
}

impl Conn {
    /// Queues one event; the caller made sure there is room (see the command branch).
    fn push(&self, event: Value) {
        let _ = self
            .wire
            .try_send(serde_json::to_vec(&event).unwrap_or_default());
    }
}

/// Room the stream queue must have before a command is taken (the largest command, a tool
/// result, is three events; audio after a closed turn is two).
const COMMAND_ROOM: usize = 4;
/// A deadline further than any the session sets (the timer's idle position).
const FAR: Duration = Duration::from_secs(86_400 * 365);
const WIRE_QUEUE: usize = 64;

fn new_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut parts = [0u64; 2];
    for (i, part) in parts.iter_mut().enumerate() {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(n);
        h.write_usize(i);
        *part = h.finish();
    }
    let hex = format!("{:016x}{:016x}", parts[0], parts[1]);
    format!(
        "{}-{}-4{}-a{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

/// RMS level (16-bit PCM) from which a frame counts as the caller speaking; quiet line noise
/// and silence stay well below it.
const VOICE_RMS: f64 = 400.0;
/// A renewal waits until the caller has not spoken for this long (or the hard deadline).
const CALLER_QUIET_BEFORE_RENEWAL: Duration = Duration::from_millis(600);

/// Root mean square of 16-bit little-endian samples.
fn rms(pcm: &[u8]) -> f64 {
    let n = pcm.len() / 2;
    if n == 0 {
        return 0.0;
    }
    let sum: f64 = pcm
        .chunks_exact(2)
        .map(|b| {
            let v = f64::from(i16::from_le_bytes([b[0], b[1]]));
            v * v
        })
        .sum();
    (sum / n as f64).sqrt()
}

/// History carried into a new connection is bounded like the caller's own history.
const MAX_CARRIED_MESSAGES: usize = 100;
const MAX_CARRIED_BYTES: usize = 100_000;

struct Session {
    opts: SonicOptions,
    config: ClientConfig,
    sink: Box<dyn SonicSink>,
    shared: Arc<Shared>,
    started: Instant,
    summary: SonicSummary,
    events_sent: u64,
    /// Content blocks of the model open now: id -> (type, role, stage).
    contents: HashMap<String, (String, Option<Role>, Option<Stage>)>,
    last_meta: (Option<Role>, Option<Stage>),
    assistant_audio_open: bool,
    barge_in_sent: bool,
    awaiting_reply: Option<tokio::time::Instant>,
    conn_usage: SonicUsage,
    prior_usage: SonicUsage,
    /// When the caller's audio last sounded like speech.
    last_voice: Option<Instant>,
}

impl Session {
    fn new(
        opts: SonicOptions,
        config: ClientConfig,
        sink: Box<dyn SonicSink>,
        shared: Arc<Shared>,
    ) -> Self {
        let summary = SonicSummary {
            model_id: opts.model.id.clone(),
            region: config.region.clone(),
            ..SonicSummary::default()
        };
        Session {
            opts,
            config,
            sink,
            shared,
            started: Instant::now(),
            summary,
            events_sent: 0,
            contents: HashMap::new(),
            last_meta: (None, None),
            assistant_audio_open: false,
            barge_in_sent: false,
            awaiting_reply: None,
            conn_usage: SonicUsage::default(),
            prior_usage: SonicUsage::default(),
            last_voice: None,
        }
    }

    fn send(&mut self, event: SonicEvent) -> Result<(), ReceiverGone> {
        self.events_sent += 1;
        self.sink.send(event)
    }

    /// The history a connection starts with: the caller's, then the conversation so far.
    fn history(&self) -> Vec<(Role, String)> {
        let mut all: Vec<(Role, String)> = self.opts.history.clone();
        for (role, text) in &self.summary.transcript {
            match all.last_mut() {
                Some((r, t)) if r == role => {
                    t.push(' ');
                    t.push_str(text);
                }
                _ => all.push((*role, text.clone())),
            }
        }
        // Keep the most recent messages within the bounds.
        let mut bytes = 0;
        let mut keep = 0;
        for (_, text) in all.iter().rev() {
            if keep == MAX_CARRIED_MESSAGES || bytes + text.len() > MAX_CARRIED_BYTES {
                break;
            }
            bytes += text.len();
            keep += 1;
        }
        all.split_off(all.len() - keep)
    }

    async fn connect(&mut self, client: &Client) -> Result<Conn, Stop> {
        let prompt = new_id();
        let history = self.history();
        let mut setup = vec![
            proto::session_start(&self.opts.setup),
            proto::prompt_start(&prompt, &self.opts.setup),
        ];
        if let Some(system) = &self.opts.system_prompt {
            let c = new_id();
            setup.push(proto::text_content_start(&prompt, &c, Role::System, false));
            setup.push(proto::text_input(&prompt, &c, system));
            setup.push(proto::content_end(&prompt, &c));
        }
        for (role, text) in &history {
            let c = new_id();
            setup.push(proto::text_content_start(&prompt, &c, *role, false));
            setup.push(proto::text_input(&prompt, &c, text));
            setup.push(proto::content_end(&prompt, &c));
        }
        let (wire, wire_rx) = mpsc::channel(WIRE_QUEUE + setup.len());
        for event in &setup {
            let _ = wire.try_send(serde_json::to_vec(event).unwrap_or_default());
        }
        let send = client
            .invoke_model_with_bidirectional_stream()
            .model_id(self.opts.model.id.clone())
            .body(WireStream(wire_rx).into())
            .customize()
            .config_override(
                aws_sdk_bedrockruntime::config::Builder::default()
                    .retry_config(RetryConfig::disabled()),
            )
            .send();
        let limit = self.config.timeouts.first_byte;
        let output = match timeout(limit, send).await {
            Err(_) => {
                return Err(Stop::Failed(Error::new(
                    ErrorKind::FirstByteTimeout,
                    format!(
                        "Bedrock did not open the stream within {} ms",
                        limit.as_millis()
                    ),
                )))
            }
            Ok(Err(e)) => return Err(Stop::Failed(sdk_error(e))),
            Ok(Ok(output)) => output,
        };
        if let Some(id) = output.request_id() {
            if self.summary.request_ids.len() < 64 {
                self.summary.request_ids.push(id.to_string());
            }
        }
        self.summary.connections += 1;
        Ok(Conn {
            wire,
            output: output.body,
            prompt,
            audio_content: None,
            opened: tokio::time::Instant::now(),
        })
    }

    /// Connects, unless `close` (`None`) or `cancel` (an error) comes first.
    async fn connect_unless_stopped(&mut self, client: &Client) -> Result<Option<Conn>, Stop> {
        let shared = self.shared.clone();
        tokio::select! {
            biased;
            _ = stopped(&shared) => {
                if shared.cancelled.load(Ordering::SeqCst) {
                    Err(cancelled())
                } else {
                    Ok(None)
                }
            }
            conn = self.connect(client) => conn.map(Some),
        }
    }

    async fn run(&mut self, mut rx: mpsc::Receiver<Command>) -> Result<(), Stop> {
        let client = client_for(&self.config).await;
        if self.shared.cancelled.load(Ordering::SeqCst) {
            return Err(cancelled());
        }
        let Some(mut conn) = self.connect_unless_stopped(&client).await? else {
            return Ok(());
        };
        self.send(SonicEvent::SessionStarted)?;
        let mut reconnect_due = false;
        // One timer for the nearest of the loop's deadlines, kept across iterations and moved
        // only when that deadline changes: a fresh `sleep_until` per event would register
        // with (and leave) tokio's timer wheel for every audio chunk.
        let timer = sleep_until(tokio::time::Instant::now() + FAR);
        tokio::pin!(timer);
        loop {
            if self.shared.cancelled.load(Ordering::SeqCst) {
                return Err(cancelled());
            }
            if self.shared.closing.load(Ordering::SeqCst) {
                return self.close(conn).await;
            }
            if reconnect_due && !self.busy() {
                conn = self.reconnect(conn, &client).await?;
                reconnect_due = false;
            }
            let reconnect_at = conn.opened + self.opts.reconnect_after;
            // Past the limit the service cuts the connection anyway: renew even mid-answer.
            let grace = (self.opts.reconnect_after / 8).min(Duration::from_secs(30));
            let hard_at = reconnect_at + grace;
            let reply_deadline = self.awaiting_reply.map(|t| t + self.opts.response_timeout);
            let next = match reconnect_due {
                false => reconnect_at,
                true => hard_at,
            };
            let next = reply_deadline.map_or(next, |d| d.min(next));
            if timer.deadline() != next {
                timer.as_mut().reset(next);
            }
            let room = conn.wire.capacity() >= COMMAND_ROOM;
            // Order: close/cancel, then the caller's input (cheap, at most a few commands a
            // frame, and barge-in audio must not wait behind a burst of reply audio), then
            // the model's output, then the timers (an answer that is ready beats a deadline).
            tokio::select! {
                biased;
                _ = self.shared.notify.notified() => {}
                cmd = rx.recv(), if room => match cmd {
                    Some(cmd) => self.on_command(cmd, &mut conn),
                    // Every handle is gone: nobody can send or close any more.
                    None => return self.close(conn).await,
                },
                // The stream queue was full: wake when the SDK has taken enough of it for a
                // command (the permits go straight back). Without this the commands waited
                // for the next output event, which a model waiting for the rest of its tool
                // results never sends: more than ~20 results in one turn hung the turn.
                _ = conn.wire.reserve_many(COMMAND_ROOM).map(drop), if !room => {}
                out = conn.output.recv() => match out {
                    Ok(Some(sdk::InvokeModelWithBidirectionalStreamOutput::Chunk(part))) => {
                        if let Some(bytes) = part.bytes() {
                            let decoded = decode_output(bytes.as_ref()).map_err(|e| {
                                Stop::Failed(Error::new(ErrorKind::Protocol, e.0))
                            })?;
                            self.on_output(decoded)?;
                        }
                    }
                    Ok(Some(_)) => {}
                    Ok(None) => {
                        return Err(Stop::Failed(Error::new(
                            ErrorKind::Connect,
                            "Bedrock ended the stream before the session was closed",
                        )))
                    }
                    Err(e) => return Err(Stop::Failed(sdk_error(e))),
                },
                // The same order as separate timers would take: renewal due, renewal
                // forced, then the reply deadline.
                _ = &mut timer => {
                    let now = tokio::time::Instant::now();
                    if !reconnect_due && now >= reconnect_at {
                        reconnect_due = true;
                    } else if reconnect_due && now >= hard_at {
                        conn = self.reconnect(conn, &client).await?;
                        reconnect_due = false;
                    } else if reply_deadline.is_some_and(|d| now >= d) {
                        return Err(Stop::Failed(Error::new(
                            ErrorKind::ModelTimeout,
                            format!(
                                "no audio from the model within {} ms after the turn ended",
                                self.opts.response_timeout.as_millis()
                            ),
                        )));
                    }
                }
            }
        }
    }

    /// The model is speaking, a tool is running or the caller spoke in the last moments: not
    /// the moment to renew the connection (a renewal cuts what is in flight).
    fn busy(&self) -> bool {
        self.assistant_audio_open
            || !self.shared.pending().is_empty()
            || self
                .last_voice
                .is_some_and(|t| t.elapsed() < CALLER_QUIET_BEFORE_RENEWAL)
    }

    async fn reconnect(&mut self, old: Conn, client: &Client) -> Result<Conn, Stop> {
        end_events(&old);
        drop(old);
        self.prior_usage.add(&self.conn_usage);
        self.conn_usage = SonicUsage::default();
        self.contents.clear();
        self.assistant_audio_open = false;
        // Tool uses of the old connection cannot be answered on the new one.
        self.shared.pending().clear();
        let Some(conn) = self.connect_unless_stopped(client).await? else {
            return Err(Stop::Closed);
        };
        let n = self.summary.connections;
        self.send(SonicEvent::Reconnected(n))?;
        Ok(conn)
    }

    fn on_command(&mut self, cmd: Command, conn: &mut Conn) {
        let p = conn.prompt.clone();
        match cmd {
            Command::Audio(pcm) => {
                if conn.audio_content.is_none() {
                    let c = new_id();
                    conn.push(proto::audio_content_start(&p, &c, self.opts.input_rate));
                    conn.audio_content = Some(c);
                }
                let c = conn.audio_content.as_deref().unwrap_or_default();
                conn.push(proto::audio_input(&p, c, &pcm));
                if rms(&pcm) >= VOICE_RMS {
                    self.last_voice = Some(Instant::now());
                }
                self.summary.audio_in_bytes += pcm.len() as u64;
            }
            Command::Text(text) => {
                let c = new_id();
                conn.push(proto::text_content_start(&p, &c, Role::User, true));
                conn.push(proto::text_input(&p, &c, &text));
                conn.push(proto::content_end(&p, &c));
                self.remember(Role::User, &text);
                self.awaiting_reply = Some(tokio::time::Instant::now());
            }
            Command::ToolResult { id, content } => {
                let c = new_id();
                conn.push(proto::tool_content_start(&p, &c, &id));
                conn.push(proto::tool_result(&p, &c, &content));
                conn.push(proto::content_end(&p, &c));
                self.awaiting_reply = Some(tokio::time::Instant::now());
            }
            Command::EndTurn => {
                if let Some(c) = conn.audio_content.take() {
                    conn.push(proto::content_end(&p, &c));
                    self.awaiting_reply = Some(tokio::time::Instant::now());
                }
            }
        }
    }

    /// Adds a final transcript to the conversation (merging a role's consecutive parts).
    fn remember(&mut self, role: Role, text: &str) {
        let t = &mut self.summary.transcript;
        match t.last_mut() {
            Some((r, prev)) if *r == role => {
                prev.push(' ');
                prev.push_str(text);
            }
            _ => {
                if t.len() >= 10_000 {
                    t.remove(0);
                }
                t.push((role, text.to_string()));
            }
        }
    }

    fn barge_in(&mut self) -> Result<(), ReceiverGone> {
        if self.barge_in_sent {
            return Ok(());
        }
        self.barge_in_sent = true;
        self.summary.barge_ins += 1;
        self.send(SonicEvent::BargeIn)
    }

    fn on_output(&mut self, out: Output) -> Result<(), ReceiverGone> {
        match out {
            Output::ContentStart {
                content_id,
                kind,
                role,
                stage,
            } => {
                if self.contents.len() >= 256 {
                    self.contents.clear();
                }
                if kind == "AUDIO" && role == Some(Role::Assistant) {
                    self.assistant_audio_open = true;
                }
                self.last_meta = (role, stage);
                self.contents.insert(content_id, (kind, role, stage));
            }
            Output::Text {
                content_id,
                role,
                text,
            } => {
                let (meta_role, meta_stage) = match self.contents.get(&content_id) {
                    Some((_, r, s)) => (*r, *s),
                    None => self.last_meta,
                };
                let role = role.or(meta_role);
                let stage = meta_stage.unwrap_or(Stage::Final);
                if let Some(role @ (Role::User | Role::Assistant)) = role {
                    if role == Role::User {
                        // The caller spoke: a new answer (and a new barge-in) may follow.
                        self.barge_in_sent = false;
                    }
                    if stage == Stage::Final {
                        self.remember(role, &text);
                    }
                    self.send(SonicEvent::Transcript { role, stage, text })?;
                }
            }
            Output::InterruptedText => self.barge_in()?,
            Output::Audio { pcm, .. } => {
                if self.summary.first_audio_us.is_none() {
                    self.summary.first_audio_us = Some(self.started.elapsed().as_micros() as u64);
                }
                self.awaiting_reply = None;
                self.barge_in_sent = false;
                self.summary.audio_out_bytes += pcm.len() as u64;
                self.send(SonicEvent::Audio(pcm))?;
            }
            Output::ToolUse { id, name, input } => {
                self.shared.pending().insert(id.clone());
                self.awaiting_reply = None;
                self.summary.tool_uses += 1;
                self.send(SonicEvent::ToolUse { id, name, input })?;
            }
            Output::ContentEnd {
                content_id,
                kind,
                stop_reason,
            } => {
                let meta = self.contents.remove(&content_id);
                let kind = if kind.is_empty() {
                    meta.as_ref().map(|m| m.0.clone()).unwrap_or_default()
                } else {
                    kind
                };
                let role = meta.and_then(|m| m.1);
                if kind == "AUDIO" && role != Some(Role::User) {
                    self.assistant_audio_open = false;
                }
                if stop_reason.as_deref() == Some("INTERRUPTED") {
                    self.assistant_audio_open = false;
                    self.barge_in()?;
                }
                self.send(SonicEvent::ContentEnd {
                    kind,
                    role,
                    stop_reason,
                })?;
            }
            Output::Usage(u) => {
                self.conn_usage = u;
                let mut total = self.prior_usage;
                total.add(&u);
                self.summary.usage = total;
                self.send(SonicEvent::Usage(total))?;
            }
            Output::CompletionEnd { stop_reason } => self.summary.stop_reason = stop_reason,
            Output::CompletionStart | Output::Other(_) => {}
        }
        Ok(())
    }

    /// Ends the session in protocol order and reads what the model still sends, bounded by
    /// `close_timeout`.
    async fn close(&mut self, mut conn: Conn) -> Result<(), Stop> {
        end_events(&conn);
        // No more input: the request body ends after sessionEnd.
        let (dead, _) = mpsc::channel(1);
        conn.wire = dead;
        let deadline = tokio::time::Instant::now() + self.opts.close_timeout;
        loop {
            let next = tokio::select! {
                biased;
                _ = self.shared.notify.notified() => {
                    if self.shared.cancelled.load(Ordering::SeqCst) {
                        return Err(cancelled());
                    }
                    continue;
                }
                _ = sleep_until(deadline) => return Ok(()),
                next = conn.output.recv() => next,
            };
            match next {
                Ok(Some(sdk::InvokeModelWithBidirectionalStreamOutput::Chunk(part))) => {
                    if let Some(Ok(out)) = part.bytes().map(|b| decode_output(b.as_ref())) {
                        self.on_output(out)?;
                    }
                }
                Ok(Some(_)) => {}
                // The stream ended (or broke) after sessionEnd: the session is over.
                Ok(None) | Err(_) => return Ok(()),
            }
        }
    }

    fn finish(&mut self, outcome: Result<(), Stop>) {
        let mut summary = std::mem::take(&mut self.summary);
        summary.total_us = self.started.elapsed().as_micros() as u64;
        match outcome {
            Ok(()) => {
                let _ = self.sink.send(SonicEvent::Done(Box::new(summary)));
            }
            Err(Stop::ReceiverGone) | Err(Stop::Closed) => {}
            Err(Stop::Failed(mut error)) => {
                if self.events_sent > 0 {
                    let text = summary
                        .transcript
                        .iter()
                        .filter(|(r, _)| *r == Role::Assistant)
                        .map(|(_, t)| t.as_str())
                        .collect::<Vec<_>>()
                        .join(" ");
                    error = error.mid_stream(Delivered {
                        chars: text.chars().count() as u64,
                        sentences: 0,
                        text,
                    });
                } else {
                    error.phase = Phase::BeforeStream;
                }
                let _ = self
                    .sink
                    .send(SonicEvent::Error(Box::new(error), Box::new(summary)));
            }
        }
    }
}

/// The closing events of a connection: the open audio content, the prompt, the session.
fn end_events(conn: &Conn) {
    if let Some(c) = &conn.audio_content {
        conn.push(proto::content_end(&conn.prompt, c));
    }
    conn.push(proto::prompt_end(&conn.prompt));
    conn.push(proto::session_end());
}

/// Resolves once the session is closed or cancelled.
async fn stopped(shared: &Shared) {
    loop {
        if shared.cancelled.load(Ordering::SeqCst) || shared.closing.load(Ordering::SeqCst) {
            return;
        }
        shared.notify.notified().await;
    }
}

fn cancelled() -> Stop {
    Stop::Failed(Error::new(
        ErrorKind::Cancelled,
        "the session was cancelled",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Collect(std::sync::mpsc::Sender<SonicEvent>);

    impl SonicSink for Collect {
        fn send(&mut self, event: SonicEvent) -> Result<(), ReceiverGone> {
            self.0.send(event).map_err(|_| ReceiverGone)
        }
    }

    fn cfg() -> Value {
        cfg_at("http://127.0.0.1:9")
    }

    fn cfg_at(endpoint: &str) -> Value {
        json!({"region": "us-east-1", "endpoint": endpoint,
               "credentials": {"type": "static", "access_key_id": "AKID", "secret_access_key": "S"},
               "timeouts": {"connect": 200, "first_byte": 500}})
    }

    #[test]
    fn ids_look_like_uuids_and_differ() {
        let a = new_id();
        let b = new_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(a.matches('-').count(), 4);
    }

    #[test]
    fn api_keys_are_refused_with_the_reason() {
        let (tx, _rx) = std::sync::mpsc::channel();
        let config =
            json!({"region": "us-east-1", "credentials": {"type": "api_key", "api_key": "k"}});
        let e = start_session(&json!({}), &config, Box::new(Collect(tx)))
            .err()
            .unwrap();
        assert_eq!(e.kind, ErrorKind::InvalidCredentials);
        assert!(e.message.contains("API keys"), "{}", e.message);
    }

    #[test]
    fn bad_input_is_refused_at_the_handle_and_an_unreachable_endpoint_ends_once() {
        // A listener that never answers: the session waits for the stream to open.
        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", silent.local_addr().unwrap());
        let (tx, rx) = std::sync::mpsc::channel();
        let h = start_session(&json!({}), &cfg_at(&url), Box::new(Collect(tx))).unwrap();
        assert!(h
            .send_audio(&[0; 3], None)
            .unwrap_err()
            .message
            .contains("odd"));
        assert!(h.send_audio(&[], None).is_err());
        assert!(h
            .send_audio(&[0; 640], Some(24_000))
            .unwrap_err()
            .message
            .contains("16000"));
        assert!(h.send_audio(&vec![0; 64_000], None).is_err());
        assert!(h.end_turn().unwrap_err().message.contains("no audio turn"));
        assert!(h
            .send_tool_result("nope", "{}".into())
            .unwrap_err()
            .message
            .contains("nope"));
        assert!(h.send_text("  ").is_err());
        let terminal = rx.recv_timeout(Duration::from_secs(10)).unwrap();
        match terminal {
            SonicEvent::Error(e, summary) => {
                assert_eq!(e.kind, ErrorKind::FirstByteTimeout, "{e:?}");
                assert_eq!(summary.connections, 0);
            }
            other => panic!("{other:?}"),
        }
        assert!(rx.recv_timeout(Duration::from_millis(200)).is_err());
        assert!(h
            .send_audio(&[0; 640], None)
            .unwrap_err()
            .message
            .contains("closed"));
        drop(silent);
    }

    #[test]
    fn speech_is_told_from_silence_by_its_level() {
        let silence = vec![0u8; 640];
        let tone: Vec<u8> = (0..320)
            .flat_map(|i| {
                let v = (6000.0 * (i as f64 * 0.086).sin()) as i16;
                v.to_le_bytes()
            })
            .collect();
        assert_eq!(rms(&silence), 0.0);
        assert!(rms(&tone) > VOICE_RMS, "{}", rms(&tone));
        assert_eq!(rms(&[]), 0.0);
    }

    #[test]
    fn text_input_needs_a_model_that_takes_it() {
        let (tx, _rx) = mpsc::channel(4);
        let h = SonicHandle {
            tx,
            shared: Arc::new(Shared::default()),
            input_rate: 16_000,
            text_input: false,
            model_id: "amazon.nova-sonic-v1:0".to_string(),
        };
        let e = h.send_text("hello").unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidRequest);
        assert!(e.message.contains("no text input"), "{}", e.message);
    }

    #[test]
    fn a_full_input_queue_is_overloaded_not_blocking() {
        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", silent.local_addr().unwrap());
        let (tx, rx) = std::sync::mpsc::channel();
        let h = start_session(
            &json!({"input_queue": 4}),
            &cfg_at(&url),
            Box::new(Collect(tx)),
        )
        .unwrap();
        // The stream never opens, so nothing is taken from the queue.
        for _ in 0..4 {
            h.send_audio(&[0; 1024], None).unwrap();
        }
        let started = Instant::now();
        let e = h.send_audio(&[0; 1024], None).unwrap_err();
        assert!(started.elapsed() < Duration::from_millis(50));
        assert_eq!(e.kind, ErrorKind::Overloaded);
        assert!(e.retryable());
        h.cancel();
        match rx.recv_timeout(Duration::from_secs(5)).unwrap() {
            SonicEvent::Error(e, _) => assert_eq!(e.kind, ErrorKind::Cancelled),
            other => panic!("{other:?}"),
        }
        drop(silent);
    }

    #[test]
    fn history_carried_is_bounded_and_merged() {
        let (tx, _rx) = std::sync::mpsc::channel();
        let opts = crate::sonic_options::decode_options_on(
            &json!({"history": [{"role": "user", "text": "hello"}]}),
            "us-east-1",
            "2026-12-04",
        )
        .unwrap();
        let config = decode_config(&cfg()).unwrap();
        let mut s = Session::new(
            opts,
            config,
            Box::new(Collect(tx)),
            Arc::new(Shared::default()),
        );
        s.remember(Role::User, "again");
        s.remember(Role::Assistant, "hi");
        s.remember(Role::Assistant, "there");
        assert_eq!(
            s.history(),
            vec![
                (Role::User, "hello again".to_string()),
                (Role::Assistant, "hi there".to_string())
            ]
        );
        for i in 0..500 {
            s.remember(
                if i % 2 == 0 {
                    Role::User
                } else {
                    Role::Assistant
                },
                &"x".repeat(500),
            );
        }
        let h = s.history();
        assert!(h.len() <= MAX_CARRIED_MESSAGES);
        assert!(h.iter().map(|(_, t)| t.len()).sum::<usize>() <= MAX_CARRIED_BYTES);
    }
}
