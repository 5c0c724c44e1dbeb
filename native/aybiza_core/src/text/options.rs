//! Options of the segmenter: sentence mode (the default) and the voice preset.

use super::speech::SpeechOptions;

/// Options of [`crate::text::segmenter::Segmenter`]. `Default` is sentence mode (see
/// `docs/TEXT.md`): every sentence leaves whole and as written, as soon as its end is certain.
/// [`SegmenterOptions::voice`] is the preset for text-to-speech.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmenterOptions {
    /// Minimum length in characters of a released unit when `merge_short` is on: shorter
    /// sentences are joined (with one space) to the following ones until the unit reaches
    /// this length. Default 20.
    pub min_chars: usize,
    /// Merge sentences shorter than `min_chars` with the next ones ("Sure." + "Let me check.").
    /// Default `false`: short sentences are released alone, at once.
    pub merge_short: bool,
    /// A sentence longer than this many characters is cut at its last clause boundary
    /// (comma, semicolon, colon, dash followed by a space), else at its last space, else hard.
    /// `0` disables the limit. Default 0 (sentence mode); 250 in the voice preset.
    pub max_chars: usize,
    /// Release the first clause of the stream early: at the first clause boundary after at
    /// least this many characters, before its sentence ends. Default `None` (off).
    pub first_chunk_min_chars: Option<usize>,
    /// Drop fenced code blocks (```` ``` ```` or `~~~`) instead of releasing them. When `false`
    /// a block is released as one piece. Default `true`.
    pub skip_code_blocks: bool,
    /// A line break always ends the current unit (markdown lists, headings, paragraphs).
    /// Default `true`.
    pub newline_boundaries: bool,
    /// Speech normalization applied to every released piece (markdown, bullets, code ticks,
    /// headings and links removed, acronyms spelled; see
    /// [`crate::text::speech::optimize_text_for_speech`]); a piece left empty is dropped.
    /// Default `None` (pieces as written); the voice preset's default speech options.
    pub speech: Option<SpeechOptions>,
}

impl Default for SegmenterOptions {
    fn default() -> Self {
        SegmenterOptions {
            min_chars: 20,
            merge_short: false,
            max_chars: 0,
            first_chunk_min_chars: None,
            skip_code_blocks: true,
            newline_boundaries: true,
            speech: None,
        }
    }
}

/// The voice preset's first-chunk policy: the first clause of a stream leaves early once it
/// has at least this many characters (about four words: a phrase a voice can say with its own
/// intonation, not a lone `Sure,`).
pub const VOICE_FIRST_CHUNK_MIN_CHARS: usize = 20;

impl SegmenterOptions {
    /// The voice preset: the first clause of the stream is released early (at the first clause
    /// boundary after [`VOICE_FIRST_CHUNK_MIN_CHARS`] characters), sentences longer than 250
    /// characters are cut at a clause boundary, and every piece is normalized for speech, so
    /// what is released is ready for TTS.
    pub fn voice() -> Self {
        SegmenterOptions {
            max_chars: 250,
            first_chunk_min_chars: Some(VOICE_FIRST_CHUNK_MIN_CHARS),
            speech: Some(SpeechOptions::default()),
            ..SegmenterOptions::default()
        }
    }
}
