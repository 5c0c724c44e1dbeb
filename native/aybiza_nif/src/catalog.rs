//! Catalog, cost and routing NIFs: decode loosely-typed terms, call `aybiza_core::catalog`,
//! encode plain Elixir data (atom keys for fixed fields, binaries for ids, integers for money).
//! Lookups of one id are sub-millisecond on an immutable snapshot and run on the normal
//! scheduler; whatever grows with the catalog (which overrides can grow) or with the caller's
//! term runs on a dirty CPU scheduler.

use std::collections::HashSet;

use aybiza_core::catalog::{
    self, cache_write_split, estimate_tokens, parse_cache_details, CacheTtl, Catalog, CatalogError,
    Cost, ModelSpec, Requirements, ResolvedModel, RoutingOptions, Selection, Usage,
};
use rustler::types::tuple::{get_tuple, make_tuple};
use rustler::{Atom, Binary, Encoder, Env, Term, TermType};
use serde_json::{Map, Value};

mod atoms {
    rustler::atoms! { ok, error, aybiza_error, nil }
}

// ---------------------------------------------------------------------------------------
// NIFs

// Dirty: grows with the catalog (1,050 models via overrides: 325 ms in a debug build).
#[rustler::nif(schedule = "DirtyCpu")]
fn catalog_models(env: Env) -> Term {
    let c = catalog::catalog();
    let models: Vec<Term> = c.models.iter().map(|m| encode_spec(env, m)).collect();
    models.encode(env)
}

// Dirty: grows with the overrides' profiles, aliases and chains (5,000 deprecated aliases:
// 28 ms in a debug build).
#[rustler::nif(schedule = "DirtyCpu")]
fn catalog_info(env: Env) -> Term {
    let c = catalog::catalog();
    let profiles: Vec<Value> = c
        .profiles
        .values()
        .map(|p| serde_json::json!({"prefix": p.prefix, "regions": p.regions, "global": p.global}))
        .collect();
    let fixed = encode(env, &c.info(), true);
    let extra = [
        ("profiles", encode(env, &Value::Array(profiles), true)),
        (
            "deprecated_aliases",
            encode(env, &serde_json::json!(c.deprecated_aliases), false),
        ),
        (
            "fallback_chains",
            encode(env, &serde_json::json!(c.fallback_chains), false),
        ),
        ("regions", encode_regions(env, &c)),
        ("routing_rules", encode(env, &c.routing.to_json(), true)),
    ];
    extra.into_iter().fold(fixed, |acc, (k, v)| {
        acc.map_put(atom(env, k), v).unwrap_or(acc)
    })
}

/// Resolution only: an unknown id comes back without suggestions (computing them grows with
/// the catalog; `catalog_unknown_model/1` does it on a dirty scheduler).
#[rustler::nif]
fn catalog_resolve<'a>(env: Env<'a>, model_id: Term<'a>) -> Term<'a> {
    let id = match model_id_arg(model_id) {
        Ok(id) => id,
        Err(msg) => return err(env, "invalid_request", &msg, None),
    };
    match catalog::catalog().resolve_quiet(&id) {
        Ok(r) => ok(env, encode_resolved(env, &r)),
        Err(e) => catalog_err(env, &e, Some(&id)),
    }
}

/// The `unknown_model` error of `model_id` with the closest known ids (bounded work, on a
/// dirty CPU scheduler so a slow debug build never holds a normal one).
#[rustler::nif(schedule = "DirtyCpu")]
fn catalog_unknown_model<'a>(env: Env<'a>, model_id: Term<'a>) -> Term<'a> {
    let id = match model_id_arg(model_id) {
        Ok(id) => id,
        Err(msg) => return err(env, "invalid_request", &msg, None),
    };
    match catalog::catalog().resolve(&id) {
        Ok(r) => ok(env, encode_resolved(env, &r)),
        Err(e) => catalog_err(env, &e, Some(&id)),
    }
}

