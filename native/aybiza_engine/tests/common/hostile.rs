//! A hand-made Bedrock endpoint for bodies the emulator does not produce (hostile or broken
//! streams): plain HTTP/1.1 on 127.0.0.1, scripted by each test file.

use aws_smithy_eventstream::frame::write_message_to;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use serde_json::{json, Value};
use std::io::Read;
use std::net::{TcpListener, TcpStream};

/// The head of a 200 event-stream answer with a chunked body.
pub fn eventstream_head(request_id: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/vnd.amazon.eventstream\r\n\
         x-amzn-requestid: {request_id}\r\ntransfer-encoding: chunked\r\n\r\n"
    )
    .into_bytes()
}

/// Binds 127.0.0.1 and runs `answer` on its own thread for every connection; the URL.
pub fn serve_each(answer: impl Fn(TcpStream) + Send + Sync + Clone + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { return };
            let answer = answer.clone();
            std::thread::spawn(move || answer(conn));
        }
    });
    url
}

/// Reads one request: the head, then as many body bytes as its content-length says. False
/// when the client closed before the head ended.
pub fn read_request(conn: &mut TcpStream) -> bool {
    let mut request = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        let n = conn.read(&mut buf).unwrap_or(0);
        if n == 0 {
            return false;
        }
        request.extend_from_slice(&buf[..n]);
        if let Some(i) = request.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&request[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while request.len() < head_end + length {
        let n = conn.read(&mut buf).unwrap_or(0);
        if n == 0 {
            break;
        }
        request.extend_from_slice(&buf[..n]);
    }
    true
}

/// Keeps `conn` open, answering nothing more, until the client closes it or sends more (a
/// request on the same connection then finds it closed).
pub fn hold(conn: &mut TcpStream) {
    let mut buf = [0u8; 1024];
    let _ = conn.read(&mut buf);
}

/// `bytes` as one chunk of a chunked HTTP/1.1 body.
pub fn http_chunk(bytes: &[u8]) -> Vec<u8> {
    let mut out = format!("{:x}\r\n", bytes.len()).into_bytes();
    out.extend_from_slice(bytes);
    out.extend_from_slice(b"\r\n");
    out
}

/// The last chunk of a chunked body.
pub const BODY_END: &[u8] = b"0\r\n\r\n";

/// Closes `conn` with a TCP RST (SO_LINGER 0).
pub fn reset(conn: &TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = [1i32, 0i32]; // struct linger { l_onoff = 1, l_linger = 0 }
    const SOL_SOCKET: i32 = 1;
    const SO_LINGER: i32 = 13;
    // SAFETY: a valid socket and a `struct linger` of two ints.
    unsafe {
        setsockopt(
            conn.as_raw_fd(),
            SOL_SOCKET,
            SO_LINGER,
            linger.as_ptr().cast(),
            8,
        );
    }
    let _ = conn.shutdown(std::net::Shutdown::Both);
}

extern "C" {
    fn setsockopt(fd: i32, level: i32, name: i32, value: *const std::ffi::c_void, len: u32) -> i32;
}

/// An event-stream frame with string headers.
pub fn frame_of(headers: &[(&str, &str)], payload: &[u8]) -> Vec<u8> {
    let mut m = Message::new(payload.to_vec());
    for (k, v) in headers {
        m = m.add_header(Header::new(
            k.to_string(),
            HeaderValue::String(v.to_string().into()),
        ));
    }
    let mut out = Vec::new();
    write_message_to(&m, &mut out).unwrap();
    out
}

/// A JSON event frame of `event_type`, as Bedrock's streams carry them.
pub fn event_frame(event_type: &str, payload: &[u8]) -> Vec<u8> {
    frame_of(
        &[
            (":message-type", "event"),
            (":event-type", event_type),
            (":content-type", "application/json"),
        ],
        payload,
    )
}

/// A client configuration for `url` with static (fake) credentials and these timeouts.
pub fn static_config(url: &str, timeouts: Value) -> Value {
    json!({"region": "us-east-1", "endpoint": url,
           "credentials": {"type": "static", "access_key_id": "AKIDEXAMPLE",
                           "secret_access_key": "secret"},
           "timeouts": timeouts})
}
