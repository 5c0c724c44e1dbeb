//! Raw HTTP against the emulator: auth shapes, routing, malformed bodies, the blocking
//! handle, control endpoints and the binary.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

mod raw_http;

use bedrock_emulator::{
    sigv4, BlockingEmulator, EmulatorConfig, DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY,
};
use raw_http::{request, Resp};

const PATH: &str = "/model/us.anthropic.claude-haiku-4-5-20251001-v1%3A0/converse";
const BODY: &str = r#"{"messages":[{"role":"user","content":[{"text":"Hello"}]}]}"#;

fn signed(url: &str, path: &str, body: &str, secret: &str, at: i64) -> Vec<(String, String)> {
    let host = url.trim_start_matches("http://");
    sigv4::sign(
        "POST",
        host,
        path,
        body.as_bytes(),
        DEFAULT_ACCESS_KEY_ID,
        secret,
        "us-east-1",
        at,
        &[("content-type", "application/json")],
    )
    .into_iter()
    .chain([("content-type".to_string(), "application/json".to_string())])
    .collect()
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn auth_routing_and_malformed_bodies() {
    let emu = BlockingEmulator::start(EmulatorConfig {
        api_key: Some("k-123".into()),
        ..EmulatorConfig::default()
    })
    .unwrap();
    let url = emu.url().to_string();

    let r = request(&url, "POST", PATH, &[], BODY);
    assert_eq!(r.status, 403);
    assert_eq!(
        r.header("x-amzn-errortype"),
        Some("UnrecognizedClientException")
    );
    assert!(r.header("x-amzn-requestid").is_some());
    assert!(r.body.contains("\"message\""));

    let r = request(
        &url,
        "POST",
        PATH,
        &signed(&url, PATH, BODY, DEFAULT_SECRET_ACCESS_KEY, now()),
        BODY,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["output"]["message"]["role"], "assistant");
    assert_eq!(r.header("content-type"), Some("application/json"));

    // Signed for one body, sent with another.
    let tampered = BODY.replace("Hello", "Jello");
    let r = request(
        &url,
        "POST",
        PATH,
        &signed(&url, PATH, BODY, DEFAULT_SECRET_ACCESS_KEY, now()),
        &tampered,
    );
    assert_eq!(r.status, 403);
    assert_eq!(
        r.header("x-amzn-errortype"),
        Some("InvalidSignatureException")
    );
    assert!(r
        .body
        .contains("The request signature we calculated does not match"));

    let r = request(
        &url,
        "POST",
        PATH,
        &signed(&url, PATH, BODY, "wrong", now()),
        BODY,
    );
    assert_eq!(
        r.header("x-amzn-errortype"),
        Some("InvalidSignatureException")
    );

    let r = request(
        &url,
        "POST",
        PATH,
        &signed(&url, PATH, BODY, DEFAULT_SECRET_ACCESS_KEY, now() - 900),
        BODY,
    );
    assert_eq!(r.status, 403);
    assert!(r.body.contains("Signature expired"), "{}", r.body);

    let malformed = "{\"messages\": [";
    let r = request(
        &url,
        "POST",
        PATH,
        &signed(&url, PATH, malformed, DEFAULT_SECRET_ACCESS_KEY, now()),
        malformed,
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.header("x-amzn-errortype"), Some("ValidationException"));

    let bearer = |k: &str| vec![("authorization".to_string(), format!("Bearer {k}"))];
    assert_eq!(
        request(&url, "POST", PATH, &bearer("k-123"), BODY).status,
        200
    );
    assert_eq!(
        request(&url, "POST", PATH, &bearer("nope"), BODY).status,
        403
    );

    // InvokeModel with a non-Anthropic model, and Anthropic without max_tokens.
    let invoke = "/model/amazon.nova-lite-v1%3A0/invoke";
    let r = request(&url, "POST", invoke, &bearer("k-123"), "{}");
    assert_eq!(r.header("x-amzn-errortype"), Some("ValidationException"));
    let invoke = "/model/us.anthropic.claude-haiku-4-5-20251001-v1%3A0/invoke";
    let r = request(
        &url,
        "POST",
        invoke,
        &bearer("k-123"),
        r#"{"anthropic_version":"bedrock-2023-05-31","messages":[]}"#,
    );
    assert!(
        r.body.contains("required key [max_tokens] not found"),
        "{}",
        r.body
    );
    let r = request(
        &url,
        "POST",
        invoke,
        &bearer("k-123"),
        r#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":50,"messages":[{"role":"user","content":"hi"}]}"#,
    );
    assert_eq!(r.status, 200);
    assert!(r.header("x-amzn-bedrock-output-token-count").is_some());

    let r = request(&url, "POST", "/model/x/unknown-op", &[], "");
    assert_eq!(r.status, 404);
    assert_eq!(
        r.header("x-amzn-errortype"),
        Some("UnknownOperationException")
    );
    let r = request(&url, "GET", PATH, &[], "");
    assert_eq!(r.status, 404);
    // ApplyGuardrail and StartAsyncInvoke: malformed JSON is reported before the shape.
    for path in ["/guardrail/gr7abc/version/DRAFT/apply", "/async-invoke"] {
        let r = request(&url, "POST", path, &bearer("k-123"), "{\"source\": ");
        assert_eq!(r.status, 400, "{path}");
        assert!(
            r.body.contains("Malformed request body: invalid JSON"),
            "{path}: {}",
            r.body
        );
    }
    // ListAsyncInvokes.
    let list = "/async-invoke";
    let r = request(&url, "GET", list, &bearer("k-123"), "");
    assert_eq!(
        (r.status, r.body.as_str()),
        (200, r#"{"asyncInvokeSummaries":[]}"#)
    );
    // InvokeGuardrailChecks (botocore 1.44.8) is not served.
    let r = request(
        &url,
        "POST",
        "/guardrail-checks/invoke",
        &bearer("k-123"),
        "{}",
    );
    assert_eq!(
        (r.status, r.header("x-amzn-errortype")),
        (404, Some("UnknownOperationException"))
    );

    // Anthropic cache_control: written once, then read (Sonnet 4.6: 1,024-token minimum).
    let cached = format!(
        r#"{{"anthropic_version":"bedrock-2023-05-31","max_tokens":50,"system":[{{"type":"text","text":"{}","cache_control":{{"type":"ephemeral"}}}}],"messages":[{{"role":"user","content":"hi"}}]}}"#,
        "Policy text. ".repeat(400)
    );
    let usage =
        |r: Resp| serde_json::from_str::<serde_json::Value>(&r.body).unwrap()["usage"].clone();
    let sonnet = "/model/global.anthropic.claude-sonnet-4-6/invoke";
    let first = usage(request(&url, "POST", sonnet, &bearer("k-123"), &cached));
    assert_eq!(first["cache_creation_input_tokens"], 1300);
    assert_eq!(first["cache_read_input_tokens"], 0);
    let second = usage(request(&url, "POST", sonnet, &bearer("k-123"), &cached));
    assert_eq!(second["cache_read_input_tokens"], 1300);

    // A reset on a non-streaming route drops the connection without a response.
    let mut headers = bearer("k-123");
    headers.push(("x-emulator-fault".into(), "reset@0".into()));
    let addr = url.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).unwrap();
    let mut req = format!(
        "POST {PATH} HTTP/1.1\r\nhost: {addr}\r\ncontent-length: {}\r\n",
        BODY.len()
    );
    for (k, v) in &headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(BODY);
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    assert!(raw.is_empty(), "no response expected");

    // Control endpoints.
    let r = request(&url, "POST", "/_emulator/faults", &[], "throttle");
    assert_eq!(r.status, 200);
    assert_eq!(
        request(&url, "POST", PATH, &bearer("k-123"), BODY).status,
        429
    );
    let r = request(&url, "POST", "/_emulator/faults", &[], "");
    assert_eq!(r.status, 200);
    let r = request(&url, "GET", "/_emulator/counters", &[], "");
    let c: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(c["converse"]["throttled"], 1);
    assert_eq!(c["converse"]["auth_error"], 5);
    assert_eq!(c["unknown"]["not_found"], 3);
    assert_eq!(c["apply-guardrail"]["validation_error"], 1);
    assert_eq!(c["async-invoke"]["validation_error"], 1);
    assert_eq!(c["async-invoke"]["ok"], 1);
    assert_eq!(emu.counters().get("converse", "ok"), 2);
    assert_eq!(emu.counters().get("converse", "reset"), 1);
    assert_eq!(emu.counters().get("invoke", "ok"), 3);
    emu.shutdown();
}

#[test]
fn binary_prints_url_and_serves() {
    let bin = env!("CARGO_BIN_EXE_bedrock-emulator");
    let help = Command::new(bin).arg("--help").output().unwrap();
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("--faults"));
    let bad = Command::new(bin).arg("--bogus").output().unwrap();
    assert!(!bad.status.success());

    let mut child = Command::new(bin)
        .args([
            "--port",
            "0",
            "--api-key",
            "bin-key",
            "--faults",
            "throttle=0.5",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .expect("listening line")
        .to_string();
    assert!(url.starts_with("http://127.0.0.1:"));
    let auth = vec![("authorization".to_string(), "Bearer bin-key".to_string())];
    let statuses: Vec<u16> = (0..4)
        .map(|_| request(&url, "POST", PATH, &auth, BODY).status)
        .collect();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(statuses, vec![200, 429, 200, 429]);
}

/// A geographic inference profile called from a signing region outside its geography names no
/// model there: 400 ValidationException "The provided model identifier is invalid."
/// (github.com/anomalyco/opencode/issues/16747, github.com/anthropics/claude-code/issues/11489;
/// geographies from aws-cdk's CrossRegionInferenceProfileRegion, see catalog::profile_serves_region),
/// counted as a validation error. The ARN form is checked the same way; an API key carries no
/// region and is not checked.
#[test]
fn profile_geography_follows_the_signing_region() {
    let emu = BlockingEmulator::start(EmulatorConfig {
        api_key: Some("k-geo".into()),
        ..EmulatorConfig::default()
    })
    .unwrap();
    let url = emu.url().to_string();
    let host = url.trim_start_matches("http://").to_string();
    let call = |model: &str, region: &str| -> Resp {
        let path = format!(
            "/model/{}/converse",
            model.replace(':', "%3A").replace('/', "%2F")
        );
        let headers: Vec<(String, String)> = sigv4::sign(
            "POST",
            &host,
            &path,
            BODY.as_bytes(),
            DEFAULT_ACCESS_KEY_ID,
            DEFAULT_SECRET_ACCESS_KEY,
            region,
            now(),
            &[("content-type", "application/json")],
        )
        .into_iter()
        .chain([("content-type".to_string(), "application/json".to_string())])
        .collect();
        request(&url, "POST", &path, &headers, BODY)
    };
    let sonnet = "anthropic.claude-sonnet-4-6";
    let refused = [
        (format!("eu.{sonnet}"), "us-east-1"),
        (format!("us.{sonnet}"), "eu-west-1"),
        (format!("us.{sonnet}"), "us-gov-west-1"),
        (format!("jp.{sonnet}"), "ap-southeast-1"),
        (
            format!("arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu.{sonnet}"),
            "us-east-1",
        ),
    ];
    for (model, region) in &refused {
        let r = call(model, region);
        assert_eq!(r.status, 400, "{model} from {region}: {}", r.body);
        assert_eq!(r.header("x-amzn-errortype"), Some("ValidationException"));
        assert_eq!(
            r.json()["message"],
            "The provided model identifier is invalid.",
            "{model} from {region}"
        );
    }
    let served = [
        (format!("eu.{sonnet}"), "eu-central-1"),
        (format!("us.{sonnet}"), "us-west-2"),
        (format!("jp.{sonnet}"), "ap-northeast-3"),
        (format!("global.{sonnet}"), "eu-west-1"),
        (format!("global.{sonnet}"), "us-east-1"),
    ];
    for (model, region) in &served {
        let r = call(model, region);
        assert_eq!(r.status, 200, "{model} from {region}: {}", r.body);
    }
    // An API key has no signing region: not checked.
    let path = format!("/model/eu.{sonnet}/converse");
    let r = request(
        &url,
        "POST",
        &path,
        &[("authorization".to_string(), "Bearer k-geo".to_string())],
        BODY,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        emu.counters().get("converse", "validation_error"),
        refused.len() as u64
    );
    assert_eq!(
        emu.counters().get("converse", "ok"),
        served.len() as u64 + 1
    );
}

/// Converse `usage` carries the keys Bedrock sends (recorded answers, agentjido/req_llm
/// test/support/fixtures/amazon_bedrock/anthropic_claude_haiku_4_5_20251001_v1_0/ at commit
/// 19748e930d0c6049d1b42196f8cb1a4915638967): the read keys always, the write keys and
/// `cacheDetails` only when something was written (guardrail_converse_allowed.json,
/// prompt_cache_explicit.json). A client indexing `usage["cacheWriteInputTokens"]` must fail
/// here as it does on Bedrock.
#[test]
fn converse_usage_keys_as_bedrock_sends_them() {
    let emu = BlockingEmulator::start(EmulatorConfig {
        api_key: Some("k-usage".into()),
        ..EmulatorConfig::default()
    })
    .unwrap();
    let url = emu.url().to_string();
    let auth = vec![("authorization".to_string(), "Bearer k-usage".to_string())];
    let keys = |v: &serde_json::Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    let usage = |path: &str, body: &str| {
        let r = request(&url, "POST", path, &auth, body);
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()["usage"].clone()
    };
    let plain = [
        "cacheReadInputTokenCount",
        "cacheReadInputTokens",
        "inputTokens",
        "outputTokens",
        "serverToolUsage",
        "totalTokens",
    ];
    let u = usage(PATH, BODY);
    assert_eq!(keys(&u), plain, "{u}");
    assert_eq!(
        (&u["cacheReadInputTokens"], &u["serverToolUsage"]),
        (&serde_json::json!(0), &serde_json::json!({}))
    );

    // Sonnet 4.6 caches a prefix of 1,024 tokens and more: written, then read.
    let sonnet = "/model/global.anthropic.claude-sonnet-4-6/converse";
    let cached = format!(
        r#"{{"system":[{{"text":"{}"}},{{"cachePoint":{{"type":"default"}}}}],"messages":[{{"role":"user","content":[{{"text":"hi"}}]}}]}}"#,
        "Policy text. ".repeat(400)
    );
    let first = usage(sonnet, &cached);
    let mut written = plain.to_vec();
    written.extend([
        "cacheDetails",
        "cacheWriteInputTokenCount",
        "cacheWriteInputTokens",
    ]);
    written.sort();
    assert_eq!(keys(&first), written, "{first}");
    assert_eq!(first["cacheWriteInputTokens"], 1300);
    assert_eq!(first["cacheWriteInputTokenCount"], 1300);
    assert_eq!(first["cacheReadInputTokenCount"], 0);
    assert_eq!(
        first["cacheDetails"],
        serde_json::json!([{"inputTokens": 1300, "ttl": "5m"}])
    );
    // A read and nothing written: the read keys only.
    let second = usage(sonnet, &cached);
    assert_eq!(keys(&second), plain, "{second}");
    assert_eq!(second["cacheReadInputTokens"], 1300);
    assert_eq!(second["cacheReadInputTokenCount"], 1300);
    emu.shutdown();
}

/// `output_config.effort`: botocore 1.44.8's bedrock-runtime OutputConfig lists low, medium,
/// high, xhigh and max; Claude Opus 4.5 takes the first three and Bedrock refuses the others
/// there with "output_config.effort: Input should be 'low', 'medium' or 'high'" (measured on
/// InvokeModel, coder/coder#25356). Converse carries it as `outputConfig.effort`.
#[test]
fn output_config_effort_per_model() {
    let emu = BlockingEmulator::start(EmulatorConfig {
        api_key: Some("k-effort".into()),
        ..EmulatorConfig::default()
    })
    .unwrap();
    let url = emu.url().to_string();
    let auth = vec![("authorization".to_string(), "Bearer k-effort".to_string())];
    let opus45 = "us.anthropic.claude-opus-4-5-20251101-v1%3A0";
    let opus47 = "global.anthropic.claude-opus-4-7";
    let invoke = |model: &str, effort: &str| {
        let body = format!(
            r#"{{"anthropic_version":"bedrock-2023-05-31","max_tokens":50,"output_config":{{"effort":{effort}}},"messages":[{{"role":"user","content":"hi"}}]}}"#
        );
        request(
            &url,
            "POST",
            &format!("/model/{model}/invoke"),
            &auth,
            &body,
        )
    };
    for effort in [r#""low""#, r#""medium""#, r#""high""#] {
        assert_eq!(invoke(opus45, effort).status, 200, "{effort}");
    }
    for effort in [r#""xhigh""#, r#""max""#] {
        let r = invoke(opus45, effort);
        assert_eq!(r.status, 400, "{}", r.body);
        assert_eq!(
            r.json()["message"],
            "output_config.effort: Input should be 'low', 'medium' or 'high'"
        );
        assert_eq!(invoke(opus47, effort).status, 200, "{effort} on Opus 4.7");
    }
    assert_eq!(invoke(opus45, "null").status, 200, "null is no effort");
    for effort in [r#""extreme""#, "3"] {
        let r = invoke(opus47, effort);
        assert_eq!(r.status, 400, "{}", r.body);
        assert_eq!(
            r.json()["message"],
            "output_config.effort: Input should be 'low', 'medium', 'high', 'xhigh' or 'max'"
        );
    }
    // Opus 4.6 / Sonnet 4.6: all but xhigh (langchain-aws's model profiles).
    let sonnet46 = "global.anthropic.claude-sonnet-4-6";
    assert_eq!(invoke(sonnet46, r#""max""#).status, 200);
    let r = invoke(sonnet46, r#""xhigh""#);
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(
        r.json()["message"],
        "output_config.effort: Input should be 'low', 'medium', 'high' or 'max'"
    );
    // Converse: outputConfig.effort, and the model's words behind Converse's prefix.
    let converse = |model: &str, effort: &str| {
        let body = format!(
            r#"{{"messages":[{{"role":"user","content":[{{"text":"hi"}}]}}],"outputConfig":{{"effort":"{effort}"}}}}"#
        );
        request(
            &url,
            "POST",
            &format!("/model/{model}/converse"),
            &auth,
            &body,
        )
    };
    assert_eq!(converse(opus45, "medium").status, 200);
    assert_eq!(converse(opus47, "max").status, 200);
    let r = converse(opus45, "max");
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(
        r.json()["message"],
        "The model returned the following errors: output_config.effort: Input should be 'low', 'medium' or 'high'"
    );
    emu.shutdown();
}

/// An image inside `toolResult.content`: Claude and Nova take it (botocore's
/// ToolResultContentBlock: "only supported by Amazon Nova and Anthropic Claude 3 and 4
/// models"); Bedrock refuses it for the OpenAI models with "This model doesn't support the
/// image field for user messages. Remove image and try again." (can1357/oh-my-pi#11685).
#[test]
fn tool_result_images_only_for_claude_and_nova() {
    let emu = BlockingEmulator::start(EmulatorConfig {
        api_key: Some("k-images".into()),
        ..EmulatorConfig::default()
    })
    .unwrap();
    let url = emu.url().to_string();
    let auth = vec![("authorization".to_string(), "Bearer k-images".to_string())];
    let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
    let body = |result: &str| {
        format!(
            r#"{{"messages":[{{"role":"user","content":[{{"text":"Show the chart."}}]}},
            {{"role":"assistant","content":[{{"toolUse":{{"toolUseId":"tooluse_1","name":"chart","input":{{}}}}}}]}},
            {{"role":"user","content":[{{"toolResult":{{"toolUseId":"tooluse_1","content":[{result}]}}}}]}}],
            "toolConfig":{{"tools":[{{"toolSpec":{{"name":"chart","inputSchema":{{"json":{{"type":"object"}}}}}}}}]}}}}"#
        )
    };
    let image = format!(r#"{{"image":{{"format":"png","source":{{"bytes":"{png}"}}}}}}"#);
    let converse =
        |model: &str, b: &str| request(&url, "POST", &format!("/model/{model}/converse"), &auth, b);
    for model in [
        "us.anthropic.claude-haiku-4-5-20251001-v1%3A0",
        "us.amazon.nova-pro-v1%3A0",
    ] {
        let r = converse(model, &body(&image));
        assert_eq!(r.status, 200, "{model}: {}", r.body);
    }
    let gpt = "openai.gpt-oss-120b-1%3A0";
    let r = converse(gpt, &body(&image));
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(
        r.json()["message"],
        "This model doesn't support the image field for user messages. Remove image and try again."
    );
    let r = converse(gpt, &body(r#"{"text":"42"}"#));
    assert_eq!(r.status, 200, "{}", r.body);
    emu.shutdown();
}

/// A Claude toolUse block in a Converse answer carries `"type": "tool_use"` as Bedrock's does
/// (agentjido/req_llm sequential_tool_cache_1.json, recorded 2026-09-08), and the assistant
/// message sent back as it came is taken (the service model's ToolUseType lists only
/// `server_tool_use`). Nova's block has no type.
#[test]
fn claude_tool_use_blocks_carry_their_type_and_round_trip() {
    let emu = BlockingEmulator::start(EmulatorConfig {
        api_key: Some("k-tooluse".into()),
        ..EmulatorConfig::default()
    })
    .unwrap();
    let url = emu.url().to_string();
    let auth = vec![("authorization".to_string(), "Bearer k-tooluse".to_string())];
    let tools = r#""toolConfig":{"tools":[{"toolSpec":{"name":"get_weather","inputSchema":{"json":{"type":"object","properties":{"city":{"type":"string"}}}}}}],"toolChoice":{"any":{}}}"#;
    let ask = r#"{"role":"user","content":[{"text":"Weather in Paris?"}]}"#;
    let converse = |model: &str, messages: &str| {
        let body = format!(r#"{{"messages":[{messages}],{tools}}}"#);
        let r = request(
            &url,
            "POST",
            &format!("/model/{model}/converse"),
            &auth,
            &body,
        );
        assert_eq!(r.status, 200, "{model}: {}", r.body);
        r.json()
    };
    let haiku = "us.anthropic.claude-haiku-4-5-20251001-v1%3A0";
    let out = converse(haiku, ask);
    let message = &out["output"]["message"];
    let tool_use = &message["content"][0]["toolUse"];
    assert_eq!(tool_use["type"], "tool_use", "{out}");
    let result = format!(
        r#"{{"role":"user","content":[{{"toolResult":{{"toolUseId":{},"content":[{{"text":"Sunny"}}]}}}}]}}"#,
        tool_use["toolUseId"]
    );
    converse(haiku, &format!("{ask},{message},{result}"));
    let nova = converse("us.amazon.nova-pro-v1%3A0", ask);
    let block = &nova["output"]["message"]["content"][0]["toolUse"];
    assert!(block.is_object() && block.get("type").is_none(), "{nova}");
    emu.shutdown();
}