/// A model id argument: a UTF-8 binary (or atom) of at most Bedrock's 2048 bytes. The length
/// is checked before anything is copied, so a 50 MB binary costs nothing.
fn model_id_arg(term: Term) -> Result<String, String> {
    if term.get_type() == TermType::Binary {
        let bin: Binary = term.decode().map_err(|_| "model id must be a string")?;
        if bin.len() > catalog::MAX_MODEL_ID_LEN {
            return Err(format!(
                "modelId: the model id is {} bytes; Bedrock takes at most {}",
                bin.len(),
                catalog::MAX_MODEL_ID_LEN
            ));
        }
    }
    as_string(term).ok_or_else(|| "model id must be a UTF-8 string".to_string())
}

/// Accepts JSON text, a map / keyword-free term, or `nil` (back to the embedded catalog).
// Dirty: the term is the caller's, of any size (hardening).
#[rustler::nif(schedule = "DirtyCpu")]
fn catalog_put_overrides<'a>(env: Env<'a>, overrides: Term<'a>) -> Term<'a> {
    let result = match overrides.get_type() {
        TermType::Binary => match as_string(overrides) {
            Some(text) => catalog::put_overrides_json(&text),
            None => Err(CatalogError::InvalidData(
                "overrides are not valid UTF-8".into(),
            )),
        },
        TermType::Atom if is_nil(overrides) => catalog::clear_overrides(),
        _ => match term_to_value(overrides) {
            Ok(v) => catalog::put_overrides(&v),
            Err(e) => Err(CatalogError::InvalidData(format!("overrides: {e}"))),
        },
    };
    match result {
        Ok(c) => ok(env, encode(env, &c.info(), true)),
        Err(e) => catalog_err(env, &e, None),
    }
}

/// `usage`: Bedrock usage map (snake_case or camelCase keys). When it carries
/// `generated_text` / `request_text` (an interrupted stream), missing token counts are
/// estimated from them and the cost is flagged as estimated.
// Dirty: the term is the caller's, of any size (hardening).
#[rustler::nif(schedule = "DirtyCpu")]
fn cost_calculate<'a>(env: Env<'a>, model_id: Term<'a>, usage: Term<'a>) -> Term<'a> {
    let id = match model_id_arg(model_id) {
        Ok(id) => id,
        Err(msg) => return err(env, "invalid_request", &msg, None),
    };
    let usage = match term_to_value(usage) {
        Ok(v) => normalize_keys(v),
        Err(e) => return err(env, "invalid_request", &format!("usage: {e}"), Some(&id)),
    };
    let (usage, estimated) = match decode_usage(&usage) {
        Ok(u) => u,
        Err(e) => return err(env, "invalid_request", &format!("usage: {e}"), Some(&id)),
    };
    let c = catalog::catalog();
    let result = if estimated {
        c.cost_estimated(&id, &usage)
    } else {
        c.cost(&id, &usage)
    };
    match result {
        Ok(cost) => ok(env, encode_cost(env, &cost)),
        Err(e) => catalog_err(env, &e, Some(&id)),
    }
}

/// `requirements`: map of booleans or a list of capability atoms (`[:tools, :vision]`).
/// `options`: `preferred_region`, `country`, `cost_sensitive` (or `cost_optimize`),
/// `prefer_global_profile`, `max_tokens`, `excluded` (list of `{model_id, region}`).
// Dirty: the term is the caller's, of any size (hardening).
#[rustler::nif(schedule = "DirtyCpu")]
fn select_model_and_region<'a>(
    env: Env<'a>,
    complexity: Term<'a>,
    latency_ms: Term<'a>,
    requirements: Term<'a>,
    options: Term<'a>,
) -> Term<'a> {
    let complexity = match number(complexity) {
        Some(c) => c,
        None => return err(env, "invalid_request", "complexity must be a number", None),
    };
    let latency = match number(latency_ms) {
        Some(l) if l >= 0.0 => l as u64,
        _ => {
            return err(
                env,
                "invalid_request",
                "max latency must be a non-negative number",
                None,
            )
        }
    };
    let req = match decode_requirements(requirements) {
        Ok(r) => r,
        Err(e) => return err(env, "invalid_request", &format!("requirements: {e}"), None),
    };
    let opts = match decode_options(options) {
        Ok(o) => o,
        Err(e) => return err(env, "invalid_request", &format!("options: {e}"), None),
    };
    match catalog::select_optimal_model_and_region(complexity, latency, &req, &opts) {
        Ok(s) => ok(env, encode_selection(env, &s)),
        Err(e) => catalog_err(env, &e, None),
    }
}

