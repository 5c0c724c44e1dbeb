//! Voice text pipeline: streaming sentence segmentation for text-to-speech, speech
//! normalization, and the query heuristics (complexity, tool intent, extended thinking,
//! response length) of the design. Rules and defaults are documented in `docs/TEXT.md`.

pub mod abbreviations;
mod chars;
pub mod complexity;
pub mod cost;
mod language_data;
mod marked_names;
pub mod options;
pub mod segmenter;
pub mod speech;
mod utf8;

pub use complexity::{
    assess_query_complexity, detect_tool_intent, determine_response_length,
    should_use_extended_thinking, ComplexityPatterns, QueryContext,
};
pub use options::SegmenterOptions;
pub use segmenter::{split_sentences, Segmenter};
pub use speech::{optimize_text_for_speech, SpeechOptions};
