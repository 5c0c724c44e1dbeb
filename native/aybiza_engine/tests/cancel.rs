//! Cancellation, dead receivers and timeouts, with the live-call counter back to zero.
//! One test function: the counter is process-wide.

mod common;

use aybiza_core::error::ErrorKind;
use aybiza_engine::{live_calls, Event};
use common::*;
use serde_json::json;
use std::time::{Duration, Instant};

fn wait_for_zero(limit: Duration) -> Duration {
    let t0 = Instant::now();
    while live_calls() != 0 {
        assert!(t0.elapsed() < limit, "live calls stuck at {}", live_calls());
        std::thread::sleep(Duration::from_millis(1));
    }
    t0.elapsed()
}

#[test]
fn cancel_dead_receiver_and_timeouts_free_the_task() {
    let slow = rule(
        json!({"prompt_contains": "slow", "reply": "One. Two. Three. Four. Five. Six. Seven.",
                           "pacing": {"tps": 5, "delta_chars": 4}}),
    );
    let emu = emulator(vec![slow]);
    let cfg = config(&emu, json!({}));
    assert_eq!(live_calls(), 0);

    // 1. Explicit cancel: one terminal `cancelled`, task gone quickly.
    let (sink, rx) = channel_sink();
    let handle = converse_stream(&request("slow"), &cfg, sink).unwrap();
    // Wait for the stream to be under way.
    loop {
        if let Ok(Event::Text(_)) = rx.recv_timeout(Duration::from_secs(5)) {
            break;
        }
    }
    assert_eq!(live_calls(), 1);
    handle.cancel();
    let took = wait_for_zero(Duration::from_secs(2));
    eprintln!("cancel -> live_calls 0 in {took:?}");
    let events = collect(&rx);
    assert_eq!(terminal_error(&events).kind, ErrorKind::Cancelled);
    handle.cancel(); // idempotent

    // 2. The receiver goes away after 3 events: the task stops without a terminal.
    let (mut sink, rx) = channel_sink();
    sink.gone_after = Some(3);
    converse_stream(&request("slow"), &cfg, sink).unwrap();
    wait_for_zero(Duration::from_secs(10));
    let got: Vec<Event> = rx.try_iter().collect();
    assert_eq!(got.len(), 3);
    assert!(!got.iter().any(Event::is_terminal));

    // 3. Total timeout.
    let (sink, rx) = channel_sink();
    let cfg_total = config(&emu, json!({"total": 300}));
    converse_stream(&request("slow"), &cfg_total, sink).unwrap();
    assert_eq!(terminal_error(&collect(&rx)).kind, ErrorKind::Timeout);
    wait_for_zero(Duration::from_secs(2));

    // 4. First-byte timeout: a server that accepts and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent = format!("http://{}", listener.local_addr().unwrap());
    let mut cfg_silent = config(&emu, json!({"first_byte": 200}));
    cfg_silent["endpoint"] = json!(silent);
    let (sink, rx) = channel_sink();
    converse_stream(&request("hi"), &cfg_silent, sink).unwrap();
    let e = terminal_error(&collect(&rx));
    assert_eq!(e.kind, ErrorKind::FirstByteTimeout);
    assert_eq!(e.phase, aybiza_core::error::Phase::BeforeStream);
    wait_for_zero(Duration::from_secs(2));
    drop(listener);

    // 5. Nothing listening: a connect error, retryable.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = free.local_addr().unwrap();
    drop(free);
    let mut cfg_refused = config(&emu, json!({}));
    cfg_refused["endpoint"] = json!(format!("http://{addr}"));
    let (sink, rx) = channel_sink();
    converse_stream(&request("hi"), &cfg_refused, sink).unwrap();
    let e = terminal_error(&collect(&rx));
    assert!(
        matches!(e.kind, ErrorKind::Connect | ErrorKind::ConnectTimeout),
        "{e:?}"
    );
    assert!(e.retryable());
    wait_for_zero(Duration::from_secs(2));

    // 6. Many cancelled at once.
    let mut handles = Vec::new();
    let mut rxs = Vec::new();
    for _ in 0..50 {
        let (sink, rx) = channel_sink();
        handles.push(converse_stream(&request("slow"), &cfg, sink).unwrap());
        rxs.push(rx);
    }
    for h in &handles {
        h.cancel();
    }
    wait_for_zero(Duration::from_secs(5));
    for rx in rxs {
        assert!(collect(&rx).last().unwrap().is_terminal());
    }
}
