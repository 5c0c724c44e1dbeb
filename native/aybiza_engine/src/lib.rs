//! The aybiza_bedrock streaming engine: SigV4-signed Bedrock Runtime calls through the
//! official AWS SDK on one shared tokio runtime, delivering events to an [`EventSink`].
//! No rustler types here: the NIF crate implements the sink. The Anthropic Messages API
//! (SSE) runs beside the SDK operations on the same runtime and connection discipline.

pub mod call;
pub mod clients;
pub mod config;
pub mod convert;
pub mod errors;
pub mod events;
mod eventstream;
#[doc(hidden)]
pub use eventstream::fuzz as eventstream_fuzz;
mod hooks;
mod idle;
pub mod messages;
pub mod runtime;
pub mod sdk_sign;
mod sigv4;
pub mod sonic;
pub mod sonic_options;
pub mod sonic_protocol;
pub mod state;
pub mod trace;

pub use call::{
    few_calls_live, live_calls, start, start_with_config, CallHandle, CallOptions, Operation,
    MAX_COALESCE_WINDOW,
};
pub use events::{Event, EventSink, ReceiverGone, SentenceSplitter, Summary, Timings, Usage};
