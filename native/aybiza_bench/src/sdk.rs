//! The floor: a plain Rust loop over `aws-sdk-bedrockruntime` ConverseStream against the
//! emulator, with nothing of ours on the path (no engine, no BEAM). What the library adds
//! is measured against this.

use crate::{cpu_us, quantile, row};
use aws_sdk_bedrockruntime::config::retry::RetryConfig;
use aws_sdk_bedrockruntime::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_bedrockruntime::types::{
    ContentBlock, ContentBlockDelta, ConversationRole, ConverseStreamOutput,
    InferenceConfiguration, Message,
};
use aws_sdk_bedrockruntime::Client;
use aybiza_core::text::{Segmenter, SegmenterOptions};
use std::time::Instant;

pub const MODEL: &str = "us.anthropic.claude-opus-4-7";
// The emulator's default static test credentials.
const KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

fn client(url: &str) -> Client {
    let conf = aws_sdk_bedrockruntime::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        // The engine's own HTTPS client: the floor runs on the same connection stack.
        .http_client(aybiza_engine::clients::https_client())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(KEY_ID, SECRET, None, None, "bench"))
        .endpoint_url(url)
        .retry_config(RetryConfig::disabled())
        .build();
    Client::from_conf(conf)
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
}

/// What one stream saw.
#[derive(Default)]
struct Seen {
    events: u64,
    text_deltas: u64,
    /// From the call to the first text delta / first finished sentence, in µs.
    first_token_us: Option<f64>,
    first_sentence_us: Option<f64>,
}

async fn one_stream(client: &Client, prompt: &str, segment: bool) -> Result<Seen, String> {
    let start = Instant::now();
    let msg = Message::builder()
        .role(ConversationRole::User)
        .content(ContentBlock::Text(prompt.to_string()))
        .build()
        .map_err(|e| e.to_string())?;
    let out = client
        .converse_stream()
        .model_id(MODEL)
        .messages(msg)
        // As the Elixir and boto3 sides send: the reply must not be cut at the default limit.
        .inference_config(InferenceConfiguration::builder().max_tokens(8192).build())
        .send()
        .await
        .map_err(|e| format!("converse_stream: {e:?}"))?;
    let mut stream = out.stream;
    let mut seen = Seen::default();
    let mut seg = segment.then(|| Segmenter::new(SegmenterOptions::default()));
    while let Some(ev) = stream.recv().await.map_err(|e| format!("recv: {e:?}"))? {
        seen.events += 1;
        if let ConverseStreamOutput::ContentBlockDelta(d) = &ev {
            if let Some(ContentBlockDelta::Text(t)) = d.delta() {
                seen.text_deltas += 1;
                let us = start.elapsed().as_secs_f64() * 1e6;
                seen.first_token_us.get_or_insert(us);
                if let Some(s) = seg.as_mut() {
                    if seen.first_sentence_us.is_none() && !s.push(t).is_empty() {
                        seen.first_sentence_us = Some(start.elapsed().as_secs_f64() * 1e6);
                    }
                }
            }
        }
    }
    Ok(seen)
}

/// Streams `streams` replies one after another and reports stream events per second and CPU
/// time per event of this whole process (SDK, hyper, tokio).
pub fn events(url: &str, streams: usize, prompt: &str) -> Result<(), String> {
    let rt = runtime()?;
    rt.block_on(async {
        let client = client(url);
        one_stream(&client, prompt, false).await?; // warm: connection pool, signing keys
        let cpu0 = cpu_us();
        let t0 = Instant::now();
        let (mut events, mut deltas) = (0, 0);
        for _ in 0..streams {
            let s = one_stream(&client, prompt, false).await?;
            events += s.events;
            deltas += s.text_deltas;
        }
        let secs = t0.elapsed().as_secs_f64();
        let cpu = cpu_us() - cpu0;
        let note = format!("{streams} streams x {} deltas", deltas / streams as u64);
        row(
            "events",
            "rust_sdk_events_per_s",
            events as f64 / secs,
            "ev/s",
            &note,
        );
        row(
            "events",
            "rust_sdk_deltas_per_s",
            deltas as f64 / secs,
            "ev/s",
            &note,
        );
        row(
            "events",
            "rust_sdk_cpu_per_delta",
            cpu / deltas as f64,
            "us",
            &note,
        );
        Ok(())
    })
}

/// Time to first token and first sentence, `runs` times in a row, p50 beyond the emulator's
/// own first-token delay.
pub fn ttfs(url: &str, runs: usize, prompt: &str, first_token_ms: u64) -> Result<(), String> {
    let rt = runtime()?;
    rt.block_on(async {
        let client = client(url);
        one_stream(&client, prompt, true).await?;
        let (mut tok, mut sent) = (Vec::new(), Vec::new());
        let delay = first_token_ms as f64 * 1000.0;
        for _ in 0..runs {
            let s = one_stream(&client, prompt, true).await?;
            tok.push(s.first_token_us.unwrap_or(f64::NAN) - delay);
            sent.push(s.first_sentence_us.unwrap_or(f64::NAN) - delay);
        }
        tok.sort_by(f64::total_cmp);
        sent.sort_by(f64::total_cmp);
        let note = format!("{runs} runs, emulator first_token_ms={first_token_ms}");
        row(
            "ttfs",
            "rust_sdk_first_token_p50",
            quantile(&tok, 0.5),
            "us",
            &note,
        );
        row(
            "ttfs",
            "rust_sdk_first_sentence_p50",
            quantile(&sent, 0.5),
            "us",
            &note,
        );
        row(
            "ttfs",
            "rust_sdk_first_sentence_p99",
            quantile(&sent, 0.99),
            "us",
            &note,
        );
        Ok(())
    })
}
