//! A minimal paced-stream client for measuring the emulator's own cost per delta, without
//! the library (the VM) on the same cores: N ConverseStream requests over plain HTTP/1.1
//! (start the emulator with `--no-verify`), their starts spread over a ramp, each read to
//! the end. It counts the text deltas (`contentBlockDelta` frames) and, when they carry send
//! stamps (pacing `stamp`), the delivery latency from the stamp to this client's read.
//!
//! With `PACED_LOAD_API=messages` the requests go to the Messages API with `"stream": true`
//! (`/anthropic/v1/messages`, bedrock-runtime style: `anthropic_version` in the body;
//! Server-Sent Events, text deltas are `content_block_delta`).
//!
//! `cargo run --release -p bedrock_emulator --example paced_load -- HOST:PORT N [PROMPT] [RAMP_MS]`
//! prints one line: `streams=N failed=F deltas=D p50_us=.. p99_us=.. max_us=.. secs=..`.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const MODEL: &str = "us.anthropic.claude-opus-4-7";

fn now_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Counts the complete deltas in `buf` (dropping what it consumed) and records their stamps.
fn scan(sse: bool, buf: &mut Vec<u8>, deltas: &mut u64, lat: &mut Vec<u32>, now: i64) {
    let event: &[u8] = if sse {
        b"event: content_block_delta"
    } else {
        b"contentBlockDelta"
    };
    const TEXT: &[u8] = br#""delta":{"text":""#;
    let mut at = 0;
    while let Some(p) = find(&buf[at..], event) {
        let start = at + p;
        let rest = &buf[start + event.len()..];
        // The delta is complete once its text's closing quote is in the buffer.
        let Some(t) = find(rest, TEXT) else { break };
        let Some(end) = find(&rest[t + TEXT.len()..], b"\"}").map(|e| e + TEXT.len()) else {
            break;
        };
        let text = &rest[t + TEXT.len()..t + end];
        *deltas += 1;
        if text.len() >= 18 && text[0] == b'T' && text[17] == b'Z' {
            if let Some(us) = std::str::from_utf8(&text[1..17])
                .ok()
                .and_then(|s| s.parse::<i64>().ok())
            {
                lat.push((now - us).clamp(0, u32::MAX as i64) as u32);
            }
        }
        at = start + event.len() + t + end;
    }
    buf.drain(..at);
}

async fn stream(
    sse: bool,
    addr: String,
    prompt: String,
    delay: Duration,
) -> Result<(u64, Vec<u32>), String> {
    tokio::time::sleep(delay).await;
    let mut sock = TcpStream::connect(&addr).await.map_err(|e| e.to_string())?;
    let (path, body) = if sse {
        (
            "/anthropic/v1/messages".to_string(),
            format!(
                r#"{{"anthropic_version":"bedrock-2023-05-31","model":"{MODEL}","max_tokens":4096,"stream":true,"messages":[{{"role":"user","content":"{prompt}"}}]}}"#
            ),
        )
    } else {
        (
            format!("/model/{MODEL}/converse-stream"),
            format!(r#"{{"messages":[{{"role":"user","content":[{{"text":"{prompt}"}}]}}]}}"#),
        )
    };
    let req = format!(
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    sock.write_all(req.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut buf = Vec::with_capacity(8192);
    let mut chunk = vec![0u8; 16384];
    let mut deltas = 0;
    let mut lat = Vec::new();
    let mut head = true;
    loop {
        let n = sock.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        let now = now_micros();
        buf.extend_from_slice(&chunk[..n]);
        if head {
            if !buf.starts_with(b"HTTP/1.1 200") {
                return Err(String::from_utf8_lossy(&buf[..buf.len().min(200)]).into_owned());
            }
            head = false;
        }
        scan(sse, &mut buf, &mut deltas, &mut lat, now);
    }
    Ok((deltas, lat))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let addr = args
        .first()
        .cloned()
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let n: u64 = args.get(1).and_then(|v| v.parse().ok()).unwrap_or(100);
    let prompt = args.get(2).cloned().unwrap_or_else(|| "bench-paced".into());
    let ramp_ms: u64 = args
        .get(3)
        .and_then(|v| v.parse().ok())
        .unwrap_or(n.min(2000));
    let sse = std::env::var("PACED_LOAD_API").is_ok_and(|v| v == "messages");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let started = Instant::now();
    let results = rt.block_on(async {
        let tasks: Vec<_> = (0..n)
            .map(|i| {
                let delay = Duration::from_millis(i * ramp_ms / n.max(1));
                tokio::spawn(stream(sse, addr.clone(), prompt.clone(), delay))
            })
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap_or_else(|e| Err(e.to_string())));
        }
        out
    });
    let secs = started.elapsed().as_secs_f64();
    let mut failed = 0;
    let mut deltas = 0;
    let mut lat = Vec::new();
    let mut why = None;
    for r in results {
        match r {
            Ok((d, l)) => {
                deltas += d;
                lat.extend(l);
            }
            Err(e) => {
                failed += 1;
                why.get_or_insert(e);
            }
        }
    }
    lat.sort_unstable();
    let q = |p: f64| {
        lat.get(((lat.len() as f64 - 1.0) * p).round() as usize)
            .copied()
            .unwrap_or(0)
    };
    println!(
        "streams={n} failed={failed} deltas={deltas} p50_us={} p99_us={} max_us={} secs={secs:.1}{}",
        q(0.5),
        q(0.99),
        lat.last().copied().unwrap_or(0),
        why.map(|w| format!(" first_error={w:?}")).unwrap_or_default()
    );
}
