//! Generic conversion between Elixir terms and `serde_json::Value`, so the logic crates can
//! decode loosely-typed input (maps with atom or string keys) without knowing rustler.

use aybiza_core::request::BINARY_MARKER;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use rustler::types::map::MapIterator;
use rustler::{Binary, Encoder, Env, OwnedBinary, Term, TermType};
use serde_json::{Map, Number, Value};

/// Converts an Elixir term into a JSON value. Maps become objects (atom or string keys),
/// lists become arrays, binaries become strings, atoms become strings except `true`, `false`
/// and `nil`. Binaries that are not UTF-8 (images, documents) travel
/// as `{"$binary": base64}` markers that the request decoder turns back into bytes.
pub fn term_to_value(term: Term) -> Result<Value, String> {
    match term.get_type() {
        TermType::Atom => {
            let name = term.atom_to_string().map_err(|_| "bad atom".to_string())?;
            Ok(match name.as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                "nil" => Value::Null,
                _ => Value::String(name),
            })
        }
        TermType::Binary => {
            let bin: Binary = term.decode().map_err(|_| "bad binary".to_string())?;
            // Raw bytes (images, documents) travel as the core's `{"$binary": base64}` marker.
            Ok(match std::str::from_utf8(bin.as_slice()) {
                Ok(s) => Value::String(s.to_owned()),
                Err(_) => {
                    let mut marker = Map::new();
                    marker.insert(
                        BINARY_MARKER.to_string(),
                        Value::String(BASE64.encode(bin.as_slice())),
                    );
                    Value::Object(marker)
                }
            })
        }
        TermType::Integer => {
            if let Ok(i) = term.decode::<i64>() {
                Ok(Value::Number(i.into()))
            } else if let Ok(u) = term.decode::<u64>() {
                Ok(Value::Number(u.into()))
            } else {
                Err("integer out of range".to_string())
            }
        }
        TermType::Float => {
            let f: f64 = term.decode().map_err(|_| "bad float".to_string())?;
            Number::from_f64(f)
                .map(Value::Number)
                .ok_or_else(|| "float is not finite".to_string())
        }
        TermType::List => {
            let items: Vec<Term> = term.decode().map_err(|_| "improper list".to_string())?;
            items
                .into_iter()
                .enumerate()
                .map(|(i, t)| term_to_value(t).map_err(|e| format!("[{i}]: {e}")))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        }
        TermType::Map => {
            let mut map = Map::new();
            let iter = MapIterator::new(term).ok_or_else(|| "bad map".to_string())?;
            for (key, value) in iter {
                let key = map_key(key)?;
                let value = term_to_value(value).map_err(|e| format!(".{key}: {e}"))?;
                map.insert(key, value);
            }
            Ok(Value::Object(map))
        }
        other => Err(format!("unsupported term type {other:?}")),
    }
}

fn map_key(key: Term) -> Result<String, String> {
    match key.get_type() {
        TermType::Atom => key.atom_to_string().map_err(|_| "bad atom key".to_string()),
        TermType::Binary => key
            .decode::<String>()
            .map_err(|_| "map key is not valid UTF-8".to_string()),
        other => Err(format!("map keys must be atoms or strings, got {other:?}")),
    }
}

/// Converts a JSON value into an Elixir term. Objects become maps with string keys (no atoms
/// are created from data), `null` becomes `nil`.
pub fn value_to_term<'a>(env: Env<'a>, value: &Value) -> Term<'a> {
    match value {
        Value::Null => rustler::types::atom::nil().encode(env),
        Value::Bool(b) => b.encode(env),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.encode(env)
            } else if let Some(u) = n.as_u64() {
                u.encode(env)
            } else {
                n.as_f64().unwrap_or(0.0).encode(env)
            }
        }
        Value::String(s) => binary_term(env, s.as_bytes()),
        Value::Array(items) => items
            .iter()
            .map(|v| value_to_term(env, v))
            .collect::<Vec<_>>()
            .encode(env),
        Value::Object(map) => {
            let keys: Vec<Term> = map.keys().map(|k| binary_term(env, k.as_bytes())).collect();
            let values: Vec<Term> = map.values().map(|v| value_to_term(env, v)).collect();
            Term::map_from_term_arrays(env, &keys, &values)
                .unwrap_or_else(|_| rustler::types::map::map_new(env))
        }
    }
}

/// Encodes bytes as an Elixir binary.
pub fn binary_term<'a>(env: Env<'a>, bytes: &[u8]) -> Term<'a> {
    let mut owned = OwnedBinary::new(bytes.len());
    owned.as_mut_slice().copy_from_slice(bytes);
    owned.release(env).encode(env)
}
