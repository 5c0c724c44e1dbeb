//! The floor: a plain Rust loop over `aws-sdk-bedrockruntime` ConverseStream against the
//! emulator, with nothing of ours on the path (no engine state, no sentences, no BEAM). What
//! the library adds is measured against this.
//!
//! Configuration, identical to the engine's where the engine's is the faster one:
//! - the SDK client is built from the engine's SDK configuration of the same client
//!   configuration (`aybiza_engine::clients::sdk_as_shipped`: `aws_config::defaults(latest)`,
//!   the engine's hyper + rustls(ring) connector of the shard, stalled-stream protection at
//!   the SDK default, retries disabled in the client's configuration as the engine's streams
//!   have them; until 2026-12-05 both disabled them per call with a `config_override`), but
//!   as the SDK ships it: its own SigV4 signer (the engine's keeps the derived key,
//!   sdk_sign.rs) and skew correction, none of the engine's interceptors (its skew tracker,
//!   its per-call hooks: hooks.rs);
//! - the loop runs as a task on the engine's runtime (`aybiza_engine::runtime::runtime()`:
//!   shard 0, a single-threaded runtime on its own thread, as each engine call runs on one
//!   shard), not in `block_on` on the main thread. The old
//!   floor did the latter: every frame's socket read is noticed by a worker (the IO driver),
//!   which then has to wake the main thread blocked in `block_on`: a futex round trip and two
//!   context switches per event, which is why it was slower than the engine built on it.
//!   `events` still prints that variant as `rust_sdk_blockon_*` so the difference stays
//!   visible.
//!
//! Streams run one after another, as the NIF side of the same table does.

use crate::{cpu_us, quantile, row};
use aws_sdk_bedrockruntime::config::retry::RetryConfig;
use aws_sdk_bedrockruntime::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_bedrockruntime::types::{
    ContentBlock, ContentBlockDelta, ConversationRole, ConverseStreamOutput,
    InferenceConfiguration, Message,
};
use aws_sdk_bedrockruntime::Client;
use aybiza_core::text::{Segmenter, SegmenterOptions};
use aybiza_engine::trace::{mark, Point, Trace, TraceInterceptor};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

pub const MODEL: &str = "us.anthropic.claude-opus-4-7";
// The emulator's default static test credentials.
pub const KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// An SDK client of its own (the old floor's): `Config::builder()` with the engine's HTTPS
/// client. Used for the `blockon` variant and for recording a stream's bytes.
pub fn own_client(url: &str) -> Client {
    let conf = aws_sdk_bedrockruntime::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(aybiza_engine::clients::https_client())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(KEY_ID, SECRET, None, None, "bench"))
        .endpoint_url(url)
        .retry_config(RetryConfig::disabled())
        .build();
    Client::from_conf(conf)
}

/// The SDK client as shipped (one attempt) on the engine's configuration for the emulator at
/// `url`.
async fn engine_client(url: &str) -> Result<Client, String> {
    let config = aybiza_engine::config::decode_config(&serde_json::json!({
        "region": "us-east-1",
        "endpoint": url,
        "credentials": {"type": "static", "access_key_id": KEY_ID, "secret_access_key": SECRET},
    }))
    .map_err(|e| format!("client config: {e:?}"))?;
    Ok(aybiza_engine::clients::sdk_as_shipped(&config).await)
}

/// Runs `fut` as a task on the engine's runtime and waits for it from this thread.
fn on_engine_runtime<F, T>(fut: F) -> Result<T, String>
where
    F: std::future::Future<Output = Result<T, String>> + Send + 'static,
    T: Send + 'static,
{
    let rt = aybiza_engine::runtime::runtime();
    rt.block_on(rt.spawn(fut)).map_err(|e| e.to_string())?
}

/// A default multi-thread runtime of its own (the old floor's).
pub fn private_runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
}

/// What one stream saw.
#[derive(Default)]
pub struct Seen {
    events: u64,
    pub text_deltas: u64,
    /// From the call to the first text delta / first finished sentence, in µs.
    first_token_us: Option<f64>,
    first_sentence_us: Option<f64>,
}

pub async fn one_stream(client: &Client, prompt: &str, segment: bool) -> Result<Seen, String> {
    one_stream_traced(client, prompt, segment, None).await
}

