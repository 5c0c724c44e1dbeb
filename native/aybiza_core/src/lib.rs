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

pub mod catalog;
pub mod error;
pub mod limits;
pub mod request;
pub mod text;
