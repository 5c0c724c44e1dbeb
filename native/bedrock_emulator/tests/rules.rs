//! Bedrock's rules as the real aws-sdk-bedrockruntime client sees them: the model table
//! (profile-only base ids, end of life, profiles per model), sampling and thinking rules,
//! unknown keys, cache minimums, forced tool choice, quota errors, CountTokens and the
//! `anthropic_version` values.

mod common;

use common::user;

use aws_sdk_bedrockruntime::error::ProvideErrorMetadata;
use aws_sdk_bedrockruntime::primitives::Blob;
use aws_sdk_bedrockruntime::types::{
    AnyToolChoice, CachePointBlock, CachePointType, ContentBlock, ConverseTokensRequest,
    CountTokensInput, InferenceConfiguration, SpecificToolChoice, SystemContentBlock, Tool,
    ToolChoice, ToolConfiguration, ToolInputSchema, ToolSpecification,
};
use aws_sdk_bedrockruntime::Client;
use aws_smithy_types::Document;
use bedrock_emulator::{Emulator, EmulatorConfig};

const SONNET_45: &str = "anthropic.claude-sonnet-4-5-20250929-v1:0";
const HAIKU_45: &str = "us.anthropic.claude-haiku-4-5-20251001-v1:0";
const OPUS_47: &str = "global.anthropic.claude-opus-4-7";

async fn start() -> (Emulator, Client) {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let client = common::sdk_client(&emu);
    (emu, client)
}

/// A client of `emu` signing for `region`.
fn in_region(emu: &Emulator, region: &'static str) -> Client {
    let creds = emu.credentials();
    let conf = common::sdk_builder(emu)
        .region(aws_sdk_bedrockruntime::config::Region::new(region))
        .credentials_provider(aws_credential_types::Credentials::new(
            creds.access_key_id.clone(),
            creds.secret_access_key.clone(),
            None,
            None,
            "test",
        ))
        .build();
    Client::from_conf(conf)
}

fn doc(v: serde_json::Value) -> Document {
    json_doc(v)
}

fn json_doc(v: serde_json::Value) -> Document {
    use aws_smithy_types::Number;
    match v {
        serde_json::Value::Null => Document::Null,
        serde_json::Value::Bool(b) => Document::Bool(b),
        serde_json::Value::Number(n) => Document::Number(match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Number::PosInt(u),
            (_, Some(i)) => Number::NegInt(i),
            _ => Number::Float(n.as_f64().unwrap()),
        }),
        serde_json::Value::String(s) => Document::String(s),
        serde_json::Value::Array(a) => Document::Array(a.into_iter().map(json_doc).collect()),
        serde_json::Value::Object(o) => {
            Document::Object(o.into_iter().map(|(k, v)| (k, json_doc(v))).collect())
        }
    }
}

/// (status, error code, message) of a failed Converse call.
async fn converse_err(
    c: &Client,
    model: &str,
    config: Option<InferenceConfiguration>,
    extra: Option<serde_json::Value>,
) -> (u16, String, String) {
    let mut req = c.converse().model_id(model).messages(user("Hello there"));
    if let Some(cfg) = config {
        req = req.inference_config(cfg);
    }
    if let Some(e) = extra {
        req = req.additional_model_request_fields(json_doc(e));
    }
    let err = req.send().await.expect_err("rejected");
    let status = err.raw_response().map_or(0, |r| r.status().as_u16());
    let svc = err.into_service_error();
    (
        status,
        svc.code().unwrap_or_default().to_string(),
        svc.message().unwrap_or_default().to_string(),
    )
}

