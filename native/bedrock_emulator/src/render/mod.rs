//! Replies on the wire: Converse JSON and events, Anthropic Messages bodies and events, and
//! their framing (AWS event stream, Server-Sent Events), plus bench stamps.

pub mod anthropic;
pub mod converse;
pub mod eventstream;
pub mod prompt_body;
pub mod sse;
pub mod stamp;

use base64::Engine;
use serde_json::{json, Value};

use crate::reply::plan::{padding, Rng};
use crate::reply::Event;

/// One InvokeModelWithResponseStream `chunk` event: the model's own JSON, base64 in `bytes`,
/// with Bedrock's random-length `p` padding.
pub fn invoke_chunk(inner: &Value, tokens: u64, rng: &mut Rng) -> Event {
    let bytes = base64::engine::general_purpose::STANDARD.encode(inner.to_string());
    let payload = json!({"bytes": bytes, "p": padding(rng)});
    Event {
        frame: eventstream::event("chunk", &payload),
        tokens,
    }
}
