//! Character classes used by the segmenter. Kept as plain `match`es: they sit on the hot path.

/// Marks that end a sentence and need a following space (or a decision) in Latin text.
#[inline]
pub(crate) fn is_ascii_terminal(c: char) -> bool {
    matches!(c, '.' | '!' | '?')
}

/// A period-like mark: ASCII full stop, full-width full stop (used in CJK numbers, `３．２９`).
#[inline]
pub(crate) fn is_period(c: char) -> bool {
    matches!(c, '.' | '．')
}

/// Horizontal ellipsis (one char standing for three periods).
#[inline]
pub(crate) fn is_ellipsis_char(c: char) -> bool {
    c == '…'
}

/// Strong marks of scripts written without spaces (CJK) or with their own stops
/// (Devanagari danda, Urdu full stop, Arabic question mark, Armenian, Ethiopic, Myanmar, Khmer).
/// A sentence ends after them even when the next character is glued.
#[inline]
pub(crate) fn is_script_terminal(c: char) -> bool {
    matches!(
        c,
        '。' | '！'
            | '？'
            | '｡'
            | '।'
            | '॥'
            | '۔'
            | '؟'
            | '։'
            | '።'
            | '፧'
            | '፨'
            | '။'
            | '‼'
            | '⁇'
            | '⁈'
            | '⁉'
            | '។'
            | '៕'
    )
}

/// Any character that may start an end-of-sentence run.
#[inline]
pub(crate) fn is_terminal(c: char) -> bool {
    if c.is_ascii() {
        return is_ascii_terminal(c); // the usual character: no compare against the others
    }
    // U+037E: the Greek question mark, decided by the segmenter.
    c == '．' || is_ellipsis_char(c) || is_script_terminal(c) || c == '\u{37E}'
}

/// Characters that may close a sentence after its end mark: quotes, brackets, and markdown
/// emphasis (`**Done.**`).
#[inline]
pub(crate) fn is_closer(c: char) -> bool {
    matches!(
        c,
        '"' | '\''
            | '”'
            | '’'
            | '»'
            | '›'
            | ')'
            | ']'
            | '}'
            | '」'
            | '』'
            | '》'
            | '〉'
            | '】'
            | '）'
            | '〕'
            | '］'
            | '＂'
            | '｣'
            | '*'
            | '_'
            | '`'
    )
}

/// Opening brackets of CJK text: inside them a CJK end mark does not end the sentence
/// (`《摔跤吧！爸爸》`).
#[inline]
pub(crate) fn cjk_open(c: char) -> bool {
    matches!(
        c,
        '《' | '〈' | '「' | '『' | '【' | '（' | '〔' | '［' | '｢'
    )
}

#[inline]
pub(crate) fn cjk_close(c: char) -> bool {
    matches!(
        c,
        '》' | '〉' | '」' | '』' | '】' | '）' | '〕' | '］' | '｣'
    )
}

/// Punctuation after which a sentence continues (`«…demencia.», dijo`).
#[inline]
pub(crate) fn is_continuation_punct(c: char) -> bool {
    matches!(
        c,
        ',' | ';' | ':' | '%' | '&' | '/' | '、' | '，' | '；' | '：' | '،' | '؛' | '٫' | '٬'
    )
}

/// Bullet characters that start a new spoken unit even in the middle of a line.
#[inline]
pub(crate) fn is_bullet(c: char) -> bool {
    // Below `•` (U+2022, the first of them): one compare.
    if (c as u32) < 0x2022 {
        return false;
    }
    matches!(
        c,
        '•' | '◦'
            | '▪'
            | '▫'
            | '‣'
            | '⁃'
            | '●'
            | '○'
            | '■'
            | '□'
            | '►'
            | '▸'
            | '◆'
            | '◇'
    )
}

/// Clause punctuation that may precede a whitespace where a long sentence can be cut.
#[inline]
pub(crate) fn is_clause_punct(c: char) -> bool {
    matches!(
        c,
        ',' | ';' | ':' | '—' | '–' | '、' | '，' | '；' | '：' | '،' | '؛'
    )
}

/// Marks that join onto the previous character (combining marks, variation selectors,
/// zero-width joiner, emoji modifiers): never cut right before one.
#[inline]
pub(crate) fn is_extend(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F | 0x0483..=0x0489 | 0x0591..=0x05BD | 0x0610..=0x061A | 0x064B..=0x065F
        | 0x0900..=0x0903 | 0x093A..=0x094F | 0x0951..=0x0957 | 0x0962..=0x0963
        | 0x0981..=0x0983 | 0x09BC..=0x09D7 | 0x0B82 | 0x0BBE..=0x0BCD | 0x0E31 | 0x0E34..=0x0E3A
        | 0x0E47..=0x0E4E | 0x102B..=0x103E | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x200C | 0x200D
        | 0x20D0..=0x20FF | 0xFE00..=0xFE0F | 0xFE20..=0xFE2F | 0x1F3FB..=0x1F3FF
        | 0xE0020..=0xE007F | 0xE0100..=0xE01EF)
}

/// Letters of scripts written without spaces between words or sentences.
#[inline]
pub(crate) fn is_cjk(c: char) -> bool {
    // Below the first range (every Latin, Cyrillic, Greek... letter): one compare.
    if (c as u32) < 0x3040 {
        return false;
    }
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0xAC00..=0xD7AF
        | 0xFF10..=0xFF19 | 0xFF21..=0xFF3A | 0xFF41..=0xFF5A | 0xFF66..=0xFF9F | 0x20000..=0x2FFFF)
}

/// Emoji and their joiners: glued after an end mark they stay with that sentence
/// (`Hi there!👋 How can I help?`).
#[inline]
pub(crate) fn is_emoji(c: char) -> bool {
    matches!(c as u32,
        0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B50 | 0x2B55 | 0xFE0F | 0x200D | 0x20E3
        | 0xE0020..=0xE007F)
}
