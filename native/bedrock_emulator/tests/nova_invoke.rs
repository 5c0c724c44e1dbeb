//! Amazon Nova text models on InvokeModel / InvokeModelWithResponseStream through the SDK:
//! the native body is Converse's schema, the reply Converse's body, the stream `chunk`s one
//! Converse event each (`{"contentBlockDelta": {...}}`), metrics on the last.

mod common;

use aws_sdk_bedrockruntime::primitives::Blob;
use bedrock_emulator::{Emulator, EmulatorConfig, Rule};
use common::{sdk_client, stream_chunks};
use serde_json::{json, Value};

const NOVA: &str = "us.amazon.nova-lite-v1:0";

async fn start() -> Emulator {
    Emulator::start(EmulatorConfig {
        rules: vec![Rule {
            reply: Some("We open at nine. See you then.".into()),
            ..Rule::default()
        }],
        ..EmulatorConfig::default()
    })
    .await
    .unwrap()
}

fn body() -> Blob {
    Blob::new(
        json!({"schemaVersion": "messages-v1",
               "system": [{"text": "Be brief."}],
               "messages": [{"role": "user", "content": [{"text": "Hours?"}]}],
               "inferenceConfig": {"maxTokens": 100}})
        .to_string(),
    )
}

#[tokio::test]
async fn nova_invoke_answers_in_its_native_schema() {
    let emu = start().await;
    let c = sdk_client(&emu);
    let out = c
        .invoke_model()
        .model_id(NOVA)
        .body(body())
        .send()
        .await
        .unwrap();
    let v: Value = serde_json::from_slice(out.body().as_ref()).unwrap();
    assert_eq!(
        v["output"]["message"]["content"][0]["text"],
        "We open at nine. See you then."
    );
    assert_eq!(v["stopReason"], "end_turn");
    assert_eq!(
        v["usage"]["totalTokens"].as_u64().unwrap(),
        v["usage"]["inputTokens"].as_u64().unwrap() + v["usage"]["outputTokens"].as_u64().unwrap()
    );

    let chunks = stream_chunks(&c, NOVA, body()).await;
    assert_eq!(chunks[0]["messageStart"]["role"], "assistant");
    let text: String = chunks
        .iter()
        .filter_map(|c| c["contentBlockDelta"]["delta"]["text"].as_str())
        .collect();
    assert_eq!(text, "We open at nine. See you then.");
    let last = chunks.last().unwrap();
    assert!(last["metadata"]["usage"]["outputTokens"].as_u64().unwrap() > 0);
    assert_eq!(
        last["amazon-bedrock-invocationMetrics"]["outputTokenCount"],
        last["metadata"]["usage"]["outputTokens"]
    );
    assert!(chunks
        .iter()
        .any(|c| c["messageStop"]["stopReason"] == "end_turn"));

    // Nova's body is validated as Converse's; a non-Nova, non-Anthropic model is refused.
    let err = c
        .invoke_model()
        .model_id(NOVA)
        .body(Blob::new(
            r#"{"messages":[{"role":"assistant","content":[{"text":"x"}]}]}"#,
        ))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_validation_exception(), "{err:?}");
    emu.shutdown().await;
}
