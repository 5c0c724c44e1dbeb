//! Red-team probe: a hostile ConverseStream's `metadata.usage.cacheDetails` (1,000 entries,
//! repeated TTLs, negative counts, unknown TTLs), through the engine's decoder and the SDK's
//! receiver: the call ends with one terminal and the summary's usage holds one summed entry
//! per TTL, consistent with the written total (what `Cost.calculate` accepts, same bill).

mod common;

use aybiza_core::catalog::{CacheDetail, CacheTtl, MAX_CACHE_DETAILS};
use aybiza_engine::{Event, Operation};
use common::hostile::*;
use common::*;
use serde_json::json;
use std::io::Write;

fn frame(event_type: &str, payload: &str) -> Vec<u8> {
    event_frame(event_type, payload.as_bytes())
}

#[test]
fn many_cache_details_are_summed_per_ttl() {
    let mut details: Vec<_> = (0..1_000)
        .map(|_| json!({"inputTokens": 2, "ttl": "1h"}))
        .collect();
    details.push(json!({"inputTokens": 7, "ttl": "5m"}));
    details.push(json!({"inputTokens": -3, "ttl": "5m"}));
    details.push(json!({"inputTokens": 5, "ttl": "24h"}));
    let metadata = json!({
        "usage": {"inputTokens": 3, "outputTokens": 4, "totalTokens": 7,
                  "cacheWriteInputTokens": 2_007, "cacheDetails": details},
        "metrics": {"latencyMs": 5}
    })
    .to_string();
    let body = [
        frame("messageStart", r#"{"role":"assistant"}"#),
        frame(
            "contentBlockDelta",
            r#"{"contentBlockIndex":0,"delta":{"text":"Hello there. "}}"#,
        ),
        frame("contentBlockStop", r#"{"contentBlockIndex":0}"#),
        frame("messageStop", r#"{"stopReason":"end_turn"}"#),
        frame("metadata", &metadata),
    ]
    .concat();
    let url = serve_each(move |mut conn| {
        if !read_request(&mut conn) {
            return;
        }
        let mut out = eventstream_head("probe-cache-details");
        out.extend_from_slice(&http_chunk(&body));
        out.extend_from_slice(b"0\r\n\r\n");
        let _ = conn.write_all(&out);
        let _ = conn.flush();
        hold(&mut conn);
    });
    let cfg = static_config(&url, json!({"idle": 10_000}));
    for sdk in [false, true] {
        let events = run_events(Operation::ConverseStream, &request("hi"), &cfg, sdk);
        let Some(Event::Done(summary)) = events.last() else {
            panic!("sdk {sdk}: {:?}", events.last());
        };
        let usage = summary.usage.as_ref().expect("usage");
        assert_eq!(
            usage.cache_details,
            vec![
                CacheDetail {
                    input_tokens: 2_000,
                    ttl: CacheTtl::OneHour
                },
                CacheDetail {
                    input_tokens: 7,
                    ttl: CacheTtl::FiveMinutes
                },
            ],
            "sdk {sdk}"
        );
        assert!(usage.cache_details.len() <= MAX_CACHE_DETAILS);
        assert_eq!(
            usage.consistent_cache_details().map(|(_, h)| h),
            Some(2_000)
        );
    }
}
