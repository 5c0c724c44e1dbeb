//! Red-team probe of configuration the CLI bounds but the other ways in (a JSON config file
//! through `EmulatorConfig::from_json`, the Rust API, the NIF's `emulator_start` map) did not.

mod common;

use bedrock_emulator::{Emulator, EmulatorConfig};
use common::{sdk_client as client, user};

const MODEL: &str = "us.anthropic.claude-haiku-4-5-20251001-v1:0";

/// `pacing_tick_ms` past the CLI's bound (0 to 1000) was taken as is: a tick of hours made
/// every paced stream wait hours for its first event (and `Ticker::run` truncated the tick's
/// nanoseconds to 64 bits). The server now refuses it at start, as the CLI does.
#[tokio::test]
async fn a_pacing_tick_past_the_cli_bound_is_refused_at_start() {
    for ms in [1_001u64, 3_600_000, u64::MAX] {
        let config = EmulatorConfig::from_json(serde_json::json!({ "pacing_tick_ms": ms }))
            .expect("the JSON decodes");
        let e = match Emulator::start(config).await {
            Ok(_) => panic!("pacing_tick_ms {ms} started a server"),
            Err(e) => e,
        };
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput, "{ms}: {e}");
        assert!(e.to_string().contains("pacing_tick_ms"), "{ms}: {e}");
    }
}

/// The bound itself still starts, and its paced streams finish.
#[tokio::test]
async fn a_pacing_tick_at_the_bound_paces_streams() {
    for ms in [0u64, 1, 1_000] {
        // A short reply: each paced event waits up to one tick.
        let config = EmulatorConfig::from_json(serde_json::json!({
            "pacing_tick_ms": ms,
            "rules": [{"prompt_contains": "", "reply": "Hi there."}],
        }))
        .unwrap();
        let emu = Emulator::start(config).await.expect("starts");
        let c = client(&emu);
        let out = c
            .converse_stream()
            .model_id(MODEL)
            .messages(user("Hello"))
            .customize()
            .mutate_request(|r| {
                r.headers_mut().insert(
                    "x-emulator-pacing",
                    "first_token_ms=5,tps=2000,delta_chars=8",
                );
            })
            .send()
            .await
            .expect("sent");
        let mut stream = out.stream;
        let mut events = 0;
        let read = async {
            while let Some(_e) = stream.recv().await.expect("event") {
                events += 1;
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(30), read)
            .await
            .unwrap_or_else(|_| panic!("tick {ms}: the paced stream did not finish"));
        assert!(events > 2, "tick {ms}: {events} events");
    }
}
