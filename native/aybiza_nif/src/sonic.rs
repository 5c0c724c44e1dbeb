//! NIFs of Nova Sonic sessions: start a session whose events go to a BEAM process as
//! `{:aybiza_bedrock, session, event}`, feed it audio, text and tool results, close it.
//! Every NIF here decodes, queues and returns; the session runs on the engine's runtime.

use crate::atoms;
use crate::encode::error_term;
use crate::term_value::{binary_term, term_to_value, value_to_term};
use aybiza_core::error::{Error, ErrorKind, Phase};
use aybiza_engine::sonic::{start_session, SonicEvent, SonicHandle, SonicSink, SonicSummary};
use aybiza_engine::sonic_options::MAX_TEXT_INPUT_BYTES;
use aybiza_engine::sonic_protocol::{Role, SonicUsage, Stage};
use aybiza_engine::ReceiverGone;
use rustler::types::atom::Atom;
use rustler::types::map::map_new;
use rustler::{
    Binary, Encoder, Env, LocalPid, Monitor, NifResult, OwnedEnv, Resource, ResourceArc, Term,
};
use std::sync::{Arc, Mutex, MutexGuard};

mod sonic_atoms {
    rustler::atoms! {
        session_started,
        transcript,
        user,
        assistant,
        speculative,
        final_ = "final",
        audio,
        barge_in,
        content_end,
        reconnected,
        end_turn,
        tool_use,
        interrupted,
        partial_turn,
    }
}

#[derive(Default)]
struct GateState {
    cancelled: bool,
    terminal_sent: bool,
}

/// Shared by the resource (which cancels) and the sink (which sends): once cancelled, only
/// the one terminal goes out, and it says `cancelled`.
#[derive(Default)]
struct Gate(Mutex<GateState>);

impl Gate {
    fn lock(&self) -> MutexGuard<'_, GateState> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub struct SonicResource {
    handle: Mutex<Option<SonicHandle>>,
    gate: Arc<Gate>,
}

impl SonicResource {
    fn handle(&self) -> Option<SonicHandle> {
        self.handle.lock().ok().and_then(|h| h.clone())
    }

    fn cancel(&self) {
        self.gate.lock().cancelled = true;
        if let Some(h) = self.handle() {
            h.cancel();
        }
    }
}

#[rustler::resource_impl]
impl Resource for SonicResource {
    const IMPLEMENTS_DOWN: bool = true;

    fn down<'a>(&'a self, _env: Env<'a>, _pid: LocalPid, _monitor: Monitor) {
        // The receiver exited: stop the session and free the stream.
        self.cancel();
    }
}

impl Drop for SonicResource {
    fn drop(&mut self) {
        if let Ok(guard) = self.handle.lock() {
            if let Some(h) = guard.as_ref() {
                h.cancel();
            }
        }
    }
}

struct BeamSink {
    pid: LocalPid,
    /// Also told about tool uses (the process that runs the session's tools).
    tool_pid: Option<LocalPid>,
    msg_env: OwnedEnv,
    /// The session's handle, the message tag, made into a term in `msg_env` per message
    /// (`enif_make_resource`, cheaper than `enif_make_copy` of a saved term); it keeps the
    /// resource alive as long as a saved copy would: until the sink is dropped.
    tag: ResourceArc<SonicResource>,
    gate: Arc<Gate>,
}

impl BeamSink {
    fn deliver(&mut self, pid: &LocalPid, event: &SonicEvent) -> bool {
        let tag = &self.tag;
        self.msg_env
            .send_and_clear(pid, |env| {
                (atoms::aybiza_bedrock(), tag, event_term(env, event))
            })
            .is_ok()
    }
}

impl SonicSink for BeamSink {
    fn send(&mut self, event: SonicEvent) -> Result<(), ReceiverGone> {
        let gate = self.gate.clone();
        let mut state = gate.lock();
        if state.terminal_sent {
            return Ok(());
        }
        let event = if state.cancelled {
            match event {
                SonicEvent::Done(summary) | SonicEvent::Error(_, summary) => {
                    let mut e = Error::new(ErrorKind::Cancelled, "the session was cancelled");
                    e.phase = Phase::BeforeStream;
                    SonicEvent::Error(Box::new(e), summary)
                }
                _ => return Ok(()),
            }
        } else {
            event
        };
        if let Some(tool_pid) = self.tool_pid {
            // The tool runner hears tool uses and the end (then it stops); it may be gone,
            // the receiver still hears everything.
            if matches!(event, SonicEvent::ToolUse { .. }) || event.is_terminal() {
                let _ = self.deliver(&tool_pid, &event);
            }
        }
        let pid = self.pid;
        let ok = self.deliver(&pid, &event);
        if ok && event.is_terminal() {
            state.terminal_sent = true;
        }
        if ok {
            Ok(())
        } else {
            Err(ReceiverGone)
        }
    }
}

