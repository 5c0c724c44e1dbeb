//! The `apis` field: which Bedrock API families serve a model.

use aybiza_core::catalog::{Api, Catalog};
use serde_json::json;

fn cat() -> Catalog {
    Catalog::embedded().expect("embedded catalog")
}

#[test]
fn every_model_names_at_least_one_api() {
    for m in &cat().models {
        assert!(!m.apis.is_empty(), "{} has no api", m.id);
    }
}

#[test]
fn opus_4_7_is_served_on_the_messages_api() {
    let c = cat();
    let r = c.resolve("global.anthropic.claude-opus-4-7").unwrap();
    assert!(r.spec.serves(Api::Messages));
    assert!(r.spec.serves(Api::Converse));
    let json = r.spec.to_json();
    assert!(json["apis"]
        .as_array()
        .unwrap()
        .contains(&json!("messages")));
}

#[test]
fn apis_default_to_the_runtime_pair_and_reject_unknown_names() {
    let c = Catalog::with_overrides(&json!({"models": [{
        "id": "example.model-v1:0", "context_window": 1000, "max_output_tokens": 100,
        "prices": {"input": "1", "output": "1"}
    }]}))
    .unwrap();
    let m = c.model("example.model-v1:0").unwrap();
    assert_eq!(m.apis, vec![Api::Converse, Api::Invoke]);
    assert!(!m.serves(Api::Messages));

    let err = Catalog::with_overrides(&json!({"models": [{
        "id": "example.model-v1:0", "context_window": 1000, "max_output_tokens": 100,
        "prices": {"input": "1", "output": "1"}, "apis": ["grpc"]
    }]}))
    .unwrap_err();
    assert!(err.to_string().contains("unknown api"), "{err}");

    let err = Catalog::with_overrides(&json!({"models": [{
        "id": "example.model-v1:0", "context_window": 1000, "max_output_tokens": 100,
        "prices": {"input": "1", "output": "1"}, "apis": []
    }]}))
    .unwrap_err();
    assert!(err.to_string().contains("at least one api"), "{err}");
}
