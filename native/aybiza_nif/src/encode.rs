//! Encoding engine values (events, summaries, errors) as Elixir terms.

use crate::atoms;
use crate::term_value::{binary_term, value_to_term};
use aybiza_core::catalog::{self, Cost};
use aybiza_core::error::{Error, Phase};
use aybiza_engine::{Event, Summary, Usage};
use rustler::types::atom::Atom;
use rustler::types::map::map_new;
use rustler::{Encoder, Env, Term};

fn put<'a>(map: Term<'a>, env: Env<'a>, key: &str, value: Term<'a>) -> Term<'a> {
    let key = Atom::from_str(env, key).expect("atom").encode(env);
    map.map_put(key, value).unwrap_or(map)
}

fn opt_str<'a>(env: Env<'a>, s: &Option<String>) -> Term<'a> {
    match s {
        Some(s) => binary_term(env, s.as_bytes()),
        None => atoms::nil().encode(env),
    }
}

fn opt_u64<'a>(env: Env<'a>, v: Option<u64>) -> Term<'a> {
    match v {
        Some(v) => v.encode(env),
        None => atoms::nil().encode(env),
    }
}

/// Bedrock stop reasons become atoms from a fixed list; anything else stays a string, so no
/// atom is ever created from server data.
fn stop_reason_term<'a>(env: Env<'a>, reason: &str) -> Term<'a> {
    const KNOWN: [&str; 8] = [
        "end_turn",
        "tool_use",
        "max_tokens",
        "stop_sequence",
        "guardrail_intervened",
        "content_filtered",
        "model_context_window_exceeded",
        "pause_turn",
    ];
    if KNOWN.contains(&reason) {
        Atom::from_str(env, reason).expect("atom").encode(env)
    } else {
        binary_term(env, reason.as_bytes())
    }
}

pub fn usage_term<'a>(env: Env<'a>, u: &Usage) -> Term<'a> {
    let mut m = map_new(env);
    m = put(m, env, "input_tokens", u.input_tokens.encode(env));
    m = put(m, env, "output_tokens", u.output_tokens.encode(env));
    m = put(m, env, "total_tokens", u.total_tokens.encode(env));
    m = put(
        m,
        env,
        "cache_read_input_tokens",
        u.cache_read_input_tokens.encode(env),
    );
    m = put(
        m,
        env,
        "cache_write_input_tokens",
        u.cache_write_input_tokens.encode(env),
    );
    // Only a split that sums to the written total: `Aybiza.Bedrock.Cost.calculate/2` refuses
    // one that does not, and this map is meant to be passed to it as is.
    if let Some((details, _)) = u.consistent_cache_details() {
        let list: Vec<Term> = details
            .iter()
            .map(|d| {
                let e = put(
                    map_new(env),
                    env,
                    "input_tokens",
                    d.input_tokens.encode(env),
                );
                put(
                    e,
                    env,
                    "ttl",
                    binary_term(env, d.ttl.as_bedrock().as_bytes()),
                )
            })
            .collect();
        m = put(m, env, "cache_details", list.encode(env));
    }
    m
}

/// Usage for pricing: the reported one, or an estimate from the text when none arrived.
fn billing_usage(summary: &Summary) -> (catalog::Usage, bool) {
    match &summary.usage {
        Some(u) => (
            catalog::Usage {
                input_tokens: u.input_tokens,
                output_tokens: u.output_tokens,
                cache_read_input_tokens: u.cache_read_input_tokens,
                cache_write_input_tokens: u.cache_write_input_tokens,
                cache_write_1h_input_tokens: u.consistent_cache_details().map_or(0, |(_, h)| h),
                ..catalog::Usage::default()
            },
            false,
        ),
        None => (
            catalog::estimate_interrupted_usage(
                "",
                &summary.text,
                Some(summary.request_input_tokens),
            ),
            true,
        ),
    }
}

fn cost_of(summary: &Summary) -> Option<Cost> {
    if summary.model_id.is_empty() {
        return None;
    }
    let (usage, estimated) = billing_usage(summary);
    let cat = catalog::catalog();
    let model = cat.resolve_quiet(&summary.model_id).ok()?;
    Some(cat.cost_resolved(&model, &usage, estimated || summary.usage_estimated))
}

