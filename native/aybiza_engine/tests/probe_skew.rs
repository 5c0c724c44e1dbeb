//! Red-team probe of the SDK path's clock-skew tracker (sdk_sign.rs): a hostile server on
//! 127.0.0.1 answers Converse with any `Date` (the far future, year 0001, before 1970,
//! garbage, non-ASCII, two of them, none). The call ends with one terminal, and the next
//! call is still signed (by the cached-key signer or, before 1970, the SDK's), with a
//! well-formed `x-amz-date` and never the secret in a header.

mod common;

use aybiza_engine::{start, Event, Operation};
use common::hostile::*;
use common::*;
use serde_json::json;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};

/// The head of one request (lower-cased), its body read and dropped.
fn read_head(conn: &mut TcpStream) -> Option<String> {
    let mut request = Vec::new();
    let mut buf = [0u8; 4096];
    let end = loop {
        let n = conn.read(&mut buf).ok().filter(|n| *n > 0)?;
        request.extend_from_slice(&buf[..n]);
        if let Some(i) = request.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&request[..end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while request.len() < end + length {
        let n = conn.read(&mut buf).unwrap_or(0);
        if n == 0 {
            break;
        }
        request.extend_from_slice(&buf[..n]);
    }
    Some(head)
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .map(str::trim)
}

#[test]
fn hostile_date_headers_leave_requests_signed() {
    let body = json!({
        "output": {"message": {"role": "assistant", "content": [{"text": "We open at 9."}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 3, "outputTokens": 4, "totalTokens": 7},
        "metrics": {"latencyMs": 1}
    })
    .to_string();
    let dates: [&[u8]; 9] = [
        b"date: Fri, 31 Dec 9999 23:59:59 GMT\r\n",
        b"date: Mon, 01 Jan 0001 00:00:00 GMT\r\n",
        b"date: Wed, 31 Dec 1969 23:59:59 GMT\r\n",
        b"date: not a date at all\r\n",
        b"date: Fri, 31 Dec 99999 23:59:59 GMT\r\n",
        b"date: \xff\xfe\xc3\r\n",
        b"date: Fri, 31 Dec 9999 23:59:59 GMT\r\ndate: Mon, 01 Jan 0001 00:00:00 GMT\r\n",
        b"date: Fri, 31 Dec 9999 23:59:59 GMT\r\nage: 5\r\n",
        b"",
    ];
    for date in dates {
        let heads = Arc::new(Mutex::new(Vec::new()));
        let (seen, body) = (heads.clone(), body.clone());
        let url = serve_each(move |mut conn| {
            while let Some(head) = read_head(&mut conn) {
                seen.lock().unwrap().push(head);
                let mut answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                     x-amzn-requestid: probe-skew\r\ncontent-length: {}\r\n",
                    body.len()
                )
                .into_bytes();
                answer.extend_from_slice(date);
                answer.extend_from_slice(b"\r\n");
                answer.extend_from_slice(body.as_bytes());
                if conn.write_all(&answer).is_err() {
                    return;
                }
            }
        });
        let label = String::from_utf8_lossy(date).trim().to_string();
        let cfg = static_config(&url, json!({}));
        // Clients (and their skew) are per shard: enough calls for each shard to make two.
        let calls = 2 * aybiza_engine::runtime::shard_count() + 2;
        for _ in 0..calls {
            let (sink, rx) = channel_sink();
            start(
                Operation::Converse,
                &request("hours?"),
                &cfg,
                options(),
                sink,
            )
            .unwrap();
            let events = collect(&rx);
            assert!(
                matches!(events.last(), Some(Event::Done(_))),
                "{label}: {:?}",
                events.last()
            );
        }
        let heads = heads.lock().unwrap();
        assert_eq!(heads.len(), calls, "{label}");
        for head in heads.iter() {
            let auth = header(head, "authorization").expect("signed");
            assert!(
                auth.starts_with("aws4-hmac-sha256 credential=akidexample/"),
                "{label}: {auth}"
            );
            assert!(!head.contains("secret"), "{label}");
            let amz = header(head, "x-amz-date").expect("x-amz-date");
            assert!(
                amz.len() == 16
                    && amz.as_bytes()[8] == b't'
                    && amz.ends_with('z')
                    && amz[..8]
                        .bytes()
                        .chain(amz[9..15].bytes())
                        .all(|b| b.is_ascii_digit()),
                "{label}: x-amz-date {amz}"
            );
            // The scope's date is the x-amz-date's day.
            assert!(
                auth.contains(&format!("/{}/", &amz[..8])),
                "{label}: {auth}"
            );
        }
        // A trusted far-future `Date` (no `age`) moves the clock of that client's next
        // requests there: the tracker runs and the signer reads it.
        let future = heads
            .iter()
            .filter(|h| header(h, "x-amz-date").unwrap().starts_with("9999"))
            .count();
        if label == "date: Fri, 31 Dec 9999 23:59:59 GMT" {
            assert!(
                future >= 1,
                "{label}: no request signed at the server's time"
            );
        } else if !label.contains("9999") {
            assert_eq!(future, 0, "{label}");
        }
    }
}
