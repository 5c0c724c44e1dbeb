//! Shared helpers: an emulator on the engine's runtime and a channel sink.
#![allow(dead_code)]

use aybiza_core::text::{Segmenter, SegmenterOptions};
use aybiza_engine::{Event, EventSink, ReceiverGone};
use bedrock_emulator::{Emulator, EmulatorConfig, Rule};
use serde_json::{json, Value};
use std::sync::mpsc;
use std::time::Duration;

pub mod hostile;

// The global profile: callable from every commercial region the tests use.
pub const MODEL: &str = "global.anthropic.claude-haiku-4-5-20251001-v1:0";

pub fn emulator(rules: Vec<Rule>) -> Emulator {
    let cfg = EmulatorConfig {
        rules,
        ..EmulatorConfig::default()
    };
    aybiza_engine::runtime::runtime()
        .block_on(Emulator::start(cfg))
        .expect("emulator starts")
}

/// A seeded xorshift64 generator: mutation tests draw the same cases on every run.
pub fn xorshift(seed: u64) -> impl FnMut() -> u64 {
    let mut x = seed;
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}

pub fn rule(v: Value) -> Rule {
    serde_json::from_value(v).expect("valid rule")
}

pub fn config(emu: &Emulator, timeouts: Value) -> Value {
    let c = emu.credentials();
    json!({"region": "us-east-1", "endpoint": emu.url(),
           "credentials": {"type": "static", "access_key_id": c.access_key_id,
                           "secret_access_key": c.secret_access_key},
           "timeouts": timeouts})
}

pub fn request(prompt: &str) -> Value {
    json!({"model_id": MODEL,
           "messages": [{"role": "user", "content": [{"text": prompt}]}],
           "inference_config": {"max_tokens": 512}})
}

pub struct ChannelSink {
    pub tx: mpsc::Sender<Event>,
    /// After this many events the sink reports the receiver as gone.
    pub gone_after: Option<usize>,
    pub sent: usize,
}

impl EventSink for ChannelSink {
    fn send(&mut self, event: Event) -> Result<(), ReceiverGone> {
        if let Some(n) = self.gone_after {
            if self.sent >= n {
                return Err(ReceiverGone);
            }
        }
        self.sent += 1;
        self.tx.send(event).map_err(|_| ReceiverGone)
    }
}

pub fn channel_sink() -> (Box<ChannelSink>, mpsc::Receiver<Event>) {
    let (tx, rx) = mpsc::channel();
    (
        Box::new(ChannelSink {
            tx,
            gone_after: None,
            sent: 0,
        }),
        rx,
    )
}

pub fn options() -> aybiza_engine::CallOptions {
    aybiza_engine::CallOptions {
        splitter: Some(Box::new(Segmenter::new(SegmenterOptions::default()))),
        ..Default::default()
    }
}

/// Starts a ConverseStream call with the default sentence splitter.
pub fn converse_stream(
    request: &Value,
    config: &Value,
    sink: Box<dyn EventSink>,
) -> Result<aybiza_engine::CallHandle, aybiza_core::error::Error> {
    aybiza_engine::start(
        aybiza_engine::Operation::ConverseStream,
        request,
        config,
        options(),
        sink,
    )
}

/// Runs one call with the default splitter, through the SDK's event receiver or the engine's
/// decoder, and collects its events.
pub fn run_events(
    op: aybiza_engine::Operation,
    request: &Value,
    config: &Value,
    sdk_receiver: bool,
) -> Vec<Event> {
    let (sink, rx) = channel_sink();
    let options = aybiza_engine::CallOptions {
        sdk_event_receiver: sdk_receiver,
        ..options()
    };
    aybiza_engine::start(op, request, config, options, sink).unwrap();
    collect(&rx)
}

/// Collects events up to and including the terminal one; panics if none comes in time.
pub fn collect(rx: &mpsc::Receiver<Event>) -> Vec<Event> {
    let mut events = Vec::new();
    loop {
        let ev = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("a terminal event within 20 s");
        let terminal = ev.is_terminal();
        events.push(ev);
        if terminal {
            // Exactly one terminal: nothing may follow.
            assert!(rx.recv_timeout(Duration::from_millis(50)).is_err());
            return events;
        }
    }
}

pub fn sentences(events: &[Event]) -> Vec<(u64, String)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Sentence(seq, s) => Some((*seq, s.clone())),
            _ => None,
        })
        .collect()
}

pub fn terminal_error(events: &[Event]) -> aybiza_core::error::Error {
    match events.last() {
        Some(Event::Error(e, _)) => (**e).clone(),
        other => panic!("expected an error terminal, got {other:?}"),
    }
}
