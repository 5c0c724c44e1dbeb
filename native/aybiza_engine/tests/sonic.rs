//! Nova Sonic sessions of the engine against the emulator's bidirectional route (TLS, HTTP/2),
//! with a channel sink: no BEAM involved. The ExUnit suite (test/aybiza/sonic*_test.exs)
//! covers the same through the NIF.

use aybiza_engine::sonic::{start_session, SonicEvent, SonicSink};
use aybiza_engine::sonic_protocol::{Role, Stage};
use aybiza_engine::ReceiverGone;
use bedrock_emulator::config::SonicSettings;
use bedrock_emulator::{Emulator, EmulatorConfig, Rule};
use serde_json::{json, Value};
use std::sync::mpsc;
use std::time::Duration;

struct Sink(mpsc::Sender<SonicEvent>);

impl SonicSink for Sink {
    fn send(&mut self, event: SonicEvent) -> Result<(), ReceiverGone> {
        self.0.send(event).map_err(|_| ReceiverGone)
    }
}

fn emulator(rules: Vec<Value>, sonic: SonicSettings) -> Emulator {
    let rules: Vec<Rule> = rules
        .into_iter()
        .map(|r| serde_json::from_value(r).unwrap())
        .collect();
    let cfg = EmulatorConfig {
        tls: true,
        rules,
        sonic,
        ..EmulatorConfig::default()
    };
    aybiza_engine::runtime::runtime()
        .block_on(Emulator::start(cfg))
        .expect("emulator starts")
}

fn config(emu: &Emulator) -> Value {
    let c = emu.credentials();
    json!({"region": "us-east-1", "endpoint": emu.tls_url().unwrap(),
           "tls_ca_pem": emu.ca_pem().unwrap(),
           "credentials": {"type": "static", "access_key_id": c.access_key_id,
                           "secret_access_key": c.secret_access_key}})
}

/// Events until `stop` matches (included) or a terminal; panics after 10 s.
fn until(rx: &mpsc::Receiver<SonicEvent>, stop: impl Fn(&SonicEvent) -> bool) -> Vec<SonicEvent> {
    let mut out = Vec::new();
    loop {
        let e = rx
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("timed out after {out:?}"));
        let done = stop(&e) || e.is_terminal();
        out.push(e);
        if done {
            return out;
        }
    }
}

fn final_assistant(e: &SonicEvent) -> bool {
    matches!(
        e,
        SonicEvent::Transcript {
            role: Role::Assistant,
            stage: Stage::Final,
            ..
        }
    )
}

#[test]
fn a_text_turn_then_close() {
    let emu = emulator(
        vec![json!({"prompt_contains": "hours", "reply": "Nine to five."})],
        SonicSettings {
            speed: 20.0,
            ..SonicSettings::default()
        },
    );
    let (tx, rx) = mpsc::channel();
    let h = start_session(
        &json!({"system_prompt": "Be brief."}),
        &config(&emu),
        Box::new(Sink(tx)),
    )
    .unwrap();
    assert_eq!(
        until(&rx, |e| *e == SonicEvent::SessionStarted).last(),
        Some(&SonicEvent::SessionStarted)
    );
    h.send_text("What are your hours?").unwrap();
    let events = until(&rx, final_assistant);
    assert!(events.contains(&SonicEvent::Transcript {
        role: Role::Assistant,
        stage: Stage::Speculative,
        text: "Nine to five.".into()
    }));
    let audio: usize = events
        .iter()
        .filter_map(|e| match e {
            SonicEvent::Audio(pcm) => Some(pcm.len()),
            _ => None,
        })
        .sum();
    assert!(audio > 0 && audio.is_multiple_of(2));
    h.close();
    let rest = until(&rx, |_| false);
    let Some(SonicEvent::Done(summary)) = rest.last() else {
        panic!("{rest:?}")
    };
    assert_eq!(summary.connections, 1);
    assert!(summary
        .transcript
        .contains(&(Role::Assistant, "Nine to five.".to_string())));
    assert!(
        rx.recv_timeout(Duration::from_millis(200)).is_err(),
        "one terminal"
    );
}

#[test]
fn reconnects_before_the_scaled_limit() {
    let emu = emulator(
        vec![json!({"prompt_contains": "name", "reply": "I am the assistant."})],
        SonicSettings {
            speed: 20.0,
            connection_limit_ms: 1_200,
            ..SonicSettings::default()
        },
    );
    let (tx, rx) = mpsc::channel();
    let h = start_session(
        &json!({"reconnect_after_ms": 500}),
        &config(&emu),
        Box::new(Sink(tx)),
    )
    .unwrap();
    h.send_text("Your name?").unwrap();
    until(&rx, final_assistant);
    let events = until(&rx, |e| matches!(e, SonicEvent::Reconnected(_)));
    assert_eq!(events.last(), Some(&SonicEvent::Reconnected(2)));
    h.send_text("And your name again?").unwrap();
    until(&rx, final_assistant);
    std::thread::sleep(Duration::from_millis(900));
    h.close();
    let rest = until(&rx, |_| false);
    let Some(SonicEvent::Done(summary)) = rest.last() else {
        panic!("{rest:?}")
    };
    assert!(summary.connections >= 2);
    assert_eq!(
        summary.transcript[0],
        (Role::User, "Your name?".to_string())
    );
}

/// `n` tool uses in one turn, all answered by the caller: the model must then speak.
fn many_tool_uses_then_the_reply(n: usize) {
    let uses: Vec<Value> = (0..n)
        .map(|i| json!({"name": "lookup", "input": {"i": i}}))
        .collect();
    let emu = emulator(
        vec![json!({"prompt_contains": "everything", "tool_uses": uses,
                    "reply_after_tool": "All done."})],
        SonicSettings {
            speed: 20.0,
            ..SonicSettings::default()
        },
    );
    let (tx, rx) = mpsc::channel();
    let h = start_session(
        &json!({"tools": [{"name": "lookup", "description": "Looks up",
                           "input_schema": {"type": "object"}}]}),
        &config(&emu),
        Box::new(Sink(tx)),
    )
    .unwrap();
    until(&rx, |e| *e == SonicEvent::SessionStarted);
    h.send_text("do everything").unwrap();
    let mut ids = Vec::new();
    while ids.len() < n {
        match rx.recv_timeout(Duration::from_secs(10)) {
            Ok(SonicEvent::ToolUse { id, .. }) => ids.push(id),
            Ok(e) if e.is_terminal() => panic!("after {} tool uses: {e:?}", ids.len()),
            Ok(_) => {}
            Err(_) => panic!("{} of {n} tool uses arrived", ids.len()),
        }
    }
    for id in &ids {
        h.send_tool_result(id, "{\"ok\": true}".into()).unwrap();
    }
    let events = until(&rx, final_assistant);
    assert!(
        events.contains(&SonicEvent::Transcript {
            role: Role::Assistant,
            stage: Stage::Final,
            text: "All done.".into()
        }),
        "{n} tool uses: {events:?}"
    );
    h.close();
    let rest = until(&rx, |_| false);
    assert!(matches!(rest.last(), Some(SonicEvent::Done(_))), "{rest:?}");
}

#[test]
fn twelve_tool_uses_in_one_turn_are_answered() {
    many_tool_uses_then_the_reply(12);
}

#[test]
fn twenty_tool_uses_in_one_turn_are_answered() {
    many_tool_uses_then_the_reply(20);
}

#[test]
fn forty_tool_uses_in_one_turn_are_answered() {
    // 120 output events at once: more than the emulator's output queue holds.
    many_tool_uses_then_the_reply(40);
}
