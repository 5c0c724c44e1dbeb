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

/// Speech-to-speech models (Nova Sonic) are served on the bidirectional stream only: the
/// text APIs refuse them before any network with a message that says where they belong,
/// and a catalog cannot send text routing or fallback to them.
#[test]
fn speech_models_are_bidirectional_only_and_refused_on_the_text_apis() {
    use aybiza_core::catalog::RequestFacts;
    let c = cat();
    for id in [
        "amazon.nova-2-sonic-v1:0",
        "amazon.nova-2-5-sonic",
        "amazon.nova-sonic-v1:0",
    ] {
        let m = c.model(id).unwrap_or_else(|| panic!("{id} in the catalog"));
        assert_eq!(m.apis, vec![Api::Bidirectional], "{id}");
        assert!(m.speech.is_some() && !m.regions.is_empty(), "{id}");
    }
    let facts = RequestFacts::default();
    for api in [Api::Converse, Api::Invoke, Api::Messages] {
        let err = c
            .preflight(
                "amazon.nova-2-sonic-v1:0",
                api,
                "us-east-1",
                &facts,
                "2026-12-04",
            )
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("speech-to-speech") && text.contains("Sonic.start_session"),
            "{text}"
        );
    }
    assert!(c
        .preflight(
            "amazon.nova-2-sonic-v1:0",
            Api::Bidirectional,
            "us-east-1",
            &facts,
            "2026-12-04"
        )
        .is_ok());
    // A text model is not served on the bidirectional stream.
    let err = c
        .preflight(
            "amazon.nova-2-lite-v1:0",
            Api::Bidirectional,
            "us-east-1",
            &facts,
            "2026-12-04",
        )
        .unwrap_err();
    assert!(err.to_string().contains("bidirectional"), "{err}");
}

#[test]
fn speech_entries_are_checked_when_loaded() {
    let sonic = |extra: serde_json::Value| {
        let mut m = json!({
            "id": "example.sonic-v1:0", "context_window": 1000, "max_output_tokens": 100,
            "apis": ["bidirectional"],
            "speech": {"input_rates": [16000], "output_rates": [24000], "prices": null}
        });
        for (k, v) in extra.as_object().unwrap() {
            m[k] = v.clone();
        }
        Catalog::with_overrides(&json!({ "models": [m] }))
    };
    let c = sonic(json!({})).unwrap();
    let m = c.model("example.sonic-v1:0").unwrap();
    assert!(m.is_speech() && m.speech.as_ref().unwrap().prices.is_none());
    for (extra, needle) in [
        (
            json!({"apis": ["bidirectional", "converse"]}),
            "no other api",
        ),
        (json!({"speech": null}), "speech: required"),
        (
            json!({"speech": {"input_rates": [], "output_rates": [24000]}}),
            "names no sample rate",
        ),
        (
            json!({"speech": {"input_rates": [16000], "output_rates": [24000],
                   "prices": {"speech_input": "1"}}}),
            "speech.prices.speech_output",
        ),
    ] {
        let err = sonic(extra.clone()).unwrap_err().to_string();
        assert!(err.contains(needle), "{extra}: {err}");
    }
    let err = Catalog::with_overrides(&json!({"models": [{
        "id": "example.model-v1:0", "context_window": 1000, "max_output_tokens": 100,
        "prices": {"input": "1", "output": "1"},
        "speech": {"input_rates": [16000], "output_rates": [24000]}
    }]}))
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("only for models served on the bidirectional"),
        "{err}"
    );
    let err = Catalog::with_overrides(&json!({
        "fallback_chains": {"amazon.nova-2-lite-v1:0": ["amazon.nova-2-sonic-v1:0"]}
    }))
    .unwrap_err();
    assert!(err.to_string().contains("speech-to-speech"), "{err}");
}
