//! The `throttle_above` fault over raw HTTP: windows per model and Region (from the SigV4
//! credential scope) or per instance, token rates, rule-scoped limits, the counters and the
//! control endpoints.

use std::time::{Duration, Instant};

mod raw_http;

use bedrock_emulator::{parse_faults, BlockingEmulator, EmulatorConfig};
use raw_http::request;

const HAIKU: &str = "us.anthropic.claude-haiku-4-5-20251001-v1%3A0";
const SONNET_45: &str = "us.anthropic.claude-sonnet-4-5-20250929-v1%3A0";

fn start(faults: &str) -> BlockingEmulator {
    BlockingEmulator::start(EmulatorConfig {
        verify_signatures: false,
        faults: parse_faults(faults).unwrap(),
        ..EmulatorConfig::default()
    })
    .unwrap()
}

/// A Converse call signed (in form) for `region`; returns the status.
fn converse(emu: &BlockingEmulator, model: &str, region: &str, body: &str) -> u16 {
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261204/{region}/bedrock/aws4_request, SignedHeaders=host, Signature=00"
    );
    let headers = vec![
        ("authorization".to_string(), auth),
        ("content-type".to_string(), "application/json".to_string()),
    ];
    let r = request(
        emu.url(),
        "POST",
        &format!("/model/{model}/converse"),
        &headers,
        body,
    );
    if r.status == 429 {
        assert_eq!(r.header("x-amzn-errortype"), Some("ThrottlingException"));
    }
    r.status
}

const HELLO: &str = r#"{"messages":[{"role":"user","content":[{"text":"Hello"}]}]}"#;

#[test]
fn requests_over_the_rate_per_model_and_region() {
    // 60/min, 2 s burst: two at once per (model, Region).
    let emu = start("rpm=60,rate_burst_ms=2000");
    let statuses: Vec<u16> = (0..4)
        .map(|_| converse(&emu, HAIKU, "us-east-1", HELLO))
        .collect();
    assert_eq!(statuses, [200, 200, 429, 429]);
    // Another Region and another model have their own windows.
    assert_eq!(converse(&emu, HAIKU, "us-west-2", HELLO), 200);
    assert_eq!(converse(&emu, SONNET_45, "us-east-1", HELLO), 200);
    let c = emu.counters();
    assert_eq!(
        (c.get("converse", "ok"), c.get("converse", "throttled")),
        (4, 2)
    );
    assert_eq!(c.total_requests, 6);
    // One request per second refills.
    std::thread::sleep(Duration::from_millis(1_050));
    assert_eq!(converse(&emu, HAIKU, "us-east-1", HELLO), 200);
    assert_eq!(converse(&emu, HAIKU, "us-east-1", HELLO), 429);
    // Resetting the counters refills the windows.
    emu.reset_counters();
    assert_eq!(converse(&emu, HAIKU, "us-east-1", HELLO), 200);
}

#[test]
fn one_window_per_instance_and_the_rate_holds_over_time() {
    // 600/min, 200 ms burst: 2 at once, then one per 100 ms, over all models and Regions.
    let emu = start("rpm=600,rate_burst_ms=200,rate_per=instance");
    assert_eq!(converse(&emu, HAIKU, "us-east-1", HELLO), 200);
    assert_eq!(converse(&emu, SONNET_45, "us-east-2", HELLO), 200);
    assert_eq!(converse(&emu, HAIKU, "us-west-2", HELLO), 429);
    // Back to back for ~1.5 s: about 15 more admitted (2 + 1.5 s × 10/s at most).
    let started = Instant::now();
    let mut ok = 0;
    while started.elapsed() < Duration::from_millis(1_500) {
        ok += (converse(&emu, HAIKU, "us-east-1", HELLO) == 200) as u32;
    }
    let most = 2 + (started.elapsed().as_millis() as u32).div_ceil(100);
    assert!((5..=most).contains(&ok), "{ok} admitted, at most {most}");
}

#[test]
fn tokens_per_minute_and_rule_scoped_limits() {
    // 60 tokens/min with a 1 s burst: 1 token in the bucket. A reservation (input +
    // maxTokens) larger than the bucket passes on a full bucket and leaves it in debt (the
    // call used more than one token), so the next call is throttled on tokens.
    let emu = start("tpm=60,rate_burst_ms=1000");
    let big = r#"{"messages":[{"role":"user","content":[{"text":"Hello"}]}],"inferenceConfig":{"maxTokens":400}}"#;
    let small = r#"{"messages":[{"role":"user","content":[{"text":"Hello"}]}],"inferenceConfig":{"maxTokens":20}}"#;
    assert_eq!(converse(&emu, HAIKU, "us-east-1", big), 200);
    let r = request(emu.url(), "POST", &format!("/model/{HAIKU}/converse"), &[
        ("authorization".to_string(), "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261204/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=00".to_string()),
        ("content-type".to_string(), "application/json".to_string()),
    ], small);
    assert_eq!(r.status, 429);
    assert_eq!(
        r.json()["message"],
        "Too many tokens, please wait before trying again."
    );
    emu.set_faults(Default::default());
    assert_eq!(converse(&emu, HAIKU, "us-east-1", small), 200);

    // A limit set by a rule applies only to the requests that rule matches.
    emu.set_rules(
        bedrock_emulator::rules_from_json(serde_json::json!([
            {"model": "claude-haiku-4-5", "faults": {"throttle_above": {"requests_per_minute": 60, "burst_ms": 1000}}}
        ]))
        .unwrap(),
    );
    assert_eq!(converse(&emu, HAIKU, "us-east-1", HELLO), 200);
    assert_eq!(converse(&emu, HAIKU, "us-east-1", HELLO), 429);
    for _ in 0..3 {
        assert_eq!(converse(&emu, SONNET_45, "us-east-1", HELLO), 200);
    }
}

#[test]
fn control_endpoint_sets_and_rejects_rates() {
    let emu = start("");
    let set = |body: &str| request(emu.url(), "POST", "/_emulator/faults", &[], body).status;
    assert_eq!(set(r#"{"throttle_above": {"rpm": 0}}"#), 400);
    assert_eq!(set(r#"{"throttle_above": {}}"#), 400);
    assert_eq!(set(r#""rpm=60,rate_per=galaxy""#), 400);
    assert_eq!(
        set(r#"{"throttle_above": {"requests_per_minute": 60, "burst_ms": 1000}}"#),
        200
    );
    assert_eq!(converse(&emu, HAIKU, "us-east-1", HELLO), 200);
    assert_eq!(converse(&emu, HAIKU, "us-east-1", HELLO), 429);
    assert_eq!(
        request(emu.url(), "POST", "/_emulator/reset", &[], "").status,
        200
    );
    assert_eq!(converse(&emu, HAIKU, "us-east-1", HELLO), 200);
}
