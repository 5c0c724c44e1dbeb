//! A paced stream's bytes on the wire, pinned: status line, headers (the `date` and request
//! id values masked), chunk sizes, every event-stream frame or SSE event, and the chunked
//! end, for ConverseStream, InvokeModelWithResponseStream and the Messages API, with and
//! without faults. The files under `tests/wire/` were recorded with the stream writer as it
//! was before the per-event cost work (issue 18 item 3); a change to the writer, the pacing
//! or the HTTP layer must leave them byte for byte as they are.
//!
//! Stamped streams (pacing `stamp`) carry the send time, so they are checked by taking the
//! 19-byte stamps out again (lengths and CRCs recomputed) and comparing with the unstamped
//! recording: the same frames, the same chunking.
//!
//! `PACED_WIRE_RECORD=1 cargo test -p bedrock_emulator --test paced_wire` rewrites the files.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::Duration;

use bedrock_emulator::{BlockingEmulator, EmulatorConfig};

const MODEL: &str = "us.anthropic.claude-opus-4-7";
const PROMPT: &str = "Tell me \\\"everything\\\" about my plan, step by step";

fn start() -> BlockingEmulator {
    BlockingEmulator::start(EmulatorConfig {
        verify_signatures: false,
        ..EmulatorConfig::default()
    })
    .unwrap()
}

