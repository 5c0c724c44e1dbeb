//! Red-team probe of the boxed send futures and lazily rendered paths (call.rs, request.rs):
//! a call cancelled, or whose receiver goes away, at every point of its life (before the
//! client is built, while the request is signed and sent, between frames, after the end)
//! ends with exactly one terminal (`collect` asserts nothing follows it) or, with its
//! receiver gone, none, and leaves no live call. One test function: the counter is
//! process-wide.

mod common;

use aybiza_core::error::ErrorKind;
use aybiza_engine::{live_calls, start, Event, Operation};
use common::*;
use serde_json::json;
use std::time::{Duration, Instant};

fn spin(d: Duration) {
    let t0 = Instant::now();
    while t0.elapsed() < d {
        std::hint::spin_loop();
    }
}

#[test]
fn cancel_or_a_gone_receiver_at_any_point_gives_at_most_one_terminal() {
    let reply = rule(
        json!({"prompt_contains": "", "reply": "One. Two. Three. Four.",
                            "pacing": {"tps": 2000, "delta_chars": 3}}),
    );
    let emu = emulator(vec![reply]);
    let cfg = config(&emu, json!({}));
    let invoke = json!({"model_id": MODEL, "body": {"anthropic_version": "bedrock-2023-05-31",
                        "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}});
    let calls = [
        (Operation::ConverseStream, request("hi")),
        (Operation::Converse, request("hi")),
        (Operation::InvokeModel, invoke.clone()),
        (Operation::InvokeModelWithResponseStream, invoke),
    ];
    // Delays from none to past the end of a call on 127.0.0.1 (a few ms, debug build).
    let delays: Vec<Duration> = (0..24).map(|k| Duration::from_micros(k * k * 25)).collect();
    let mut cancelled = 0;
    for (op, req) in &calls {
        for delay in &delays {
            let (sink, rx) = channel_sink();
            let handle = start(*op, req, &cfg, options(), sink).unwrap();
            spin(*delay);
            handle.cancel();
            let events = collect(&rx);
            match events.last() {
                Some(Event::Done(_)) => {}
                Some(Event::Error(e, _)) if e.kind == ErrorKind::Cancelled => cancelled += 1,
                other => panic!("{op:?} after {delay:?}: {other:?}"),
            }
            handle.cancel();
            assert!(rx.recv_timeout(Duration::from_millis(20)).is_err());
        }
        // The receiver gone after 0, 1, 2 ... events: the call stops, no terminal after.
        for n in 0..6 {
            let (mut sink, rx) = channel_sink();
            sink.gone_after = Some(n);
            start(*op, req, &cfg, options(), sink).unwrap();
            let t0 = Instant::now();
            while live_calls() != 0 {
                assert!(
                    t0.elapsed() < Duration::from_secs(10),
                    "{op:?} gone after {n}"
                );
                std::thread::sleep(Duration::from_millis(1));
            }
            assert!(rx.try_iter().count() <= n);
        }
    }
    // Some cancels landed before the end (the delays reach inside the calls).
    assert!(cancelled > 10, "{cancelled}");
    let t0 = Instant::now();
    while live_calls() != 0 {
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "live calls {}",
            live_calls()
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}
