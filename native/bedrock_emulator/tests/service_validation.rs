//! Bedrock's server-side input validation over raw HTTP (what a client with its own
//! validation off, e.g. botocore with `parameter_validation=False`, gets back): constraints
//! from the service model (`data/service_shapes.json`), all violations in one Coral-style
//! message, wrong JSON types as `SerializationException`, unknown members ignored; and the
//! Converse members handled with it (structured output, additionalModelResponseFieldPaths).

mod raw_http;

use bedrock_emulator::{BlockingEmulator, EmulatorConfig};
use raw_http::{request, Resp};

const HAIKU: &str = "us.anthropic.claude-haiku-4-5-20251001-v1%3A0";

fn post(url: &str, path: &str, extra: &[(&str, &str)], body: &str) -> Resp {
    let mut headers = vec![
        ("authorization".to_string(), "Bearer k-1".to_string()),
        ("content-type".to_string(), "application/json".to_string()),
    ];
    headers.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    request(url, "POST", path, &headers, body)
}

fn emulator() -> (BlockingEmulator, String) {
    let emu = BlockingEmulator::start(EmulatorConfig {
        api_key: Some("k-1".into()),
        ..EmulatorConfig::default()
    })
    .unwrap();
    let url = emu.url().to_string();
    (emu, url)
}

fn error(r: &Resp) -> (u16, String, String) {
    (
        r.status,
        r.header("x-amzn-errortype").unwrap_or_default().to_string(),
        r.json()["message"].as_str().unwrap_or_default().to_string(),
    )
}

#[test]
fn converse_constraints_are_reported_together() {
    let (_emu, url) = emulator();
    let body = r#"{"messages":[{"role":"user","content":[{"text":"Hi"}]}],
        "inferenceConfig":{"maxTokens":0,"topP":1.5,"stopSequences":["a"]},
        "toolConfig":{"tools":[{"toolSpec":{"name":"get weather","inputSchema":{"json":{}}}}],
                      "toolChoice":{"tool":{}}}}"#;
    for route in ["converse", "converse-stream"] {
        let r = post(&url, &format!("/model/{HAIKU}/{route}"), &[], body);
        assert_eq!(
            error(&r),
            (
                400,
                "ValidationException".into(),
                "4 validation errors detected: \
                 Value '0' at 'inferenceConfig.maxTokens' failed to satisfy constraint: Member must have value greater than or equal to 1; \
                 Value '1.5' at 'inferenceConfig.topP' failed to satisfy constraint: Member must have value less than or equal to 1; \
                 Value 'get weather' at 'toolConfig.tools.1.member.toolSpec.name' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+; \
                 Value null at 'toolConfig.toolChoice.tool.name' failed to satisfy constraint: Member must not be null"
                    .into()
            ),
            "{route}"
        );
    }
    // Validation runs before the model is looked up, as Bedrock's framework does.
    let r = post(
        &url,
        "/model/no.such-model/converse",
        &[],
        r#"{"messages":[{"role":"user","content":[{"text":"Hi"}]}],"inferenceConfig":{"maxTokens":-1}}"#,
    );
    assert!(error(&r)
        .2
        .starts_with("1 validation error detected: Value '-1' at 'inferenceConfig.maxTokens'"));
    // A model id outside the pattern (a space) is a constraint violation of the URI label.
    let r = post(
        &url,
        "/model/my%20model/converse",
        &[],
        r#"{"messages":[{"role":"user","content":[{"text":"Hi"}]}]}"#,
    );
    let (status, kind, message) = error(&r);
    assert_eq!((status, kind.as_str()), (400, "ValidationException"));
    assert!(
        message.starts_with("1 validation error detected: Value 'my model' at 'modelId' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:aws"),
        "{message}"
    );
}

