//! The bidirectional route with an independent signer: a raw HTTP/2 client that signs the
//! request the way the JavaScript, Java and Go SDKs do (`x-amz-content-sha256:
//! STREAMING-AWS4-HMAC-SHA256-EVENTS`) and each frame with aws-sigv4's event-stream signer.
//! A frame whose signature does not verify ends the stream with a `validationException`.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4::SigningParams;
use aws_smithy_eventstream::frame::{write_message_to, DecodedFrame, MessageFrameDecoder};
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use base64::Engine;
use bedrock_emulator::{Emulator, EmulatorConfig};
use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::ServerName;
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_rustls::TlsConnector;

type BodyItem = Result<Frame<Bytes>, std::io::Error>;

struct ChannelStream(mpsc::Receiver<BodyItem>);

impl futures_core::Stream for ChannelStream {
    type Item = BodyItem;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<BodyItem>> {
        self.0.poll_recv(cx)
    }
}

struct Raw {
    tx: mpsc::Sender<BodyItem>,
    body: Incoming,
    buf: BytesMut,
    decoder: MessageFrameDecoder,
    last_signature: String,
    creds: aws_smithy_runtime_api::client::identity::Identity,
}

fn params<'a>(
    identity: &'a aws_smithy_runtime_api::client::identity::Identity,
) -> SigningParams<'a, ()> {
    SigningParams::builder()
        .identity(identity)
        .region("us-east-1")
        .name("bedrock")
        .time(SystemTime::now())
        .settings(())
        .build()
        .unwrap()
}

impl Raw {
    async fn open(emu: &Emulator, with_header: bool) -> Raw {
        let mut roots = rustls::RootCertStore::empty();
        for cert in rustls_pemfile::certs(&mut emu.ca_pem().unwrap().as_bytes()) {
            roots.add(cert.unwrap()).unwrap();
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"h2".to_vec()];
        let url = emu.tls_url().unwrap();
        let authority = url.trim_start_matches("https://").to_string();
        let tcp = TcpStream::connect(&authority).await.unwrap();
        let tls = TlsConnector::from(Arc::new(config))
            .connect(ServerName::try_from("localhost").unwrap(), tcp)
            .await
            .unwrap();
        let (mut sender, conn) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls))
                .await
                .unwrap();
        tokio::spawn(conn);

        let c = emu.credentials();
        let identity =
            Credentials::new(c.access_key_id, c.secret_access_key, None, None, "t").into();
        let uri =
            format!("{url}/model/amazon.nova-2-sonic-v1%3A0/invoke-with-bidirectional-stream");
        let mut settings = SigningSettings::default();
        if with_header {
            settings.payload_checksum_kind =
                aws_sigv4::http_request::PayloadChecksumKind::XAmzSha256;
        }
        let v4 = SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name("bedrock")
            .time(SystemTime::now())
            .settings(settings)
            .build()
            .unwrap();
        let signable = SignableRequest::new(
            "POST",
            uri.clone(),
            [("content-type", "application/vnd.amazon.eventstream")].into_iter(),
            SignableBody::Precomputed("STREAMING-AWS4-HMAC-SHA256-EVENTS".into()),
        )
        .unwrap();
        let (instructions, signature) = sign(signable, &v4.into()).unwrap().into_parts();
        let (tx, rx) = mpsc::channel(64);
        let mut request = http::Request::post(uri)
            .header("content-type", "application/vnd.amazon.eventstream")
            .body(StreamBody::new(ChannelStream(rx)))
            .unwrap();
        instructions.apply_to_request_http1x(&mut request);
        assert_eq!(
            request.headers().contains_key("x-amz-content-sha256"),
            with_header
        );
        let response = sender.send_request(request).await.unwrap();
        assert_eq!(response.status(), 200);
        Raw {
            tx,
            body: response.into_body(),
            buf: BytesMut::new(),
            decoder: MessageFrameDecoder::new(),
            last_signature: signature,
            creds: identity,
        }
    }

    fn chunk(event: Value) -> Message {
        let bytes =
            base64::engine::general_purpose::STANDARD.encode(json!({ "event": event }).to_string());
        let s = |v: &str| HeaderValue::String(v.to_string().into());
        Message::new(json!({ "bytes": bytes }).to_string().into_bytes())
            .add_header(Header::new(":event-type", s("chunk")))
            .add_header(Header::new(":content-type", s("application/json")))
            .add_header(Header::new(":message-type", s("event")))
    }

    fn signed(&mut self, inner: Option<&Message>) -> Message {
        let p = params(&self.creds);
        let out = match inner {
            Some(m) => aws_sigv4::event_stream::sign_message(m, &self.last_signature, &p),
            None => aws_sigv4::event_stream::sign_empty_message(&self.last_signature, &p),
        };
        let (message, signature) = out.unwrap().into_parts();
        self.last_signature = signature;
        message
    }

    async fn write(&self, message: &Message) {
        let mut bytes = Vec::new();
        write_message_to(message, &mut bytes).unwrap();
        self.tx
            .send(Ok(Frame::data(Bytes::from(bytes))))
            .await
            .unwrap();
    }

    async fn send(&mut self, event: Value) {
        let message = self.signed(Some(&Self::chunk(event)));
        self.write(&message).await;
    }

    /// The next output message, `None` at the end of the response.
    async fn next(&mut self) -> Option<Message> {
        loop {
            if let DecodedFrame::Complete(m) = self.decoder.decode_frame(&mut self.buf).unwrap() {
                return Some(m);
            }
            let frame = tokio::time::timeout(Duration::from_secs(10), self.body.frame())
                .await
                .expect("output within 10 s")?
                .unwrap();
            if let Ok(data) = frame.into_data() {
                self.buf.extend_from_slice(&data);
            }
        }
    }
}

