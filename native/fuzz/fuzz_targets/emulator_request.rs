//! Fuzz target for the emulator's request-side parsers, all reached by untrusted input
//! (HTTP requests, control endpoints, rule files):
//!
//! * `sigv4::verify` on a request whose method, path, query, `Authorization`, `x-amz-date`,
//!   `x-amz-content-sha256` and body come from the fuzz bytes: returns Ok or an AWS error,
//!   never panics; and the date parser's normalized form round-trips.
//! * the request parsers and the validator (`parse_converse` / `parse_anthropic` with
//!   `validation::validate`, through `bedrock_emulator::fuzzing::parse_request`) on raw bodies
//!   and on fuzzed JSON placed into a valid request skeleton: a 400 error or Ok, no panic.
//! * fault and pacing specs (`parse_faults`, `parse_pacing`) and their JSON forms, rules
//!   JSON, and model id resolution.
//!
//! Input layout: byte 0 picks the parser; the rest is split on 0xFF into fields.
#![no_main]

use bedrock_emulator::fuzzing::parse_request;
use bedrock_emulator::sigv4::{self, Auth, SignedRequest};
use bedrock_emulator::{
    faults_from_json, models, pacing_from_json, parse_faults, parse_pacing, rules_from_json,
    DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY,
};
use http::{HeaderMap, HeaderName, HeaderValue};
use libfuzzer_sys::fuzz_target;
use std::time::{Duration, UNIX_EPOCH};

/// Fixed "now" (2025-01-01) so a run is reproducible.
const NOW_SECS: u64 = 1_735_689_600;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn verify(fields: &[&[u8]], bearer: bool) {
    let field = |i: usize| fields.get(i).copied().unwrap_or(b"");
    let mut headers = HeaderMap::new();
    let mut put = |name: &'static str, value: &[u8]| {
        if let Ok(v) = HeaderValue::from_bytes(value) {
            headers.insert(HeaderName::from_static(name), v);
        }
    };
    // Mostly well-formed SigV4 shapes with fuzzed parts, so the parser gets past the prefix.
    let auth = if bearer {
        [b"Bearer ".as_slice(), field(3)].concat()
    } else {
        [
            b"AWS4-HMAC-SHA256 Credential=".as_slice(),
            field(3),
            b", SignedHeaders=",
            field(4),
            b", Signature=",
            field(5),
        ]
        .concat()
    };
    put("authorization", &auth);
    put("x-amz-date", field(6));
    put("host", b"127.0.0.1:8080");
    if !field(7).is_empty() {
        put("x-amz-content-sha256", field(7));
    }
    let method = text(field(0));
    let path = text(field(1));
    let query = text(field(2));
    let body = field(8);
    let req = SignedRequest {
        method: &method,
        raw_path: &path,
        raw_query: &query,
        headers: &headers,
        body,
    };
    let auth = Auth {
        access_key_id: DEFAULT_ACCESS_KEY_ID.to_string(),
        secret_access_key: DEFAULT_SECRET_ACCESS_KEY.to_string(),
        api_key: Some("bench-key".to_string()),
        temporary: None,
    };
    let now = UNIX_EPOCH + Duration::from_secs(NOW_SECS);
    if let Err(e) = sigv4::verify(&req, &auth, now) {
        assert!(e.status >= 400);
    }

    let date = text(field(6));
    if let Some(secs) = sigv4::parse_amz_date(&date) {
        let again = sigv4::format_amz_date(secs);
        assert_eq!(
            sigv4::parse_amz_date(&again),
            Some(secs),
            "{date} -> {again}"
        );
    }
}

/// Runs both parsers on `body`; every rejection is a 4xx AWS error.
fn parse(body: &[u8]) {
    for invoke in [false, true] {
        if let Err(e) = parse_request(body, invoke) {
            assert!((400..500).contains(&e.status), "{} {}", e.status, e.message);
        }
    }
}

/// Puts fuzzed JSON into the places of a valid Converse / Anthropic body.
fn skeletons(v: &serde_json::Value) -> Vec<serde_json::Value> {
    use serde_json::json;
    vec![
        json!({"messages": [{"role": "user", "content": [v]}]}),
        json!({"messages": [{"role": "user", "content": [{"text": "hi"}]}], "inferenceConfig": v}),
        json!({"messages": [{"role": "user", "content": [{"text": "hi"}]}], "toolConfig": v}),
        json!({"messages": [{"role": "user", "content": [{"text": "hi"}]}], "system": v,
               "additionalModelRequestFields": v}),
        json!({"messages": [{"role": "user", "content": [{"text": "hi"}]},
                            {"role": "assistant", "content": [v]},
                            {"role": "user", "content": [v]}],
               "toolConfig": {"tools": [{"toolSpec": {"name": "t", "inputSchema": {"json": v}}}]}}),
        json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 100,
               "messages": [{"role": "user", "content": [v]}], "thinking": v, "tools": v}),
        v.clone(),
    ]
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let fields: Vec<&[u8]> = rest.split(|&b| b == 0xFF).collect();
    match mode % 8 {
        0 => verify(&fields, false),
        1 => verify(&fields, true),
        2 => {
            let s = text(rest);
            let _ = parse_faults(&s);
            let _ = parse_pacing(&s);
        }
        3 => {
            if let Ok(v) = serde_json::from_slice::<serde_json::Value>(rest) {
                let _ = faults_from_json(v.clone());
                let _ = pacing_from_json(v.clone());
                let _ = rules_from_json(v);
            }
        }
        4 => {
            let extra = [text(fields.get(1).copied().unwrap_or(b""))];
            let _ = models::resolve(&text(fields[0]), &extra);
        }
        6 => parse(rest),
        7 => {
            if let Ok(v) = serde_json::from_slice::<serde_json::Value>(rest) {
                for body in skeletons(&v) {
                    parse(body.to_string().as_bytes());
                }
            }
        }
        _ => {
            // Rule JSON wrapped in an array with fuzzed spec strings in its fields.
            let s = text(rest);
            let v = serde_json::json!([{"prompt_contains": s, "faults": s, "pacing": s}]);
            let _ = rules_from_json(v);
        }
    }
});
