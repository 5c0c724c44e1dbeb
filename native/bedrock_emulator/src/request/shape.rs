//! Bedrock's own input validation, the step its server runs before any handler: every member
//! of the operation's input checked against the service model's constraints (required,
//! length, range, enum, pattern) and types. The constraints are data, `data/service_shapes.json`,
//! generated from botocore's copy of the bedrock-runtime model by `data/gen_service_shapes.py`
//! (its `source` names the botocore version).
//!
//! Answers, as AWS's Coral servers give them:
//! - constraint violations, all of them in one `400 ValidationException`: "N validation
//!   error(s) detected: Value 'V' at 'PATH' failed to satisfy constraint: Member must ...",
//!   joined by "; ". PATH names members as the model does, list items as `list.N.member`
//!   (1-based); a missing required member is "Value null at ..."; a value under a
//!   `sensitive` shape is not shown ("Value at 'PATH' ...").
//! - a value of the wrong JSON type, or a union with no, several or an unknown member set:
//!   `400 SerializationException`, before any constraint is looked at (the code Smithy's
//!   restJson1 malformed-request protocol tests require; the texts are the emulator's, after
//!   Coral's JSON codec: "STRING_VALUE can not be converted to an Integer").
//! - unknown members of a structure are ignored (forward compatibility); JSON `null` is an
//!   absent member.

use std::collections::HashMap;
use std::sync::OnceLock;

use base64::Engine;
use regex::Regex;
use serde::Deserialize;
use serde_json::Value;

use crate::error::AwsError;

#[derive(Deserialize)]
struct Model {
    operations: HashMap<String, String>,
    shapes: HashMap<String, Shape>,
}

#[derive(Deserialize)]
struct Shape {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    required: Vec<String>,
    /// `[name, target]` or `[name, target, location, locationName]`.
    #[serde(default)]
    members: Vec<Vec<String>>,
    member: Option<String>,
    key: Option<String>,
    value: Option<String>,
    min: Option<f64>,
    max: Option<f64>,
    pattern: Option<String>,
    #[serde(rename = "enum")]
    values: Option<Vec<String>>,
    #[serde(default)]
    sensitive: bool,
    #[serde(default)]
    union: bool,
    payload: Option<String>,
}

struct Loaded {
    model: Model,
    /// Each pattern compiled once, anchored: Java's `matches()` is a whole-string match.
    patterns: HashMap<String, Regex>,
}

fn loaded() -> &'static Loaded {
    static LOADED: OnceLock<Loaded> = OnceLock::new();
    LOADED.get_or_init(|| {
        let mut model: Model = serde_json::from_str(include_str!("../../data/service_shapes.json"))
            .expect("data/service_shapes.json is valid");
        as_served(&mut model);
        let patterns = model
            .shapes
            .values()
            .filter_map(|s| s.pattern.clone())
            .map(|p| {
                let re = Regex::new(&format!("^(?:{p})$")).expect("service model pattern");
                (p, re)
            })
            .collect();
        Loaded { model, patterns }
    })
}

/// Where Bedrock's server is seen to differ from the published model (measured on Converse,
/// NousResearch/hermes-agent#34476): `serviceTier.type` is not refused by an enum check
/// (`cheapest` answers "service tier provided is invalid", `handlers::check_service_tier`),
/// and `performanceConfig.latency`'s enum is listed `[optimized, standard]`. A `toolUse.type`
/// of `tool_use` is taken: Bedrock's own Converse answers for Claude carry it (recorded in
/// agentjido/req_llm's sequential_tool_cache_1.json) and clients send the assistant message
/// back as they got it (botocore checks no enum), so refusing it would break every tool loop.
fn as_served(model: &mut Model) {
    if let Some(tool_use) = model.shapes.get_mut("ToolUseType") {
        if let Some(values) = tool_use.values.as_mut() {
            values.push("tool_use".into());
        }
    }
    if let Some(tier) = model.shapes.get_mut("ServiceTierType") {
        tier.values = None;
    }
    if let Some(latency) = model.shapes.get_mut("PerformanceConfigLatency") {
        latency.values = Some(vec!["optimized".into(), "standard".into()]);
    }
}

/// The HTTP-bound parts of a request: URI labels and headers by their wire names.
pub struct HttpParts<'a> {
    pub labels: &'a [(&'a str, &'a str)],
    pub header: &'a dyn Fn(&str) -> Option<String>,
}

