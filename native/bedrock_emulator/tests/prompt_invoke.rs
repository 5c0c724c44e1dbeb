//! Prompt-completion models on InvokeModel / InvokeModelWithResponseStream through the SDK:
//! Meta Llama's native `{"prompt": ...}` body, the `generation` reply with its token counts
//! and `stop_reason` (`stop`, `length`), the stream's chunks, and the body's checks; Mistral's
//! text-completion body and `outputs` reply.

mod common;

use aws_sdk_bedrockruntime::error::ProvideErrorMetadata;
use aws_sdk_bedrockruntime::primitives::Blob;
use bedrock_emulator::{Emulator, EmulatorConfig, Rule};
use common::{sdk_client, stream_chunks};
use serde_json::{json, Value};

const LLAMA: &str = "us.meta.llama3-3-70b-instruct-v1:0";
const ANSWER: &str = "We open at nine. See you then.";

async fn start() -> Emulator {
    Emulator::start(EmulatorConfig {
        rules: vec![Rule {
            reply: Some(ANSWER.into()),
            ..Rule::default()
        }],
        ..EmulatorConfig::default()
    })
    .await
    .unwrap()
}

fn prompt(extra: Value) -> Blob {
    let mut body = json!({"prompt": "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\nHours?<|eot_id|>"});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    Blob::new(body.to_string())
}