pub fn cost_term<'a>(env: Env<'a>, cost: &Option<Cost>) -> Term<'a> {
    let Some(c) = cost else {
        return atoms::nil().encode(env);
    };
    let n = |v: u128| u64::try_from(v).unwrap_or(u64::MAX).encode(env);
    let mut m = map_new(env);
    m = put(m, env, "nanodollars", n(c.nanodollars));
    m = put(m, env, "input", n(c.input));
    m = put(m, env, "output", n(c.output));
    m = put(m, env, "thinking", n(c.thinking));
    m = put(m, env, "cache_read", n(c.cache_read));
    m = put(m, env, "cache_write", n(c.cache_write));
    m = put(m, env, "estimated?", c.estimated.encode(env));
    m = put(m, env, "display", binary_term(env, c.display().as_bytes()));
    m
}

pub fn summary_term<'a>(env: Env<'a>, s: &Summary) -> Term<'a> {
    let mut t = map_new(env);
    t = put(
        t,
        env,
        "first_byte_us",
        opt_u64(env, s.timings.first_byte_us),
    );
    t = put(
        t,
        env,
        "first_token_us",
        opt_u64(env, s.timings.first_token_us),
    );
    t = put(
        t,
        env,
        "first_sentence_us",
        opt_u64(env, s.timings.first_sentence_us),
    );
    t = put(t, env, "total_us", s.timings.total_us.encode(env));
    // Only for a call started with `trace_timings: true`.
    if !s.timings.trace.is_empty() {
        let mut trace = map_new(env);
        for (name, ns) in &s.timings.trace {
            trace = put(trace, env, name, ns.encode(env));
        }
        t = put(t, env, "trace", trace);
    }

    let mut m = map_new(env);
    m = put(m, env, "model_id", binary_term(env, s.model_id.as_bytes()));
    m = put(m, env, "region", binary_term(env, s.region.as_bytes()));
    m = put(m, env, "request_id", opt_str(env, &s.request_id));
    m = put(
        m,
        env,
        "stop_reason",
        match &s.stop_reason {
            Some(r) => stop_reason_term(env, r),
            None => atoms::nil().encode(env),
        },
    );
    m = put(
        m,
        env,
        "usage",
        match &s.usage {
            Some(u) => usage_term(env, u),
            None => atoms::nil().encode(env),
        },
    );
    m = put(m, env, "text", binary_term(env, s.text.as_bytes()));
    let content: Vec<Term> = s.content.iter().map(|v| value_to_term(env, v)).collect();
    m = put(m, env, "content", content.encode(env));
    m = put(m, env, "sentences", s.sentences.encode(env));
    m = put(m, env, "timings", t);
    m = put(m, env, "latency_ms", opt_u64(env, s.latency_ms));
    m = put(m, env, "cost", cost_term(env, &cost_of(s)));
    if let Some(body) = &s.body {
        m = put(m, env, "body", value_to_term(env, body));
    }
    if let Some(trace) = &s.guardrail_trace {
        m = put(m, env, "guardrail_trace", value_to_term(env, trace));
    }
    m
}

/// `%Aybiza.Error{}` built directly, so receivers get the struct without conversion.
pub fn error_term<'a>(env: Env<'a>, e: &Error, summary: Option<&Summary>) -> Term<'a> {
    let mut m = map_new(env);
    m = put(
        m,
        env,
        "__struct__",
        Atom::from_str(env, "Elixir.Aybiza.Error")
            .expect("atom")
            .encode(env),
    );
    m = put(m, env, "__exception__", true.encode(env));
    m = put(
        m,
        env,
        "reason",
        Atom::from_str(env, e.kind.reason())
            .expect("atom")
            .encode(env),
    );
    m = put(m, env, "message", binary_term(env, e.message.as_bytes()));
    m = put(m, env, "code", opt_str(env, &e.code));
    m = put(
        m,
        env,
        "status",
        match e.status {
            Some(s) => s.encode(env),
            None => atoms::nil().encode(env),
        },
    );
    m = put(m, env, "retryable?", e.retryable().encode(env));
    m = put(
        m,
        env,
        "phase",
        match e.phase {
            Phase::BeforeStream => atoms::before_stream().encode(env),
            Phase::MidStream => atoms::mid_stream().encode(env),
        },
    );
    m = put(m, env, "request_id", opt_str(env, &e.request_id));
    m = put(
        m,
        env,
        "model_id",
        match summary {
            Some(s) if !s.model_id.is_empty() => binary_term(env, s.model_id.as_bytes()),
            _ => atoms::nil().encode(env),
        },
    );
    m = put(
        m,
        env,
        "region",
        match summary {
            Some(s) if !s.region.is_empty() => binary_term(env, s.region.as_bytes()),
            _ => atoms::nil().encode(env),
        },
    );
    let delivered = match &e.delivered {
        Some(d) => {
            let mut dm = map_new(env);
            dm = put(dm, env, "chars", d.chars.encode(env));
            dm = put(dm, env, "sentences", d.sentences.encode(env));
            dm = put(dm, env, "text", binary_term(env, d.text.as_bytes()));
            if let Some(s) = summary {
                dm = put(dm, env, "cost", cost_term(env, &cost_of(s)));
                // Input tokens counted by CountTokens (`exact_token_counts: true`).
                dm = put(
                    dm,
                    env,
                    "exact_input_tokens",
                    match s.input_tokens_exact {
                        true => s.request_input_tokens.encode(env),
                        false => atoms::nil().encode(env),
                    },
                );
                dm = put(
                    dm,
                    env,
                    "usage",
                    match &s.usage {
                        Some(u) => usage_term(env, u),
                        None => atoms::nil().encode(env),
                    },
                );
            }
            dm
        }
        None => atoms::nil().encode(env),
    };
    m = put(m, env, "delivered", delivered);
    // The guardrail trace of a `:guardrail_intervened` error is added by the relay; an
    // engine error never carries one.
    m = put(m, env, "guardrail", atoms::nil().encode(env));
    m
}