/// Validates the input of `operation` (a bedrock-runtime operation name) as Bedrock does.
/// `body` is the parsed JSON body (`None` when the operation's body is an opaque payload or
/// did not parse; the caller reports malformed JSON itself).
pub fn check_operation(
    operation: &str,
    http: &HttpParts<'_>,
    body: Option<&Value>,
) -> Result<(), AwsError> {
    let loaded = loaded();
    let Some(input) = loaded.model.operations.get(operation) else {
        return Ok(());
    };
    let shape = &loaded.model.shapes[input];
    let mut walker = Walker {
        loaded,
        errors: Vec::new(),
    };
    for m in &shape.members {
        let (name, target) = (&m[0], &m[1]);
        if shape.payload.as_deref() == Some(name.as_str()) {
            continue;
        }
        let value = match m.get(2).map(String::as_str) {
            Some("uri") => http
                .labels
                .iter()
                .find(|(k, _)| *k == m[3])
                .map(|(_, v)| Value::String(v.to_string())),
            Some("header") => (http.header)(&m[3]).map(Value::String),
            Some(_) => None,
            None => body
                .and_then(|b| b.get(name))
                .filter(|v| !v.is_null())
                .cloned(),
        };
        walker.member(shape, name, target, value.as_ref(), name, false)?;
    }
    walker.finish()
}

struct Walker {
    loaded: &'static Loaded,
    errors: Vec<String>,
}

