//! Nova Sonic's InvokeModelWithBidirectionalStream, driven by the real aws-sdk-bedrockruntime
//! client over HTTP/2 (the TLS listener, ALPN h2): every output event kind, the input order
//! the service enforces, barge-in, a tool round, the connection limit and faults.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use aws_credential_types::Credentials;
use aws_sdk_bedrockruntime::config::retry::RetryConfig;
use aws_sdk_bedrockruntime::config::{BehaviorVersion, Region};
use aws_sdk_bedrockruntime::operation::invoke_model_with_bidirectional_stream::InvokeModelWithBidirectionalStreamOutput;
use aws_sdk_bedrockruntime::primitives::Blob;
use aws_sdk_bedrockruntime::types::error::{
    InvokeModelWithBidirectionalStreamInputError, InvokeModelWithBidirectionalStreamOutputError,
};
use aws_sdk_bedrockruntime::types::{
    BidirectionalInputPayloadPart, InvokeModelWithBidirectionalStreamInput as Input,
    InvokeModelWithBidirectionalStreamOutput as Output,
};
use aws_sdk_bedrockruntime::Client;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider, TlsContext, TrustStore};
use base64::Engine;
use bedrock_emulator::config::SonicSettings;
use bedrock_emulator::{Emulator, EmulatorConfig, Rule, ScriptedToolUse};
use serde_json::{json, Value};
use tokio::sync::mpsc;

const MODEL: &str = "amazon.nova-2-sonic-v1:0";
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

type InputItem = Result<Input, InvokeModelWithBidirectionalStreamInputError>;

/// The SDK's input stream fed from a channel.
struct ChannelStream(mpsc::Receiver<InputItem>);

impl futures_core::Stream for ChannelStream {
    type Item = InputItem;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<InputItem>> {
        self.0.poll_recv(cx)
    }
}

fn settings() -> SonicSettings {
    SonicSettings {
        turn_silence_ms: 200,
        speed: 20.0,
        ..SonicSettings::default()
    }
}

