//! A big text delta must not hold a shard: a model (or a hostile endpoint) may send one text
//! delta of up to `MAX_EVENT_BYTES` (1 MiB), and cutting it into sentences (voice preset:
//! speech normalization) took the shard's thread long enough to stall every other call
//! placed there. The engine processes a large delta in slices of `TEXT_SLICE_BYTES` with a
//! yield to the runtime between slices. Everything here runs on ONE shard
//! (`AYBIZA_BEDROCK_WORKERS=1`, set before the runtime starts: this file is its own process).
//!
//! The assertions are on ORDER, never on wall time: the big call's sink, at its first
//! sentence, waits until the small call's server has written its next delta; that delta's
//! text must then reach the small call's receiver while the big call is still cutting its
//! delta (before its last sentence), not after the big call ended.

mod common;

use aybiza_core::text::{Segmenter, SegmenterOptions};
use aybiza_engine::{CallOptions, Event, EventSink, Operation, ReceiverGone};
use common::hostile::*;
use common::*;
use serde_json::{json, Value};
use std::io::Write;
use std::net::TcpListener;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

/// One shard for the whole process, before anything starts the runtime.
fn one_shard() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| std::env::set_var(aybiza_engine::runtime::WORKERS_ENV, "1"));
    assert_eq!(aybiza_engine::runtime::shard_count(), 1);
}

fn frame(event_type: &str, payload: &Value) -> Vec<u8> {
    event_frame(event_type, &serde_json::to_vec(payload).unwrap())
}

fn start_frame() -> Vec<u8> {
    frame("messageStart", &json!({"role": "assistant"}))
}

fn delta(text: &str) -> Vec<u8> {
    frame(
        "contentBlockDelta",
        &json!({"contentBlockIndex": 0, "delta": {"text": text}}),
    )
}

fn end_frames() -> Vec<u8> {
    [
        frame("contentBlockStop", &json!({"contentBlockIndex": 0})),
        frame("messageStop", &json!({"stopReason": "end_turn"})),
        frame(
            "metadata",
            &json!({"usage": {"inputTokens": 3, "outputTokens": 4, "totalTokens": 7},
                    "metrics": {"latencyMs": 5}}),
        ),
    ]
    .concat()
}

/// What a scripted server does after the response head.
enum Step {
    /// Writes these body bytes as one HTTP chunk.
    Write(Vec<u8>),
    /// Waits (bounded) for the test's go-ahead.
    Wait(mpsc::Receiver<()>),
    /// Tells the test the bytes before were written.
    Signal(mpsc::Sender<()>),
}

/// Serves one ConverseStream answer on 127.0.0.1 by `steps`, then ends the body.
fn serve(steps: Vec<Step>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let Ok((mut conn, _)) = listener.accept() else {
            return;
        };
        read_request(&mut conn);
        conn.set_nodelay(true).ok();
        let _ = conn.write_all(&eventstream_head("big-1"));
        for step in steps {
            match step {
                Step::Write(bytes) => {
                    let _ = conn.write_all(&http_chunk(&bytes));
                    let _ = conn.flush();
                }
                Step::Wait(rx) => {
                    let _ = rx.recv_timeout(Duration::from_secs(30));
                }
                Step::Signal(tx) => {
                    let _ = tx.send(());
                }
            }
        }
        let _ = conn.write_all(BODY_END);
        let _ = conn.flush();
        hold(&mut conn);
    });
    url
}

fn cfg(url: &str) -> Value {
    static_config(url, json!({"idle": 30_000, "total": 120_000}))
}

/// Events of both calls on one clock: a global sequence number per event (and when it was
/// sent, for the printed figures only).
type Log = Arc<Mutex<Vec<(u64, char, Event, Instant)>>>;

struct OrderedSink {
    who: char,
    seq: Arc<AtomicU64>,
    log: Log,
    tx: mpsc::Sender<Event>,
    /// At the first sentence: tell the other server to write, wait until it did.
    at_first_sentence: Option<(mpsc::Sender<()>, mpsc::Receiver<()>)>,
    /// When the other server had written.
    written_at: Arc<Mutex<Option<Instant>>>,
}

impl EventSink for OrderedSink {
    fn send(&mut self, event: Event) -> Result<(), ReceiverGone> {
        if matches!(event, Event::Sentence(..)) {
            if let Some((go, written)) = self.at_first_sentence.take() {
                go.send(()).unwrap();
                written
                    .recv_timeout(Duration::from_secs(30))
                    .expect("the small call's server wrote its delta");
                *self.written_at.lock().unwrap() = Some(Instant::now());
            }
        }
        let n = self.seq.fetch_add(1, Ordering::SeqCst);
        let now = Instant::now();
        self.log
            .lock()
            .unwrap()
            .push((n, self.who, event.clone(), now));
        self.tx.send(event).map_err(|_| ReceiverGone)
    }
}

fn voice() -> CallOptions {
    CallOptions {
        splitter: Some(Box::new(Segmenter::new(SegmenterOptions::voice()))),
        ..Default::default()
    }
}

/// About `bytes` of answer text with sentences, markdown and numbers (speech normalization
/// has work to do), at most `bytes`.
fn big_text(bytes: usize) -> String {
    let mut s = String::with_capacity(bytes);
    let mut i = 0u64;
    loop {
        let piece = format!(
            "Order **A-{i}** ships on Monday at 10:{:02} a.m., via UPS. - Item {i}: the blue shirt, size M.\n",
            i % 60
        );
        if s.len() + piece.len() > bytes {
            return s;
        }
        s.push_str(&piece);
        i += 1;
    }
}