/// `one_stream` with the engine's trace points marked (the same names as a traced NIF
/// call's, from `task_start`: the floor has no NIF and no task spawn).
async fn one_stream_traced(
    client: &Client,
    prompt: &str,
    segment: bool,
    trace: Option<Arc<Trace>>,
) -> Result<Seen, String> {
    let start = Instant::now();
    mark(&trace, Point::TaskStart);
    let msg = Message::builder()
        .role(ConversationRole::User)
        .content(ContentBlock::Text(prompt.to_string()))
        .build()
        .map_err(|e| e.to_string())?;
    let mut op = client
        .converse_stream()
        .model_id(MODEL)
        .messages(msg)
        // As the Elixir and boto3 sides send: the reply must not be cut at the default limit.
        .inference_config(InferenceConfiguration::builder().max_tokens(8192).build())
        .customize();
    if let Some(t) = &trace {
        op = op.interceptor(TraceInterceptor(t.clone()));
    }
    let out = op
        .send()
        .await
        .map_err(|e| format!("converse_stream: {e:?}"))?;
    mark(&trace, Point::Response);
    let mut stream = out.stream;
    let mut seen = Seen::default();
    let mut seg = segment.then(|| Segmenter::new(SegmenterOptions::default()));
    while let Some(ev) = stream.recv().await.map_err(|e| format!("recv: {e:?}"))? {
        seen.events += 1;
        mark(&trace, Point::FirstEvent);
        if let ConverseStreamOutput::ContentBlockDelta(d) = &ev {
            if let Some(ContentBlockDelta::Text(t)) = d.delta() {
                seen.text_deltas += 1;
                mark(&trace, Point::FirstText);
                let us = start.elapsed().as_secs_f64() * 1e6;
                seen.first_token_us.get_or_insert(us);
                if let Some(s) = seg.as_mut() {
                    if seen.first_sentence_us.is_none() && !s.push(t).is_empty() {
                        mark(&trace, Point::SentenceCut);
                        seen.first_sentence_us = Some(start.elapsed().as_secs_f64() * 1e6);
                    }
                }
            }
        }
    }
    Ok(seen)
}

/// `streams` streams one after another on `client`: (events, text deltas, wall s, CPU µs).
async fn sequential(
    client: &Client,
    streams: usize,
    prompt: &str,
) -> Result<(u64, u64, f64, f64), String> {
    one_stream(client, prompt, false).await?; // warm: connection pool, signing keys
    let cpu0 = cpu_us();
    let t0 = Instant::now();
    let (mut events, mut deltas) = (0, 0);
    for _ in 0..streams {
        let s = one_stream(client, prompt, false).await?;
        events += s.events;
        deltas += s.text_deltas;
    }
    Ok((events, deltas, t0.elapsed().as_secs_f64(), cpu_us() - cpu0))
}

fn event_rows(label: &str, streams: usize, r: (u64, u64, f64, f64), how: &str) {
    let (events, deltas, secs, cpu) = r;
    let note = format!(
        "{streams} streams x {} deltas; {how}",
        deltas / streams.max(1) as u64
    );
    let deltas = deltas.max(1) as f64;
    row(
        "events",
        &format!("{label}_events_per_s"),
        events as f64 / secs,
        "ev/s",
        &note,
    );
    row(
        "events",
        &format!("{label}_deltas_per_s"),
        deltas / secs,
        "ev/s",
        &note,
    );
    row(
        "events",
        &format!("{label}_cpu_per_delta"),
        cpu / deltas,
        "us",
        &note,
    );
}

/// Streams `streams` replies one after another and reports stream events per second and CPU
/// time per delta of this whole process (SDK, hyper, tokio): the floor (engine client and
/// runtime, loop in a task), then the old floor (own client, loop in `block_on`).
/// `which`: `both` (the table), `floor` or `blockon` alone (for instruction counts).
pub fn events(url: &str, streams: usize, prompt: &str, which: &str) -> Result<(), String> {
    if !matches!(which, "both" | "floor" | "blockon") {
        return Err(format!("events: unknown variant {which:?}"));
    }
    if which != "blockon" {
        floor_events(url, streams, prompt)?;
    }
    if which != "floor" {
        blockon_events(url, streams, prompt)?;
    }
    Ok(())
}

fn floor_events(url: &str, streams: usize, prompt: &str) -> Result<(), String> {
    let (u, p) = (url.to_string(), prompt.to_string());
    let floor = on_engine_runtime(async move {
        let client = engine_client(&u).await?;
        sequential(&client, streams, &p).await
    })?;
    event_rows(
        "rust_sdk",
        streams,
        floor,
        "engine SDK client + engine runtime, loop in a runtime task",
    );
    Ok(())
}