async fn start(sonic: SonicSettings, rules: Vec<Rule>) -> Emulator {
    Emulator::start(EmulatorConfig {
        tls: true,
        sonic,
        rules,
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts")
}

fn client_in(emu: &Emulator, region: &str, url: &str) -> Client {
    let trust = TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(emu.ca_pem().unwrap().as_bytes().to_vec());
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .tls_context(
            TlsContext::builder()
                .with_trust_store(trust)
                .build()
                .unwrap(),
        )
        .build_https();
    let c = emu.credentials();
    let conf = aws_sdk_bedrockruntime::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(http)
        .region(Region::new(region.to_string()))
        .endpoint_url(url)
        .retry_config(RetryConfig::disabled())
        .credentials_provider(Credentials::new(
            c.access_key_id,
            c.secret_access_key,
            None,
            None,
            "test",
        ))
        .build();
    Client::from_conf(conf)
}

fn client(emu: &Emulator) -> Client {
    client_in(emu, "us-east-1", emu.tls_url().unwrap())
}

/// One open bidirectional stream: `send` JSON events, `next` output events.
struct Call {
    tx: Option<mpsc::Sender<InputItem>>,
    out: InvokeModelWithBidirectionalStreamOutput,
}

type RecvError = aws_sdk_bedrockruntime::error::SdkError<
    InvokeModelWithBidirectionalStreamOutputError,
    aws_smithy_types::event_stream::RawMessage,
>;

impl Call {
    async fn open(c: &Client, model: &str, fault: Option<&'static str>) -> Result<Call, String> {
        let (tx, rx) = mpsc::channel(256);
        let req = c
            .invoke_model_with_bidirectional_stream()
            .model_id(model)
            .body(ChannelStream(rx).into());
        let out = match fault {
            Some(spec) => {
                req.customize()
                    .mutate_request(move |r| {
                        r.headers_mut().insert("x-emulator-fault", spec);
                    })
                    .send()
                    .await
            }
            None => req.send().await,
        };
        match out {
            Ok(out) => Ok(Call { tx: Some(tx), out }),
            Err(e) => Err(format!("{:?}", e.into_service_error())),
        }
    }

    async fn send(&self, event: Value) {
        let part = BidirectionalInputPayloadPart::builder()
            .bytes(Blob::new(json!({ "event": event }).to_string()))
            .build();
        if let Some(tx) = &self.tx {
            let _ = tx.send(Ok(Input::Chunk(part))).await;
        }
    }

    /// The next output event (`{"eventName": {...}}`), `Ok(None)` at the end of the stream.
    async fn next(&mut self) -> Result<Option<Value>, RecvError> {
        let got = tokio::time::timeout(Duration::from_secs(10), self.out.body.recv())
            .await
            .expect("an output event within 10 s")?;
        Ok(got.map(|o| match o {
            Output::Chunk(part) => {
                let v: Value = serde_json::from_slice(part.bytes().unwrap().as_ref()).unwrap();
                v["event"].clone()
            }
            other => panic!("unexpected output {other:?}"),
        }))
    }

    /// Output events up to and including the first one named `last`.
    async fn until(&mut self, last: &str) -> Vec<Value> {
        let mut events = Vec::new();
        loop {
            let e = self.next().await.unwrap().expect("stream still open");
            let done = name(&e) == last;
            events.push(e);
            if done {
                return events;
            }
        }
    }

    fn close_input(&mut self) {
        self.tx = None;
    }
}

fn name(e: &Value) -> &str {
    e.as_object()
        .and_then(|o| o.keys().next())
        .map(String::as_str)
        .unwrap_or("")
}

fn body(e: &Value) -> &Value {
    &e[name(e)]
}

fn session_start() -> Value {
    json!({"sessionStart": {"inferenceConfiguration": {"maxTokens": 1024, "topP": 0.9, "temperature": 0.7}}})
}

fn prompt_start(tools: bool) -> Value {
    let mut p = json!({"promptName": "p1",
        "textOutputConfiguration": {"mediaType": "text/plain"},
        "audioOutputConfiguration": {"mediaType": "audio/lpcm", "sampleRateHertz": 24000,
            "sampleSizeBits": 16, "channelCount": 1, "voiceId": "matthew", "encoding": "base64",
            "audioType": "SPEECH"}});
    if tools {
        p["toolUseOutputConfiguration"] = json!({"mediaType": "application/json"});
        p["toolConfiguration"] = json!({"tools": [{"toolSpec": {"name": "book_slot",
            "description": "Books a slot",
            "inputSchema": {"json": "{\"type\":\"object\",\"properties\":{\"slot\":{\"type\":\"string\"}}}"}}}]});
    }
    json!({ "promptStart": p })
}

fn text_content(name: &str, role: &str, interactive: bool, text: &str) -> [Value; 3] {
    [
        json!({"contentStart": {"promptName": "p1", "contentName": name, "type": "TEXT",
            "interactive": interactive, "role": role,
            "textInputConfiguration": {"mediaType": "text/plain"}}}),
        json!({"textInput": {"promptName": "p1", "contentName": name, "content": text}}),
        json!({"contentEnd": {"promptName": "p1", "contentName": name}}),
    ]
}

fn audio_start(name: &str) -> Value {
    json!({"contentStart": {"promptName": "p1", "contentName": name, "type": "AUDIO",
        "interactive": true, "role": "USER",
        "audioInputConfiguration": {"mediaType": "audio/lpcm", "sampleRateHertz": 16000,
            "sampleSizeBits": 16, "channelCount": 1, "audioType": "SPEECH", "encoding": "base64"}}})
}

/// 32 ms of 16 kHz PCM: a loud tone (speech) or zeros (silence).
fn frame(name: &str, voiced: bool) -> Value {
    let mut pcm = Vec::with_capacity(1024);
    for i in 0..512 {
        let s: i16 = if voiced {
            ((i as f64 * 0.2).sin() * 8000.0) as i16
        } else {
            0
        };
        pcm.extend_from_slice(&s.to_le_bytes());
    }
    json!({"audioInput": {"promptName": "p1", "contentName": name, "content": B64.encode(pcm)}})
}

async fn setup(call: &Call, tools: bool) {
    call.send(session_start()).await;
    call.send(prompt_start(tools)).await;
    for e in text_content("sys", "SYSTEM", false, "You are a helpful booking agent.") {
        call.send(e).await;
    }
}

fn names(events: &[Value]) -> Vec<&str> {
    events.iter().map(name).collect()
}

fn stage(e: &Value) -> String {
    let fields = body(e)["additionalModelFields"].as_str().unwrap_or("{}");
    let v: Value = serde_json::from_str(fields).unwrap();
    v["generationStage"].as_str().unwrap_or("").to_string()
}

#[tokio::test]
async fn audio_turn_then_text_turn_over_http2() {
    let emu = start(
        settings(),
        vec![Rule {
            transcript: Some("What time do you open?".into()),
            reply: Some("We open at nine.".into()),
            ..Rule::default()
        }],
    )
    .await;
    let c = client(&emu);
    let mut call = Call::open(&c, MODEL, None).await.unwrap();
    setup(&call, false).await;
    call.send(audio_start("a1")).await;
    for _ in 0..10 {
        call.send(frame("a1", true)).await; // 320 ms of speech
    }
    for _ in 0..10 {
        call.send(frame("a1", false)).await; // 320 ms of silence ends the turn (200 ms)
    }
    let events = call.until("completionEnd").await;
    let n = names(&events);
    assert_eq!(n[0], "completionStart");
    // ASR transcript of the caller, FINAL.
    assert_eq!(&n[1..4], ["contentStart", "textOutput", "contentEnd"]);
    assert_eq!(body(&events[1])["role"], "USER");
    assert_eq!(stage(&events[1]), "FINAL");
    assert_eq!(body(&events[2])["content"], "What time do you open?");
    // Speculative assistant text, then the audio, then the final text.
    assert_eq!(body(&events[4])["role"], "ASSISTANT");
    assert_eq!(stage(&events[4]), "SPECULATIVE");
    assert_eq!(body(&events[5])["content"], "We open at nine.");
    assert_eq!(body(&events[7])["type"], "AUDIO");
    let cfg = &body(&events[7])["audioOutputConfiguration"];
    assert_eq!(
        (
            cfg["sampleRateHertz"].as_u64(),
            cfg["sampleSizeBits"].as_u64()
        ),
        (Some(24000), Some(16))
    );
    let audio: Vec<u8> = events
        .iter()
        .filter(|e| name(e) == "audioOutput")
        .flat_map(|e| B64.decode(body(e)["content"].as_str().unwrap()).unwrap())
        .collect();
    // 16 characters at 60 ms each = 960 ms of 24 kHz 16-bit mono.
    assert_eq!(audio.len(), 24_000 * 2 * 960 / 1000);
    assert!(audio.iter().any(|b| *b != 0), "a tone, not silence");
    let audio_end = events
        .iter()
        .position(|e| name(e) == "contentEnd" && body(e)["type"] == "AUDIO")
        .unwrap();
    assert_eq!(body(&events[audio_end])["stopReason"], "END_TURN");
    assert_eq!(stage(&events[audio_end + 1]), "FINAL");
    assert_eq!(body(&events[audio_end + 2])["content"], "We open at nine.");
    let usage = events.iter().find(|e| name(e) == "usageEvent").unwrap();
    let u = body(usage);
    assert!(u["totalInputTokens"].as_u64().unwrap() > 0);
    assert_eq!(
        u["totalTokens"].as_u64(),
        Some(u["totalInputTokens"].as_u64().unwrap() + u["totalOutputTokens"].as_u64().unwrap())
    );
    assert!(
        u["details"]["total"]["output"]["speechTokens"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert_eq!(body(events.last().unwrap())["stopReason"], "END_TURN");
    // Every event carries the same session, prompt and completion ids.
    let ids = |e: &Value| {
        (
            body(e)["sessionId"].clone(),
            body(e)["promptName"].clone(),
            body(e)["completionId"].clone(),
        )
    };
    assert!(events.iter().all(|e| ids(e) == ids(&events[0])));
    assert_eq!(body(&events[0])["promptName"], "p1");

    // Text input (Nova 2 Sonic): answered without an ASR transcript.
    call.send(json!({"contentEnd": {"promptName": "p1", "contentName": "a1"}}))
        .await;
    for e in text_content("t1", "USER", true, "Thanks") {
        call.send(e).await;
    }
    let events = call.until("completionEnd").await;
    assert_eq!(body(&events[1])["role"], "ASSISTANT");
    assert_eq!(body(&events[2])["content"], "We open at nine.");
    assert_ne!(body(&events[0])["completionId"], Value::Null);
    // Usage: delta is this completion's, total the session's so far.
    let u2 = body(events.iter().find(|e| name(e) == "usageEvent").unwrap());
    let speech_out = |u: &Value, part: &str| {
        u["details"][part]["output"]["speechTokens"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(speech_out(u2, "delta"), 960 / 40);
    assert_eq!(speech_out(u2, "total"), 2 * 960 / 40);
    assert_eq!(
        u2["totalOutputTokens"].as_u64().unwrap(),
        u["totalOutputTokens"].as_u64().unwrap()
            + speech_out(u2, "delta")
            + u2["details"]["delta"]["output"]["textTokens"]
                .as_u64()
                .unwrap()
    );

    call.send(json!({"promptEnd": {"promptName": "p1"}})).await;
    call.send(json!({"sessionEnd": {}})).await;
    call.close_input();
    assert!(
        call.next().await.unwrap().is_none(),
        "the stream ends after sessionEnd"
    );
    tokio::time::sleep(Duration::from_millis(50)).await;
    let counters = emu.counters();
    assert_eq!(counters.get("invoke-with-bidirectional-stream", "ok"), 1);
    assert_eq!(counters.open_streams, 0);
}

async fn expect_violation(events: Vec<Value>, wanted: &str) {
    let emu = start(settings(), Vec::new()).await;
    let c = client(&emu);
    let mut call = Call::open(&c, MODEL, None).await.unwrap();
    for e in events {
        call.send(e).await;
    }
    let err = loop {
        match call.next().await {
            Ok(Some(_)) => continue,
            Ok(None) => panic!("stream ended without an error ({wanted})"),
            Err(e) => break e.into_service_error(),
        }
    };
    assert!(err.is_validation_exception(), "{err:?}");
    let msg = err.meta().message().unwrap_or("").to_string();
    assert!(msg.contains(wanted), "{msg:?} should mention {wanted:?}");
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        emu.counters()
            .get("invoke-with-bidirectional-stream", "validation_error"),
        1
    );
}

#[tokio::test]
async fn order_errors_are_validation_exceptions() {
    // Anything before sessionStart.
    expect_violation(vec![prompt_start(false)], "sessionStart must be the first").await;
    // Audio before promptStart.
    expect_violation(
        vec![session_start(), frame("a1", true)],
        "before promptStart",
    )
    .await;
    // Content of an unknown prompt.
    let mut wrong = audio_start("a1");
    wrong["contentStart"]["promptName"] = json!("nope");
    expect_violation(
        vec![session_start(), prompt_start(false), wrong],
        "unknown promptName",
    )
    .await;
    // Audio into a content that was never started.
    expect_violation(
        vec![session_start(), prompt_start(false), frame("a9", true)],
        "unknown contentName",
    )
    .await;
    // Odd byte count of PCM.
    let mut odd = frame("a1", true);
    odd["audioInput"]["content"] = json!(B64.encode([1u8, 2, 3]));
    expect_violation(
        vec![session_start(), prompt_start(false), audio_start("a1"), odd],
        "whole 16-bit samples",
    )
    .await;
    // A system prompt after interactive content.
    let [s, _, _] = text_content("late", "SYSTEM", false, "x");
    expect_violation(
        vec![session_start(), prompt_start(false), audio_start("a1"), s],
        "system prompt must come before",
    )
    .await;
    // Wrong output sample rate.
    let mut bad_rate = prompt_start(false);
    bad_rate["promptStart"]["audioOutputConfiguration"]["sampleRateHertz"] = json!(44100);
    expect_violation(vec![session_start(), bad_rate], "sampleRateHertz").await;
    // Tool result for an id the model never asked for.
    let result_start = json!({"contentStart": {"promptName": "p1", "contentName": "r1",
        "interactive": false, "type": "TOOL", "role": "TOOL",
        "toolResultInputConfiguration": {"toolUseId": "tooluse_x", "type": "TEXT",
            "textInputConfiguration": {"mediaType": "text/plain"}}}});
    expect_violation(
        vec![session_start(), prompt_start(true), result_start],
        "unknown toolUseId",
    )
    .await;
}

#[tokio::test]
async fn malformed_json_is_a_validation_exception() {
    let emu = start(settings(), Vec::new()).await;
    let c = client(&emu);
    let mut call = Call::open(&c, MODEL, None).await.unwrap();
    let part = BidirectionalInputPayloadPart::builder()
        .bytes(Blob::new("{\"event\": {\"sessionStart\": "))
        .build();
    call.tx
        .as_ref()
        .unwrap()
        .send(Ok(Input::Chunk(part)))
        .await
        .unwrap();
    let err = call.next().await.unwrap_err().into_service_error();
    assert!(err.is_validation_exception(), "{err:?}");
    assert!(err.meta().message().unwrap().contains("not valid JSON"));
}

#[tokio::test]
async fn barge_in_interrupts_the_audio() {
    // Real-time playback of a long reply so the caller can speak over it.
    let emu = start(
        SonicSettings {
            turn_silence_ms: 150,
            ..SonicSettings::default()
        },
        vec![Rule {
            reply: Some(
                "Let me read you our whole list of opening hours, day by day, slowly.".into(),
            ),
            ..Rule::default()
        }],
    )
    .await;
    let c = client(&emu);
    let mut call = Call::open(&c, MODEL, None).await.unwrap();
    setup(&call, false).await;
    call.send(audio_start("a1")).await;
    for _ in 0..8 {
        call.send(frame("a1", true)).await;
    }
    for _ in 0..8 {
        call.send(frame("a1", false)).await;
    }
    let mut before = call.until("audioOutput").await;
    before.extend(call.until("audioOutput").await);
    // The caller talks over the model.
    for _ in 0..6 {
        call.send(frame("a1", true)).await;
    }
    let events = call.until("completionEnd").await;
    let audio_end = events
        .iter()
        .find(|e| name(e) == "contentEnd" && body(e)["type"] == "AUDIO")
        .unwrap();
    assert_eq!(body(audio_end)["stopReason"], "INTERRUPTED");
    let interrupted = events.iter().find(|e| name(e) == "textOutput").unwrap();
    assert_eq!(body(interrupted)["content"], "{ \"interrupted\" : true }");
    assert_eq!(body(events.last().unwrap())["stopReason"], "INTERRUPTED");
    let sent: usize = before
        .iter()
        .chain(events.iter())
        .filter(|e| name(e) == "audioOutput")
        .count();
    // 70 characters = 4.2 s = 105 chunks at real time; the barge-in cut it short.
    assert!(sent < 50, "{sent} chunks went out");
    // The caller's speech becomes the next turn.
    for _ in 0..8 {
        call.send(frame("a1", false)).await;
    }
    let next = call.until("completionStart").await;
    assert_eq!(name(next.last().unwrap()), "completionStart");
}

#[tokio::test]
async fn tool_use_round() {
    let emu = start(
        settings(),
        vec![Rule {
            transcript: Some("Book me in at half past ten".into()),
            tool_uses: Some(vec![ScriptedToolUse {
                name: "book_slot".into(),
                input: json!({"slot": "10:30"}),
                id: Some("tooluse_fixed".into()),
            }]),
            reply_after_tool: Some("You are booked for ten thirty.".into()),
            ..Rule::default()
        }],
    )
    .await;
    let c = client(&emu);
    let mut call = Call::open(&c, MODEL, None).await.unwrap();
    setup(&call, true).await;
    call.send(audio_start("a1")).await;
    for voiced in [true; 8].into_iter().chain([false; 8]) {
        call.send(frame("a1", voiced)).await;
    }
    let events = call.until("toolUse").await;
    let start = &events[events.len() - 2];
    assert_eq!(
        (body(start)["type"].as_str(), body(start)["role"].as_str()),
        (Some("TOOL"), Some("TOOL"))
    );
    let tool = body(events.last().unwrap());
    assert_eq!(tool["toolName"], "book_slot");
    assert_eq!(tool["toolUseId"], "tooluse_fixed");
    let input: Value = serde_json::from_str(tool["content"].as_str().unwrap()).unwrap();
    assert_eq!(input, json!({"slot": "10:30"}));
    let end = call.next().await.unwrap().unwrap();
    assert_eq!(body(&end)["stopReason"], "TOOL_USE");
    // Nothing more until the tool result arrives.
    assert!(
        tokio::time::timeout(Duration::from_millis(300), call.next())
            .await
            .is_err(),
        "the model waits for the tool result"
    );
    for e in [
        json!({"contentStart": {"promptName": "p1", "contentName": "r1", "interactive": false,
            "type": "TOOL", "role": "TOOL", "toolResultInputConfiguration": {"toolUseId": "tooluse_fixed",
            "type": "TEXT", "textInputConfiguration": {"mediaType": "text/plain"}}}}),
        json!({"toolResult": {"promptName": "p1", "contentName": "r1", "content": "{\"booked\":true}"}}),
        json!({"contentEnd": {"promptName": "p1", "contentName": "r1"}}),
    ] {
        call.send(e).await;
    }
    let events = call.until("completionEnd").await;
    let texts: Vec<&str> = events
        .iter()
        .filter(|e| name(e) == "textOutput")
        .map(|e| body(e)["content"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        [
            "You are booked for ten thirty.",
            "You are booked for ten thirty."
        ]
    );
    assert!(events.iter().any(|e| name(e) == "audioOutput"));
    assert_eq!(body(&events[0])["completionId"], body(&end)["completionId"]);
}

#[tokio::test]
async fn connection_limit_ends_the_stream() {
    let emu = start(
        SonicSettings {
            connection_limit_ms: 400,
            ..settings()
        },
        Vec::new(),
    )
    .await;
    let c = client(&emu);
    let mut call = Call::open(&c, MODEL, None).await.unwrap();
    setup(&call, false).await;
    let started = std::time::Instant::now();
    let err = loop {
        match call.next().await {
            Ok(Some(_)) => continue,
            Ok(None) => panic!("ended without the limit error"),
            Err(e) => break e.into_service_error(),
        }
    };
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(err.is_validation_exception(), "{err:?}");
    assert!(err.meta().message().unwrap().contains("connection limit"));
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        emu.counters()
            .get("invoke-with-bidirectional-stream", "time_limit"),
        1
    );
}

#[tokio::test]
async fn faults_before_and_during_the_stream() {
    let emu = start(settings(), Vec::new()).await;
    let c = client(&emu);
    let err = Call::open(&c, MODEL, Some("error=ServiceUnavailableException"))
        .await
        .err()
        .unwrap();
    assert!(err.contains("ServiceUnavailableException"), "{err}");
    let err = Call::open(&c, MODEL, Some("throttle")).await.err().unwrap();
    assert!(err.contains("ThrottlingException"), "{err}");
    // A mid-stream exception after two output events.
    let mut call = Call::open(&c, MODEL, Some("exception=throttlingException@2"))
        .await
        .unwrap();
    setup(&call, false).await;
    for e in text_content("t1", "USER", true, "hello") {
        call.send(e).await;
    }
    assert_eq!(
        name(&call.next().await.unwrap().unwrap()),
        "completionStart"
    );
    assert_eq!(name(&call.next().await.unwrap().unwrap()), "contentStart");
    let err = call.next().await.unwrap_err().into_service_error();
    assert!(err.is_throttling_exception(), "{err:?}");
    // Delay: pacing first_token_ms holds the reply back.
    let emu2 = Emulator::start(EmulatorConfig {
        tls: true,
        sonic: settings(),
        pacing: bedrock_emulator::Pacing {
            first_token_ms: Some(300),
            stamp: Some(true),
            ..Default::default()
        },
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let c2 = client(&emu2);
    let mut call = Call::open(&c2, MODEL, None).await.unwrap();
    setup(&call, false).await;
    let sent = std::time::Instant::now();
    for e in text_content("t1", "USER", true, "hello") {
        call.send(e).await;
    }
    call.until("completionStart").await;
    assert!(sent.elapsed() >= Duration::from_millis(300));
    // Pacing `stamp`: every audio chunk opens with its send time in 24 quiet samples (8 of
    // magic, 16 nibbles of µs since the epoch; render/stamp.rs), the JSON is unchanged.
    let events = call.until("completionEnd").await;
    let audio: Vec<&Value> = events.iter().filter(|e| name(e) == "audioOutput").collect();
    assert!(!audio.is_empty());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as u64;
    for e in audio {
        let pcm = base64::engine::general_purpose::STANDARD
            .decode(body(e)["content"].as_str().unwrap())
            .unwrap();
        let s: Vec<i16> = pcm[..48]
            .chunks(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect();
        assert_eq!(s[..8], [10, 5, 10, 5, 3, 12, 3, 12]);
        let micros = s[8..]
            .iter()
            .enumerate()
            .fold(0u64, |acc, (i, v)| acc | ((*v as u64) << (4 * i)));
        assert!(
            micros <= now && now - micros < 30_000_000,
            "{micros} vs {now}"
        );
    }
}

#[tokio::test]
async fn model_and_region_checks() {
    let emu = start(settings(), Vec::new()).await;
    let url = emu.tls_url().unwrap().to_string();
    let c = client(&emu);
    // Nova Sonic v1 is past its end of life.
    let err = Call::open(&c, "amazon.nova-sonic-v1:0", None)
        .await
        .err()
        .unwrap();
    assert!(err.contains("ResourceNotFoundException"), "{err}");
    // Nova 2 Sonic is in-Region only: no geographic profile.
    let err = Call::open(&c, "us.amazon.nova-2-sonic-v1:0", None)
        .await
        .err()
        .unwrap();
    assert!(err.contains("ValidationException"), "{err}");
    // A text model on this route.
    let err = Call::open(&c, "anthropic.claude-3-haiku-20240307-v1:0", None)
        .await
        .err()
        .unwrap();
    assert!(err.contains("ValidationException"), "{err}");
    // A region Nova 2 Sonic does not run in.
    let err = Call::open(&client_in(&emu, "eu-west-1", &url), MODEL, None)
        .await
        .err()
        .unwrap();
    assert!(err.contains("ValidationException"), "{err}");
    // One it does.
    let mut call = Call::open(&client_in(&emu, "eu-north-1", &url), MODEL, None)
        .await
        .unwrap();
    call.send(session_start()).await;
    call.send(json!({"sessionEnd": {}})).await;
    call.close_input();
    assert!(call.next().await.unwrap().is_none());
    // Every speech model of the table is served here (Nova 2.5 Sonic by its base id).
    let mut call = Call::open(&c, "amazon.nova-2-5-sonic", None).await.unwrap();
    call.send(session_start()).await;
    call.send(json!({"sessionEnd": {}})).await;
    call.close_input();
    assert!(call.next().await.unwrap().is_none());
    // The text routes refuse a speech-to-speech model (Converse cannot serve it).
    use aws_sdk_bedrockruntime::types::{ContentBlock, ConversationRole, Message};
    for id in [MODEL, "amazon.nova-2-5-sonic"] {
        let err = c
            .converse()
            .model_id(id)
            .messages(
                Message::builder()
                    .role(ConversationRole::User)
                    .content(ContentBlock::Text("hello".into()))
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap_err();
        let text = format!("{err:?}");
        assert!(text.contains("ValidationException"), "{id}: {text}");
        assert!(text.contains("doesn't support the model"), "{id}: {text}");
    }
}

#[tokio::test]
async fn plain_http_listener_serves_the_route_too() {
    let emu = start(settings(), Vec::new()).await;
    let c = client_in(&emu, "us-east-1", emu.url());
    let mut call = Call::open(&c, MODEL, None).await.unwrap();
    setup(&call, false).await;
    for e in text_content("t1", "USER", true, "hello") {
        call.send(e).await;
    }
    let events = call.until("completionEnd").await;
    assert_eq!(body(&events[1])["role"], "ASSISTANT");
}

async fn text_turn(call: &Call) {
    setup(call, false).await;
    for e in text_content("t1", "USER", true, "hello") {
        call.send(e).await;
    }
}

#[tokio::test]
async fn reset_truncate_corrupt_and_stall_count_output_events() {
    let emu = start(settings(), Vec::new()).await;
    let c = client(&emu);
    let route = "invoke-with-bidirectional-stream";
    // truncate@3: three events, then a clean end of the stream.
    let mut call = Call::open(&c, MODEL, Some("truncate@3")).await.unwrap();
    text_turn(&call).await;
    for _ in 0..3 {
        assert!(call.next().await.unwrap().is_some());
    }
    assert!(call.next().await.unwrap().is_none());
    // reset@2: two events, then the connection is reset.
    let mut call = Call::open(&c, MODEL, Some("reset@2")).await.unwrap();
    text_turn(&call).await;
    for _ in 0..2 {
        assert!(call.next().await.unwrap().is_some());
    }
    assert!(call.next().await.is_err());
    // corrupt@1: the second frame fails its CRC.
    let c2 = client(&emu);
    let mut call = Call::open(&c2, MODEL, Some("corrupt@1")).await.unwrap();
    text_turn(&call).await;
    assert!(call.next().await.unwrap().is_some());
    assert!(call.next().await.is_err());
    // stall@1: one event, then nothing while the connection stays open.
    let c3 = client(&emu);
    let mut call = Call::open(&c3, MODEL, Some("stall@1")).await.unwrap();
    text_turn(&call).await;
    assert!(call.next().await.unwrap().is_some());
    assert!(
        tokio::time::timeout(Duration::from_millis(300), call.out.body.recv())
            .await
            .is_err()
    );
    drop(call);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let counters = emu.counters();
    for outcome in ["truncated", "reset", "corrupt", "stall"] {
        assert_eq!(counters.get(route, outcome), 1, "{outcome}: {counters:?}");
    }
}

#[tokio::test]
async fn a_caller_that_leaves_frees_the_stream() {
    let emu = start(SonicSettings::default(), Vec::new()).await;
    let c = client(&emu);
    let mut call = Call::open(&c, MODEL, None).await.unwrap();
    text_turn(&call).await;
    // Real-time audio: the reply is still going out when the caller leaves.
    call.until("audioOutput").await;
    assert_eq!(emu.counters().open_streams, 1);
    drop(call);
    let mut open = 1;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        open = emu.counters().open_streams;
        if open == 0 {
            break;
        }
    }
    assert_eq!(open, 0, "the stream task ended");
    assert_eq!(
        emu.counters()
            .get("invoke-with-bidirectional-stream", "client_closed"),
        1
    );
}

#[tokio::test]
async fn a_rule_can_fail_one_turn() {
    let emu = start(
        settings(),
        vec![Rule {
            prompt_contains: Some("transfer".into()),
            faults: Some(
                bedrock_emulator::parse_faults(
                    "exception=modelStreamErrorException,message=turn failed",
                )
                .unwrap(),
            ),
            ..Rule::default()
        }],
    )
    .await;
    let c = client(&emu);
    let mut call = Call::open(&c, MODEL, None).await.unwrap();
    text_turn(&call).await;
    let first = call.until("completionEnd").await;
    assert_eq!(body(first.last().unwrap())["stopReason"], "END_TURN");
    for e in text_content("t2", "USER", true, "Please transfer me") {
        call.send(e).await;
    }
    assert_eq!(
        name(&call.next().await.unwrap().unwrap()),
        "completionStart"
    );
    let err = call.next().await.unwrap_err().into_service_error();
    assert!(err.is_model_stream_error_exception(), "{err:?}");
    assert_eq!(err.meta().message(), Some("turn failed"));
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        emu.counters()
            .get("invoke-with-bidirectional-stream", "exception"),
        1
    );
}
