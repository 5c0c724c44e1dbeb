//! Voice policy options of the segmenter, with the documented defaults.

/// Options of [`crate::text::segmenter::Segmenter`]. `Default` gives the documented defaults
/// (see `docs/TEXT.md`): every sentence leaves as soon as its end is certain.
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
    /// `0` disables the limit. Default 250.
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
}

impl Default for SegmenterOptions {
    fn default() -> Self {
        SegmenterOptions {
            min_chars: 20,
            merge_short: false,
            max_chars: 250,
            first_chunk_min_chars: None,
            skip_code_blocks: true,
            newline_boundaries: true,
        }
    }
}
