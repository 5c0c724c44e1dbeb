//! Red-team probe of the read-only control plane (handlers/control_plane.rs) over raw HTTP:
//! odd and huge `maxResults` / `nextToken`, broken percent-encoding, hostile identifiers and
//! a long list of application profiles. Every answer is a JSON 200, 400 or 404 (never a 5xx,
//! a dropped connection or a hang), and paging visits every profile exactly once.

mod raw_http;

use bedrock_emulator::{BlockingEmulator, EmulatorConfig};
use raw_http::{request, Resp};
use serde_json::{json, Value};

fn emulator(apps: usize) -> BlockingEmulator {
    let profiles: Vec<Value> = (0..apps)
        .map(|i| {
            json!({
                "id": format!("app{i:09}"),
                "name": format!("app {i}"),
                "model_source": "us.anthropic.claude-haiku-4-5-20251001-v1:0",
            })
        })
        .collect();
    let config = EmulatorConfig::from_json(json!({
        "api_key": "k-probe",
        "application_profiles": profiles,
    }))
    .expect("config");
    BlockingEmulator::start(config).expect("starts")
}

fn get(url: &str, path: &str) -> Resp {
    let auth = [("authorization".to_string(), "Bearer k-probe".to_string())];
    request(url, "GET", path, &auth, "")
}

/// A JSON answer of an allowed status; its body.
fn answered(url: &str, path: &str, allowed: &[u16]) -> Value {
    let r = get(url, path);
    assert!(
        allowed.contains(&r.status),
        "{path}: {} {}",
        r.status,
        r.body.chars().take(300).collect::<String>()
    );
    r.json()
}

#[test]
fn odd_paging_parameters_are_a_400_or_a_page_never_a_5xx() {
    let emu = emulator(3);
    let url = emu.url().to_string();
    let long_token = format!("ip{}", "9".repeat(3_000));
    let long_digits = format!("ip1{}", "0".repeat(60));
    let queries: Vec<String> = [
        "maxResults=0",
        "maxResults=-1",
        "maxResults=1001",
        "maxResults=18446744073709551616",
        "maxResults=99999999999999999999999999999",
        "maxResults=1e3",
        "maxResults=%205",
        "maxResults=+5",
        "maxResults=0x10",
        "maxResults=",
        "maxResults",
        "maxResults=5%00",
        "maxResults=%",
        "maxResults=%%",
        "maxResults=%G0",
        "maxResults=1&maxResults=abc",
        "nextToken=",
        "nextToken=ip0",
        "nextToken=ip",
        "nextToken=ip-1",
        "nextToken=ip%2B1",
        "nextToken=ip+1",
        "nextToken=ipNaN",
        "nextToken=%FF%FE",
        "nextToken=%E0%80",
        "nextToken=a%20b",
        "nextToken=ip18446744073709551615",
        "nextToken=ip18446744073709551616",
        "nextToken=ip1000000",
        "type=APPLICATION&maxResults=1&nextToken=ip9",
        "type=application",
        "type=",
        "&&&&",
        "=",
        "==&=&",
        "%",
        "a=%E0%80%80",
    ]
    .iter()
    .map(|q| q.to_string())
    .chain([
        format!("nextToken={long_token}"),
        format!("nextToken={}", long_digits),
        format!("x={}", "y".repeat(60_000)),
        format!("nextToken={}", "%41".repeat(5_000)),
    ])
    .collect();
    for q in &queries {
        let path = format!("/inference-profiles?{q}");
        let v = answered(&url, &path, &[200, 400]);
        assert!(v.is_object(), "{path}: {v}");
    }
    // The foundation-model list takes its filters from the same parser.
    for q in [
        "byProvider=%FF",
        "byOutputModality=TEXT&byOutputModality=%00",
        "byInferenceType=ON_DEMAND%",
        "byCustomizationType=",
        "%%%%",
    ] {
        answered(&url, &format!("/foundation-models?{q}"), &[200, 400]);
    }
}

#[test]
fn hostile_identifiers_are_a_4xx() {
    let emu = emulator(2);
    let url = emu.url().to_string();
    let long = "a".repeat(10_000);
    let ids = [
        "%2F..%2F..%2Fetc%2Fpasswd".to_string(),
        "%00".to_string(),
        "%FF".to_string(),
        "%".to_string(),
        "arn:".to_string(),
        "arn%3A%3A%3A%3A%3A".to_string(),
        "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/".to_string(),
        "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile%2F".to_string(),
        "arn:aws:bedrock::::application-inference-profile/app000000000".to_string(),
        "arn:aws:bedrock:::inference-profile/".to_string(),
        "arn:aws:bedrock:%FF:123456789012:inference-profile/us.x".to_string(),
        long.clone(),
        format!("arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/{long}"),
    ];
    for id in &ids {
        for route in [
            "inference-profiles",
            "foundation-models",
            "foundation-model-availability",
        ] {
            let path = format!("/{route}/{id}");
            let v = answered(&url, &path, &[200, 400, 404]);
            assert!(v.is_object(), "{path}: {v}");
        }
    }
    // A configured application profile is found by id and by its ARN in its region only.
    let v = answered(&url, "/inference-profiles/app000000001", &[200]);
    assert_eq!(v["type"], "APPLICATION");
}

