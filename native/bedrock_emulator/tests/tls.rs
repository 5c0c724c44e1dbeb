//! The optional TLS listener: a client that trusts only the emulator's generated CA
//! connects over HTTP/1.1 and over HTTP/2 (ALPN), with a bearer API key, and streams.

use std::sync::Arc;

use bedrock_emulator::{Emulator, EmulatorConfig};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

const KEY: &str = "tls-api-key";

fn connector(ca_pem: &str, alpn: &[u8]) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut ca_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![alpn.to_vec()];
    TlsConnector::from(Arc::new(config))
}

async fn tls_stream(emu: &Emulator, alpn: &[u8]) -> tokio_rustls::client::TlsStream<TcpStream> {
    let url = emu.tls_url().expect("tls on");
    let addr = url.trim_start_matches("https://");
    let tcp = TcpStream::connect(addr).await.unwrap();
    connector(emu.ca_pem().unwrap(), alpn)
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap()
}

fn messages_request(stream: bool) -> http::Request<Full<Bytes>> {
    let body = serde_json::json!({"model": "anthropic.claude-haiku-4-5", "max_tokens": 100,
        "stream": stream, "messages": [{"role": "user", "content": "Hello"}]});
    http::Request::post("https://localhost/anthropic/v1/messages")
        .header("host", "localhost")
        .header("x-api-key", KEY)
        .header("anthropic-version", "2023-06-01")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap()
}

#[tokio::test]
async fn https_over_http1_and_http2() {
    let emu = Emulator::start(EmulatorConfig {
        tls: true,
        api_key: Some(KEY.into()),
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    assert!(emu
        .ca_pem()
        .unwrap()
        .starts_with("-----BEGIN CERTIFICATE-----"));
    assert!(emu.url().starts_with("http://"), "the plain listener stays");

    // HTTP/1.1 over TLS.
    let tls = tls_stream(&emu, b"http/1.1").await;
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .unwrap();
    tokio::spawn(conn);
    let resp = send.send_request(messages_request(false)).await.unwrap();
    assert_eq!(resp.status(), 200);
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["type"], "message");

    // HTTP/2 over TLS, streaming SSE.
    let tls = tls_stream(&emu, b"h2").await;
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (mut send, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls))
            .await
            .unwrap();
    tokio::spawn(conn);
    let resp = send.send_request(messages_request(true)).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.version(), http::Version::HTTP_2);
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8(body.to_vec()).unwrap();
    assert!(text.starts_with("event: message_start\n"), "{text}");
    assert!(text.contains("event: message_stop\n"));

    // A client that does not trust the CA fails the handshake.
    let addr = emu.tls_url().unwrap().trim_start_matches("https://");
    let tcp = TcpStream::connect(addr).await.unwrap();
    let other = Emulator::start(EmulatorConfig {
        tls: true,
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    assert_ne!(other.ca_pem(), emu.ca_pem(), "a CA per instance");
    let stranger = connector(other.ca_pem().unwrap(), b"h2");
    assert!(stranger
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .is_err());
}