#[test]
fn wrong_types_unknown_members_and_documents() {
    let (_emu, url) = emulator();
    let path = format!("/model/{HAIKU}/converse");
    let r = post(
        &url,
        &path,
        &[],
        r#"{"messages":[{"role":"user","content":[{"text":"Hi"}]}],"inferenceConfig":{"maxTokens":"10"}}"#,
    );
    assert_eq!(
        error(&r),
        (
            400,
            "SerializationException".into(),
            "STRING_VALUE can not be converted to an Integer".into()
        )
    );
    let r = post(&url, &path, &[], r#"{"messages":{"role":"user"}}"#);
    assert_eq!(
        error(&r).2,
        "Start of structure or map found where not expected."
    );
    // Unknown members are ignored (JSON protocols' forward compatibility).
    let r = post(
        &url,
        &path,
        &[],
        r#"{"messages":[{"role":"user","content":[{"text":"Hi"}],"name":"x"}],"foo":1,"system":null}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    // Document members Bedrock wants as JSON objects.
    let r = post(
        &url,
        &path,
        &[],
        r#"{"messages":[{"role":"user","content":[{"text":"Hi"}]}],
            "toolConfig":{"tools":[{"toolSpec":{"name":"t","inputSchema":{"json":"{\"type\":\"object\"}"}}}]}}"#,
    );
    assert_eq!(
        error(&r),
        (
            400,
            "ValidationException".into(),
            "The format of the value at toolConfig.tools.0.toolSpec.inputSchema.json is invalid. Provide a json object for the field and try again.".into()
        )
    );
}

#[test]
fn invoke_headers_and_count_tokens_input() {
    let (_emu, url) = emulator();
    let body = r#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":20,"messages":[{"role":"user","content":"Hi"}]}"#;
    let path = format!("/model/{HAIKU}/invoke");
    let r = post(
        &url,
        &path,
        &[
            ("x-amzn-bedrock-trace", "LOUD"),
            ("x-amzn-bedrock-performanceconfig-latency", "fast"),
        ],
        body,
    );
    assert_eq!(
        error(&r),
        (
            400,
            "ValidationException".into(),
            "2 validation errors detected: \
             Value 'LOUD' at 'trace' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED, ENABLED_FULL]; \
             Value 'fast' at 'performanceConfigLatency' failed to satisfy constraint: Member must satisfy enum value set: [optimized, standard]"
                .into()
        )
    );
    let r = post(&url, &path, &[("x-amzn-bedrock-trace", "ENABLED")], body);
    assert_eq!(r.status, 200, "{}", r.body);
    // Guardrail headers must name one that exists (this instance has none).
    let r = post(
        &url,
        &path,
        &[
            ("x-amzn-bedrock-guardrailidentifier", "gr7abc"),
            ("x-amzn-bedrock-guardrailversion", "1"),
        ],
        body,
    );
    assert_eq!(
        error(&r),
        (
            400,
            "ValidationException".into(),
            "The guardrail identifier or version provided in the request does not exist.".into()
        )
    );

    let count = "/model/anthropic.claude-sonnet-4-20250514-v1%3A0/count-tokens";
    let r = post(&url, count, &[], "{}");
    assert_eq!(
        error(&r),
        (
            400,
            "ValidationException".into(),
            "1 validation error detected: Value null at 'input' failed to satisfy constraint: Member must not be null".into()
        )
    );
    let r = post(
        &url,
        count,
        &[],
        r#"{"input":{"converse":{"messages":[{"role":"user","content":[{"text":"Hi"}]}],"toolConfig":{"tools":[]}}}}"#,
    );
    assert_eq!(
        error(&r).2,
        "1 validation error detected: Value '[]' at 'input.converse.toolConfig.tools' failed to satisfy constraint: Member must have length greater than or equal to 1"
    );
    // Members ConverseTokensRequest does not have are ignored, whatever their values: the
    // request passes validation and gets the same answer as without them (Claude Sonnet 4,
    // the last runtime-countable model of AWS's table, is past its end of life).
    let answer_of = |extra: &str| {
        let r = post(
            &url,
            count,
            &[],
            &format!(
                r#"{{"input":{{"converse":{{"messages":[{{"role":"user","content":[{{"text":"Hi there"}}]}}]{extra}}}}}}}"#
            ),
        );
        error(&r)
    };
    let plain = answer_of("");
    assert_eq!(plain.0, 404, "{plain:?}");
    assert!(plain.2.contains("end of its life"), "{plain:?}");
    assert_eq!(
        answer_of(r#","inferenceConfig":{"maxTokens":0,"temperature":5}"#),
        plain
    );
}

#[test]
fn structured_output_answers_json_that_follows_the_schema() {
    let (_emu, url) = emulator();
    let schema = r#"{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"},\"days\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":3},\"units\":{\"enum\":[\"metric\",\"imperial\"]}},\"required\":[\"city\",\"days\",\"units\"]}"#;
    let body = format!(
        r#"{{"messages":[{{"role":"user","content":[{{"text":"Forecast for Paris, please"}}]}}],
            "outputConfig":{{"textFormat":{{"type":"json_schema","structure":{{"jsonSchema":{{"schema":"{schema}","name":"forecast"}}}}}}}}}}"#
    );
    let r = post(&url, &format!("/model/{HAIKU}/converse"), &[], &body);
    assert_eq!(r.status, 200, "{}", r.body);
    let text = r.json()["output"]["message"]["content"][0]["text"]
        .as_str()
        .unwrap()
        .to_string();
    let answer: serde_json::Value = serde_json::from_str(&text).expect("the answer is JSON");
    assert_eq!(answer["city"], "Paris");
    assert!((1..=3).contains(&answer["days"].as_i64().unwrap()));
    assert_eq!(answer["units"], "metric");

    // InvokeModel: Anthropic's `output_config.format`.
    let body = r#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":200,
        "messages":[{"role":"user","content":"Forecast for Paris"}],
        "output_config":{"format":{"type":"json_schema","schema":{"type":"object","properties":{"ok":{"type":"boolean"}},"required":["ok"]}}}}"#;
    let r = post(&url, &format!("/model/{HAIKU}/invoke"), &[], body);
    assert_eq!(r.status, 200, "{}", r.body);
    let text = r.json()["content"][0]["text"].as_str().unwrap().to_string();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&text).unwrap(),
        serde_json::json!({"ok": true})
    );

    // A schema that is not a JSON object; the type outside the enum.
    let bad = r#"{"messages":[{"role":"user","content":[{"text":"Hi"}]}],
        "outputConfig":{"textFormat":{"type":"json_schema","structure":{"jsonSchema":{"schema":"[1]"}}}}}"#;
    let r = post(&url, &format!("/model/{HAIKU}/converse"), &[], bad);
    assert_eq!(error(&r).2, "The format of the value at outputConfig.textFormat.structure.jsonSchema.schema is invalid. Provide a json object for the field and try again.");
    let bad = r#"{"messages":[{"role":"user","content":[{"text":"Hi"}]}],
        "outputConfig":{"textFormat":{"type":"json","structure":{"jsonSchema":{"schema":"{}"}}}}}"#;
    let r = post(&url, &format!("/model/{HAIKU}/converse"), &[], bad);
    assert_eq!(error(&r).2, "1 validation error detected: Value 'json' at 'outputConfig.textFormat.type' failed to satisfy constraint: Member must satisfy enum value set: [json_schema]");
}