/// The raw response to one request on its own connection, read to the end.
fn raw(url: &str, path: &str, body: &str, headers: &[(&str, &str)]) -> Vec<u8> {
    let addr = url.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Head and body split at the blank line; the values of headers that change per response
/// (`date`, request ids) replaced by `*`.
fn masked(raw: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let end = find(raw, b"\r\n\r\n").expect("a complete head") + 4;
    let head = std::str::from_utf8(&raw[..end]).unwrap();
    let mut out = String::new();
    for line in head.split_inclusive("\r\n") {
        let name = line.split(':').next().unwrap_or("").to_ascii_lowercase();
        if name == "date" || name.ends_with("requestid") || name.ends_with("request-id") {
            out.push_str(&name);
            out.push_str(": *\r\n");
        } else {
            out.push_str(line);
        }
    }
    (out.into_bytes(), raw[end..].to_vec())
}

/// The chunks of a chunked body, each with its size line as sent; the bytes after the
/// terminating chunk are returned too (must be the final CRLF).
fn chunks(body: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    let mut rest = body;
    loop {
        let eol = find(rest, b"\r\n").expect("a chunk size line");
        let line = rest[..eol].to_vec();
        let n = usize::from_str_radix(std::str::from_utf8(&line).unwrap(), 16).unwrap();
        let data = rest[eol + 2..eol + 2 + n].to_vec();
        assert_eq!(
            &rest[eol + 2 + n..eol + 4 + n],
            b"\r\n",
            "chunk ends with CRLF"
        );
        rest = &rest[eol + 4 + n..];
        out.push((line, data));
        if n == 0 {
            assert!(rest.is_empty(), "nothing after the last chunk");
            return out;
        }
    }
}

const TEXT_OPEN: &[u8] = br#""delta":{"text":""#;

/// `data` with the send stamp (`T` + 16 digits + `Z `) at the start of its text removed, and
/// for an event-stream frame its lengths and CRCs recomputed; whether there was one.
fn unstamp(data: &[u8], eventstream: bool) -> (Vec<u8>, bool) {
    let Some(at) = find(data, TEXT_OPEN).map(|p| p + TEXT_OPEN.len()) else {
        return (data.to_vec(), false);
    };
    let s = &data[at..];
    let stamped = s.len() >= 19
        && s[0] == b'T'
        && s[1..17].iter().all(u8::is_ascii_digit)
        && &s[17..19] == b"Z ";
    if !stamped {
        return (data.to_vec(), false);
    }
    let mut out = [&data[..at], &data[at + 19..]].concat();
    if eventstream {
        let total = out.len() as u32;
        assert_eq!(
            u32::from_be_bytes(data[..4].try_into().unwrap()) as usize,
            data.len(),
            "the stamped frame's total length is its size"
        );
        out[..4].copy_from_slice(&total.to_be_bytes());
        let prelude = crc32fast::hash(&out[..8]);
        out[8..12].copy_from_slice(&prelude.to_be_bytes());
        let n = out.len();
        let crc = crc32fast::hash(&out[..n - 4]);
        out[n - 4..].copy_from_slice(&crc.to_be_bytes());
        // The stamped frame's own CRCs were right: recompute them on it and compare.
        let dn = data.len();
        assert_eq!(
            crc32fast::hash(&data[..8]).to_be_bytes(),
            data[8..12],
            "stamped prelude CRC"
        );
        assert_eq!(
            crc32fast::hash(&data[..dn - 4]).to_be_bytes(),
            data[dn - 4..],
            "stamped message CRC"
        );
    }
    (out, true)
}

/// The masked response with every stamp taken out (chunk sizes rewritten like hyper writes
/// them); the number of stamps.
fn without_stamps(raw: &[u8], eventstream: bool) -> (Vec<u8>, usize) {
    let (head, body) = masked(raw);
    let mut out = head;
    let mut stamps = 0;
    for (line, data) in chunks(&body) {
        let (data, stamped) = unstamp(&data, eventstream);
        if stamped {
            stamps += 1;
            out.extend_from_slice(format!("{:X}", data.len()).as_bytes());
        } else {
            out.extend_from_slice(&line);
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&data);
        out.extend_from_slice(b"\r\n");
    }
    (out, stamps)
}

struct Case {
    name: &'static str,
    path: String,
    body: String,
    pacing: &'static str,
    fault: Option<&'static str>,
    eventstream: bool,
}

fn cases() -> Vec<Case> {
    let converse =
        format!(r#"{{"messages":[{{"role":"user","content":[{{"text":"{PROMPT}"}}]}}]}}"#);
    let invoke = format!(
        r#"{{"anthropic_version":"bedrock-2023-05-31","max_tokens":512,"messages":[{{"role":"user","content":"{PROMPT}"}}]}}"#
    );
    let messages = format!(
        r#"{{"anthropic_version":"bedrock-2023-05-31","model":"{MODEL}","max_tokens":512,"stream":true,"messages":[{{"role":"user","content":"{PROMPT}"}}]}}"#
    );
    let paced = "first_token_ms=3,tps=4000,delta_chars=8";
    let case = |name, path: String, body: &String, fault, eventstream| Case {
        name,
        path,
        body: body.clone(),
        pacing: paced,
        fault,
        eventstream,
    };
    vec![
        case(
            "converse_stream",
            format!("/model/{MODEL}/converse-stream"),
            &converse,
            None,
            true,
        ),
        case(
            "invoke_stream",
            format!("/model/{MODEL}/invoke-with-response-stream"),
            &invoke,
            None,
            true,
        ),
        case(
            "messages_sse",
            "/anthropic/v1/messages".into(),
            &messages,
            None,
            false,
        ),
        case(
            "converse_stream_exception",
            format!("/model/{MODEL}/converse-stream"),
            &converse,
            Some("exception=throttlingException@4"),
            true,
        ),
        case(
            "converse_stream_corrupt",
            format!("/model/{MODEL}/converse-stream"),
            &converse,
            Some("corrupt@5"),
            true,
        ),
        case(
            "messages_sse_truncate",
            "/anthropic/v1/messages".into(),
            &messages,
            Some("truncate@6"),
            false,
        ),
    ]
}

fn golden(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/wire")
        .join(format!("{name}.bin"))
}

fn send(emu: &BlockingEmulator, c: &Case, stamp: bool) -> Vec<u8> {
    let pacing = if stamp {
        format!("{},stamp=1", c.pacing)
    } else {
        c.pacing.to_string()
    };
    let mut headers = vec![("x-emulator-pacing", pacing.as_str())];
    if let Some(f) = c.fault {
        headers.push(("x-emulator-fault", f));
    }
    raw(emu.url(), &c.path, &c.body, &headers)
}

#[test]
fn paced_streams_keep_their_bytes() {
    let emu = start();
    let record = std::env::var("PACED_WIRE_RECORD").is_ok_and(|v| v == "1");
    for c in cases() {
        let (head, body) = masked(&send(&emu, &c, false));
        let got = [head, body].concat();
        let path = golden(c.name);
        if record {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &got).unwrap();
        }
        let want = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            got == want,
            "{}: the bytes changed\n--- want\n{}\n--- got\n{}",
            c.name,
            String::from_utf8_lossy(&want),
            String::from_utf8_lossy(&got)
        );
        // Several chunks: the recording is a paced stream, not one buffer.
        assert!(chunks(&masked(&want).1).len() >= 5, "{}", c.name);
    }
}

#[test]
fn stamped_streams_are_the_recordings_plus_stamps() {
    let emu = start();
    for c in cases().into_iter().filter(|c| c.fault.is_none()) {
        let (got, stamps) = without_stamps(&send(&emu, &c, true), c.eventstream);
        let want = std::fs::read(golden(c.name)).unwrap();
        // InvokeModel's chunks hold base64 JSON: the stamp leaves them as they are.
        if c.path.ends_with("invoke-with-response-stream") {
            assert_eq!(stamps, 0, "{}", c.name);
        } else {
            assert!(stamps >= 3, "{}: {stamps} stamps", c.name);
        }
        assert!(
            got == want,
            "{}: unstamped bytes differ\n--- want\n{}\n--- got\n{}",
            c.name,
            String::from_utf8_lossy(&want),
            String::from_utf8_lossy(&got)
        );
    }
}