#[rustler::nif]
fn catalog_region_for_country<'a>(env: Env<'a>, country: Term<'a>) -> Term<'a> {
    let c = catalog::catalog();
    // Country codes are two letters; anything long is not one (and is not copied).
    let short = match country.get_type() {
        TermType::Binary => country
            .decode::<Binary>()
            .is_ok_and(|b| b.len() <= MAX_COUNTRY_LEN),
        TermType::Atom => true,
        _ => false,
    };
    let country = if short {
        as_string(country).unwrap_or_default()
    } else {
        String::new()
    };
    c.regions.region_for_country(&country).encode(env)
}

/// Longest country key accepted (ISO 3166 codes are 2 letters; room for overrides' own keys).
const MAX_COUNTRY_LEN: usize = 64;

#[rustler::nif]
fn catalog_fallback_chain<'a>(env: Env<'a>, model_id: Term<'a>) -> Term<'a> {
    let id = match model_id_arg(model_id) {
        Ok(id) => id,
        Err(msg) => return err(env, "invalid_request", &msg, None),
    };
    match catalog::catalog().fallback_chain(&id) {
        Ok(chain) => ok(env, chain.encode(env)),
        Err(e) => catalog_err(env, &e, Some(&id)),
    }
}

#[rustler::nif]
fn catalog_max_tokens<'a>(env: Env<'a>, model_id: Term<'a>, explicit: Term<'a>) -> Term<'a> {
    let id = match model_id_arg(model_id) {
        Ok(id) => id,
        Err(msg) => return err(env, "invalid_request", &msg, None),
    };
    let explicit = if is_nil(explicit) {
        None
    } else {
        explicit.decode::<u64>().ok()
    };
    match catalog::catalog().max_tokens_for(&id, explicit) {
        Ok(n) => ok(env, n.encode(env)),
        Err(e) => catalog_err(env, &e, Some(&id)),
    }
}

/// `nil` for ids the catalog does not know (no suggestions computed), else
/// `%{state: :active | :legacy | :eol, base_model_id, launched, eol_date, replacement}`, the
/// state as of today (an `eol_date` in the past makes a model EOL).
#[rustler::nif]
fn catalog_lifecycle<'a>(env: Env<'a>, model_id: Term<'a>) -> Term<'a> {
    let Ok(id) = model_id_arg(model_id) else {
        return atoms::nil().encode(env);
    };
    let Ok(r) = catalog::catalog().resolve_shared(&id) else {
        return atoms::nil().encode(env);
    };
    let l = &r.spec.lifecycle;
    let state = r.spec.lifecycle_state(&catalog::today_utc());
    map_of(
        env,
        vec![
            ("state", atom(env, state.as_str())),
            ("base_model_id", r.base_model_id.as_str().encode(env)),
            ("launched", opt_str(env, l.launched.as_deref())),
            ("eol_date", opt_str(env, l.eol_date.as_deref())),
            ("replacement", opt_str(env, l.replacement.as_deref())),
        ],
    )
}

/// What `stream/2` needs of the catalog on the first sentence's path, without the model's
/// whole spec (`catalog_resolve/1` builds it as a map of maps, ~20 µs):
/// `{apis, alias, legacy}` with `alias` `{alias_name, model_id}` for a deprecated alias (else
/// `nil`) and `legacy` `{base_model_id, eol_date, replacement}` for a Legacy model (else
/// `nil`); `nil` for an id the catalog does not know or that is no model id.
#[rustler::nif]
fn catalog_call_info<'a>(env: Env<'a>, model_id: Term<'a>) -> Term<'a> {
    let nil = || atoms::nil().encode(env);
    let Ok(id) = model_id_arg(model_id) else {
        return nil();
    };
    let Ok(r) = catalog::catalog().resolve_shared(&id) else {
        return nil();
    };
    let alias = match (&r.alias_of, r.deprecated_alias) {
        (Some(alias), true) => (alias.as_str(), r.model_id.as_str()).encode(env),
        _ => nil(),
    };
    let l = &r.spec.lifecycle;
    let legacy = match r.spec.lifecycle_state(&catalog::today_utc()) {
        catalog::LifecycleState::Legacy => (
            r.base_model_id.as_str(),
            opt_str(env, l.eol_date.as_deref()),
            opt_str(env, l.replacement.as_deref()),
        )
            .encode(env),
        _ => nil(),
    };
    (encode_apis(env, &r.spec), alias, legacy).encode(env)
}

