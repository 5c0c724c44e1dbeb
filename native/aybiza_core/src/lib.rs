//! Pure-Rust logic of aybiza_bedrock. Nothing here knows about rustler or the AWS SDK, so all
//! of it is tested with `cargo test`.
//!
//! - [`text`]: the voice text pipeline (streaming sentence segmentation, speech
//!   normalization, complexity scoring and intents).
//! - [`catalog`]: model catalog, ids and inference profiles, exact cost, routing, regions.
//! - [`request`]: the Bedrock request model decoded from loosely-typed values, with paths
//!   to offending fields.
//! - [`limits`]: request size, depth and count limits, checked before the network.
//! - [`error`]: the one error enum shared by every layer.
//! - [`messages`]: the Anthropic Messages API on Bedrock: request translation, errors.
//! - [`sse`]: a bounded, incremental Server-Sent Events parser.

pub mod catalog;
pub mod error;
pub mod limits;
pub mod messages;
pub mod request;
pub mod sse;
pub mod text;