impl Walker {
    fn shape(&self, name: &str) -> &'static Shape {
        &self.loaded.model.shapes[name]
    }

    fn finish(self) -> Result<(), AwsError> {
        match self.errors.len() {
            0 => Ok(()),
            1 => Err(AwsError::validation(format!(
                "1 validation error detected: {}",
                self.errors[0]
            ))),
            n => Err(AwsError::validation(format!(
                "{n} validation errors detected: {}",
                self.errors.join("; ")
            ))),
        }
    }

    fn violation(&mut self, value: Option<&Value>, path: &str, sensitive: bool, constraint: &str) {
        let shown = match value {
            None => "Value null".to_string(),
            Some(_) if sensitive => "Value".to_string(),
            Some(v) => format!("Value '{}'", render(v)),
        };
        self.errors.push(format!(
            "{shown} at '{path}' failed to satisfy constraint: {constraint}"
        ));
    }

    fn member(
        &mut self,
        parent: &Shape,
        name: &str,
        target: &str,
        value: Option<&Value>,
        path: &str,
        sensitive: bool,
    ) -> Result<(), AwsError> {
        match value {
            None if parent.required.iter().any(|r| r == name) => {
                self.violation(None, path, sensitive, "Member must not be null");
                Ok(())
            }
            None => Ok(()),
            Some(v) => self.value(target, v, path, sensitive),
        }
    }

    fn value(
        &mut self,
        shape_name: &str,
        v: &Value,
        path: &str,
        sensitive: bool,
    ) -> Result<(), AwsError> {
        let shape = self.shape(shape_name);
        let sensitive = sensitive || shape.sensitive;
        match shape.kind.as_str() {
            "structure" => {
                let Some(obj) = v.as_object() else {
                    return Err(wrong_type(v, "a Structure"));
                };
                if shape.union {
                    check_union(shape, shape_name, obj, path)?;
                }
                for m in &shape.members {
                    let child = obj.get(&m[0]).filter(|x| !x.is_null());
                    self.member(
                        shape,
                        &m[0],
                        &m[1],
                        child,
                        &format!("{path}.{}", m[0]),
                        sensitive,
                    )?;
                }
            }
            "list" => {
                let Some(items) = v.as_array() else {
                    return Err(wrong_type(v, "a List"));
                };
                self.length(shape, items.len(), v, path, sensitive);
                let item_shape = shape.member.as_deref().unwrap_or_default();
                for (i, item) in items.iter().enumerate() {
                    if !item.is_null() {
                        self.value(
                            item_shape,
                            item,
                            &format!("{path}.{}.member", i + 1),
                            sensitive,
                        )?;
                    }
                }
            }
            "map" => {
                let Some(obj) = v.as_object() else {
                    return Err(wrong_type(v, "a Map"));
                };
                self.length(shape, obj.len(), v, path, sensitive);
                let key_shape = self.shape(shape.key.as_deref().unwrap_or_default());
                let value_name = shape.value.as_deref().unwrap_or_default();
                let value_shape = self.shape(value_name);
                let mut key_failures = Vec::new();
                let mut value_failures = Vec::new();
                for (k, val) in obj {
                    key_failures.extend(self.string_failures(key_shape, k));
                    match val.as_str() {
                        Some(s) if value_shape.kind == "string" => {
                            value_failures.extend(self.string_failures(value_shape, s))
                        }
                        _ => self.value(value_name, val, &format!("{path}.{k}"), sensitive)?,
                    }
                }
                for (what, mut failures) in [("keys", key_failures), ("value", value_failures)] {
                    failures.dedup();
                    if !failures.is_empty() {
                        self.violation(
                            Some(v),
                            path,
                            sensitive,
                            &format!(
                                "Map {what} must satisfy constraint: [{}]",
                                failures.join(", ")
                            ),
                        );
                    }
                }
            }
            "string" => {
                let Some(s) = v.as_str() else {
                    return Err(wrong_type(v, "a String"));
                };
                for failure in self.string_failures(shape, s) {
                    self.violation(Some(v), path, sensitive, &failure);
                }
            }
            "integer" | "long" => {
                let n = v
                    .as_i64()
                    .map(|n| n as f64)
                    .or_else(|| v.as_u64().map(|n| n as f64));
                let Some(n) = n else {
                    let t = if shape.kind == "long" {
                        "a Long"
                    } else {
                        "an Integer"
                    };
                    return Err(wrong_type(v, t));
                };
                self.range(shape, n, v, path, sensitive);
            }
            "float" | "double" => {
                let Some(x) = v.as_f64() else {
                    let t = if shape.kind == "float" {
                        "a Float"
                    } else {
                        "a Double"
                    };
                    return Err(wrong_type(v, t));
                };
                self.range(shape, x, &java_float(v), path, sensitive);
            }
            "boolean" if !v.is_boolean() => return Err(wrong_type(v, "a Boolean")),
            "blob" => {
                let Some(s) = v.as_str() else {
                    return Err(wrong_type(v, "a Blob"));
                };
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(s)
                    .map_err(|_| {
                        AwsError::new(
                            400,
                            "SerializationException",
                            format!("Base64 encoded value at '{path}' is invalid"),
                        )
                    })?;
                self.length(shape, decoded.len(), v, path, true);
            }
            "timestamp" if !v.is_number() => return Err(wrong_type(v, "a Timestamp")),
            _ => {} // a boolean, a timestamp; a document: any JSON value
        }
        Ok(())
    }

    fn length(&mut self, shape: &Shape, len: usize, v: &Value, path: &str, sensitive: bool) {
        for failure in length_failures(shape, len) {
            self.violation(Some(v), path, sensitive, &failure);
        }
    }

    fn range(&mut self, shape: &Shape, x: f64, v: &Value, path: &str, sensitive: bool) {
        if let Some(min) = shape.min.filter(|min| x < *min) {
            self.violation(
                Some(v),
                path,
                sensitive,
                &format!(
                    "Member must have value greater than or equal to {}",
                    bound(min)
                ),
            );
        }
        if let Some(max) = shape.max.filter(|max| x > *max) {
            self.violation(
                Some(v),
                path,
                sensitive,
                &format!(
                    "Member must have value less than or equal to {}",
                    bound(max)
                ),
            );
        }
    }

    fn string_failures(&self, shape: &Shape, s: &str) -> Vec<String> {
        // Java's String.length(): UTF-16 code units.
        let mut out = length_failures(shape, s.encode_utf16().count());
        if let Some(p) = &shape.pattern {
            if !self.loaded.patterns[p].is_match(s) {
                out.push(format!(
                    "Member must satisfy regular expression pattern: {p}"
                ));
            }
        }
        if let Some(values) = &shape.values {
            if !values.iter().any(|e| e == s) {
                out.push(format!(
                    "Member must satisfy enum value set: [{}]",
                    values.join(", ")
                ));
            }
        }
        out
    }
}

/// A union takes exactly one member, a known one: Smithy's restJson1 servers answer several
/// members, none (`{}` or only nulls) or an unknown one with `400 SerializationException`
/// (smithy's malformed-request protocol tests, `RestJsonMalformedUnion*`).
fn check_union(
    shape: &Shape,
    shape_name: &str,
    obj: &serde_json::Map<String, Value>,
    path: &str,
) -> Result<(), AwsError> {
    let set: Vec<&String> = obj
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, _)| k)
        .collect();
    let problem = match set.as_slice() {
        [] => "has no member set".to_string(),
        [one] if shape.members.iter().any(|m| &m[0] == *one) => return Ok(()),
        [one] => format!("has an unknown member '{one}'"),
        many => format!(
            "has {} members set ({}); exactly one is allowed",
            many.len(),
            many.iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    Err(AwsError::new(
        400,
        "SerializationException",
        format!("The union {shape_name} at '{path}' {problem}."),
    ))
}

fn length_failures(shape: &Shape, len: usize) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(min) = shape.min.filter(|min| (len as f64) < *min) {
        out.push(format!(
            "Member must have length greater than or equal to {}",
            bound(min)
        ));
    }
    if let Some(max) = shape.max.filter(|max| (len as f64) > *max) {
        out.push(format!(
            "Member must have length less than or equal to {}",
            bound(max)
        ));
    }
    out
}

