//! The decode floor: the recorded bytes of one ConverseStream reply, decoded again and again
//! with `aws-smithy-eventstream`'s frame decoder and serde_json into borrowed structs, with no
//! HTTP, no SDK event types and no async runtime. This is what decoding Bedrock's event
//! stream costs at the least; the SDK floor and the NIF path stand on top of it.
//!
//! Recording: a one-connection TCP proxy on 127.0.0.1 sits between an SDK client and the
//! emulator and keeps every byte the emulator sends; the HTTP/1.1 response body (de-chunked)
//! is the event stream exactly as the SDK read it.

use crate::{cpu_us, row, sdk};
use aws_smithy_eventstream::frame::{DecodedFrame, MessageFrameDecoder};
use aws_smithy_types::event_stream::{HeaderValue, Message};
use bytes::Bytes;
use serde::de::IgnoredAny;
use serde::Deserialize;
use std::borrow::Cow;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Records the emulator's response bytes for one `prompt` stream, through a proxy.
async fn record(url: &str, prompt: &str) -> Result<(Vec<u8>, u64), String> {
    let upstream_addr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let proxy_url = format!(
        "http://{}",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    let seen = Arc::new(Mutex::new(Vec::new()));
    let tape = seen.clone();
    tokio::spawn(async move {
        let Ok((client, _)) = listener.accept().await else {
            return;
        };
        let Ok(server) = TcpStream::connect(&upstream_addr).await else {
            return;
        };
        let (mut cr, mut cw) = client.into_split();
        let (mut sr, mut sw) = server.into_split();
        tokio::spawn(async move { tokio::io::copy(&mut cr, &mut sw).await });
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n) = sr.read(&mut buf).await {
            if n == 0 || cw.write_all(&buf[..n]).await.is_err() {
                break;
            }
            tape.lock()
                .unwrap_or_else(|p| p.into_inner())
                .extend_from_slice(&buf[..n]);
        }
    });
    let client = sdk::own_client(&proxy_url);
    let seen_by_sdk = sdk::one_stream(&client, prompt, false).await?;
    drop(client);
    let bytes = std::mem::take(&mut *seen.lock().unwrap_or_else(|p| p.into_inner()));
    Ok((bytes, seen_by_sdk.text_deltas))
}

/// The body of one HTTP/1.1 response (`Content-Length` or chunked).
fn http_body(raw: &[u8]) -> Result<Vec<u8>, String> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no end of response headers")?;
    let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
    let mut rest = &raw[end + 4..];
    if !head.contains("transfer-encoding: chunked") {
        return Ok(rest.to_vec());
    }
    let mut body = Vec::with_capacity(rest.len());
    loop {
        let line_end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("truncated chunk size")?;
        let size_text = String::from_utf8_lossy(&rest[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| format!("bad chunk size {size_text:?}"))?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Ok(body);
        }
        if rest.len() < size + 2 {
            return Err("truncated chunk".into());
        }
        body.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BlockDelta<'a> {
    #[allow(dead_code)]
    content_block_index: i64,
    #[serde(borrow)]
    delta: Delta<'a>,
}

#[derive(Deserialize)]
struct Delta<'a> {
    #[serde(borrow)]
    text: Option<Cow<'a, str>>,
}

fn event_type(message: &Message) -> Option<&str> {
    message
        .headers()
        .iter()
        .find(|h| h.name().as_str() == ":event-type")
        .and_then(|h| match h.value() {
            HeaderValue::String(s) => Some(s.as_str()),
            _ => None,
        })
}

/// Decodes every frame of `body`; returns (frames, text deltas, text bytes).
fn decode_all(body: &Bytes) -> Result<(u64, u64, u64), String> {
    let mut decoder = MessageFrameDecoder::new();
    let mut buf = body.clone();
    let (mut frames, mut deltas, mut text_bytes) = (0, 0, 0);
    loop {
        match decoder.decode_frame(&mut buf).map_err(|e| e.to_string())? {
            DecodedFrame::Incomplete => break,
            DecodedFrame::Complete(message) => {
                frames += 1;
                if event_type(&message) == Some("contentBlockDelta") {
                    let d: BlockDelta<'_> =
                        serde_json::from_slice(message.payload()).map_err(|e| e.to_string())?;
                    if let Some(t) = d.delta.text {
                        deltas += 1;
                        text_bytes += t.len() as u64;
                    }
                } else {
                    let _: IgnoredAny =
                        serde_json::from_slice(message.payload()).map_err(|e| e.to_string())?;
                }
            }
        }
    }
    Ok((frames, deltas, text_bytes))
}

/// Records one `prompt` stream, then decodes it for at least `min_secs` and `min_passes`
/// passes (one thread).
pub fn run(url: &str, prompt: &str, min_secs: f64, min_passes: u64) -> Result<(), String> {
    let rt = sdk::private_runtime()?;
    let (raw, sdk_deltas) = rt.block_on(record(url, prompt))?;
    drop(rt);
    let body = Bytes::from(http_body(&raw)?);
    let (frames, deltas, text_bytes) = decode_all(&body)?;
    if deltas != sdk_deltas {
        return Err(format!(
            "decode floor saw {deltas} text deltas where the SDK saw {sdk_deltas}"
        ));
    }
    let cpu0 = cpu_us();
    let t0 = Instant::now();
    let mut passes = 0u64;
    while passes < min_passes.max(1) || t0.elapsed().as_secs_f64() < min_secs {
        decode_all(&body)?;
        passes += 1;
    }
    let secs = t0.elapsed().as_secs_f64();
    let cpu = cpu_us() - cpu0;
    let total = (deltas * passes) as f64;
    let note = format!(
        "{passes} passes over {} recorded bytes: {frames} frames, {deltas} deltas of {:.1} bytes; \
         aws-smithy-eventstream MessageFrameDecoder + serde_json borrowed structs, one thread",
        body.len(),
        text_bytes as f64 / deltas.max(1) as f64
    );
    row(
        "events",
        "decode_floor_deltas_per_s",
        total / secs,
        "ev/s",
        &note,
    );
    row(
        "events",
        "decode_floor_cpu_per_delta",
        cpu / total,
        "us",
        &note,
    );
    Ok(())
}
