//! Fuzz target for request decoding (`aybiza_core::request::decode_converse` /
//! `decode_invoke`): whatever JSON an Elixir map turns into, decoding returns Ok or an
//! `invalid_request` error naming a field; it never panics.
//!
//! Input layout: byte 0 picks raw JSON (`serde_json::from_slice` of the rest) or a value
//! grown from the bytes by `Gen`, whose keys and strings come from the request vocabulary
//! (both key spellings, model ids, roles, formats, `$binary` markers) so most inputs reach
//! deep fields instead of failing at the first key.
#![no_main]

use aybiza_core::request::{decode_converse, decode_invoke, estimate_input_tokens};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Number, Value};

const KEYS: &[&str] = &[
    "modelId",
    "model_id",
    "messages",
    "role",
    "content",
    "text",
    "system",
    "inferenceConfig",
    "inference_config",
    "maxTokens",
    "max_tokens",
    "temperature",
    "topP",
    "top_p",
    "stopSequences",
    "toolConfig",
    "tool_config",
    "tools",
    "toolSpec",
    "tool_spec",
    "name",
    "description",
    "inputSchema",
    "input_schema",
    "json",
    "toolChoice",
    "tool_choice",
    "auto",
    "any",
    "tool",
    "toolUse",
    "tool_use",
    "toolUseId",
    "tool_use_id",
    "input",
    "toolResult",
    "tool_result",
    "status",
    "image",
    "document",
    "video",
    "format",
    "bytes",
    "source",
    "s3Location",
    "uri",
    "reasoningContent",
    "reasoning_content",
    "reasoningText",
    "signature",
    "redactedContent",
    "cachePoint",
    "cache_point",
    "type",
    "ttl",
    "additionalModelRequestFields",
    "additionalModelResponseFieldPaths",
    "performanceConfig",
    "latency",
    "guardrailConfig",
    "guardrailIdentifier",
    "guardrailVersion",
    "trace",
    "streamProcessingMode",
    "requestMetadata",
    "body",
    "anthropic_version",
    "$binary",
    "guardContent",
    "citationsContent",
    "",
];

const STRINGS: &[&str] = &[
    "anthropic.claude-3-5-haiku-20241022-v1:0",
    "us.anthropic.claude-3-5-haiku-20241022-v1:0",
    "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-haiku",
    "meta.llama3-8b-instruct-v1:0",
    "user",
    "assistant",
    "png",
    "jpeg",
    "gif",
    "webp",
    "pdf",
    "txt",
    "csv",
    "md",
    "success",
    "error",
    "default",
    "5m",
    "1h",
    "optimized",
    "standard",
    "enabled",
    "disabled",
    "async",
    "sync",
    "aGVsbG8=",
    "!!notbase64",
    "{\"a\":1}",
    "[",
    "",
    " ",
    "\u{0}",
    "é",
    "bedrock-2023-05-31",
];

/// Grows a JSON value from bytes; bounded depth and width keep every input fast.
struct Gen<'a> {
    data: &'a [u8],
    at: usize,
}

impl Gen<'_> {
    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        b
    }

    fn raw_string(&mut self) -> String {
        let n = usize::from(self.byte() % 16);
        let end = (self.at + n).min(self.data.len());
        let s = String::from_utf8_lossy(&self.data[self.at.min(end)..end]).into_owned();
        self.at = end;
        s
    }

    fn string(&mut self) -> String {
        self.pick_or_raw(STRINGS, 200)
    }

    fn key(&mut self) -> String {
        self.pick_or_raw(KEYS, 230)
    }

    /// An entry of `table` when the next byte is below `below`, else raw text.
    fn pick_or_raw(&mut self, table: &[&str], below: u8) -> String {
        let b = self.byte();
        if b < below {
            table[usize::from(b) % table.len()].to_string()
        } else {
            self.raw_string()
        }
    }

    fn value(&mut self, depth: u32) -> Value {
        if self.at >= self.data.len() {
            return Value::Null;
        }
        let b = self.byte();
        match b % 8 {
            _ if depth > 6 => Value::String(self.string()),
            0 => Value::Null,
            1 => Value::Bool(b & 8 != 0),
            2 => {
                let n = i64::from(self.byte() as i8) * i64::from(self.byte()).pow(2);
                match b >> 6 {
                    0 => Value::Number(n.into()),
                    1 => Number::from_f64(n as f64 / 7.0).map_or(Value::Null, Value::Number),
                    2 => Value::Number(u64::MAX.into()),
                    _ => Value::Number(i64::MIN.into()),
                }
            }
            3 | 4 => Value::String(self.string()),
            5 => {
                let n = usize::from(self.byte() % 4);
                Value::Array((0..n).map(|_| self.value(depth + 1)).collect())
            }
            _ => {
                let n = usize::from(self.byte() % 6);
                let mut m = Map::new();
                for _ in 0..n {
                    let k = self.key();
                    let v = self.value(depth + 1);
                    m.insert(k, v);
                }
                Value::Object(m)
            }
        }
    }
}

fn check(value: &Value) {
    match decode_converse(value) {
        Ok(req) => {
            let _ = estimate_input_tokens(&req);
            // Decoding is a pure function of the value.
            assert_eq!(decode_converse(value).ok(), Some(req));
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
    let _ = decode_invoke(value);
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        if let Ok(v) = serde_json::from_slice::<Value>(rest) {
            check(&v);
        }
        return;
    }
    let mut g = Gen { data: rest, at: 0 };
    let mut v = g.value(0);
    // Usually wrap in a request skeleton so the fuzzer works on the fields behind modelId.
    if mode & 2 != 0 {
        let mut m = match v {
            Value::Object(m) => m,
            other => Map::from_iter([("messages".to_string(), other)]),
        };
        m.insert(
            "modelId".into(),
            Value::String(STRINGS[usize::from(mode >> 4) % 4].into()),
        );
        v = Value::Object(m);
    }
    check(&v);
});
