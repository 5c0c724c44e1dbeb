//! Shared by the SDK-client tests (each test crate uses a part of it).
#![allow(dead_code)]

use aws_credential_types::Credentials;
use aws_sdk_bedrockruntime::config::retry::RetryConfig;
use aws_sdk_bedrockruntime::config::{BehaviorVersion, Region};
use aws_sdk_bedrockruntime::primitives::Blob;
use aws_sdk_bedrockruntime::types::{ContentBlock, ConversationRole, Message, ResponseStream};
use aws_sdk_bedrockruntime::Client;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use bedrock_emulator::Emulator;
use serde_json::Value;

/// The HTTPS client the SDK clients of these tests use: the workspace builds the SDK without
/// its default client (see the root Cargo.toml), as the library's engine does.
pub fn https_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// An SDK config for `emu` in us-east-1 without retries; the caller adds credentials.
pub fn sdk_builder(emu: &Emulator) -> aws_sdk_bedrockruntime::config::Builder {
    aws_sdk_bedrockruntime::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(https_client())
        .region(Region::new("us-east-1"))
        .endpoint_url(emu.url())
        .retry_config(RetryConfig::disabled())
}

/// A client of `emu` signing with the given static credentials.
pub fn sdk_client_with(emu: &Emulator, key: &str, secret: &str) -> Client {
    let conf = sdk_builder(emu)
        .credentials_provider(Credentials::new(key, secret, None, None, "test"))
        .build();
    Client::from_conf(conf)
}

/// A client of `emu` signing with its default credentials.
pub fn sdk_client(emu: &Emulator) -> Client {
    let c = emu.credentials();
    sdk_client_with(emu, &c.access_key_id, &c.secret_access_key)
}

/// A user message of one text block.
pub fn user(text: &str) -> Message {
    Message::builder()
        .role(ConversationRole::User)
        .content(ContentBlock::Text(text.into()))
        .build()
        .unwrap()
}

/// The `chunk` payloads of an InvokeModelWithResponseStream call, as JSON, in order.
pub async fn stream_chunks(c: &Client, model: &str, body: Blob) -> Vec<Value> {
    let mut stream = c
        .invoke_model_with_response_stream()
        .model_id(model)
        .body(body)
        .send()
        .await
        .unwrap()
        .body;
    let mut chunks = Vec::new();
    while let Some(event) = stream.recv().await.unwrap() {
        if let ResponseStream::Chunk(part) = event {
            chunks.push(serde_json::from_slice::<Value>(part.bytes().unwrap().as_ref()).unwrap());
        }
    }
    chunks
}
