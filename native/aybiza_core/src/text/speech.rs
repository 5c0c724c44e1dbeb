//! Speech normalization: turns model text (often markdown) into what a TTS engine should say.
//!
//! Steps, in order: drop fenced code blocks; strip markdown (headings, block quotes, bullets,
//! rules, links and images to their text, inline code, bold/italic/strike markers); drop emoji
//! (option); collapse whitespace to single spaces and trim (so end punctuation stays last);
//! spell configured acronyms (`API` -> `A-P-I`) as whole, case-sensitive words, and their
//! plurals with a lower-case `s` (`APIs` -> `A-P-Is`).

use std::collections::HashMap;

/// Options of [`optimize_text_for_speech`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpeechOptions {
    /// Whole words replaced as written (case-sensitive, ASCII word boundaries), also in the
    /// plural with a lower-case `s` when the word is in capitals (`APIs`). Default: the
    /// design's `URL`, `API`, `ID`, `FAQ` spelled with hyphens.
    pub acronyms: Vec<(String, String)>,
    /// Remove markdown syntax, keeping the words. Default `true`.
    pub strip_markdown: bool,
    /// Remove fenced code blocks entirely. Default `true`.
    pub drop_code_blocks: bool,
    /// Remove emoji (pictographs, their modifiers and joiners). Default `false`.
    pub drop_emoji: bool,
    /// `acronyms` by word, built at first use: a caller may configure thousands, and a
    /// linear search per word held a scheduler (or an engine shard) for seconds on 16 KB.
    #[doc(hidden)]
    pub acronym_index: AcronymIndex,
}

/// The first position of each acronym in a [`SpeechOptions::acronyms`] list, for the list it
/// was built from (its buffer and length: a list replaced or resized is indexed again).
#[derive(Default)]
pub struct AcronymIndex(std::sync::OnceLock<(usize, usize, HashMap<String, usize>)>);

impl SpeechOptions {
    /// Indexes the acronyms now (else at first use): for callers that build options where
    /// time does not matter and use them where it does (a dirty NIF, then a scheduler).
    pub fn prepare(&self) {
        self.acronym_index.find(&self.acronyms, "");
    }
}

impl AcronymIndex {
    /// The position of `word` in `acronyms` (the first, as a linear search finds it).
    fn find(&self, acronyms: &[(String, String)], word: &str) -> Option<usize> {
        // Short lists: a scan is cheaper than hashing.
        if acronyms.len() <= 16 {
            return acronyms.iter().position(|(k, _)| k == word);
        }
        let key = (acronyms.as_ptr() as usize, acronyms.len());
        let (ptr, len, map) = self.0.get_or_init(|| (key.0, key.1, index(acronyms)));
        if (*ptr, *len) != key {
            // Another list than the one indexed (the field replaced after use).
            return acronyms.iter().position(|(k, _)| k == word);
        }
        // A hit names its own key: a list swapped for another of the same length at the
        // same address after use cannot make one word speak as another.
        map.get(word)
            .copied()
            .filter(|&at| acronyms.get(at).is_some_and(|(k, _)| k == word))
    }
}

fn index(acronyms: &[(String, String)]) -> HashMap<String, usize> {
    let mut map = HashMap::with_capacity(acronyms.len());
    for (i, (k, _)) in acronyms.iter().enumerate() {
        map.entry(k.clone()).or_insert(i);
    }
    map
}

// A clone's list lives elsewhere: it indexes its own at first use.
impl Clone for AcronymIndex {
    fn clone(&self) -> Self {
        AcronymIndex::default()
    }
}

// The index is derived from `acronyms`: options compare and print by what they say.
impl PartialEq for AcronymIndex {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for AcronymIndex {}

impl std::fmt::Debug for AcronymIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AcronymIndex")
    }
}

impl Default for SpeechOptions {
    fn default() -> Self {
        SpeechOptions {
            acronyms: default_acronyms(),
            strip_markdown: true,
            drop_code_blocks: true,
            drop_emoji: false,
            acronym_index: AcronymIndex::default(),
        }
    }
}

/// The design's acronym map.
pub fn default_acronyms() -> Vec<(String, String)> {
    ["URL", "API", "ID", "FAQ"]
        .iter()
        .map(|a| (a.to_string(), spell(a)))
        .collect()
}

/// `API` -> `A-P-I`.
pub fn spell(word: &str) -> String {
    let mut s = String::with_capacity(word.len() * 2);
    for (i, c) in word.chars().enumerate() {
        if i > 0 {
            s.push('-');
        }
        s.push(c);
    }
    s
}