#[test]
fn additional_model_response_fields_follow_the_pointers() {
    let (emu, url) = emulator();
    emu.set_rules(vec![bedrock_emulator::Rule {
        reply: Some("We open at nine. Goodbye.".into()),
        ..Default::default()
    }]);
    let body = r#"{"messages":[{"role":"user","content":[{"text":"Hours?"}]}],
        "inferenceConfig":{"stopSequences":["Goodbye"]},
        "additionalModelResponseFieldPaths":["/stop_sequence","/usage/output_tokens","/no/such/field"]}"#;
    let r = post(&url, &format!("/model/{HAIKU}/converse"), &[], body);
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["stopReason"], "stop_sequence");
    assert_eq!(
        v["additionalModelResponseFields"],
        serde_json::json!({"stop_sequence": "Goodbye", "usage": {"output_tokens": v["usage"]["outputTokens"]}})
    );
    // (ConverseStream carries them on messageStop: tests/clients/check_boto3.py.)
    // Not asked: absent.
    let plain = r#"{"messages":[{"role":"user","content":[{"text":"Hours?"}]}]}"#;
    let r = post(&url, &format!("/model/{HAIKU}/converse"), &[], plain);
    assert!(r.json().get("additionalModelResponseFields").is_none());
    // A malformed pointer is a 400.
    let bad = r#"{"messages":[{"role":"user","content":[{"text":"Hours?"}]}],"additionalModelResponseFieldPaths":["stop_sequence"]}"#;
    let r = post(&url, &format!("/model/{HAIKU}/converse"), &[], bad);
    let (status, kind, message) = error(&r);
    assert_eq!((status, kind.as_str()), (400, "ValidationException"));
    assert!(
        message.contains("additionalModelResponseFieldPaths.0"),
        "{message}"
    );
}

#[test]
fn max_tokens_above_the_model_limit_is_rejected() {
    let (_emu, url) = emulator();
    let text = "The maximum tokens you requested exceeds the model limit of 64000. Try again with a maximum tokens value that is lower than 64000.";
    let converse = |n: u64| {
        post(
            &url,
            &format!("/model/{HAIKU}/converse"),
            &[],
            &format!(
                r#"{{"messages":[{{"role":"user","content":[{{"text":"Hi"}}]}}],"inferenceConfig":{{"maxTokens":{n}}}}}"#
            ),
        )
    };
    assert_eq!(converse(64000).status, 200);
    assert_eq!(
        error(&converse(64001)),
        (400, "ValidationException".into(), text.into())
    );
    let r = post(
        &url,
        &format!("/model/{HAIKU}/invoke"),
        &[],
        r#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":100000,"messages":[{"role":"user","content":"Hi"}]}"#,
    );
    assert_eq!(error(&r), (400, "ValidationException".into(), text.into()));
}

