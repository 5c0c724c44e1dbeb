//! Unauthenticated control endpoints under `/_emulator/` for out-of-process users (the
//! binary): read counters, replace faults / pacing / rules, reset counters.

use http::Response;
use serde_json::Value;

use super::body::ResBody;
use crate::config::{faults_from_value, pacing_from_value, strip_nulls, Rule};
use crate::error::AwsError;
use crate::state::{lock, State};

fn ok(body: String, rid: &str) -> Response<ResBody> {
    use http_body_util::BodyExt;
    Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .header("x-amzn-requestid", rid)
        .body(
            http_body_util::Full::new(bytes::Bytes::from(body))
                .map_err(|never| match never {})
                .boxed(),
        )
        .unwrap_or_else(|_| {
            Response::new(
                http_body_util::Empty::new()
                    .map_err(|never| match never {})
                    .boxed(),
            )
        })
}

fn err(e: AwsError, rid: &str) -> Response<ResBody> {
    let mut r = ok(e.body(), rid);
    *r.status_mut() = http::StatusCode::from_u16(e.status).unwrap_or(http::StatusCode::BAD_REQUEST);
    if let Ok(v) = http::HeaderValue::from_str(&e.error_type) {
        r.headers_mut().insert("x-amzn-errortype", v);
    }
    r
}

/// A JSON object/array, or a bare spec string (faults, pacing).
fn body_value(body: &[u8]) -> Result<Value, AwsError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice::<Value>(body)
        .or_else(|_| {
            Ok(Value::String(
                String::from_utf8_lossy(body).trim().to_string(),
            ))
        })
        .map(strip_nulls)
}

pub(crate) fn handle(
    state: &State,
    method: &str,
    path: &str,
    body: &[u8],
    rid: &str,
) -> Response<ResBody> {
    let value = match body_value(body) {
        Ok(v) => v,
        Err(e) => return err(e, rid),
    };
    let bad = |m: String| err(AwsError::validation(m), rid);
    match (method, path.trim_end_matches('/')) {
        ("GET", "counters") => ok(state.counters.snapshot().to_json().to_string(), rid),
        ("POST", "reset") => {
            state.counters.reset();
            lock(&state.rate).clear();
            ok("{}".into(), rid)
        }
        ("POST" | "PUT", "faults") => match faults_from_value(value) {
            Ok(f) => {
                *lock(&state.faults) = f;
                ok("{}".into(), rid)
            }
            Err(m) => bad(m),
        },
        ("POST" | "PUT", "pacing") => match pacing_from_value(value) {
            Ok(p) => {
                *lock(&state.pacing) = p;
                ok("{}".into(), rid)
            }
            Err(m) => bad(m),
        },
        ("POST" | "PUT", "rules") => match serde_json::from_value::<Vec<Rule>>(if value.is_null() {
            Value::Array(vec![])
        } else {
            value
        }) {
            Ok(r) => {
                *lock(&state.rules) = r;
                ok("{}".into(), rid)
            }
            Err(e) => bad(format!("invalid rules: {e}")),
        },
        _ => err(
            AwsError::new(
                404,
                "UnknownOperationException",
                "Unknown emulator control endpoint.",
            ),
            rid,
        ),
    }
}