/// Normalizes `text` for speech (see the module docs for the steps).
pub fn optimize_text_for_speech(text: &str, options: &SpeechOptions) -> String {
    let mut lines = String::with_capacity(text.len());
    let mut fence: Option<char> = None;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        let is_fence = t.starts_with("```") || t.starts_with("~~~");
        if options.drop_code_blocks {
            if let Some(f) = fence {
                if is_fence && t.starts_with(f) {
                    fence = None;
                }
                lines.push('\n');
                continue;
            }
            if is_fence {
                fence = t.chars().next();
                lines.push('\n');
                continue;
            }
        }
        if options.strip_markdown {
            strip_line(line, &mut lines);
        } else {
            lines.push_str(line);
        }
    }
    let mut out = String::with_capacity(lines.len());
    let mut pending_space = false;
    for c in lines.chars() {
        if options.drop_emoji && is_emoji(c) {
            continue;
        }
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
    }
    spell_acronyms(&out, &options.acronyms, &options.acronym_index)
}

fn strip_line(line: &str, out: &mut String) {
    let mut t = line.trim_start();
    let body = t.trim_end();
    // Horizontal rules and table separators say nothing.
    if body.len() >= 3
        && body
            .chars()
            .all(|c| matches!(c, '-' | '*' | '_' | '=' | '|' | ':' | ' '))
    {
        out.push('\n');
        return;
    }
    // Headings and block quotes.
    let hashes = t.bytes().take_while(|&b| b == b'#').count();
    if (1..=6).contains(&hashes) && t[hashes..].starts_with([' ', '\t', '\n']) {
        t = t[hashes..].trim_start();
    }
    while let Some(r) = t.strip_prefix('>') {
        t = r.trim_start();
    }
    // Bullets (numbered items stay: "1." is spoken).
    for b in ["- ", "* ", "+ ", "• ", "◦ ", "▪ ", "‣ "] {
        if let Some(r) = t.strip_prefix(b) {
            t = r.trim_start();
            break;
        }
    }
    if let Some(r) = t.strip_prefix("[ ] ").or_else(|| t.strip_prefix("[x] ")) {
        t = r;
    }
    strip_inline(t, out);
}

fn strip_inline(t: &str, out: &mut String) {
    let b = t.as_bytes();
    // Where the next `]` and `)` are, found once and reused while the scan moves on: a
    // search to the line's end for every `[` made `[[[[...` quadratic (16 KB: 17 ms).
    let mut next = LinkEnds::default();
    let mut i = 0;
    while i < t.len() {
        let c = b[i];
        match c {
            b'!' if b.get(i + 1) == Some(&b'[') => {
                if let Some((text, after)) = link_at(t, i + 1, &mut next) {
                    strip_inline(text, out);
                    i = after;
                    continue;
                }
            }
            b'[' => {
                if let Some((text, after)) = link_at(t, i, &mut next) {
                    strip_inline(text, out);
                    i = after;
                    continue;
                }
            }
            b'`' => {
                let ticks = t[i..].bytes().take_while(|&x| x == b'`').count();
                let fence = &t[i..i + ticks];
                if let Some(end) = t[i + ticks..].find(fence) {
                    out.push_str(t[i + ticks..i + ticks + end].trim());
                    i += ticks + end + ticks;
                } else {
                    i += ticks;
                }
                continue;
            }
            b'*' | b'~' => {
                let run = t[i..].bytes().take_while(|&x| x == c).count();
                let before = t[..i].chars().next_back();
                let after = t[i + run..].chars().next();
                let spaced =
                    before.is_none_or(char::is_whitespace) && after.is_none_or(char::is_whitespace);
                // `x * 2` is arithmetic; `*a*`, `**b**`, `~~c~~` are markup.
                if (c == b'*' && !spaced) || (c == b'~' && run >= 2) {
                    i += run;
                    continue;
                }
                out.push_str(&t[i..i + run]);
                i += run;
                continue;
            }
            b'_' => {
                let run = t[i..].bytes().take_while(|&x| x == b'_').count();
                let before = t[..i].chars().next_back();
                let after = t[i + run..].chars().next();
                let inner_word = before.is_some_and(char::is_alphanumeric)
                    && after.is_some_and(char::is_alphanumeric);
                // `snake_case` keeps its underscore; `_em_` and `__strong__` lose theirs.
                if !inner_word {
                    i += run;
                    continue;
                }
                out.push_str(&t[i..i + run]);
                i += run;
                continue;
            }
            _ => {}
        }
        let ch = t[i..].chars().next().unwrap_or(' ');
        out.push(ch);
        i += ch.len_utf8();
    }
}