/// An application profile belongs to its account: the ARN of the same id under another
/// account names nothing, on GetInferenceProfile (404) and at the runtime (400), where the
/// emulator's own account's ARN is found and invoked.
#[test]
fn another_accounts_application_profile_arn_is_refused() {
    let emu = emulator(2);
    let url = emu.url().to_string();
    let arn = |account: &str| {
        format!("arn%3Aaws%3Abedrock%3Aus-east-1%3A{account}%3Aapplication-inference-profile%2Fapp000000001")
    };
    let auth = [
        ("authorization".to_string(), "Bearer k-probe".to_string()),
        ("content-type".to_string(), "application/json".to_string()),
    ];
    let body = r#"{"messages":[{"role":"user","content":[{"text":"Hello"}]}]}"#;
    let own = answered(
        &url,
        &format!("/inference-profiles/{}", arn("123456789012")),
        &[200],
    );
    assert_eq!(own["inferenceProfileId"], "app000000001");
    let r = request(
        &url,
        "POST",
        &format!("/model/{}/converse", arn("123456789012")),
        &auth,
        body,
    );
    assert_eq!(r.status, 200, "{}", r.body);

    let foreign = arn("210987654321");
    answered(&url, &format!("/inference-profiles/{foreign}"), &[404]);
    let r = request(
        &url,
        "POST",
        &format!("/model/{foreign}/converse"),
        &auth,
        body,
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(
        r.json()["message"],
        "The provided model identifier is invalid."
    );
}

/// 1,000 application profiles walked one page of 7 at a time: every profile once, in order,
/// and the last page has no token.
#[test]
fn paging_a_long_profile_list_visits_each_profile_once() {
    let emu = emulator(1_000);
    let url = emu.url().to_string();
    let mut seen: Vec<String> = Vec::new();
    let mut next: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut path = "/inference-profiles?type=APPLICATION&maxResults=7".to_string();
        if let Some(t) = &next {
            path.push_str(&format!("&nextToken={t}"));
        }
        let v = answered(&url, &path, &[200]);
        let page = v["inferenceProfileSummaries"].as_array().expect("a list");
        assert!(page.len() <= 7);
        seen.extend(
            page.iter()
                .map(|p| p["inferenceProfileId"].as_str().unwrap().to_string()),
        );
        pages += 1;
        assert!(pages < 1_000, "paging does not end");
        match v.get("nextToken").and_then(Value::as_str) {
            Some(t) => next = Some(t.to_string()),
            None => break,
        }
    }
    let want: Vec<String> = (0..1_000).map(|i| format!("app{i:09}")).collect();
    assert_eq!(seen, want);
    // A token past the end is refused, not an empty page with another token.
    answered(
        &url,
        "/inference-profiles?type=APPLICATION&nextToken=ip1001",
        &[400],
    );
}

#[test]
fn application_profile_configurations_that_must_be_refused() {
    let app =
        |id: &str, name: &str, src: &str| json!({"id": id, "name": name, "model_source": src});
    let haiku = "us.anthropic.claude-haiku-4-5-20251001-v1:0";
    let bad = [
        json!([app("dup1", "a", haiku), app("dup1", "b", haiku)]),
        json!([app("", "a", haiku)]),
        json!([app(&"x".repeat(65), "a", haiku)]),
        json!([app("a/b", "a", haiku)]),
        json!([app("a%2Fb", "a", haiku)]),
        json!([app("ok1", "", haiku)]),
        json!([app("ok1", "bad  name", haiku)]),
        json!([app("ok1", &"n".repeat(65), haiku)]),
        json!([app("ok1", "a", "")]),
        json!([app("ok1", "a", "not-a-model")]),
        json!([app(
            "ok1",
            "a",
            "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/ok1"
        )]),
    ];
    for apps in bad {
        let config = EmulatorConfig::from_json(json!({ "application_profiles": apps }));
        let refused = match config {
            Err(_) => true,
            Ok(c) => BlockingEmulator::start(c).is_err(),
        };
        assert!(refused, "started with {apps}");
    }
}