async fn converse_ok(c: &Client, model: &str) {
    c.converse()
        .model_id(model)
        .messages(user("Hello there"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{model}: {:?}", e.into_service_error()));
}

#[tokio::test]
async fn model_table_profiles_and_lifecycle() {
    let (emu, c) = start().await;
    // Other geographies' profiles from a region of theirs (the client above signs for
    // us-east-1, where they name no model: catalog::profile_serves_region).
    let tokyo = in_region(&emu, "ap-northeast-1");
    converse_ok(&tokyo, "jp.anthropic.claude-opus-4-6-v1").await;
    let (status, _, msg) = converse_err(&c, "jp.anthropic.claude-opus-4-6-v1", None, None).await;
    assert_eq!(
        (status, msg.as_str()),
        (400, "The provided model identifier is invalid.")
    );
    let frankfurt = in_region(&emu, "eu-central-1");
    let (status, code, _) = converse_err(
        &frankfurt,
        "eu.anthropic.claude-3-haiku-20240307-v1:0",
        None,
        None,
    )
    .await;
    assert_eq!((status, code.as_str()), (404, "ResourceNotFoundException"));
    // Profile-only: the base id is refused with Bedrock's text, its profiles work.
    let (status, code, msg) = converse_err(&c, SONNET_45, None, None).await;
    assert_eq!((status, code.as_str()), (400, "ValidationException"));
    assert_eq!(
        msg,
        format!("Invocation of model ID {SONNET_45} with on-demand throughput isn\u{2019}t supported. Retry your request with the ID or ARN of an inference profile that contains this model.")
    );
    for ok in [
        format!("us.{SONNET_45}"),
        format!("global.{SONNET_45}"),
        "us.anthropic.claude-sonnet-4-6".to_string(),
        "global.anthropic.claude-sonnet-4-6".to_string(),
        OPUS_47.to_string(),
        "us.amazon.nova-2-lite-v1:0".to_string(),
        "amazon.nova-lite-v1:0".to_string(),
    ] {
        converse_ok(&c, &ok).await;
    }
    // Nova 2 Lite is served through cross-Region profiles only (its AWS model card).
    let (status, code, _) = converse_err(&c, "amazon.nova-2-lite-v1:0", None, None).await;
    assert_eq!((status, code.as_str()), (400, "ValidationException"));
    // A profile the model does not have is no model id at all.
    let (status, _, msg) = converse_err(&c, "apac.anthropic.claude-sonnet-4-6", None, None).await;
    assert_eq!(
        (status, msg.as_str()),
        (400, "The provided model identifier is invalid.")
    );
    // End of life: 404 ResourceNotFoundException, base id or profile.
    for eol in [
        "us.anthropic.claude-3-5-haiku-20241022-v1:0",
        "anthropic.claude-3-5-haiku-20241022-v1:0",
        "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
        "us.amazon.nova-premier-v1:0",
        // AWS model cards: Claude 3 Haiku EOL 2026-09-10, Claude Sonnet 4 EOL 2026-10-14.
        "anthropic.claude-3-haiku-20240307-v1:0",
        "us.anthropic.claude-sonnet-4-20250514-v1:0",
        "global.anthropic.claude-sonnet-4-20250514-v1:0",
    ] {
        let (status, code, msg) = converse_err(&c, eol, None, None).await;
        assert_eq!(
            (status, code.as_str()),
            (404, "ResourceNotFoundException"),
            "{eol}"
        );
        assert_eq!(msg, "This model version has reached the end of its life. Please refer to the AWS documentation for more details.");
    }
}

#[tokio::test]
async fn sampling_and_thinking_rules() {
    let (_emu, c) = start().await;
    let both = InferenceConfiguration::builder()
        .temperature(0.5)
        .top_p(0.9)
        .build();
    let (status, code, msg) =
        converse_err(&c, &format!("us.{SONNET_45}"), Some(both.clone()), None).await;
    assert_eq!((status, code.as_str()), (400, "ValidationException"));
    assert_eq!(
        msg,
        "`temperature` and `top_p` cannot both be specified for this model. Please use only one."
    );
    // Either alone is fine there; both are fine on a model that allows it.
    let one = InferenceConfiguration::builder().temperature(0.5).build();
    c.converse()
        .model_id(format!("us.{SONNET_45}"))
        .messages(user("hi"))
        .inference_config(one.clone())
        .send()
        .await
        .unwrap();
    c.converse()
        .model_id("us.amazon.nova-pro-v1:0")
        .messages(user("hi"))
        .inference_config(both)
        .send()
        .await
        .unwrap();
    // Opus 4.7 takes no sampling parameters and adaptive thinking only.
    let (_, _, msg) = converse_err(&c, OPUS_47, Some(one), None).await;
    assert_eq!(msg, "`temperature` is deprecated for this model.");
    let budget = serde_json::json!({"thinking": {"type": "enabled", "budget_tokens": 2048}});
    let cfg = InferenceConfiguration::builder().max_tokens(4096).build();
    let (_, _, msg) = converse_err(&c, OPUS_47, Some(cfg.clone()), Some(budget.clone())).await;
    assert!(
        msg.contains("\"thinking.type.enabled\" is not supported for this model"),
        "{msg}"
    );
    c.converse()
        .model_id(OPUS_47)
        .messages(user("hi"))
        .additional_model_request_fields(json_doc(
            serde_json::json!({"thinking": {"type": "adaptive"}}),
        ))
        .send()
        .await
        .unwrap();
    // Thinking only where the model has it.
    for model in ["us.amazon.nova-pro-v1:0", "meta.llama3-1-70b-instruct-v1:0"] {
        let (status, _, msg) =
            converse_err(&c, model, Some(cfg.clone()), Some(budget.clone())).await;
        assert_eq!(status, 400, "{model}: {msg}");
        assert!(msg.contains("thinking"), "{msg}");
    }
    let out = c
        .converse()
        .model_id(HAIKU_45)
        .messages(user("hi"))
        .inference_config(cfg)
        .additional_model_request_fields(json_doc(budget))
        .send()
        .await
        .unwrap();
    let content = out.output().unwrap().as_message().unwrap().content();
    assert!(matches!(content[0], ContentBlock::ReasoningContent(_)));
}

#[tokio::test]
async fn unknown_keys() {
    let (_emu, c) = start().await;
    let (status, _, msg) = converse_err(
        &c,
        HAIKU_45,
        None,
        Some(serde_json::json!({"top_k": 40, "guardrails": true})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        msg,
        "The model returned the following errors: guardrails: Extra inputs are not permitted"
    );
    let body = serde_json::json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 50,
        "top_k": 40, "foo": 1, "messages": [{"role": "user", "content": "hi"}]});
    let err = c
        .invoke_model()
        .model_id(HAIKU_45)
        .body(Blob::new(body.to_string()))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_validation_exception());
    assert_eq!(
        err.message(),
        Some("Malformed input request: #: extraneous key [foo] is not permitted, please reformat your input and try again.")
    );
    // `model` and `stream` belong to the Messages API, not to InvokeModel.
    let body = serde_json::json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 50,
        "model": "claude", "messages": [{"role": "user", "content": "hi"}]});
    let err = c
        .invoke_model()
        .model_id(HAIKU_45)
        .body(Blob::new(body.to_string()))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.message().unwrap().contains("extraneous key [model]"));
}