/// `[text](url)` at `i` (pointing at `[`): the text and the index after `)`.
fn link_at<'a>(t: &'a str, i: usize, next: &mut LinkEnds) -> Option<(&'a str, usize)> {
    let b = t.as_bytes();
    let close = next.bracket.at_or_after(b, i + 1)?;
    if b.get(close + 1) != Some(&b'(') {
        return None;
    }
    let end = next.paren.at_or_after(b, close + 2)?;
    Some((&t[i + 1..close], end + 1))
}

/// The next `]` and `)` of one line for [`link_at`].
struct LinkEnds {
    bracket: NextByte,
    paren: NextByte,
}

impl Default for LinkEnds {
    fn default() -> Self {
        LinkEnds {
            bracket: NextByte::new(b']'),
            paren: NextByte::new(b')'),
        }
    }
}

/// The first position of `byte` at or after a position, remembered: asked with positions
/// that only grow, the line is scanned once in all.
struct NextByte {
    byte: u8,
    /// The last answer and the position it was asked from.
    from: usize,
    found: Option<Option<usize>>,
}

impl NextByte {
    fn new(byte: u8) -> Self {
        NextByte {
            byte,
            from: 0,
            found: None,
        }
    }

    fn at_or_after(&mut self, b: &[u8], from: usize) -> Option<usize> {
        match self.found {
            Some(Some(at)) if from >= self.from && at >= from => return Some(at),
            Some(None) if from >= self.from => return None,
            _ => {}
        }
        let at = b
            .get(from..)
            .and_then(|rest| rest.iter().position(|&x| x == self.byte))
            .map(|p| p + from);
        self.from = from;
        self.found = Some(at);
        at
    }
}

fn is_emoji(c: char) -> bool {
    matches!(c as u32,
        0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0x2300..=0x23FF
        | 0xFE0E | 0xFE0F | 0x200D | 0x20E3 | 0xE0020..=0xE007F | 0x3030 | 0x303D
        | 0x3297 | 0x3299 | 0x2190..=0x21FF)
}