fn header(m: &Message, name: &str) -> String {
    m.headers()
        .iter()
        .find(|h| h.name().as_str() == name)
        .and_then(|h| h.value().as_string().ok())
        .map(|s| s.as_str().to_string())
        .unwrap_or_default()
}

fn event(m: &Message) -> Value {
    assert_eq!(header(m, ":event-type"), "chunk", "{m:?}");
    let part: Value = serde_json::from_slice(m.payload()).unwrap();
    let b = base64::engine::general_purpose::STANDARD
        .decode(part["bytes"].as_str().unwrap())
        .unwrap();
    serde_json::from_slice::<Value>(&b).unwrap()["event"].clone()
}

fn opening() -> Vec<Value> {
    vec![
        json!({"sessionStart": {}}),
        json!({"promptStart": {"promptName": "p", "audioOutputConfiguration": {
            "mediaType": "audio/lpcm", "sampleRateHertz": 16000, "sampleSizeBits": 16,
            "channelCount": 1, "voiceId": "tiffany", "encoding": "base64"}}}),
        json!({"contentStart": {"promptName": "p", "contentName": "t", "type": "TEXT",
            "interactive": true, "role": "USER", "textInputConfiguration": {"mediaType": "text/plain"}}}),
        json!({"textInput": {"promptName": "p", "contentName": "t", "content": "hi"}}),
        json!({"contentEnd": {"promptName": "p", "contentName": "t"}}),
    ]
}

async fn start() -> Emulator {
    Emulator::start(EmulatorConfig {
        tls: true,
        sonic: bedrock_emulator::config::SonicSettings {
            speed: 50.0,
            ..Default::default()
        },
        ..EmulatorConfig::default()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn streaming_events_signature_with_and_without_the_header() {
    let emu = start().await;
    for with_header in [true, false] {
        let mut raw = Raw::open(&emu, with_header).await;
        for e in opening() {
            raw.send(e).await;
        }
        let mut names = Vec::new();
        while !names.contains(&"completionEnd".to_string()) {
            let m = raw.next().await.expect("events");
            let e = event(&m);
            if let Some(start) = e.get("contentStart") {
                if start["type"] == "AUDIO" {
                    // The prompt's output rate is used.
                    assert_eq!(start["audioOutputConfiguration"]["sampleRateHertz"], 16000);
                }
            }
            names.push(e.as_object().unwrap().keys().next().unwrap().clone());
        }
        raw.send(json!({"promptEnd": {"promptName": "p"}})).await;
        raw.send(json!({"sessionEnd": {}})).await;
        let end = raw.signed(None);
        raw.write(&end).await;
        assert!(raw.next().await.is_none(), "clean end after sessionEnd");
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        emu.counters().get("invoke-with-bidirectional-stream", "ok"),
        2
    );
}

#[tokio::test]
async fn a_frame_with_a_bad_chunk_signature_ends_the_stream() {
    let emu = start().await;
    let mut raw = Raw::open(&emu, true).await;
    raw.send(json!({"sessionStart": {}})).await;
    // Signed, then its payload replaced: the signature no longer matches.
    let good = raw.signed(Some(&Raw::chunk(
        json!({"promptStart": {"promptName": "p"}}),
    )));
    let mut inner = Vec::new();
    write_message_to(&Raw::chunk(json!({"sessionEnd": {}})), &mut inner).unwrap();
    let forged = Message::new_from_parts(good.headers().to_vec(), inner);
    raw.write(&forged).await;
    let m = raw.next().await.expect("an exception frame");
    assert_eq!(header(&m, ":message-type"), "exception");
    assert_eq!(header(&m, ":exception-type"), "validationException");
    let body: Value = serde_json::from_slice(m.payload()).unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("signature"),
        "{body}"
    );
    assert!(raw.next().await.is_none());
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        emu.counters()
            .get("invoke-with-bidirectional-stream", "validation_error"),
        1
    );
}
