//! Fuzz target for the request limits (`aybiza_core::limits`) and the limited decoders
//! (`decode_converse_with` / `decode_invoke_with`): for any value and any limits in their
//! ranges, checking never panics and never recurses (values far deeper than serde_json's 128
//! are built here without a parser), an accepted value is within every limit, and decoding
//! accepts nothing the limit check refuses.
//!
//! Input layout: bytes 0..11 pick each limit inside `Limits::RANGES` (small values are
//! likelier, so limits are hit); the rest is a program for a stack machine that opens lists
//! and maps (keys from the request vocabulary), pushes scalars and closes containers.
#![no_main]

use aybiza_core::limits::{check_value, Limits};
use aybiza_core::request::{decode_converse_with, decode_invoke_with};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Map, Value};

const KEYS: &[&str] = &[
    "model_id",
    "modelId",
    "messages",
    "role",
    "content",
    "text",
    "image",
    "document",
    "format",
    "bytes",
    "name",
    "tool_config",
    "tools",
    "tool_spec",
    "input_schema",
    "json",
    "tool_result",
    "tool_use_id",
    "system",
    "body",
    "additional_model_request_fields",
    "$binary",
];

const STRINGS: &[&str] = &[
    "user",
    "assistant",
    "png",
    "pdf",
    "anthropic.claude-haiku-4-5-20251001-v1:0",
    "AAAA",
    "",
    "hello there",
];

/// Deep enough to overflow any recursive walk, shallow enough for the value's own drop.
const MAX_BUILD_DEPTH: usize = 1_000;

enum Open {
    List(Vec<Value>),
    Map(Map<String, Value>, String),
}

fn limits_from(bytes: &[u8]) -> Limits {
    let mut limits = Limits::default();
    let mut map = Map::new();
    for (range, b) in Limits::RANGES.iter().zip(bytes) {
        // Quadratic spread: most picks are near the minimum.
        let span = (range.max - range.min) as u128;
        let pick = range.min as u128 + span * (*b as u128).pow(2) / (255u128 * 255);
        map.insert(range.name.to_string(), json!(pick as u64));
    }
    if let Ok(l) = Limits::from_value(&Value::Object(map)) {
        limits = l;
    }
    limits
}

fn push(stack: &mut [Open], root: &mut Option<Value>, v: Value) {
    match stack.last_mut() {
        Some(Open::List(items)) => items.push(v),
        Some(Open::Map(m, key)) => {
            m.insert(std::mem::take(key), v);
        }
        None => *root = Some(v),
    }
}

fn build(program: &[u8]) -> Value {
    let mut stack: Vec<Open> = Vec::new();
    let mut root = None;
    let mut bytes = program.iter().copied();
    while let Some(op) = bytes.next() {
        if root.is_some() {
            break;
        }
        let arg = bytes.next().unwrap_or(0) as usize;
        match op % 8 {
            0 | 1 if stack.len() < MAX_BUILD_DEPTH => stack.push(Open::List(Vec::new())),
            2 if stack.len() < MAX_BUILD_DEPTH => {
                stack.push(Open::Map(Map::new(), KEYS[arg % KEYS.len()].to_string()))
            }
            3 => push(
                &mut stack,
                &mut root,
                Value::String(STRINGS[arg % STRINGS.len()].repeat(1 + arg / 16)),
            ),
            4 => push(&mut stack, &mut root, json!(arg as i64 - 128)),
            5 => {
                // The next key of the open map.
                if let Some(Open::Map(_, key)) = stack.last_mut() {
                    *key = KEYS[arg % KEYS.len()].to_string();
                }
            }
            _ => close(&mut stack, &mut root),
        }
    }
    while root.is_none() {
        if stack.is_empty() {
            return Value::Null;
        }
        close(&mut stack, &mut root);
    }
    root.unwrap_or(Value::Null)
}

fn close(stack: &mut Vec<Open>, root: &mut Option<Value>) {
    if let Some(open) = stack.pop() {
        let v = match open {
            Open::List(items) => Value::Array(items),
            Open::Map(m, _) => Value::Object(m),
        };
        push(stack, root, v);
    }
}

/// Depth and item count, measured independently of the code under test.
fn shape(v: &Value) -> (usize, usize) {
    let mut max_depth = 0;
    let mut items = 0;
    let mut stack = vec![(v, 1usize)];
    while let Some((v, d)) = stack.pop() {
        items += 1;
        let is_marker = matches!(v, Value::Object(m) if m.len() == 1 && m.contains_key("$binary"));
        match v {
            Value::Array(a) => {
                max_depth = max_depth.max(d);
                stack.extend(a.iter().map(|c| (c, d + 1)));
            }
            Value::Object(m) if !is_marker => {
                max_depth = max_depth.max(d);
                stack.extend(m.values().map(|c| (c, d + 1)));
            }
            Value::Object(m) => stack.extend(m.values().map(|c| (c, d + 1))),
            _ => {}
        }
    }
    (max_depth, items)
}

fuzz_target!(|data: &[u8]| {
    let (head, program) = data.split_at(data.len().min(Limits::RANGES.len()));
    let limits = limits_from(head);
    let value = build(program);
    let (depth, items) = shape(&value);
    let checked = check_value(&value, &limits, "");
    if let Ok(size) = checked {
        assert!(depth <= limits.max_depth, "depth {depth} accepted");
        assert!(items <= limits.max_items, "{items} items accepted");
        assert!(size <= limits.max_request_bytes);
    }
    // Decoding never accepts what the limit check refuses, and never panics.
    let request = json!({"model_id": "anthropic.claude-haiku-4-5-20251001-v1:0",
                         "messages": [{"role": "user", "content": [{"text": "x"}]}],
                         "additional_model_request_fields": {"x": value.clone()}});
    if let Ok(req) = decode_converse_with(&request, &limits) {
        assert!(check_value(&request, &limits, "").is_ok());
        assert!(req.messages.len() <= limits.max_messages);
    }
    if let Ok(req) = decode_converse_with(&value, &limits) {
        assert!(checked.is_ok());
        assert!(req.messages.len() <= limits.max_messages);
    }
    if decode_invoke_with(&value, &limits).is_ok() {
        assert!(checked.is_ok());
    }
    // Values this deep are dropped by their own (recursive) drop: keep MAX_BUILD_DEPTH small.
    drop(request);
});
