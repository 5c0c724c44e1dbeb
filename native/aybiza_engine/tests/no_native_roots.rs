//! A host without root certificates (a slim container): aws-smithy-http-client's rustls
//! provider `debug_assert!`s that native roots parsed, so a debug build used to panic when
//! building the connector. The engine leaves native roots off when there are none: a
//! configured CA still works and a public-style endpoint fails with an error. One test: the
//! certificate environment is process-wide and read once.

mod common;

use aybiza_engine::{start, Event, Operation};
use bedrock_emulator::{Emulator, EmulatorConfig};
use common::*;
use serde_json::{json, Value};

fn run(cfg: &Value) -> Event {
    let (sink, rx) = channel_sink();
    start(Operation::Converse, &request("hello"), cfg, options(), sink).unwrap();
    collect(&rx).pop().unwrap()
}

#[test]
fn no_platform_roots_is_an_error_not_a_panic() {
    // rustls-native-certs reads only these when they are set: an empty bundle, no directory.
    let dir = std::env::temp_dir().join(format!("aybiza-no-roots-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let empty = dir.join("empty.pem");
    std::fs::write(&empty, "").unwrap();
    std::env::set_var("SSL_CERT_FILE", &empty);
    std::env::set_var("SSL_CERT_DIR", &dir);

    let emu = aybiza_engine::runtime::runtime()
        .block_on(Emulator::start(EmulatorConfig {
            tls: true,
            ..EmulatorConfig::default()
        }))
        .unwrap();
    let c = emu.credentials();
    let cfg = |ca: Option<&str>| {
        json!({
            "region": "us-west-2",
            "endpoint": emu.tls_url().unwrap(),
            "credentials": {"type": "static", "access_key_id": c.access_key_id,
                            "secret_access_key": c.secret_access_key},
            "tls_ca_pem": ca,
        })
    };

    // The emulator's own CA: trusted without any platform root.
    let with_ca = run(&cfg(emu.ca_pem()));
    assert!(matches!(with_ca, Event::Done(_)), "{with_ca:?}");

    // No CA at all: the certificate is not trusted, an error terminal (no panic).
    match run(&cfg(None)) {
        Event::Error(e, _) => assert_ne!(e.kind, aybiza_core::error::ErrorKind::Internal, "{e:?}"),
        other => panic!("expected an error, got {other:?}"),
    }
    let _ = std::fs::remove_dir_all(&dir);
}