#[tokio::test]
async fn llama_invoke_answers_in_its_native_schema() {
    let emu = start().await;
    let c = sdk_client(&emu);
    let out = c
        .invoke_model()
        .model_id(LLAMA)
        .body(prompt(json!({"max_gen_len": 100, "temperature": 0.3})))
        .send()
        .await
        .unwrap();
    let v: Value = serde_json::from_slice(out.body().as_ref()).unwrap();
    assert_eq!(v["generation"], ANSWER);
    assert_eq!(v["stop_reason"], "stop");
    // ceil(chars / 4) tokens (docs/EMULATOR.md "Tokens").
    assert_eq!(v["generation_token_count"], ANSWER.len().div_ceil(4));
    assert!(v["prompt_token_count"].as_u64().unwrap() > 0);

    let v: Value = serde_json::from_slice(
        c.invoke_model()
            .model_id(LLAMA)
            .body(prompt(json!({"max_gen_len": 2})))
            .send()
            .await
            .unwrap()
            .body()
            .as_ref(),
    )
    .unwrap();
    assert_eq!(
        (
            v["stop_reason"].as_str(),
            v["generation_token_count"].as_u64()
        ),
        (Some("length"), Some(2))
    );

    let chunks = stream_chunks(&c, LLAMA, prompt(json!({}))).await;
    let text: String = chunks
        .iter()
        .filter_map(|c| c["generation"].as_str())
        .collect();
    assert_eq!(text, ANSWER);
    assert!(chunks[0]["prompt_token_count"].as_u64().unwrap() > 0);
    assert!(chunks[1..]
        .iter()
        .all(|c| c["prompt_token_count"].is_null()));
    let last = chunks.last().unwrap();
    assert_eq!(last["stop_reason"], "stop");
    assert!(chunks[..chunks.len() - 1]
        .iter()
        .all(|c| c["stop_reason"].is_null()));
    assert_eq!(
        last["amazon-bedrock-invocationMetrics"]["outputTokenCount"],
        last["generation_token_count"]
    );

    for (body, text) in [
        (
            prompt(json!({"max_tokens": 5})),
            "Malformed input request: #: extraneous key [max_tokens] is not permitted, please reformat your input and try again.",
        ),
        (
            Blob::new(r#"{"max_gen_len": 5}"#),
            "Malformed input request: #: required key [prompt] not found, please reformat your input and try again.",
        ),
    ] {
        let err = c
            .invoke_model()
            .model_id(LLAMA)
            .body(body)
            .send()
            .await
            .unwrap_err()
            .into_service_error();
        assert_eq!((err.code(), err.message()), (Some("ValidationException"), Some(text)));
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn mistral_text_completion_answers_in_its_native_schema() {
    let emu = start().await;
    let c = sdk_client(&emu);
    let body = |extra: Value| {
        let mut b = json!({"prompt": "<s>[INST] Hours? [/INST]"});
        b.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        Blob::new(b.to_string())
    };
    let invoke = |b: Blob| {
        c.invoke_model()
            .model_id("mistral.mistral-7b-instruct-v0:2")
            .body(b)
            .send()
    };
    let v: Value = serde_json::from_slice(
        invoke(body(json!({"max_tokens": 100, "top_k": 50})))
            .await
            .unwrap()
            .body()
            .as_ref(),
    )
    .unwrap();
    assert_eq!(
        v,
        json!({"outputs": [{"text": ANSWER, "stop_reason": "stop"}]})
    );
    // `stop` sequences cut the text; `max_tokens` gives `length`.
    let v: Value = serde_json::from_slice(
        invoke(body(json!({"stop": [" See"]})))
            .await
            .unwrap()
            .body()
            .as_ref(),
    )
    .unwrap();
    assert_eq!(
        v["outputs"][0],
        json!({"text": "We open at nine.", "stop_reason": "stop"})
    );
    let v: Value = serde_json::from_slice(
        invoke(body(json!({"max_tokens": 2})))
            .await
            .unwrap()
            .body()
            .as_ref(),
    )
    .unwrap();
    assert_eq!(v["outputs"][0]["stop_reason"], "length");

    let chunks = stream_chunks(&c, "mistral.mixtral-8x7b-instruct-v0:1", body(json!({}))).await;
    let text: String = chunks
        .iter()
        .filter_map(|c| c["outputs"][0]["text"].as_str())
        .collect();
    assert_eq!(text, ANSWER);
    let last = chunks.last().unwrap();
    assert_eq!(last["outputs"][0]["stop_reason"], "stop");
    assert!(
        last["amazon-bedrock-invocationMetrics"]["outputTokenCount"]
            .as_u64()
            .unwrap()
            > 0
    );

    let err = invoke(body(json!({"max_gen_len": 5})))
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(
        err.message(),
        Some("Malformed input request: #: extraneous key [max_gen_len] is not permitted, please reformat your input and try again.")
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn titan_text_answers_in_its_native_schema() {
    let emu = start().await;
    let c = sdk_client(&emu);
    let body = |cfg: Value| {
        Blob::new(
            json!({"inputText": "User: Hours?\nBot:", "textGenerationConfig": cfg}).to_string(),
        )
    };
    let invoke = |b: Blob| {
        c.invoke_model()
            .model_id("amazon.titan-text-express-v1")
            .body(b)
            .send()
    };
    let v: Value = serde_json::from_slice(
        invoke(body(json!({"maxTokenCount": 100})))
            .await
            .unwrap()
            .body()
            .as_ref(),
    )
    .unwrap();
    assert_eq!(v["results"][0]["outputText"], ANSWER);
    assert_eq!(v["results"][0]["completionReason"], "FINISH");
    assert_eq!(v["results"][0]["tokenCount"], ANSWER.len().div_ceil(4));
    assert!(v["inputTextTokenCount"].as_u64().unwrap() > 0);
    let v: Value = serde_json::from_slice(
        invoke(body(json!({"maxTokenCount": 2})))
            .await
            .unwrap()
            .body()
            .as_ref(),
    )
    .unwrap();
    assert_eq!(v["results"][0]["completionReason"], "LENGTH");

    let chunks = stream_chunks(
        &c,
        "amazon.titan-text-lite-v1",
        body(json!({"stopSequences": [" See"]})),
    )
    .await;
    let text: String = chunks
        .iter()
        .filter_map(|c| c["outputText"].as_str())
        .collect();
    assert_eq!(text, "We open at nine.");
    let last = chunks.last().unwrap();
    assert_eq!(last["completionReason"], "FINISH");
    assert_eq!(
        last["totalOutputTextTokenCount"],
        last["amazon-bedrock-invocationMetrics"]["outputTokenCount"]
    );

    let err = invoke(body(json!({"maxTokens": 5})))
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(
        err.message(),
        Some("Malformed input request: #/textGenerationConfig: extraneous key [maxTokens] is not permitted, please reformat your input and try again.")
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn gpt_oss_answers_with_a_chat_completion() {
    let emu = start().await;
    let c = sdk_client(&emu);
    let body = json!({"messages": [{"role": "developer", "content": "Be brief."},
                                   {"role": "user", "content": "Hours?"}],
                      "max_completion_tokens": 100, "reasoning_effort": "low"});
    let out = c
        .invoke_model()
        .model_id("openai.gpt-oss-120b-1:0")
        .body(Blob::new(body.to_string()))
        .send()
        .await
        .unwrap();
    let v: Value = serde_json::from_slice(out.body().as_ref()).unwrap();
    assert_eq!(v["object"], "chat.completion");
    assert!(v["id"].as_str().unwrap().starts_with("chatcmpl-"));
    assert_eq!(v["choices"][0]["message"]["content"], ANSWER);
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    assert_eq!(
        v["usage"]["total_tokens"].as_u64().unwrap(),
        v["usage"]["prompt_tokens"].as_u64().unwrap()
            + v["usage"]["completion_tokens"].as_u64().unwrap()
    );

    let chunks = stream_chunks(
        &c,
        "openai.gpt-oss-20b-1:0",
        Blob::new(
            json!({"messages": [{"role": "user", "content": "Hours?"}], "max_tokens": 2})
                .to_string(),
        ),
    )
    .await;
    assert!(chunks
        .iter()
        .all(|c| c["object"] == "chat.completion.chunk" && c["id"] == chunks[0]["id"]));
    let last = chunks.last().unwrap();
    assert_eq!(last["choices"][0]["finish_reason"], "length");
    assert_eq!(
        last["amazon-bedrock-invocationMetrics"]["outputTokenCount"],
        2
    );

    let err = c
        .invoke_model()
        .model_id("openai.gpt-oss-120b-1:0")
        .body(Blob::new(r#"{"prompt": "Hi"}"#))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(
        err.message(),
        Some("Malformed input request: #: required key [messages] not found, please reformat your input and try again.")
    );
    emu.shutdown().await;
}

/// DeepSeek-R1 (AWS's model-parameters-deepseek page): `{"prompt", "temperature", "top_p",
/// "max_tokens", "stop"}` in, `{"choices": [{"text", "stop_reason"}]}` out, the same object per
/// stream chunk; R1 is served through its `us.` profile.
#[tokio::test]
async fn deepseek_r1_answers_in_its_native_schema() {
    const R1: &str = "us.deepseek.r1-v1:0";
    let emu = start().await;
    let c = sdk_client(&emu);
    let body = |extra: Value| {
        let mut b =
            json!({"prompt": "<｜begin▁of▁sentence｜><｜User｜>Hours?<｜Assistant｜><think>\n"});
        b.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        Blob::new(b.to_string())
    };
    let invoke = |b: Blob| c.invoke_model().model_id(R1).body(b).send();
    let v: Value = serde_json::from_slice(
        invoke(body(
            json!({"max_tokens": 200, "temperature": 0.6, "stop": ["<｜User｜>"]}),
        ))
        .await
        .unwrap()
        .body()
        .as_ref(),
    )
    .unwrap();
    assert_eq!(
        v,
        json!({"choices": [{"text": ANSWER, "stop_reason": "stop"}]})
    );
    let v: Value = serde_json::from_slice(
        invoke(body(json!({"max_tokens": 2})))
            .await
            .unwrap()
            .body()
            .as_ref(),
    )
    .unwrap();
    assert_eq!(v["choices"][0]["stop_reason"], "length");

    let chunks = stream_chunks(&c, R1, body(json!({}))).await;
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["text"].as_str())
        .collect();
    assert_eq!(text, ANSWER);
    let last = chunks.last().unwrap();
    assert_eq!(last["choices"][0]["stop_reason"], "stop");
    assert!(chunks[..chunks.len() - 1]
        .iter()
        .all(|c| c["choices"][0]["stop_reason"].is_null()));
    assert!(last["amazon-bedrock-invocationMetrics"]["outputTokenCount"].as_u64() > Some(0));

    for (b, text) in [
        (
            body(json!({"top_k": 5})),
            "Malformed input request: #: extraneous key [top_k] is not permitted, please reformat your input and try again.",
        ),
        (
            body(json!({"max_tokens": 40000})),
            "Malformed input request: #/max_tokens: 40000 is not less or equal to 32768, please reformat your input and try again.",
        ),
    ] {
        let err = invoke(b).await.unwrap_err().into_service_error();
        assert_eq!((err.code(), err.message()), (Some("ValidationException"), Some(text)));
    }
    // R1 has no on-demand base id (AWS's page: called through its inference profile).
    let err = c
        .invoke_model()
        .model_id("deepseek.r1-v1:0")
        .body(body(json!({})))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(err.code(), Some("ValidationException"));
    emu.shutdown().await;
}