fn spell_acronyms(text: &str, acronyms: &[(String, String)], index: &AcronymIndex) -> String {
    if acronyms.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 16);
    let b = text.as_bytes();
    let is_word = |x: u8| x.is_ascii_alphanumeric() || x == b'_';
    let mut i = 0;
    let mut last = 0;
    while i < b.len() {
        if is_word(b[i]) && (i == 0 || !is_word(b[i - 1])) {
            let mut j = i;
            while j < b.len() && is_word(b[j]) {
                j += 1;
            }
            let w = &text[i..j];
            // The word itself, or its plural with a lower-case `s` (`APIs` -> `A-P-Is`).
            let plural = w
                .strip_suffix('s')
                .filter(|stem| stem.len() > 1 && stem.bytes().all(|c| c.is_ascii_uppercase()));
            let found = index
                .find(acronyms, w)
                .map(|at| (&acronyms[at].1, ""))
                .or_else(|| {
                    let stem = plural?;
                    index.find(acronyms, stem).map(|at| (&acronyms[at].1, "s"))
                });
            if let Some((spoken, suffix)) = found {
                out.push_str(&text[last..i]);
                out.push_str(spoken);
                out.push_str(suffix);
                last = j;
            }
            i = j;
        } else {
            i += 1;
        }
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn say(t: &str) -> String {
        optimize_text_for_speech(t, &SpeechOptions::default())
    }

    #[test]
    fn design_rules() {
        assert_eq!(
            say("Open the  URL\n and the API.  "),
            "Open the U-R-L and the A-P-I."
        );
        // Plurals with a lower-case `s` are spelled too; other words that contain an acronym
        // are not (`IDEA`, `APIary`, `URLS` in capitals is its own word).
        assert_eq!(
            say("Your ID and FAQ, two IDs, the APIs and URLs, an IDEA, the APIary, URLS."),
            "Your I-D and F-A-Q, two I-Ds, the A-P-Is and U-R-Ls, an IDEA, the APIary, URLS."
        );
    }

    /// `strip_inline` as it was, searching to the line's end for every `[`.
    fn strip_inline_before(t: &str, out: &mut String) {
        fn link_at(t: &str, i: usize) -> Option<(&str, usize)> {
            let close = t[i + 1..].find(']')? + i + 1;
            if !t[close + 1..].starts_with('(') {
                return None;
            }
            let end = t[close + 2..].find(')')? + close + 2;
            Some((&t[i + 1..close], end + 1))
        }
        let b = t.as_bytes();
        let mut i = 0;
        while i < t.len() {
            let at = match b[i] {
                b'!' if b.get(i + 1) == Some(&b'[') => i + 1,
                b'[' => i,
                _ => usize::MAX,
            };
            if at != usize::MAX {
                if let Some((text, next)) = link_at(t, at) {
                    strip_inline_before(text, out);
                    i = next;
                    continue;
                }
            }
            let ch = t[i..].chars().next().unwrap();
            out.push(ch);
            i += ch.len_utf8();
        }
    }

    #[test]
    fn links_are_found_as_before_in_one_pass() {
        // Every string of up to 7 of these characters: the same output as the old search.
        let alphabet = ['[', ']', '(', ')', '!', 'a', 'é'];
        let mut strings = vec![String::new()];
        for _ in 0..7 {
            let mut longer = Vec::new();
            for s in &strings {
                for c in alphabet {
                    let mut n = s.clone();
                    n.push(c);
                    longer.push(n);
                }
            }
            strings.extend(longer.into_iter().filter(|s| s.chars().count() <= 7));
            strings.sort();
            strings.dedup();
        }
        for s in &strings {
            let (mut now, mut before) = (String::new(), String::new());
            strip_inline(s, &mut now);
            strip_inline_before(s, &mut before);
            assert_eq!(now, before, "{s:?}");
        }
        // 16 KB of brackets with no link costs about what 16 KB of words does (was ~17 ms
        // against ~0.1 ms in a release build: quadratic).
        let best = |t: &str| {
            (0..3)
                .map(|_| {
                    let start = std::time::Instant::now();
                    let mut out = String::new();
                    strip_inline(t, &mut out);
                    std::hint::black_box(out);
                    start.elapsed()
                })
                .min()
                .unwrap()
        };
        let words = best(&"abcd efg ".repeat(1_800));
        for hostile in ["[[[[((((", "[](((((", "![a](b", "[a]([b]("] {
            let t = hostile.repeat(16_000 / hostile.len());
            let took = best(&t);
            assert!(took < words * 20, "{hostile:?}: {took:?} against {words:?}");
        }
    }

    #[test]
    fn markdown() {
        assert_eq!(
            say("## Steps\n- **Restart** the _router_.\n- See [docs](http://x.y/z)."),
            "Steps Restart the router. See docs."
        );
        assert_eq!(
            say("Run `make` now.\n```sh\nrm -rf /\n```\nDone."),
            "Run make now. Done."
        );
        assert_eq!(
            say("Use snake_case and 2 * 3."),
            "Use snake_case and 2 * 3."
        );
        assert_eq!(say("---\n> quoted ~~old~~ text"), "quoted old text");
    }

    #[test]
    fn many_acronyms_are_found_by_word_not_by_scanning_the_list() {
        // 20,000 configured acronyms: each word was compared with every one of them (16 KB
        // of words took ~0.13 s in a release build, 1.2 s with 100,000, on a normal
        // scheduler or an engine shard). Now a lookup per word, the list indexed once.
        let mut many = SpeechOptions {
            acronyms: (0..20_000)
                .map(|i| (format!("AC{i}"), format!("A-C-{i}")))
                .collect(),
            ..Default::default()
        };
        // The first of two entries wins, as with the linear search; plurals too.
        many.acronyms.push(("AC7".into(), "later".into()));
        many.acronyms.push(("URL".into(), "U-R-L".into()));
        many.acronyms.push(("APIX".into(), "A-P-I-X".into()));
        let text = "Call AC7 and AC19999, two APIXs, the URL, not AC20000. ".to_string();
        let want = "Call A-C-7 and A-C-19999, two A-P-I-Xs, the U-R-L, not AC20000.";
        assert_eq!(optimize_text_for_speech(&text, &many), want);
        // A clone indexes its own list; a list replaced after use is still read right.
        let mut copy = many.clone();
        assert_eq!(optimize_text_for_speech(&text, &copy), want);
        copy.acronyms.truncate(3);
        assert_eq!(
            optimize_text_for_speech("AC1 AC7 URL", &copy),
            "A-C-1 AC7 URL"
        );
        assert_eq!(copy, {
            let mut c = many.clone();
            c.acronyms.truncate(3);
            c
        });
        // The cost per word with 20,000 acronyms (a lookup, not a scan of the list) is not
        // timed here: timing assertions fail on a loaded machine (twice in one session);
        // speed belongs in benchmarks.
    }

    #[test]
    fn emoji() {
        let o = SpeechOptions {
            drop_emoji: true,
            ..Default::default()
        };
        assert_eq!(
            optimize_text_for_speech("Great job 🎉👍🏽!", &o),
            "Great job !"
        );
        assert_eq!(say("Great 🎉"), "Great 🎉");
    }
}
