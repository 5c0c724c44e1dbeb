//! The invariants of the `json_limits` fuzz target, on stable with proptest: for any value
//! (including values deeper than serde_json's parser allows; 400 levels keep the values' own
//! recursive drop and clone within a test thread's stack) and any limits in their
//! ranges, the limit check never panics or recurses, accepts only values within every limit,
//! and the limited decoders accept nothing the check refuses.

use aybiza_core::error::ErrorKind;
use aybiza_core::limits::{check_value, Limits};
use aybiza_core::request::{decode_converse_with, decode_invoke_with};
use proptest::prelude::*;
use serde_json::{json, Value};

fn nested(depth: usize, leaf: Value, map: bool) -> Value {
    let mut v = leaf;
    for _ in 0..depth {
        v = if map { json!({"a": v}) } else { json!([v]) };
    }
    v
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "[a-z ]{0,40}".prop_map(Value::String),
        Just(json!({"$binary": "AAAA"})),
    ];
    let tree = leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    (tree, 0usize..400, any::<bool>()).prop_map(|(v, depth, map)| nested(depth, v, map))
}

fn limits() -> impl Strategy<Value = Limits> {
    prop::collection::vec(any::<u8>(), Limits::RANGES.len()).prop_map(|picks| {
        let map: serde_json::Map<String, Value> = Limits::RANGES
            .iter()
            .zip(picks)
            .map(|(r, b)| {
                let span = (r.max - r.min) as u128;
                let pick = r.min as u128 + span * (b as u128).pow(2) / (255 * 255);
                (r.name.to_string(), json!(pick as u64))
            })
            .collect();
        Limits::from_value(&Value::Object(map)).expect("picks are inside the ranges")
    })
}

fn depth_and_items(v: &Value) -> (usize, usize) {
    let (mut depth, mut items) = (0, 0);
    let mut stack = vec![(v, 1usize)];
    while let Some((v, d)) = stack.pop() {
        items += 1;
        match v {
            Value::Object(m) if m.len() == 1 && m.contains_key("$binary") => {
                stack.extend(m.values().map(|c| (c, d + 1)))
            }
            Value::Array(a) => {
                depth = depth.max(d);
                stack.extend(a.iter().map(|c| (c, d + 1)));
            }
            Value::Object(m) => {
                depth = depth.max(d);
                stack.extend(m.values().map(|c| (c, d + 1)));
            }
            _ => {}
        }
    }
    (depth, items)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn accepted_values_are_within_every_limit(v in value(), limits in limits()) {
        let (depth, items) = depth_and_items(&v);
        match check_value(&v, &limits, "x") {
            Ok(size) => {
                prop_assert!(depth <= limits.max_depth);
                prop_assert!(items <= limits.max_items);
                prop_assert!(size <= limits.max_request_bytes);
            }
            Err(e) => {
                prop_assert_eq!(e.kind, ErrorKind::InvalidRequest);
                prop_assert!(e.message.starts_with('x'), "{}", e.message);
                prop_assert!(e.message.contains("(max_"), "{}", e.message);
            }
        }
    }

    #[test]
    fn decoders_accept_nothing_the_check_refuses(v in value(), limits in limits()) {
        let request = json!({"model_id": "anthropic.claude-haiku-4-5-20251001-v1:0",
                             "messages": [{"role": "user", "content": "hi"}],
                             "additional_model_request_fields": {"x": v}});
        if decode_converse_with(&request, &limits).is_ok() {
            prop_assert!(check_value(&request, &limits, "").is_ok());
        }
        let invoke = json!({"model_id": "anthropic.claude-haiku-4-5-20251001-v1:0", "body": {"x": request}});
        if decode_invoke_with(&invoke, &limits).is_ok() {
            prop_assert!(check_value(&invoke, &limits, "").is_ok());
        }
    }
}
