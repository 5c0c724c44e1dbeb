//! The aws-config default chain: credentials from environment variables, and a Bedrock API
//! key from AWS_BEARER_TOKEN_BEDROCK. One test: the environment is process-wide.

mod common;

use aybiza_engine::{start, Event, Operation};
use bedrock_emulator::{Emulator, EmulatorConfig};
use common::*;
use serde_json::json;

fn run(emu: &Emulator, region: &str) -> Event {
    let cfg = json!({"region": region, "endpoint": emu.url(), "credentials": {"type": "default"}});
    let (sink, rx) = channel_sink();
    start(
        Operation::Converse,
        &request("hello"),
        &cfg,
        options(),
        sink,
    )
    .unwrap();
    collect(&rx).pop().unwrap()
}

#[test]
fn default_chain_reads_the_environment() {
    let emu = aybiza_engine::runtime::runtime()
        .block_on(Emulator::start(EmulatorConfig {
            api_key: Some("bedrock-api-key-env".into()),
            ..EmulatorConfig::default()
        }))
        .unwrap();
    let c = emu.credentials();
    // No shared config files or IMDS in the way.
    std::env::set_var("AWS_CONFIG_FILE", "/nonexistent/aybiza-config");
    std::env::set_var(
        "AWS_SHARED_CREDENTIALS_FILE",
        "/nonexistent/aybiza-credentials",
    );
    std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    std::env::set_var("AWS_ACCESS_KEY_ID", &c.access_key_id);
    std::env::set_var("AWS_SECRET_ACCESS_KEY", &c.secret_access_key);
    assert!(matches!(run(&emu, "us-west-2"), Event::Done(_)));

    // Wrong keys in the environment: rejected by signature verification. (US regions: the
    // test model is called through its "us" inference profile.)
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "not-the-secret");
    match run(&emu, "us-east-2") {
        Event::Error(e, _) => {
            assert_eq!(e.kind, aybiza_core::error::ErrorKind::InvalidCredentials);
            assert!(!e.message.contains("not-the-secret"));
        }
        other => panic!("{other:?}"),
    }

    // A Bedrock API key in the environment: bearer auth wins over SigV4.
    std::env::set_var("AWS_BEARER_TOKEN_BEDROCK", "bedrock-api-key-env");
    assert!(matches!(run(&emu, "us-west-1"), Event::Done(_)));
}