#[tokio::test]
async fn anthropic_versions() {
    let (_emu, c) = start().await;
    let body = |v: &str| {
        Blob::new(
            serde_json::json!({"anthropic_version": v, "max_tokens": 50,
                "messages": [{"role": "user", "content": "hi"}]})
            .to_string(),
        )
    };
    // The SDKs' newer default works on Messages-API models, not on ARN-versioned ones.
    c.invoke_model()
        .model_id(OPUS_47)
        .body(body("2026-10-21"))
        .send()
        .await
        .unwrap();
    let err = c
        .invoke_model()
        .model_id(HAIKU_45)
        .body(body("2026-10-21"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_validation_exception());
    assert_eq!(err.message(), Some("Invalid API version: 2026-10-21"));
    for model in [HAIKU_45, OPUS_47] {
        c.invoke_model()
            .model_id(model)
            .body(body("bedrock-2023-05-31"))
            .send()
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn cache_minimum_per_model() {
    let (_emu, c) = start().await;
    // ~1,500 tokens: above Sonnet 4.6's 1,024 minimum, below Haiku 4.5's 4,096.
    let system = "You are a careful phone agent for Acme Bank. ".repeat(135);
    let call = |model: &'static str| {
        c.converse()
            .model_id(model)
            .system(SystemContentBlock::Text(system.clone()))
            .system(SystemContentBlock::CachePoint(
                CachePointBlock::builder()
                    .r#type(CachePointType::Default)
                    .build()
                    .unwrap(),
            ))
            .messages(user("What is my balance?"))
            .send()
    };
    for _ in 0..2 {
        let u = call(HAIKU_45).await.unwrap().usage().unwrap().clone();
        // Nothing written: Bedrock sends no cacheWriteInputTokens (req_llm fixture
        // guardrail_converse_allowed.json; see render/converse.rs `usage`).
        assert_eq!(u.cache_write_input_tokens(), None);
        assert_eq!(u.cache_read_input_tokens(), Some(0));
        assert!(u.input_tokens() > 1400, "{u:?}");
    }
    let first = call("us.anthropic.claude-sonnet-4-6").await.unwrap();
    assert!(first.usage().unwrap().cache_write_input_tokens().unwrap() > 1400);
    let second = call("us.anthropic.claude-sonnet-4-6").await.unwrap();
    assert!(second.usage().unwrap().cache_read_input_tokens().unwrap() > 1400);
}

#[tokio::test]
async fn forced_tool_choice_has_no_text() {
    let (_emu, c) = start().await;
    let spec = ToolSpecification::builder()
        .name("get_balance")
        .description("Look up the account balance")
        .input_schema(ToolInputSchema::Json(doc(serde_json::json!({
            "type": "object", "properties": {"account_id": {"type": "string"}},
            "required": ["account_id"]}))))
        .build()
        .unwrap();
    let forced = [
        ToolChoice::Any(AnyToolChoice::builder().build()),
        ToolChoice::Tool(
            SpecificToolChoice::builder()
                .name("get_balance")
                .build()
                .unwrap(),
        ),
    ];
    for choice in forced {
        let tools = ToolConfiguration::builder()
            .tools(Tool::ToolSpec(spec.clone()))
            .tool_choice(choice)
            .build()
            .unwrap();
        let out = c
            .converse()
            .model_id(HAIKU_45)
            .messages(user("What is my balance?"))
            .tool_config(tools)
            .send()
            .await
            .unwrap();
        let content = out.output().unwrap().as_message().unwrap().content();
        assert_eq!(content.len(), 1, "{content:?}");
        assert!(matches!(content[0], ContentBlock::ToolUse(_)));
    }
}

#[tokio::test]
async fn quota_error_is_400_and_count_tokens() {
    let (emu, c) = start().await;
    emu.set_faults(bedrock_emulator::parse_faults("error=ServiceQuotaExceededException").unwrap());
    // InvokeModel's error model has ServiceQuotaExceededException (HTTP 400).
    let body = serde_json::json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 50,
        "messages": [{"role": "user", "content": "hi"}]});
    let err = c
        .invoke_model()
        .model_id(HAIKU_45)
        .body(Blob::new(body.to_string()))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.raw_response().unwrap().status().as_u16(), 400);
    assert!(err
        .into_service_error()
        .is_service_quota_exceeded_exception());
    emu.set_faults(Default::default());

    // Runtime CountTokens (data/models.json `count_tokens`, sources S17_MD and
    // S_COUNT_MEASURED): a bare Claude 4.5 / 4.6 base id is counted; its profile id is
    // refused; a model launched cross-Region only (Opus 4.7 and later) is refused (AWS sends
    // it to bedrock-mantle's count_tokens); an EOL model is gone.
    let input = ConverseTokensRequest::builder()
        .messages(user("What are your opening hours on Saturday?"))
        .system(SystemContentBlock::Text("You are a phone agent.".into()))
        .build();
    let count = |model: &str| {
        c.count_tokens()
            .model_id(model)
            .input(CountTokensInput::Converse(input.clone()))
            .send()
    };
    let err = count("anthropic.claude-sonnet-4-20250514-v1:0")
        .await
        .unwrap_err();
    assert_eq!(err.raw_response().unwrap().status().as_u16(), 404);
    let err = err.into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    assert_eq!(
        err.message(),
        Some("This model version has reached the end of its life. Please refer to the AWS documentation for more details.")
    );
    for model in [
        HAIKU_45,
        "global.anthropic.claude-sonnet-4-6",
        "anthropic.claude-opus-4-7",
    ] {
        let err = count(model).await.unwrap_err().into_service_error();
        assert!(err.is_validation_exception(), "{model}: {err:?}");
        assert_eq!(
            err.message(),
            Some("The provided model doesn't support counting tokens"),
            "{model}"
        );
    }
    assert_eq!(emu.counters().get("count-tokens", "ok"), 0);
    let mut counted = Vec::new();
    for model in [
        "anthropic.claude-haiku-4-5-20251001-v1:0",
        "anthropic.claude-sonnet-4-6",
    ] {
        let out = count(model)
            .await
            .unwrap_or_else(|e| panic!("{model}: {e:?}"));
        counted.push(out.input_tokens());
    }
    // The same input counts the same on both (the emulator counts the input, with no
    // per-model tokenizer).
    assert!(counted[0] > 0 && counted[0] == counted[1], "{counted:?}");
    assert_eq!(emu.counters().get("count-tokens", "ok"), 2);
}

#[tokio::test]
async fn throttle_above_a_request_rate_is_a_throttling_exception() {
    let (emu, c) = start().await;
    // 120 requests/min with a 1 s burst: 2 at once, then one every 500 ms.
    emu.set_faults(bedrock_emulator::parse_faults("rpm=120,rate_burst_ms=1000").unwrap());
    let call = || {
        c.converse()
            .model_id(HAIKU_45)
            .messages(user("When do you open?"))
            .send()
    };
    call().await.unwrap();
    call().await.unwrap();
    let err = call().await.unwrap_err();
    assert_eq!(err.raw_response().unwrap().status().as_u16(), 429);
    let err = err.into_service_error();
    assert_eq!(
        err.message(),
        Some("Too many requests, please wait before trying again.")
    );
    assert!(err.is_throttling_exception());
    assert_eq!(emu.counters().get("converse", "ok"), 2);
    assert_eq!(emu.counters().get("converse", "throttled"), 1);
    tokio::time::sleep(std::time::Duration::from_millis(550)).await;
    call().await.unwrap();
}