// Cost grows with the text (1 ms at 64-256 KB): a dirty CPU scheduler.
#[rustler::nif(schedule = "DirtyCpu")]
fn catalog_estimate_tokens<'a>(env: Env<'a>, text: Term<'a>) -> Term<'a> {
    estimate_tokens(&as_string(text).unwrap_or_default()).encode(env)
}

// ---------------------------------------------------------------------------------------
// Decoding

fn decode_usage(v: &Value) -> Result<(Usage, bool), String> {
    let o = v.as_object().ok_or("expected a map")?;
    let count = |k: &str| -> Result<Option<u64>, String> {
        match o.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(x) => x
                .as_u64()
                .map(Some)
                .ok_or_else(|| format!("{k} must be a non-negative integer")),
        }
    };
    let ttl = match usage_text(o, "cache_write_ttl")? {
        None | Some("5m" | "five_minutes" | "300" | "ephemeral") => CacheTtl::FiveMinutes,
        Some("1h" | "one_hour" | "3600") => CacheTtl::OneHour,
        Some(other) => return Err(format!("cache_write_ttl {other:?} is not 5m or 1h")),
    };
    let request_text = usage_text(o, "request_text")?;
    let generated_text = usage_text(o, "generated_text")?;
    let interrupted = request_text.is_some() || generated_text.is_some();
    let input = match count("input_tokens")? {
        Some(n) => n,
        None => request_text.map(estimate_tokens).unwrap_or(0),
    };
    let output = match count("output_tokens")? {
        Some(n) => n,
        None => generated_text.map(estimate_tokens).unwrap_or(0),
    };
    // Bedrock's per-TTL split of the written tokens wins over `cache_write_ttl` (it is what
    // Bedrock billed); its sum must equal `cache_write_input_tokens` when both are given.
    let reported_write = count("cache_write_input_tokens")?;
    let (cache_write, cache_write_1h, ttl) = match o.get("cache_details") {
        None | Some(Value::Null) => (reported_write.unwrap_or(0), 0, ttl),
        Some(d) => {
            let (total, one_hour) = cache_write_split(&parse_cache_details(d)?, reported_write)?;
            (total, one_hour, CacheTtl::FiveMinutes)
        }
    };
    let usage = Usage {
        input_tokens: input,
        output_tokens: output,
        cache_read_input_tokens: count("cache_read_input_tokens")?.unwrap_or(0),
        cache_write_input_tokens: cache_write,
        cache_write_1h_input_tokens: cache_write_1h,
        cache_write_ttl: ttl,
        thinking_tokens: count("thinking_tokens")?.unwrap_or(0),
        thinking_billed_separately: usage_flag(o, "thinking_billed_separately")?,
    };
    // Billed output is their sum then: refused past 64 bits rather than saturated (billed
    // as fewer tokens than reported), as an overflowing cache_details sum is.
    if usage.thinking_billed_separately
        && usage
            .output_tokens
            .checked_add(usage.thinking_tokens)
            .is_none()
    {
        return Err("output_tokens + thinking_tokens overflow".into());
    }
    let estimated = interrupted || usage_flag(o, "estimated")?;
    Ok((usage, estimated))
}

// A usage member of the wrong type is an error, not absent: a mistyped `estimated: "yes"` or
// `request_text: 5` would otherwise be priced as if it had not been given.
fn usage_text<'v>(
    o: &'v serde_json::Map<String, Value>,
    k: &str,
) -> Result<Option<&'v str>, String> {
    match o.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("{k} must be a string")),
    }
}

fn usage_flag(o: &serde_json::Map<String, Value>, k: &str) -> Result<bool, String> {
    match o.get(k) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(format!("{k} must be true or false")),
    }
}