fn bound(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{}", x as i64)
    } else {
        x.to_string()
    }
}

/// A float as Java's `Float.toString` shows it (`1` -> `1.0`).
fn java_float(v: &Value) -> Value {
    match v.as_f64() {
        Some(x) if x.fract() == 0.0 && x.abs() < 1e7 => Value::String(format!("{x:.1}")),
        _ => v.clone(),
    }
}

/// A value as Java's `toString` renders it in Coral's message.
fn render(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(render).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{k}={}", render(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

fn wrong_type(found: &Value, expected: &str) -> AwsError {
    let message = match found {
        Value::Object(_) => "Start of structure or map found where not expected.".to_string(),
        Value::Array(_) => "Start of list found where not expected.".to_string(),
        Value::String(_) => format!("STRING_VALUE can not be converted to {expected}"),
        Value::Number(_) => format!("NUMBER_VALUE can not be converted to {expected}"),
        Value::Bool(true) => format!("TRUE_VALUE can not be converted to {expected}"),
        Value::Bool(false) => format!("FALSE_VALUE can not be converted to {expected}"),
        Value::Null => format!("NULL_VALUE can not be converted to {expected}"),
    };
    AwsError::new(400, "SerializationException", message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn converse(body: Value) -> Result<(), AwsError> {
        let none = |_: &str| None;
        let http = HttpParts {
            labels: &[("modelId", "us.anthropic.claude-haiku-4-5-20251001-v1:0")],
            header: &none,
        };
        check_operation("Converse", &http, Some(&body))
    }

    #[test]
    fn every_pattern_compiles_and_the_model_names_its_source() {
        let l = loaded();
        assert!(l.patterns.len() >= 10);
        assert!(include_str!("../../data/service_shapes.json").contains("botocore 1."));
    }

    #[test]
    fn collects_all_violations_in_coral_form() {
        let err = converse(json!({
            "messages": [{"role": "bot", "content": [{"text": "hi"}]}],
            "inferenceConfig": {"maxTokens": 0, "temperature": 2},
        }))
        .unwrap_err();
        assert_eq!(err.status, 400);
        assert_eq!(err.error_type, "ValidationException");
        assert_eq!(
            err.message,
            "3 validation errors detected: \
             Value 'bot' at 'messages.1.member.role' failed to satisfy constraint: Member must satisfy enum value set: [user, assistant, system]; \
             Value '0' at 'inferenceConfig.maxTokens' failed to satisfy constraint: Member must have value greater than or equal to 1; \
             Value '2.0' at 'inferenceConfig.temperature' failed to satisfy constraint: Member must have value less than or equal to 1"
        );
    }

    #[test]
    fn required_members_and_sensitive_values() {
        let err = converse(json!({"messages": [{"content": [{"reasoningContent": {"reasoningText": {"signature": "s"}}}]}]}))
            .unwrap_err();
        assert_eq!(
            err.message,
            "2 validation errors detected: Value null at 'messages.1.member.role' failed to satisfy constraint: Member must not be null; \
             Value null at 'messages.1.member.content.1.member.reasoningContent.reasoningText.text' failed to satisfy constraint: Member must not be null"
        );
        let err =
            converse(json!({"messages": [], "requestMetadata": {"k": "bad\u{e9}"}})).unwrap_err();
        assert!(err.message.starts_with(
            "1 validation error detected: Value at 'requestMetadata' failed to satisfy constraint: Map value must satisfy constraint: [Member must satisfy regular expression pattern: "
        ), "{}", err.message);
    }

    #[test]
    fn lengths_patterns_and_unknown_members() {
        let long = "t".repeat(65);
        let err = converse(json!({"toolConfig": {"tools": [{"toolSpec": {"name": long, "inputSchema": {"json": {}}}}]}}))
            .unwrap_err();
        assert_eq!(err.message, format!("1 validation error detected: Value '{long}' at 'toolConfig.tools.1.member.toolSpec.name' failed to satisfy constraint: Member must have length less than or equal to 64"));
        let err = converse(json!({"toolConfig": {"tools": []}})).unwrap_err();
        assert_eq!(err.message, "1 validation error detected: Value '[]' at 'toolConfig.tools' failed to satisfy constraint: Member must have length greater than or equal to 1");
        let err = converse(json!({"toolConfig": {"tools": [{"toolSpec": {"name": "get weather", "inputSchema": {"json": {}}}}]}}))
            .unwrap_err();
        assert!(err
            .message
            .ends_with("Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+"));
        // Unknown members are ignored; null is absent.
        converse(
            json!({"messages": [], "foo": 1, "system": null, "inferenceConfig": {"bar": true}}),
        )
        .unwrap();
    }

    #[test]
    fn wrong_types_are_serialization_errors() {
        for (body, message) in [
            (
                json!({"inferenceConfig": {"maxTokens": "10"}}),
                "STRING_VALUE can not be converted to an Integer",
            ),
            (
                json!({"inferenceConfig": {"maxTokens": 1.5}}),
                "NUMBER_VALUE can not be converted to an Integer",
            ),
            (
                json!({"messages": {"role": "user"}}),
                "Start of structure or map found where not expected.",
            ),
            (
                json!({"system": [{"text": ["a"]}]}),
                "Start of list found where not expected.",
            ),
            (
                json!({"inferenceConfig": {"temperature": true}}),
                "TRUE_VALUE can not be converted to a Float",
            ),
        ] {
            let err = converse(body).unwrap_err();
            assert_eq!(
                (err.status, err.error_type.as_str(), err.message.as_str()),
                (400, "SerializationException", message)
            );
        }
    }

    #[test]
    fn any_json_anywhere_is_an_answer_not_a_panic() {
        let values = [
            json!(null),
            json!(true),
            json!(-1),
            json!(1.5),
            json!(""),
            json!("x"),
            json!([]),
            json!({}),
            json!([{}, [], "s", 0]),
            json!({"text": {}, "toolUse": [], "json": 1}),
        ];
        let holes: [fn(Value) -> Value; 8] = [
            |v| json!({"messages": v}),
            |v| json!({"messages": [v]}),
            |v| json!({"messages": [{"role": "user", "content": [v]}]}),
            |v| json!({"messages": [{"role": "user", "content": [{"toolResult": {"toolUseId": "a", "content": [v]}}]}]}),
            |v| json!({"toolConfig": {"tools": [{"toolSpec": v}], "toolChoice": v}}),
            |v| json!({"inferenceConfig": v, "system": [v], "requestMetadata": v}),
            |v| json!({"guardrailConfig": v, "additionalModelResponseFieldPaths": [v], "promptVariables": {"k": v}}),
            |v| json!({"outputConfig": {"textFormat": v}, "performanceConfig": v, "serviceTier": v}),
        ];
        for hole in holes {
            for v in &values {
                let body = hole(v.clone());
                if let Err(e) = converse(body.clone()) {
                    assert_eq!(e.status, 400, "{body}");
                    assert!(
                        ["ValidationException", "SerializationException"]
                            .contains(&e.error_type.as_str()),
                        "{body}: {e:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn unions_take_exactly_one_known_member() {
        let block = |b: Value| json!({"messages": [{"role": "user", "content": [b]}]});
        converse(block(json!({"text": "Hi"}))).unwrap();
        converse(block(json!({"text": "Hi", "image": null}))).unwrap();
        for (b, problem) in [
            (
                json!({"text": "Hi", "cachePoint": {"type": "default"}}),
                "has 2 members set (cachePoint, text); exactly one is allowed",
            ),
            (json!({}), "has no member set"),
            (json!({"text": null}), "has no member set"),
            (json!({"type": "text"}), "has an unknown member 'type'"),
        ] {
            let err = converse(block(b)).unwrap_err();
            assert_eq!(err.error_type, "SerializationException");
            assert_eq!(
                err.message,
                format!(
                    "The union ContentBlock at 'messages.1.member.content.1.member' {problem}."
                )
            );
        }
    }

    #[test]
    fn uri_labels_and_headers() {
        let header = |name: &str| (name == "X-Amzn-Bedrock-Trace").then(|| "LOUD".to_string());
        let http = HttpParts {
            labels: &[("modelId", "bad model id")],
            header: &header,
        };
        let err = check_operation("InvokeModel", &http, None).unwrap_err();
        assert!(err.message.starts_with("2 validation errors detected: Value 'bad model id' at 'modelId' failed to satisfy constraint: Member must satisfy regular expression pattern: "), "{}", err.message);
        assert!(err.message.ends_with("Value 'LOUD' at 'trace' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED, ENABLED_FULL]"), "{}", err.message);
    }
}