fn put<'a>(map: Term<'a>, env: Env<'a>, key: &str, value: Term<'a>) -> Term<'a> {
    let key = Atom::from_str(env, key).expect("atom").encode(env);
    map.map_put(key, value).unwrap_or(map)
}

fn role_term<'a>(env: Env<'a>, role: Option<Role>) -> Term<'a> {
    match role {
        Some(Role::User) => sonic_atoms::user().encode(env),
        Some(Role::Assistant) => sonic_atoms::assistant().encode(env),
        Some(Role::System) => Atom::from_str(env, "system").expect("atom").encode(env),
        Some(Role::Tool) => Atom::from_str(env, "tool").expect("atom").encode(env),
        None => atoms::nil().encode(env),
    }
}

/// Stop reasons from a fixed list become atoms; anything else stays a string.
fn stop_term<'a>(env: Env<'a>, reason: &Option<String>) -> Term<'a> {
    match reason.as_deref() {
        None => atoms::nil().encode(env),
        Some("END_TURN") => sonic_atoms::end_turn().encode(env),
        Some("TOOL_USE") => sonic_atoms::tool_use().encode(env),
        Some("INTERRUPTED") => sonic_atoms::interrupted().encode(env),
        Some("PARTIAL_TURN") => sonic_atoms::partial_turn().encode(env),
        Some(other) => binary_term(env, other.as_bytes()),
    }
}

fn usage_term<'a>(env: Env<'a>, u: &SonicUsage) -> Term<'a> {
    let mut m = map_new(env);
    m = put(
        m,
        env,
        "input_speech_tokens",
        u.input_speech_tokens.encode(env),
    );
    m = put(m, env, "input_text_tokens", u.input_text_tokens.encode(env));
    m = put(
        m,
        env,
        "output_speech_tokens",
        u.output_speech_tokens.encode(env),
    );
    m = put(
        m,
        env,
        "output_text_tokens",
        u.output_text_tokens.encode(env),
    );
    m = put(m, env, "input_tokens", u.total_input_tokens.encode(env));
    m = put(m, env, "output_tokens", u.total_output_tokens.encode(env));
    m = put(m, env, "total_tokens", u.total_tokens.encode(env));
    m
}

fn summary_term<'a>(env: Env<'a>, s: &SonicSummary) -> Term<'a> {
    let mut m = map_new(env);
    m = put(m, env, "model_id", binary_term(env, s.model_id.as_bytes()));
    m = put(m, env, "region", binary_term(env, s.region.as_bytes()));
    let ids: Vec<Term> = s
        .request_ids
        .iter()
        .map(|id| binary_term(env, id.as_bytes()))
        .collect();
    m = put(m, env, "request_ids", ids.encode(env));
    m = put(m, env, "connections", s.connections.encode(env));
    m = put(m, env, "usage", usage_term(env, &s.usage));
    let transcript: Vec<Term> = s
        .transcript
        .iter()
        .map(|(r, t)| (role_term(env, Some(*r)), binary_term(env, t.as_bytes())).encode(env))
        .collect();
    m = put(m, env, "transcript", transcript.encode(env));
    m = put(m, env, "audio_in_bytes", s.audio_in_bytes.encode(env));
    m = put(m, env, "audio_out_bytes", s.audio_out_bytes.encode(env));
    m = put(m, env, "barge_ins", s.barge_ins.encode(env));
    m = put(m, env, "tool_uses", s.tool_uses.encode(env));
    m = put(m, env, "stop_reason", stop_term(env, &s.stop_reason));
    m = put(
        m,
        env,
        "first_audio_us",
        match s.first_audio_us {
            Some(us) => us.encode(env),
            None => atoms::nil().encode(env),
        },
    );
    m = put(m, env, "total_us", s.total_us.encode(env));
    m
}