fn decode_requirements(term: Term) -> Result<Requirements, String> {
    if is_nil(term) {
        return Ok(Requirements::default());
    }
    let v = normalize_keys(term_to_value(term)?);
    let mut req = Requirements::default();
    let mut set = |name: &str, on: bool| -> Result<(), String> {
        match name {
            "tools" => req.tools = on,
            "streaming_tools" => req.streaming_tools = on,
            "vision" => req.vision = on,
            "documents" => req.documents = on,
            "thinking" | "extended_thinking" => req.thinking = on,
            "prompt_caching" => req.prompt_caching = on,
            other => return Err(format!("unknown capability {other:?}")),
        }
        Ok(())
    };
    match &v {
        Value::Array(items) => {
            for i in items {
                set(
                    i.as_str().ok_or("capabilities must be atoms or strings")?,
                    true,
                )?;
            }
        }
        Value::Object(o) => {
            for (k, x) in o {
                if k == "min_context_tokens" {
                    continue;
                }
                set(
                    k,
                    x.as_bool()
                        .ok_or_else(|| format!("{k} must be a boolean"))?,
                )?;
            }
            req.min_context_tokens = o
                .get("min_context_tokens")
                .and_then(Value::as_u64)
                .unwrap_or(0);
        }
        _ => return Err("expected a map or a list of capabilities".into()),
    }
    Ok(req)
}

fn decode_options(term: Term) -> Result<RoutingOptions, String> {
    let mut opts = RoutingOptions::default();
    if is_nil(term) {
        return Ok(opts);
    }
    let rest = match normalize_keys(term_to_value(term)?) {
        Value::Object(o) => o,
        Value::Array(a) if a.is_empty() => Map::new(),
        _ => return Err("expected a map or a keyword list".into()),
    };
    // `{model_id, region}` pairs; tuples and two-element lists both arrive as arrays.
    let mut excluded = HashSet::new();
    for key in ["excluded", "open_circuits"] {
        let pairs: Vec<(Option<&str>, Option<&str>)> = match rest.get(key) {
            None | Some(Value::Null) => continue,
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| match item.as_array().map(Vec::as_slice) {
                    Some([m, r]) => Ok((m.as_str(), r.as_str())),
                    _ => Err(format!("{key} entries must be {{model_id, region}}")),
                })
                .collect::<Result<_, _>>()?,
            // A list of `{:atom, "region"}` pairs reads as a keyword list.
            Some(Value::Object(o)) => o
                .iter()
                .map(|(m, r)| (Some(m.as_str()), r.as_str()))
                .collect(),
            Some(_) => return Err(format!("{key} must be a list")),
        };
        for (m, r) in pairs {
            let (Some(m), Some(r)) = (m, r) else {
                return Err(format!(
                    "{key} entries must be {{model_id, region}} strings"
                ));
            };
            excluded.insert((m.to_string(), r.to_string()));
        }
    }
    let s = |k: &str| rest.get(k).and_then(Value::as_str).map(str::to_string);
    let b = |k: &str| rest.get(k).and_then(Value::as_bool);
    opts.preferred_region = s("preferred_region").or_else(|| s("region"));
    opts.country = s("country").or_else(|| s("cloudflare_country"));
    opts.cost_sensitive = b("cost_sensitive")
        .or_else(|| b("cost_optimize"))
        .unwrap_or(false);
    opts.prefer_global_profile = b("prefer_global_profile").unwrap_or(false);
    opts.max_tokens = rest.get("max_tokens").and_then(Value::as_u64);
    opts.excluded = excluded;
    Ok(opts)
}

fn number(term: Term) -> Option<f64> {
    term.decode::<f64>()
        .ok()
        .or_else(|| term.decode::<i64>().ok().map(|i| i as f64))
}

fn is_nil(term: Term) -> bool {
    term.get_type() == TermType::Atom && term.atom_to_string().is_ok_and(|a| a == "nil")
}

fn as_string(term: Term) -> Option<String> {
    match term.get_type() {
        TermType::Binary => {
            let bin: Binary = term.decode().ok()?;
            std::str::from_utf8(bin.as_slice()).ok().map(str::to_string)
        }
        TermType::Atom if !is_nil(term) => term.atom_to_string().ok(),
        _ => None,
    }
}