pub fn event_term<'a>(env: Env<'a>, event: &Event) -> Term<'a> {
    match event {
        Event::MessageStart => atoms::message_start().encode(env),
        Event::FirstToken(us) => (atoms::first_token(), *us).encode(env),
        Event::Text(t) => (atoms::text(), binary_term(env, t.as_bytes())).encode(env),
        Event::Sentence(seq, t) => {
            (atoms::sentence(), *seq, binary_term(env, t.as_bytes())).encode(env)
        }
        Event::ThinkingStarted => atoms::thinking_started().encode(env),
        Event::Thinking(t) => (atoms::thinking(), binary_term(env, t.as_bytes())).encode(env),
        Event::ToolUse { id, name, input } => {
            let mut m = map_new(env);
            m = put(m, env, "id", binary_term(env, id.as_bytes()));
            m = put(m, env, "name", binary_term(env, name.as_bytes()));
            m = put(m, env, "input", value_to_term(env, input));
            (atoms::tool_use(), m).encode(env)
        }
        Event::StopReason(r) => (atoms::stop_reason(), stop_reason_term(env, r)).encode(env),
        Event::Usage(u) => (atoms::usage(), usage_term(env, u)).encode(env),
        Event::GuardrailTrace(v) => (
            Atom::from_str(env, "guardrail_trace").expect("atom"),
            value_to_term(env, v),
        )
            .encode(env),
        Event::Done(s) => (atoms::done(), summary_term(env, s)).encode(env),
        Event::Error(e, s) => (atoms::error(), error_term(env, e, s.as_deref())).encode(env),
    }
}

/// The telemetry observer's copy of a terminal event (`Aybiza.Bedrock.StreamSpan`): small,
/// no text. `{:done, input_tokens, output_tokens, cost_nanodollars, stop_reason}` or
/// `{:error, reason, cost_nanodollars}` (cost as in the error's `delivered.cost`: only for a
/// stream that had started delivering, as Bedrock bills it); `None` for any other event.
pub fn span_outcome_term<'a>(env: Env<'a>, event: &Event) -> Option<Term<'a>> {
    let nanodollars = |s: &Summary| {
        cost_of(s)
            .map(|c| u64::try_from(c.nanodollars).unwrap_or(u64::MAX))
            .unwrap_or(0)
    };
    match event {
        Event::Done(s) => {
            let (input, output) = s
                .usage
                .as_ref()
                .map_or((0, 0), |u| (u.input_tokens, u.output_tokens));
            let stop = match &s.stop_reason {
                Some(r) => stop_reason_term(env, r),
                None => atoms::nil().encode(env),
            };
            Some((atoms::done(), input, output, nanodollars(s), stop).encode(env))
        }
        Event::Error(e, s) => {
            let reason = Atom::from_str(env, e.kind.reason()).unwrap_or_else(|_| atoms::nil());
            let cost = match (&e.delivered, s) {
                (Some(_), Some(s)) => nanodollars(s),
                _ => 0,
            };
            Some((atoms::error(), reason, cost).encode(env))
        }
        _ => None,
    }
}
