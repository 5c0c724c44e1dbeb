//! The runtime's shards against the emulator: calls spread over every shard, `warm` opens
//! one pooled connection per shard (each shard has its own pool), and later calls on any
//! shard reuse them. Connections are counted by a TCP relay in front of the emulator. One
//! test function: the shard loads and pools are process-wide.

mod common;

use aybiza_engine::runtime::{shard_count, shard_loads};
use aybiza_engine::{live_calls, Event, Operation};
use common::*;
use serde_json::json;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A relay on 127.0.0.1 to `target` that counts the connections it accepted.
fn relay(target: &str) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    let target = target.to_string();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            count.fetch_add(1, Ordering::SeqCst);
            let server = TcpStream::connect(&target).unwrap();
            pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
            pipe(server, client);
        }
    });
    (format!("http://{addr}"), accepted)
}

fn pipe(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0 || to.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
}

fn wait_until(what: &str, cond: impl Fn() -> bool) {
    let until = Instant::now() + Duration::from_secs(10);
    while !cond() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn done(events: &[Event]) -> bool {
    matches!(events.last(), Some(Event::Done(_)))
}

#[test]
fn calls_spread_over_the_shards_and_warm_fills_every_shards_pool() {
    let quick = rule(json!({"prompt_contains": "quick", "reply": "Hello there. How are you?"}));
    let slow = rule(
        json!({"prompt_contains": "slow", "reply": "One. Two. Three. Four. Five.",
                           "pacing": {"tps": 5, "delta_chars": 4}}),
    );
    let emu = emulator(vec![quick, slow]);
    let target = emu
        .url()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let (url, accepted) = relay(&target);
    let mut cfg = config(&emu, json!({}));
    cfg["endpoint"] = json!(url);
    let n = shard_count();
    assert!(n >= 2);

    // warm: one connection per shard, and one terminal.
    let (sink, rx) = channel_sink();
    aybiza_engine::start(Operation::Warm, &json!({}), &cfg, options(), sink).unwrap();
    let events = collect(&rx);
    assert!(done(&events), "{events:?}");
    assert_eq!(events.len(), 1);
    assert_eq!(accepted.load(Ordering::SeqCst), n);

    // n slow calls at once: one on each shard.
    let mut receivers = Vec::new();
    for _ in 0..n {
        let (sink, rx) = channel_sink();
        converse_stream(&request("slow"), &cfg, sink).unwrap();
        receivers.push(rx);
    }
    wait_until("a call on every shard", || {
        shard_loads().iter().all(|&l| l >= 1)
    });
    assert_eq!(shard_loads(), vec![1; n]);
    for rx in &receivers {
        assert!(done(&collect(rx)));
    }
    // Then calls one after another, which take the shards in turn: all on warm connections.
    for _ in 0..2 * n {
        let (sink, rx) = channel_sink();
        converse_stream(&request("quick"), &cfg, sink).unwrap();
        assert!(done(&collect(&rx)));
    }
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        n,
        "every call reused a warm connection"
    );
    wait_until("no live call", || live_calls() == 0);
    wait_until("no load left", || shard_loads().iter().all(|&l| l == 0));
}