fn event_term<'a>(env: Env<'a>, event: &SonicEvent) -> Term<'a> {
    match event {
        SonicEvent::SessionStarted => sonic_atoms::session_started().encode(env),
        SonicEvent::Transcript { role, stage, text } => {
            let stage = match stage {
                Stage::Speculative => sonic_atoms::speculative(),
                Stage::Final => sonic_atoms::final_(),
            };
            (
                sonic_atoms::transcript(),
                role_term(env, Some(*role)),
                stage,
                binary_term(env, text.as_bytes()),
            )
                .encode(env)
        }
        SonicEvent::Audio(pcm) => (sonic_atoms::audio(), binary_term(env, pcm)).encode(env),
        SonicEvent::ToolUse { id, name, input } => {
            let mut m = map_new(env);
            m = put(m, env, "id", binary_term(env, id.as_bytes()));
            m = put(m, env, "name", binary_term(env, name.as_bytes()));
            m = put(m, env, "input", value_to_term(env, input));
            (atoms::tool_use(), m).encode(env)
        }
        SonicEvent::BargeIn => sonic_atoms::barge_in().encode(env),
        SonicEvent::Usage(u) => (atoms::usage(), usage_term(env, u)).encode(env),
        SonicEvent::ContentEnd {
            kind,
            role,
            stop_reason,
        } => {
            let mut m = map_new(env);
            let kind = kind.to_ascii_lowercase();
            let kind_term = match kind.as_str() {
                "audio" | "text" | "tool" => Atom::from_str(env, &kind).expect("atom").encode(env),
                _ => binary_term(env, kind.as_bytes()),
            };
            m = put(m, env, "type", kind_term);
            m = put(m, env, "role", role_term(env, *role));
            m = put(m, env, "stop_reason", stop_term(env, stop_reason));
            (sonic_atoms::content_end(), m).encode(env)
        }
        SonicEvent::Reconnected(n) => (sonic_atoms::reconnected(), *n).encode(env),
        SonicEvent::Done(s) => (atoms::done(), summary_term(env, s)).encode(env),
        SonicEvent::Error(e, s) => {
            let mut err = error_term(env, e, None);
            err = put(
                err,
                env,
                "model_id",
                binary_term(env, s.model_id.as_bytes()),
            );
            err = put(err, env, "region", binary_term(env, s.region.as_bytes()));
            (atoms::error(), err).encode(env)
        }
    }
}

fn error_result<'a>(env: Env<'a>, e: &Error) -> Term<'a> {
    (atoms::error(), error_term(env, e, None)).encode(env)
}

fn ok_or_error<'a>(env: Env<'a>, r: Result<(), Error>) -> Term<'a> {
    match r {
        Ok(()) => atoms::ok().encode(env),
        Err(e) => error_result(env, &e),
    }
}

fn closed<'a>(env: Env<'a>) -> Term<'a> {
    error_result(
        env,
        &Error::new(ErrorKind::InvalidRequest, "the session is closed"),
    )
}

/// Starts a session. Decoding options (history, tools) can take longer than a scheduler
/// slice, so it runs dirty.
#[rustler::nif(schedule = "DirtyCpu")]
fn sonic_start<'a>(
    env: Env<'a>,
    options: Term<'a>,
    config: Term<'a>,
    receiver: LocalPid,
    tool_runner: Term<'a>,
) -> NifResult<Term<'a>> {
    let options = match term_to_value(options) {
        Ok(v) => v,
        Err(e) => {
            let e = Error::new(
                ErrorKind::InvalidRequest,
                format!("invalid session options: {e}"),
            );
            return Ok(error_result(env, &e));
        }
    };
    let config = match term_to_value(config) {
        Ok(v) => v,
        Err(_) => {
            let e = Error::new(ErrorKind::InvalidConfig, "invalid client configuration");
            return Ok(error_result(env, &e));
        }
    };
    let tool_pid: Option<LocalPid> = tool_runner.decode().ok();
    let gate = Arc::new(Gate::default());
    let resource = ResourceArc::new(SonicResource {
        handle: Mutex::new(None),
        gate: gate.clone(),
    });
    let sink = BeamSink {
        pid: receiver,
        tool_pid,
        msg_env: OwnedEnv::new(),
        tag: resource.clone(),
        gate,
    };
    match start_session(&options, &config, Box::new(sink)) {
        Ok(handle) => {
            if let Ok(mut slot) = resource.handle.lock() {
                *slot = Some(handle.clone());
            }
            if resource.monitor(Some(env), &receiver).is_none() {
                resource.cancel();
            }
            Ok((atoms::ok(), resource).encode(env))
        }
        Err(e) => Ok(error_result(env, &e)),
    }
}

