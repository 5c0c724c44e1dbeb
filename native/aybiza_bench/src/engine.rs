//! The engine without the BEAM: `aybiza_engine::start` (SDK, stream state, sentence cutting,
//! one `Event` per delta) into a sink that only counts, on the engine's runtime. Between the
//! SDK floor and the NIF rows, it splits the per-delta cost: `engine - rust_sdk` is the
//! engine's state and the segmenter, `nif - engine` is term building, `enif_send` and the
//! receiving process. Also the driver to profile under callgrind (docs in BENCHMARKS.md).

use crate::{cpu_us, row, sdk};
use aybiza_core::text::{Segmenter, SegmenterOptions};
use aybiza_engine::{CallOptions, Event, EventSink, Operation, ReceiverGone, SentenceSplitter};
use serde_json::json;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

#[derive(Default, Clone, Copy)]
struct Counts {
    /// Messages the sink got (what the NIF would send).
    events: u64,
    /// `Event::Text` messages (several deltas each when coalesced).
    texts: u64,
    /// Text deltas as Bedrock sent them (counted by the splitter, which sees every one).
    deltas: u64,
    sentences: u64,
}

struct CountingSink {
    counts: Counts,
    done: Option<mpsc::Sender<Result<Counts, String>>>,
}

impl EventSink for CountingSink {
    fn send(&mut self, event: Event) -> Result<(), ReceiverGone> {
        self.counts.events += 1;
        match event {
            Event::Text(_) => self.counts.texts += 1,
            Event::Sentence(..) => self.counts.sentences += 1,
            Event::Done(_) => {
                if let Some(tx) = self.done.take() {
                    let _ = tx.send(Ok(self.counts));
                }
            }
            Event::Error(e, _) => {
                if let Some(tx) = self.done.take() {
                    let _ = tx.send(Err(format!("{e:?}")));
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// The NIF's splitter: the core segmenter with default options; counts the deltas.
struct Splitter(Segmenter, Arc<AtomicU64>);

impl SentenceSplitter for Splitter {
    fn push(&mut self, delta: &str) -> Vec<String> {
        self.1.fetch_add(1, Ordering::Relaxed);
        self.0.push(delta)
    }
    fn finish(&mut self) -> Vec<String> {
        self.0.finish()
    }
}

/// `AYBIZA_BENCH_COALESCE_US`: the coalescing window of the calls (default 0).
fn coalesce_window() -> Duration {
    let us = std::env::var("AYBIZA_BENCH_COALESCE_US")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    Duration::from_micros(us)
}

/// `AYBIZA_BENCH_SDK_RECEIVER=1`: the stream is read by the SDK's event-stream receiver (the
/// engine's path before it decoded the body itself), for before/after in one binary.
fn sdk_event_receiver() -> bool {
    std::env::var("AYBIZA_BENCH_SDK_RECEIVER").is_ok_and(|v| v == "1")
}

/// `AYBIZA_BENCH_OPERATION` (an engine operation name, default `converse_stream`): e.g.
/// `messages` for the Messages API (SSE), to profile either API's start under callgrind.
fn operation() -> Result<Operation, String> {
    let name = std::env::var("AYBIZA_BENCH_OPERATION");
    let name = name.as_deref().unwrap_or("converse_stream");
    Operation::from_name(name).ok_or_else(|| format!("unknown operation {name}"))
}

fn one(url: &str, prompt: &str) -> Result<Counts, String> {
    let deltas = Arc::new(AtomicU64::new(0));
    let (tx, rx) = mpsc::channel();
    let sink = CountingSink {
        counts: Counts::default(),
        done: Some(tx),
    };
    let config = json!({
        "region": "us-east-1",
        "endpoint": url,
        "credentials": {"type": "static", "access_key_id": sdk::KEY_ID,
                        "secret_access_key": sdk::SECRET},
    });
    let request = json!({
        "model_id": sdk::MODEL,
        "messages": [{"role": "user", "content": [{"text": prompt}]}],
        "inference_config": {"max_tokens": 8192},
    });
    let options = CallOptions {
        splitter: Some(Box::new(Splitter(
            Segmenter::new(SegmenterOptions::default()),
            deltas.clone(),
        ))),
        coalesce_window: coalesce_window(),
        sdk_event_receiver: sdk_event_receiver(),
        ..Default::default()
    };
    aybiza_engine::start(operation()?, &request, &config, options, Box::new(sink))
        .map_err(|e| format!("start: {e:?}"))?;
    let mut counts = rx.recv().map_err(|e| e.to_string())??;
    counts.deltas = deltas.load(Ordering::Relaxed);
    Ok(counts)
}

/// `streams` engine calls one after another (as the NIF rows run), after one warm-up call.
pub fn events(url: &str, streams: usize, prompt: &str) -> Result<(), String> {
    one(url, prompt)?;
    let cpu0 = cpu_us();
    let t0 = Instant::now();
    let mut total = Counts::default();
    for _ in 0..streams {
        let c = one(url, prompt)?;
        total.events += c.events;
        total.texts += c.texts;
        total.deltas += c.deltas;
        total.sentences += c.sentences;
    }
    let secs = t0.elapsed().as_secs_f64();
    let cpu = cpu_us() - cpu0;
    let deltas = total.deltas.max(1) as f64;
    let per = |n: u64| n / streams.max(1) as u64;
    let note = format!(
        "{streams} streams x {} deltas, {} text and {} other messages, {} sentences each; \
         aybiza_engine::start with the segmenter into a counting sink (no BEAM), coalescing \
         window {} us",
        per(total.deltas),
        per(total.texts),
        per(total.events - total.texts),
        per(total.sentences),
        coalesce_window().as_micros()
    );
    row(
        "events",
        "engine_deltas_per_s",
        deltas / secs,
        "ev/s",
        &note,
    );
    row("events", "engine_cpu_per_delta", cpu / deltas, "us", &note);
    row(
        "events",
        "engine_messages_per_delta",
        total.events as f64 / deltas,
        "msg",
        &note,
    );
    Ok(())
}
