//! NIF wrappers over the embedded Bedrock emulator. The emulator runs on its own thread with
//! its own small tokio runtime (`BlockingEmulator`), independent of the engine's runtime.
//! Start and stop wait for the bind / shutdown, so they run on dirty IO schedulers; the other
//! calls only touch shared state.

use std::sync::Mutex;

use bedrock_emulator::{BlockingEmulator, EmulatorConfig, EmulatorHandle};
use rustler::{Encoder, Env, ResourceArc, Term};
use serde_json::json;

use crate::term_value::{term_to_value, value_to_term};

mod atoms {
    rustler::atoms! { ok, error }
}

/// One running emulator; dropped (and stopped) when Elixir releases the handle.
pub struct EmulatorResource {
    running: Mutex<Option<BlockingEmulator>>,
    handle: EmulatorHandle,
}

#[rustler::resource_impl]
impl rustler::Resource for EmulatorResource {}

fn error<'a>(env: Env<'a>, message: String) -> Term<'a> {
    (atoms::error(), message).encode(env)
}

fn ok<'a>(env: Env<'a>) -> Term<'a> {
    atoms::ok().encode(env)
}

/// `emulator_start(config_map)` -> `{:ok, handle}` | `{:error, message}`.
#[rustler::nif(schedule = "DirtyIo")]
fn emulator_start<'a>(env: Env<'a>, config: Term<'a>) -> Term<'a> {
    let value = match term_to_value(config) {
        Ok(v) => v,
        Err(e) => return error(env, format!("invalid emulator config: {e}")),
    };
    let value = if value.is_null() { json!({}) } else { value };
    let config = match EmulatorConfig::from_json(value) {
        Ok(c) => c,
        Err(e) => return error(env, e),
    };
    match BlockingEmulator::start(config) {
        Ok(emulator) => {
            let handle = emulator.handle();
            let resource = ResourceArc::new(EmulatorResource {
                running: Mutex::new(Some(emulator)),
                handle,
            });
            (atoms::ok(), resource).encode(env)
        }
        Err(e) => error(env, format!("cannot start emulator: {e}")),
    }
}

/// Stops the server (idempotent) and waits for its thread.
#[rustler::nif(schedule = "DirtyIo")]
fn emulator_stop(env: Env, handle: ResourceArc<EmulatorResource>) -> Term {
    let running = handle
        .running
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take();
    if let Some(emulator) = running {
        emulator.shutdown();
    }
    ok(env)
}

#[rustler::nif]
fn emulator_url(handle: ResourceArc<EmulatorResource>) -> String {
    handle.handle.url().to_string()
}

/// `%{"converse-stream" => %{"ok" => 3}, "total_requests" => 4, "open_streams" => 0}`.
#[rustler::nif]
fn emulator_counters(env: Env, handle: ResourceArc<EmulatorResource>) -> Term {
    value_to_term(env, &handle.handle.counters().to_json())
}

#[rustler::nif]
fn emulator_reset_counters(env: Env, handle: ResourceArc<EmulatorResource>) -> Term {
    handle.handle.reset_counters();
    ok(env)
}

/// `%{"access_key_id" => ..., "secret_access_key" => ..., "api_key" => ... | nil,
/// "temporary" => %{"access_key_id", "secret_access_key", "session_token"},
/// "tls_url" => ... | nil, "ca_pem" => ... | nil}`.
#[rustler::nif]
fn emulator_credentials(env: Env, handle: ResourceArc<EmulatorResource>) -> Term {
    let c = handle.handle.credentials();
    let t = handle.handle.temporary_credentials();
    let v = json!({
        "access_key_id": c.access_key_id,
        "secret_access_key": c.secret_access_key,
        "api_key": c.api_key,
        "temporary": {
            "access_key_id": t.access_key_id,
            "secret_access_key": t.secret_access_key,
            "session_token": t.session_token,
        },
        "tls_url": handle.handle.tls_url(),
        "ca_pem": handle.handle.ca_pem(),
    });
    value_to_term(env, &v)
}

/// Faults as a map (`%{reset_after: 3}`) or a spec string (`"reset@3"`); nil clears them.
// Dirty: converting and parsing the caller's term grows with it.
#[rustler::nif(schedule = "DirtyCpu")]
fn emulator_set_faults<'a>(
    env: Env<'a>,
    handle: ResourceArc<EmulatorResource>,
    faults: Term<'a>,
) -> Term<'a> {
    match term_to_value(faults).and_then(bedrock_emulator::faults_from_json) {
        Ok(f) => {
            handle.handle.set_faults(f);
            ok(env)
        }
        Err(e) => error(env, e),
    }
}

/// Pacing as a map or a spec string (`"first_token_ms=200,tps=50"`); nil clears it.
// Dirty: converting and parsing the caller's term grows with it.
#[rustler::nif(schedule = "DirtyCpu")]
fn emulator_set_pacing<'a>(
    env: Env<'a>,
    handle: ResourceArc<EmulatorResource>,
    pacing: Term<'a>,
) -> Term<'a> {
    match term_to_value(pacing).and_then(bedrock_emulator::pacing_from_json) {
        Ok(p) => {
            handle.handle.set_pacing(p);
            ok(env)
        }
        Err(e) => error(env, e),
    }
}

/// Replaces the rules (a list of maps).
// Dirty: converting and parsing the caller's term grows with it.
#[rustler::nif(schedule = "DirtyCpu")]
fn emulator_set_rules<'a>(
    env: Env<'a>,
    handle: ResourceArc<EmulatorResource>,
    rules: Term<'a>,
) -> Term<'a> {
    let value = match term_to_value(rules) {
        Ok(serde_json::Value::Null) => json!([]),
        Ok(v) => v,
        Err(e) => return error(env, e),
    };
    match bedrock_emulator::rules_from_json(value) {
        Ok(r) => {
            handle.handle.set_rules(r);
            ok(env)
        }
        Err(e) => error(env, e),
    }
}