/// Queues one PCM frame (copied; at most one second of audio). `rate` is `nil` or the
/// frame's sample rate, checked against the session's.
#[rustler::nif]
fn sonic_send_audio<'a>(
    env: Env<'a>,
    resource: ResourceArc<SonicResource>,
    pcm: Binary<'a>,
    rate: Term<'a>,
) -> Term<'a> {
    let Some(h) = resource.handle() else {
        return closed(env);
    };
    let rate = match rate.decode::<u32>() {
        Ok(r) => Some(r),
        Err(_) if rate.is_atom() => None,
        Err(_) => {
            let e = Error::new(
                ErrorKind::InvalidRequest,
                "rate must be a sample rate in Hz",
            );
            return error_result(env, &e);
        }
    };
    ok_or_error(env, h.send_audio(pcm.as_slice(), rate))
}

fn utf8<'a>(bin: &'a Binary, what: &str) -> Result<&'a str, Error> {
    std::str::from_utf8(bin.as_slice()).map_err(|_| {
        Error::new(
            ErrorKind::InvalidRequest,
            format!("{what} is not valid UTF-8"),
        )
    })
}

#[rustler::nif]
fn sonic_send_text<'a>(
    env: Env<'a>,
    resource: ResourceArc<SonicResource>,
    text: Binary<'a>,
) -> Term<'a> {
    let Some(h) = resource.handle() else {
        return closed(env);
    };
    // A normal scheduler: an oversized text is refused before its bytes are read (checking
    // 50 MB of UTF-8 took more than a millisecond on a loaded machine).
    if text.len() > MAX_TEXT_INPUT_BYTES {
        let e = Error::new(
            ErrorKind::InvalidRequest,
            format!("text input must be 1 to {MAX_TEXT_INPUT_BYTES} bytes and not blank"),
        );
        return error_result(env, &e);
    }
    let r = utf8(&text, "text").and_then(|t| h.send_text(t));
    ok_or_error(env, r)
}

/// Answers a tool use. `result` is a string (sent as is) or any JSON-able term (a map, a
/// list, numbers...), converted to JSON text under the usual term limits; dirty because
/// that conversion grows with the result.
#[rustler::nif(schedule = "DirtyCpu")]
fn sonic_send_tool_result<'a>(
    env: Env<'a>,
    resource: ResourceArc<SonicResource>,
    id: Binary<'a>,
    result: Term<'a>,
) -> Term<'a> {
    let Some(h) = resource.handle() else {
        return closed(env);
    };
    let content = match result.decode::<Binary>() {
        Ok(bin) => utf8(&bin, "the tool result").map(str::to_string),
        Err(_) => term_to_value(result)
            .map(|v| v.to_string())
            .map_err(|e| Error::new(ErrorKind::InvalidRequest, format!("the tool result: {e}"))),
    };
    let r = utf8(&id, "the tool use id").and_then(|id| h.send_tool_result(id, content?));
    ok_or_error(env, r)
}

#[rustler::nif]
fn sonic_end_turn(env: Env, resource: ResourceArc<SonicResource>) -> Term {
    match resource.handle() {
        Some(h) => ok_or_error(env, h.end_turn()),
        None => closed(env),
    }
}

#[rustler::nif]
fn sonic_close(resource: ResourceArc<SonicResource>) -> Atom {
    if let Some(h) = resource.handle() {
        h.close();
    }
    atoms::ok()
}

#[rustler::nif]
fn sonic_cancel(resource: ResourceArc<SonicResource>) -> Atom {
    resource.cancel();
    atoms::ok()
}

/// The speech-to-speech models of the catalog: the catalog's model map (`speech` holds text
/// input, turn detection, sample rates and prices) plus `eol_date` / `replacement` at the top
/// for convenience.
#[rustler::nif]
fn sonic_models(env: Env) -> Term {
    let models: Vec<Term> = aybiza_engine::sonic_options::models()
        .iter()
        .map(|m| {
            let opt = |v: Option<&str>| match v {
                Some(v) => binary_term(env, v.as_bytes()),
                None => atoms::nil().encode(env),
            };
            let t = crate::catalog::encode_spec(env, m);
            let t = put(t, env, "eol_date", opt(m.lifecycle.eol_date.as_deref()));
            put(
                t,
                env,
                "replacement",
                opt(m.lifecycle.replacement.as_deref()),
            )
        })
        .collect();
    models.encode(env)
}

#[rustler::nif]
fn sonic_live_sessions() -> u64 {
    aybiza_engine::sonic::live_sessions()
}
