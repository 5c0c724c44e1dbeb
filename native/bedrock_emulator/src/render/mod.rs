//! Replies on the wire: Converse JSON and events, Anthropic Messages bodies and events, and
//! their framing (AWS event stream, Server-Sent Events), plus bench stamps.

pub mod anthropic;
pub mod converse;
pub mod eventstream;
pub mod prompt_body;
pub mod sse;
pub mod stamp;