/// `maxTokens` -> `max_tokens`; snake_case stays as is.
fn snake(k: &str) -> String {
    let mut out = String::with_capacity(k.len() + 4);
    for c in k.chars() {
        if c.is_ascii_uppercase() {
            if !out.is_empty() {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Snake-cases the keys of a top-level object (usage, requirements).
fn normalize_keys(v: Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (snake(&k), v)).collect()),
        other => other,
    }
}

/// Caller terms (usage, requirements, options, overrides) through the one iterative
/// converter: bounded depth and size, no recursion, tuples as arrays and keyword lists as
/// objects.
fn term_to_value(term: Term) -> Result<Value, String> {
    crate::term_value::options_to_value(term)
}

// ---------------------------------------------------------------------------------------
// Encoding

fn atom<'a>(env: Env<'a>, name: &str) -> Term<'a> {
    Atom::from_str(env, name)
        .map(|a| a.encode(env))
        .unwrap_or_else(|_| atoms::nil().encode(env))
}

/// JSON to term; object keys become atoms when `atom_keys` (only for our fixed field names),
/// binaries otherwise (data such as country codes or model ids never become atoms).
fn encode<'a>(env: Env<'a>, v: &Value, atom_keys: bool) -> Term<'a> {
    match v {
        Value::Null => atoms::nil().encode(env),
        Value::Bool(b) => b.encode(env),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                u.encode(env)
            } else if let Some(i) = n.as_i64() {
                i.encode(env)
            } else {
                n.as_f64().unwrap_or(0.0).encode(env)
            }
        }
        Value::String(s) => s.as_str().encode(env),
        Value::Array(items) => items
            .iter()
            .map(|x| encode(env, x, atom_keys))
            .collect::<Vec<_>>()
            .encode(env),
        Value::Object(o) => {
            let keys: Vec<Term> = o
                .keys()
                .map(|k| {
                    if atom_keys {
                        atom(env, k)
                    } else {
                        k.as_str().encode(env)
                    }
                })
                .collect();
            let values: Vec<Term> = o.values().map(|x| encode(env, x, atom_keys)).collect();
            Term::map_from_term_arrays(env, &keys, &values)
                .unwrap_or_else(|_| rustler::types::map::map_new(env))
        }
    }
}

fn map_of<'a>(env: Env<'a>, pairs: Vec<(&str, Term<'a>)>) -> Term<'a> {
    let keys: Vec<Term> = pairs.iter().map(|(k, _)| atom(env, k)).collect();
    let values: Vec<Term> = pairs.iter().map(|(_, v)| *v).collect();
    Term::map_from_term_arrays(env, &keys, &values)
        .unwrap_or_else(|_| rustler::types::map::map_new(env))
}

fn opt_str<'a>(env: Env<'a>, s: Option<&str>) -> Term<'a> {
    match s {
        Some(s) => s.encode(env),
        None => atoms::nil().encode(env),
    }
}

fn encode_resolved<'a>(env: Env<'a>, r: &ResolvedModel) -> Term<'a> {
    map_of(
        env,
        vec![
            ("input", r.input.as_str().encode(env)),
            ("model_id", r.model_id.as_str().encode(env)),
            ("base_model_id", r.base_model_id.as_str().encode(env)),
            ("profile", opt_str(env, r.profile.as_deref())),
            ("region", opt_str(env, r.region.as_deref())),
            ("alias_of", opt_str(env, r.alias_of.as_deref())),
            ("deprecated_alias", r.deprecated_alias.encode(env)),
            ("price_percent", r.price_percent.encode(env)),
            ("needs_profile", r.needs_profile.encode(env)),
            ("family", atom(env, r.spec.family.as_str())),
            (
                "lifecycle_state",
                atom(env, r.spec.lifecycle_state(&catalog::today_utc()).as_str()),
            ),
            ("apis", encode_apis(env, &r.spec)),
            ("mantle_id", opt_str(env, r.spec.mantle_id.as_deref())),
            ("spec", encode_spec(env, &r.spec)),
        ],
    )
}