#[test]
fn each_operation_has_its_own_constraints() {
    let (_emu, url) = emulator();
    let body = r#"{"messages":[{"role":"user","content":[{"text":"Hi"}]}],
        "guardrailConfig":{"guardrailIdentifier":"gr7abc","guardrailVersion":"1","streamProcessingMode":"fast"}}"#;
    // ConverseStream's GuardrailStreamConfiguration has streamProcessingMode...
    let r = post(&url, &format!("/model/{HAIKU}/converse-stream"), &[], body);
    assert_eq!(
        error(&r),
        (
            400,
            "ValidationException".into(),
            "1 validation error detected: Value 'fast' at 'guardrailConfig.streamProcessingMode' failed to satisfy constraint: Member must satisfy enum value set: [sync, async]".into()
        )
    );
    // ...Converse's GuardrailConfiguration has not: the member is ignored there (and this
    // instance has no guardrail gr7abc).
    let r = post(&url, &format!("/model/{HAIKU}/converse"), &[], body);
    assert_eq!(
        error(&r).2,
        "The guardrail identifier or version provided in the request does not exist."
    );
}

/// Service tiers and latency settings: served and echoed (AWS's service-tiers page: "The
/// service tier configuration for a served request is visible in API response"); the
/// refusals as Bedrock words them (NousResearch/hermes-agent#34476, measured on Converse).
#[test]
fn service_tier_and_latency_are_echoed_or_refused() {
    let (_emu, url) = emulator();
    let converse = format!("/model/{HAIKU}/converse");
    let body = |extra: &str| {
        format!(r#"{{"messages":[{{"role":"user","content":[{{"text":"Hi"}}]}}]{extra}}}"#)
    };
    let r = post(
        &url,
        &converse,
        &[],
        &body(r#","serviceTier":{"type":"flex"},"performanceConfig":{"latency":"optimized"}"#),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["serviceTier"], serde_json::json!({"type": "flex"}));
    assert_eq!(
        r.json()["performanceConfig"],
        serde_json::json!({"latency": "optimized"})
    );
    // Not asked for: not in the response.
    let r = post(&url, &converse, &[], &body(""));
    assert!(r.json().get("serviceTier").is_none(), "{}", r.body);
    assert!(r.json().get("performanceConfig").is_none(), "{}", r.body);
    // (The stream's metadata event: tests/sdk.rs, through the SDK's event-stream decoder.)
    for (tier, message) in [
        ("reserved", "Reservation not found."),
        ("cheapest", "service tier provided is invalid"),
    ] {
        let r = post(
            &url,
            &converse,
            &[],
            &body(&format!(r#","serviceTier":{{"type":"{tier}"}}"#)),
        );
        assert_eq!(
            error(&r),
            (400, "ValidationException".into(), message.into()),
            "{tier}"
        );
    }
    let r = post(
        &url,
        &converse,
        &[],
        &body(r#","performanceConfig":{"latency":"turbo"}"#),
    );
    assert_eq!(
        error(&r),
        (
            400,
            "ValidationException".into(),
            "1 validation error detected: Value 'turbo' at 'performanceConfig.latency' failed to satisfy constraint: Member must satisfy enum value set: [optimized, standard]".into()
        )
    );

    // InvokeModel: request headers in, response headers out.
    let invoke = r#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":20,"messages":[{"role":"user","content":"Hi"}]}"#;
    for route in ["invoke", "invoke-with-response-stream"] {
        let r = post(
            &url,
            &format!("/model/{HAIKU}/{route}"),
            &[
                ("x-amzn-bedrock-service-tier", "flex"),
                ("x-amzn-bedrock-performanceconfig-latency", "standard"),
            ],
            invoke,
        );
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.header("x-amzn-bedrock-service-tier"), Some("flex"));
        assert_eq!(
            r.header("x-amzn-bedrock-performanceconfig-latency"),
            Some("standard")
        );
    }
    let r = post(&url, &format!("/model/{HAIKU}/invoke"), &[], invoke);
    assert_eq!(r.header("x-amzn-bedrock-service-tier"), None);
    let r = post(
        &url,
        &format!("/model/{HAIKU}/invoke"),
        &[("x-amzn-bedrock-service-tier", "reserved")],
        invoke,
    );
    assert_eq!(
        error(&r),
        (
            400,
            "ValidationException".into(),
            "Reservation not found.".into()
        )
    );
}