fn wait_for_text(rx: &mpsc::Receiver<Event>) {
    loop {
        match rx.recv_timeout(Duration::from_secs(30)).expect("an event") {
            Event::Text(_) => return,
            e if e.is_terminal() => panic!("ended before its first text: {e:?}"),
            _ => {}
        }
    }
}

fn drain(rx: &mpsc::Receiver<Event>) {
    loop {
        let e = rx.recv_timeout(Duration::from_secs(120)).expect("an event");
        if e.is_terminal() {
            return;
        }
    }
}

/// One run: call B streams small deltas; call A, on the same shard, gets `count` text deltas
/// of `bytes` each, all in one HTTP chunk. Returns the log of both calls and how long A took from its first sentence to
/// its last and how long B's second delta waited (printed, never asserted).
fn race(bytes: usize, count: usize) -> (Vec<(u64, char, Event)>, Duration, Duration) {
    let written_at = Arc::new(Mutex::new(None));
    let seq = Arc::new(AtomicU64::new(0));
    let log: Log = Arc::default();
    let (go_tx, go_rx) = mpsc::channel();
    let (written_tx, written_rx) = mpsc::channel();

    // B: a first delta, then (after A's first sentence) a second one, then the end.
    let b_url = serve(vec![
        Step::Write([start_frame(), delta("Small one. ")].concat()),
        Step::Wait(go_rx),
        Step::Write(delta("Small two. ")),
        Step::Signal(written_tx),
        Step::Write(end_frames()),
    ]);
    let (b_tx, b_rx) = mpsc::channel();
    let b_sink = OrderedSink {
        who: 'B',
        seq: seq.clone(),
        log: log.clone(),
        tx: b_tx,
        at_first_sentence: None,
        written_at: written_at.clone(),
    };
    aybiza_engine::start(
        Operation::ConverseStream,
        &request("hi"),
        &cfg(&b_url),
        options(),
        Box::new(b_sink),
    )
    .unwrap();
    wait_for_text(&b_rx);

    // A: the whole answer in one HTTP chunk, its text in `count` deltas.
    let text = big_text(bytes);
    let mut body = start_frame();
    for _ in 0..count {
        body.extend_from_slice(&delta(&text));
    }
    body.extend_from_slice(&end_frames());
    let a_url = serve(vec![Step::Write(body)]);
    let (a_tx, a_rx) = mpsc::channel();
    let a_sink = OrderedSink {
        who: 'A',
        seq,
        log: log.clone(),
        tx: a_tx,
        at_first_sentence: Some((go_tx, written_rx)),
        written_at: written_at.clone(),
    };
    let started = Instant::now();
    aybiza_engine::start(
        Operation::ConverseStream,
        &request("hi"),
        &cfg(&a_url),
        voice(),
        Box::new(a_sink),
    )
    .unwrap();
    drain(&a_rx);
    let a_took = started.elapsed();
    drain(&b_rx);
    let log = log.lock().unwrap().clone();
    let written = written_at.lock().unwrap().expect("written");
    let b_waited = log
        .iter()
        .find(|(_, w, e, _)| *w == 'B' && matches!(e, Event::Text(t) if t.contains("two")))
        .map(|(.., at)| at.duration_since(written))
        .unwrap_or_default();
    let log = log.into_iter().map(|(n, w, e, _)| (n, w, e)).collect();
    (log, a_took, b_waited)
}

fn texts_of(log: &[(u64, char, Event)], who: char) -> String {
    log.iter()
        .filter(|(_, w, _)| *w == who)
        .filter_map(|(_, _, e)| match e {
            Event::Text(t) => Some(t.as_str()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_one_mib_delta_lets_another_call_on_its_shard_deliver_between_slices() {
    one_shard();
    // One delta of 1 MiB (the most one event may carry), then 4 MiB of answer as four such
    // deltas in one read. Sequential: both use the one shard.
    for count in [1, 4] {
        check_race(count);
    }
}

fn check_race(count: usize) {
    let bytes = aybiza_engine::state::MAX_EVENT_BYTES;
    let (log, a_took, b_waited) = race(bytes, count);
    let a_sentences: Vec<u64> = log
        .iter()
        .filter(|(_, w, e)| *w == 'A' && matches!(e, Event::Sentence(..)))
        .map(|(n, _, _)| *n)
        .collect();
    let b_second = log
        .iter()
        .find(|(_, w, e)| *w == 'B' && matches!(e, Event::Text(t) if t.contains("two")))
        .map(|(n, _, _)| *n)
        .expect("B's second delta");
    let a_done = log
        .iter()
        .find(|(_, w, e)| *w == 'A' && e.is_terminal())
        .map(|(n, _, _)| *n)
        .unwrap();
    assert!(matches!(
        log.iter().rfind(|(_, w, _)| *w == 'A').unwrap().2,
        Event::Done(_)
    ));
    // A's whole text arrived, in order.
    assert_eq!(texts_of(&log, 'A'), big_text(bytes).repeat(count));
    assert_eq!(texts_of(&log, 'B'), "Small one. Small two. ");
    // B's second delta was ready when A cut its first sentence: it reaches B's receiver
    // while A is still cutting (before A's last sentence), not after A's answer.
    let after = a_sentences.iter().filter(|&&n| n > b_second).count();
    let build = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    eprintln!(
        "{count} x 1 MiB delta ({build} build): A took {a_took:?}, B's ready delta waited {b_waited:?}; \
         A sentences {}, of which {after} after B's second delta; B's second delta at seq \
         {b_second}, A's done at {a_done}",
        a_sentences.len()
    );
    assert!(b_second < a_done);
    assert!(
        after > a_sentences.len() / 2,
        "B waited for most of A's delta: {after} of {} sentences after it",
        a_sentences.len()
    );
}