/// A model's JSON view with `apis` as atoms (`[:converse, :invoke, :messages]`).
pub(crate) fn encode_spec<'a>(env: Env<'a>, spec: &ModelSpec) -> Term<'a> {
    let term = encode(env, &spec.to_json(), true);
    term.map_put(atom(env, "apis"), encode_apis(env, spec))
        .unwrap_or(term)
}

fn encode_apis<'a>(env: Env<'a>, spec: &ModelSpec) -> Term<'a> {
    spec.apis
        .iter()
        .map(|a| atom(env, a.as_str()))
        .collect::<Vec<_>>()
        .encode(env)
}

fn encode_cost<'a>(env: Env<'a>, c: &Cost) -> Term<'a> {
    map_of(
        env,
        vec![
            ("model_id", c.model_id.as_str().encode(env)),
            ("base_model_id", c.base_model_id.as_str().encode(env)),
            ("profile", opt_str(env, c.profile.as_deref())),
            ("nanodollars", c.nanodollars.encode(env)),
            ("femtodollars", c.femtodollars.encode(env)),
            ("input", c.input.encode(env)),
            ("output", c.output.encode(env)),
            ("thinking", c.thinking.encode(env)),
            ("cache_read", c.cache_read.encode(env)),
            ("cache_write", c.cache_write.encode(env)),
            ("billed_output_tokens", c.billed_output_tokens.encode(env)),
            ("price_percent", c.price_percent.encode(env)),
            ("estimated", c.estimated.encode(env)),
            ("display", c.display().encode(env)),
            ("display_precise", c.display_precise().encode(env)),
        ],
    )
}

fn encode_selection<'a>(env: Env<'a>, s: &Selection) -> Term<'a> {
    map_of(
        env,
        vec![
            ("model_id", s.model_id.as_str().encode(env)),
            ("base_model_id", s.base_model_id.as_str().encode(env)),
            ("region", s.region.as_str().encode(env)),
            ("profile", opt_str(env, s.profile.as_deref())),
            ("rule", s.rule.as_str().encode(env)),
            ("max_tokens", s.max_tokens.encode(env)),
            ("fallbacks", s.fallbacks.encode(env)),
            ("degraded", s.degraded.encode(env)),
            ("price_percent", s.price_percent.encode(env)),
        ],
    )
}

fn encode_regions<'a>(env: Env<'a>, c: &Catalog) -> Term<'a> {
    let r = &c.regions;
    map_of(
        env,
        vec![
            ("default_region", r.default_region.as_str().encode(env)),
            ("fallback_region", r.fallback_region.as_str().encode(env)),
            (
                "countries",
                encode(env, &serde_json::json!(r.countries), false),
            ),
            ("nearest", encode(env, &serde_json::json!(r.nearest), false)),
        ],
    )
}

fn ok<'a>(env: Env<'a>, v: Term<'a>) -> Term<'a> {
    make_tuple(env, &[atoms::ok().encode(env), v])
}

/// `{:error, {:aybiza_error, reason, fields}}`, the shape `Aybiza.Error.from_native/1` reads.
fn err<'a>(env: Env<'a>, reason: &str, message: &str, model_id: Option<&str>) -> Term<'a> {
    let fields = map_of(
        env,
        vec![
            ("message", message.encode(env)),
            ("model_id", opt_str(env, model_id)),
        ],
    );
    let e = make_tuple(
        env,
        &[atoms::aybiza_error().encode(env), atom(env, reason), fields],
    );
    make_tuple(env, &[atoms::error().encode(env), e])
}

fn catalog_err<'a>(env: Env<'a>, e: &CatalogError, model_id: Option<&str>) -> Term<'a> {
    let base = err(env, e.reason(), &e.to_string(), model_id);
    // Add the suggestions as data too, for UIs that list them.
    if let CatalogError::UnknownModel { suggestions, .. } = e {
        if let Ok(parts) = get_tuple(base) {
            if let Ok(inner) = get_tuple(parts[1]) {
                if let Ok(fields) =
                    inner[2].map_put(atom(env, "suggestions"), suggestions.encode(env))
                {
                    let e = make_tuple(env, &[inner[0], inner[1], fields]);
                    return make_tuple(env, &[atoms::error().encode(env), e]);
                }
            }
        }
    }
    base
}