fn blockon_events(url: &str, streams: usize, prompt: &str) -> Result<(), String> {
    let rt = private_runtime()?;
    let blockon = rt.block_on(async {
        let client = own_client(url);
        sequential(&client, streams, prompt).await
    })?;
    event_rows(
        "rust_sdk_blockon",
        streams,
        blockon,
        "own Config::builder client, default runtime, loop in block_on (the old floor)",
    );
    Ok(())
}

/// Time to first token and first sentence, `runs` times in a row, p50 beyond the emulator's
/// own first-token delay.
pub fn ttfs(url: &str, runs: usize, prompt: &str, first_token_ms: u64) -> Result<(), String> {
    let (url, prompt) = (url.to_string(), prompt.to_string());
    on_engine_runtime(async move {
        let client = engine_client(&url).await?;
        let prompt = prompt.as_str();
        one_stream(&client, prompt, true).await?;
        let (mut tok, mut sent) = (Vec::new(), Vec::new());
        let delay = first_token_ms as f64 * 1000.0;
        for _ in 0..runs {
            let s = one_stream(&client, prompt, true).await?;
            tok.push(s.first_token_us.unwrap_or(f64::NAN) - delay);
            sent.push(s.first_sentence_us.unwrap_or(f64::NAN) - delay);
        }
        // The same runs again with the trace points marked, for the phase rows (apart, so
        // the interceptor's few clock reads stay out of the figures above).
        let mut phases: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
        for _ in 0..runs {
            let trace = Trace::new(Instant::now(), 0);
            one_stream_traced(&client, prompt, true, Some(trace.clone())).await?;
            let marks: BTreeMap<&str, i64> = trace.marks().into_iter().collect();
            for (name, from, to) in FLOOR_PHASES {
                if let (Some(a), Some(b)) = (marks.get(from), marks.get(to)) {
                    let mut us = (b - a) as f64 / 1000.0;
                    // Both spans over the emulator's first-token delay.
                    if *from == "response" || *name == "end_to_end" {
                        us -= delay;
                    }
                    phases.entry(name).or_default().push(us);
                }
            }
        }
        for (name, mut v) in phases {
            v.sort_by(f64::total_cmp);
            let note = format!(
                "{runs} traced runs, p50; {}",
                FLOOR_PHASES
                    .iter()
                    .find(|p| p.0 == name)
                    .map_or(String::new(), |p| format!("{} -> {}", p.1, p.2))
            );
            row(
                "ttfs",
                &format!("rust_sdk_phase_{name}_p50"),
                quantile(&v, 0.5),
                "us",
                &note,
            );
        }
        tok.sort_by(f64::total_cmp);
        sent.sort_by(f64::total_cmp);
        let note = format!("{runs} runs, emulator first_token_ms={first_token_ms}");
        row(
            "ttfs",
            "rust_sdk_first_token_p50",
            quantile(&tok, 0.5),
            "us",
            &note,
        );
        row(
            "ttfs",
            "rust_sdk_first_sentence_p50",
            quantile(&sent, 0.5),
            "us",
            &note,
        );
        row(
            "ttfs",
            "rust_sdk_first_sentence_p99",
            quantile(&sent, 0.99),
            "us",
            &note,
        );
        Ok(())
    })
}

/// The floor's phases (name, from, to) on the trace points of the engine: the same names
/// as the NIF's phase rows (bench/stream.exs `ttfs_breakdown`); the emulator's first-token
/// delay is subtracted from `first_event` and `end_to_end` (the floor's first sentence).
const FLOOR_PHASES: &[(&str, &str, &str)] = &[
    ("build", "task_start", "execution"),
    ("serialize", "execution", "serialized"),
    ("sign", "serialized", "signed"),
    ("to_transmit", "signed", "transmit"),
    ("transmit_to_headers", "transmit", "headers"),
    ("headers_to_response", "headers", "response"),
    ("first_event", "response", "first_event"),
    ("first_text", "first_event", "first_text"),
    ("segmenter", "first_text", "sentence_cut"),
    ("end_to_end", "task_start", "sentence_cut"),
];

/// The number of text deltas the emulator sends for `prompt` (one raw SDK stream), printed
/// alone on stdout: the Elixir benches divide by it, since their `{:text, _}` messages may
/// each carry several deltas.
pub fn deltas(url: &str, prompt: &str) -> Result<(), String> {
    let (u, p) = (url.to_string(), prompt.to_string());
    let seen = on_engine_runtime(async move {
        let client = engine_client(&u).await?;
        one_stream(&client, &p, false).await
    })?;
    println!("{}", seen.text_deltas);
    Ok(())
}
