//! The engine without the BEAM: `aybiza_engine::start` (SDK, stream state, sentence cutting,
//! one `Event` per delta) into a sink that only counts, on the engine's runtime. Between the
//! SDK floor and the NIF rows, it splits the per-delta cost: `engine - rust_sdk` is the
//! engine's state and the segmenter, `nif - engine` is term building, `enif_send` and the
//! receiving process. Also the driver to profile under callgrind (docs in BENCHMARKS.md).

use crate::{cpu_us, row, sdk};
use aybiza_core::text::{Segmenter, SegmenterOptions};
use aybiza_engine::{CallOptions, Event, EventSink, Operation, ReceiverGone, SentenceSplitter};
use serde_json::json;
use std::sync::mpsc;
use std::time::Instant;

#[derive(Default, Clone, Copy)]
struct Counts {
    events: u64,
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
            Event::Text(_) => self.counts.deltas += 1,
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

/// The NIF's splitter: the core segmenter with default options.
struct Splitter(Segmenter);

impl SentenceSplitter for Splitter {
    fn push(&mut self, delta: &str) -> Vec<String> {
        self.0.push(delta)
    }
    fn finish(&mut self) -> Vec<String> {
        self.0.finish()
    }
}

fn one(url: &str, prompt: &str) -> Result<Counts, String> {
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
        splitter: Some(Box::new(Splitter(Segmenter::new(
            SegmenterOptions::default(),
        )))),
        ..Default::default()
    };
    aybiza_engine::start(
        Operation::ConverseStream,
        &request,
        &config,
        options,
        Box::new(sink),
    )
    .map_err(|e| format!("start: {e:?}"))?;
    rx.recv().map_err(|e| e.to_string())?
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
        total.deltas += c.deltas;
        total.sentences += c.sentences;
    }
    let secs = t0.elapsed().as_secs_f64();
    let cpu = cpu_us() - cpu0;
    let deltas = total.deltas.max(1) as f64;
    let note = format!(
        "{streams} streams x {} deltas, {} sentences each; aybiza_engine::start with the \
         segmenter into a counting sink (no BEAM)",
        total.deltas / streams.max(1) as u64,
        total.sentences / streams.max(1) as u64
    );
    row(
        "events",
        "engine_deltas_per_s",
        deltas / secs,
        "ev/s",
        &note,
    );
    row("events", "engine_cpu_per_delta", cpu / deltas, "us", &note);
    Ok(())
}
