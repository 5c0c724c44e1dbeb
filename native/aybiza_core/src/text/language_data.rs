//! Language data of the segmenter's evidence rules, built from public lists by
//! `native/aybiza_core/data/build_text_data.py` (sources and licences in each file's header):
//! abbreviations of 14 languages (pySBD, Moses via sacremoses), month names (CLDR via babel)
//! and function words (stop-words). Parsed once, on first use, into hash sets; a lookup
//! lower-cases into a stack buffer and allocates nothing.

use super::abbreviations::AbbrevKind;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

const ABBREVIATIONS_TSV: &str = include_str!("data/abbreviations.tsv");
const MONTHS_TSV: &str = include_str!("data/months.tsv");
const DATE_ABBREVIATIONS_TSV: &str = include_str!("data/date_abbreviations.tsv");
const STARTERS_TSV: &str = include_str!("data/starters.tsv");
const ENGLISH_LEXICON_TSV: &str = include_str!("data/english_lexicon.tsv");
const ENGLISH_FINAL_CLUSTERS_TSV: &str = include_str!("data/english_final_clusters.tsv");
const ENGLISH_COMMON_SHORT_TSV: &str = include_str!("data/english_common_short.tsv");

/// Longest key in bytes that is looked up (longer words are never in the tables).
const MAX_KEY: usize = 48;

/// FNV-1a: keys are a few bytes; SipHash's setup costs more than the lookup.
#[derive(Default, Clone, Copy)]
pub(crate) struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

pub(crate) type FnvBuild = std::hash::BuildHasherDefault<Fnv>;

struct Tables {
    /// A Bloom filter over the lower-case keys (two bits of [`BLOOM_BITS`] per key, from
    /// [`bloom_hash`]), so most words are ruled out with one pass over their bytes (~1% pass
    /// by chance) before they are lower-cased into a buffer and looked up.
    abbreviation_bloom: Box<[u64]>,
    abbreviations: HashMap<&'static [u8], AbbrevKind, FnvBuild>,
    months: HashSet<&'static [u8], FnvBuild>,
    /// `data/date_abbreviations.tsv`: abbreviated month and weekday names (`set`, `mar`).
    date_abbreviations: HashSet<&'static [u8], FnvBuild>,
    /// The English rows of `months` (`data/months.tsv`, language `en`).
    english_months: HashSet<&'static [u8], FnvBuild>,
    starters: HashSet<&'static [u8], FnvBuild>,
    /// Function words of the 11 other languages that are not English function words
    /// (`der`, `les`, `che`): evidence that a text is not English.
    foreign_function_words: HashSet<&'static [u8], FnvBuild>,
    /// `data/english_lexicon.tsv`: tokens that are no English word but an English abbreviation
    /// or the start of one (`insp`, `assoc`, `subsp`), with a Bloom filter like the
    /// abbreviations' (most sentence-final words are ruled out without hashing twice).
    english_lexicon_bloom: Box<[u64]>,
    /// Token -> whether it counts in any case (`A`, `T` rows) or in lower case only (`a`, `t`).
    english_lexicon: Lexicon,
    /// `data/english_final_clusters.tsv`: the consonant clusters that end English words
    /// (`st`, `rld`, `ngth`); those of one or two letters are in [`SHORT_CLUSTERS`].
    english_final_clusters: HashSet<&'static [u8], FnvBuild>,
    /// `data/english_common_short.tsv`: the most common English words of 2-4 letters.
    english_common_short: HashSet<&'static [u8], FnvBuild>,
}

/// English lexicon token -> whether it counts in any case (else in lower case only).
type Lexicon = HashMap<&'static [u8], bool, FnvBuild>;

fn rows(tsv: &'static str) -> impl Iterator<Item = Vec<&'static str>> {
    tsv.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').collect())
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(build_tables)
}

/// The English lexicon and its Bloom filter, in one pass over the file (17,500 rows).
fn english_lexicon() -> (Lexicon, Box<[u64]>) {
    let mut map = HashMap::with_capacity_and_hasher(18_000, FnvBuild::default());
    let mut bloom = vec![0u64; LEXICON_BLOOM_BITS / 64];
    for line in ENGLISH_LEXICON_TSV.lines() {
        let Some((word, kind)) = line.split_once('\t') else {
            continue; // the header's comments
        };
        if line.starts_with('#') || word.is_empty() || word.len() > MAX_KEY {
            continue;
        }
        for bit in lexicon_bloom_bits(bloom_hash(word.as_bytes())) {
            bloom[bit / 64] |= 1 << (bit % 64);
        }
        map.insert(word.as_bytes(), matches!(kind, "A" | "T"));
    }
    (map, bloom.into_boxed_slice())
}

fn build_tables() -> Tables {
    let (english_lexicon, english_lexicon_bloom) = english_lexicon();
    Tables {
        // Only ASCII words consult the filter, so only ASCII keys fill it (round 7 added
        // 2,000 Cyrillic, Greek and Indic keys that would have doubled its false positives).
        abbreviation_bloom: rows(ABBREVIATIONS_TSV)
            .filter(|r| r.len() >= 2 && r[0].len() <= MAX_KEY && r[0].is_ascii())
            .fold(vec![0u64; BLOOM_BITS / 64], |mut t, r| {
                for bit in bloom_bits(bloom_hash(r[0].as_bytes())) {
                    t[bit / 64] |= 1 << (bit % 64);
                }
                t
            })
            .into_boxed_slice(),
        abbreviations: rows(ABBREVIATIONS_TSV)
            .filter(|r| r.len() >= 2 && r[0].len() <= MAX_KEY)
            .map(|r| {
                let kind = match r[1] {
                    "P" => AbbrevKind::Prepositive,
                    "W" => AbbrevKind::Weak,
                    _ => AbbrevKind::Ordinary,
                };
                (r[0].as_bytes(), kind)
            })
            .collect(),
        months: rows(MONTHS_TSV)
            .filter(|r| r.len() >= 2 && r[1].len() <= MAX_KEY)
            .map(|r| r[1].as_bytes())
            .collect(),
        date_abbreviations: rows(DATE_ABBREVIATIONS_TSV)
            .filter(|r| r.len() >= 2 && r[1].len() <= MAX_KEY)
            .map(|r| r[1].as_bytes())
            .collect(),
        english_months: rows(MONTHS_TSV)
            .filter(|r| r.len() >= 2 && r[0] == "en" && r[1].len() <= MAX_KEY)
            .map(|r| r[1].as_bytes())
            .collect(),
        // One-letter function words (`a`, `w`, `i`) look like initials: not evidence.
        starters: rows(STARTERS_TSV)
            .filter(|r| r.len() >= 2 && r[1].chars().nth(1).is_some() && r[1].len() <= MAX_KEY)
            // English has its own closed-class list (`abbreviations::is_sentence_starter`):
            // stop-words' English list is a long one with content words (`fire`, `bill`,
            // `general`, `computer`, `section`) that follow abbreviations inside sentences
            // (`the U.S. General Accounting Office`, `42 U.S.C. Section 5`).
            .filter(|r| r[0] != "en")
            .map(|r| r[1].as_bytes())
            .collect(),
        foreign_function_words: {
            let common_short: HashSet<&str> = ENGLISH_COMMON_SHORT_TSV
                .lines()
                .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
                .collect();
            let english: HashSet<&str> = rows(STARTERS_TSV)
                .filter(|r| r.len() >= 2 && r[0] == "en")
                .map(|r| r[1])
                .chain(ENGLISH_FUNCTION_WORDS.iter().copied())
                .collect();
            rows(STARTERS_TSV)
                .filter(|r| r.len() >= 2 && r[0] != "en" && r[1].chars().nth(1).is_some())
                .filter(|r| r[1].len() <= MAX_KEY && !english.contains(r[1]))
                // A common English word (`met`, `war`, `die`) is no evidence of another
                // language: short English texts use them (`The nun met Archbp. Collins`).
                .filter(|r| !common_short.contains(r[1]))
                .map(|r| r[1].as_bytes())
                .collect()
        },
        english_lexicon,
        english_lexicon_bloom,
        english_final_clusters: ENGLISH_FINAL_CLUSTERS_TSV
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(str::as_bytes)
            .collect(),
        english_common_short: ENGLISH_COMMON_SHORT_TSV
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(str::as_bytes)
            .collect(),
    }
}

/// English function words that rarely occur in the other 13 languages' texts: evidence that
/// a text is English (`is`, `was`, `of`, `in` are Dutch or German too, so not here).
const ENGLISH_FUNCTION_WORDS: &[&str] = &[
    "the", "and", "to", "that", "with", "for", "this", "from", "are", "were", "which", "they",
    "their", "has", "have", "not", "but", "it", "by", "be", "been", "would", "could", "should",
    "there", "what", "when", "who", "you", "we", "she", "his", "its", "our", "your", "these",
    "those", "after", "before", "about", "into", "than", "then", "some", "any",
];

/// Bits of the English lexicon's Bloom filter (17,500 keys: about 1.5% pass by chance).
const LEXICON_BLOOM_BITS: usize = 1 << 18;

#[inline]
fn lexicon_bloom_bits(h: u64) -> [usize; 2] {
    [
        (h as usize) % LEXICON_BLOOM_BITS,
        ((h >> 40) as usize) % LEXICON_BLOOM_BITS,
    ]
}

/// Whether `word` (without its period: `Insp`, `assoc`, `subsp`) is no English word or name
/// but an English abbreviation or the start of a common English word (`data/english_lexicon.tsv`,
/// from SCOWL); in lower case, a name that is no lower-case word counts too (`amb`, `anat`).
/// Only ASCII words of 2-8 letters, lower case or capitalized, are looked up.
pub(crate) fn is_english_truncation(word: &str) -> bool {
    let b = word.as_bytes();
    let n = b.len();
    if !(2..=9).contains(&n)
        || !b[0].is_ascii_alphabetic()
        || !b[1..].iter().all(u8::is_ascii_lowercase)
    {
        return false;
    }
    // FNV-1a is sequential: the stem's hash (all but the last byte) is on the way to the
    // word's, so one pass serves both lookups.
    let stem_hash = bloom_hash(&b[..n - 1]);
    let hash = (stem_hash ^ u64::from(b[n - 1])).wrapping_mul(0x0100_0000_01b3);
    let t = tables();
    if n <= 8 && in_english_lexicon(t, b, hash) {
        return true;
    }
    // A plural of one (`Assocs`, `Mfrs`, `Insps`): a stem of 3+ letters, not ending in `s`
    // (`abyss` is a word although `abys` starts one).
    n >= 4 && b[n - 1] == b's' && b[n - 2] != b's' && in_english_lexicon(t, &b[..n - 1], stem_hash)
}

/// `word`: ASCII, first letter any case, the rest lower case; `hash`: its [`bloom_hash`].
fn in_english_lexicon(t: &Tables, word: &[u8], hash: u64) -> bool {
    let bloom = &t.english_lexicon_bloom;
    if lexicon_bloom_bits(hash)
        .iter()
        .any(|&bit| bloom[bit / 64] & (1 << (bit % 64)) == 0)
    {
        return false;
    }
    let mut buf = [0u8; 8];
    buf[..word.len()].copy_from_slice(word);
    buf[0] = buf[0].to_ascii_lowercase();
    t.english_lexicon
        .get(&buf[..word.len()])
        .is_some_and(|&any_case| any_case || word[0].is_ascii_lowercase())
}

/// The final clusters of one or two letters of `data/english_final_clusters.tsv`, read at
/// compile time: `SHORT_CLUSTERS[a]` has bit 26 for the cluster `a` alone and bit `b` for `ab`
/// (letters as 0-25), so most words are decided without hashing.
static SHORT_CLUSTERS: [u32; 26] = {
    let b = ENGLISH_FINAL_CLUSTERS_TSV.as_bytes();
    let mut t = [0u32; 26];
    let mut i = 0;
    while i < b.len() {
        let mut end = i;
        while end < b.len() && b[end] != b'\n' {
            end += 1;
        }
        let line_len = end - i;
        if b[i] != b'#' && (line_len == 1 || line_len == 2) {
            let first = b[i];
            let bit = if line_len == 1 { 26 } else { b[i + 1] - b'a' };
            if first.is_ascii_lowercase() && bit <= 26 {
                t[(first - b'a') as usize] |= 1 << bit;
            }
        }
        i = end + 1;
    }
    t
};

/// Whether `word` (ASCII, 3-9 letters, the first in any case and the rest lower case, with a
/// vowel `a e i o u y`) ends in a consonant cluster that ends no English word or name of SCOWL
/// (`data/english_final_clusters.tsv`): `Commr`, `Archbp`, `Engrg`, `Supvr`, `Govt` cannot be
/// read as English words, so they are abbreviations. Tokens without a vowel are the shape
/// rule's (`Sgt`, `Bldg`).
#[inline]
pub(crate) fn has_unspoken_ending(word: &str) -> bool {
    let b = word.as_bytes();
    if !(3..=9).contains(&b.len())
        || !b[0].is_ascii_alphabetic()
        || !b[1..].iter().all(u8::is_ascii_lowercase)
    {
        return false;
    }
    let vowel = |c: &u8| {
        matches!(
            c.to_ascii_lowercase(),
            b'a' | b'e' | b'i' | b'o' | b'u' | b'y'
        )
    };
    let Some(last_vowel) = b.iter().rposition(vowel) else {
        return false;
    };
    match &b[last_vowel + 1..] {
        [] => false,
        [a] => SHORT_CLUSTERS[usize::from(a - b'a')] & (1 << 26) == 0,
        [a, c] => SHORT_CLUSTERS[usize::from(a - b'a')] & (1 << (c - b'a')) == 0,
        cluster => !tables().english_final_clusters.contains(cluster),
    }
}

/// Whether `word` (as written) is one of the most common English words of 2-4 lower-case
/// letters (`good`, `job`, `are`; `data/english_common_short.tsv`, SCOWL size 10).
pub(crate) fn is_common_short_english(word: &str) -> bool {
    tables().english_common_short.contains(word.as_bytes())
}

/// Which language `word` is evidence of: 1 for an English function word (`the`, `which`),
/// -1 for a function word of another of the 14 languages that is no English one nor a
/// common English word (`der`, `les`, `che`; not `met`, `war`), or for a word with a letter
/// English does not write (another script, or Latin beyond Latin-1: `např`, `напр`, `τι`;
/// `café` and `José` are no evidence), 0 otherwise.
pub(crate) fn language_evidence(word: &str) -> i32 {
    if !word.is_ascii() && word.chars().any(|c| c.is_alphabetic() && c > '\u{FF}') {
        return -1;
    }
    let mut buf = [0u8; MAX_KEY];
    let Some(w) = lower(word, &mut buf) else {
        return 0;
    };
    if ENGLISH_FUNCTION_WORDS.iter().any(|e| e.as_bytes() == w) {
        1
    } else if tables().foreign_function_words.contains(w) {
        -1
    } else {
        0
    }
}

/// Parses the tables now if they are not yet.
pub(crate) fn warm_up() {
    tables();
}

/// Bits of the abbreviation Bloom filter.
const BLOOM_BITS: usize = 1 << 16;

/// FNV-1a of the ASCII-lower-cased bytes (keys are stored lower case; non-ASCII words are
/// lower-cased first).
#[inline]
fn bloom_hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b.to_ascii_lowercase());
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[inline]
fn bloom_bits(h: u64) -> [usize; 2] {
    [(h as usize) % BLOOM_BITS, ((h >> 32) as usize) % BLOOM_BITS]
}

/// `word` in lower case in `buf`, or `None` when it does not fit.
fn lower<'a>(word: &str, buf: &'a mut [u8; MAX_KEY]) -> Option<&'a [u8]> {
    if word.is_empty() || word.len() > MAX_KEY {
        return None;
    }
    if word.is_ascii() {
        for (d, b) in buf.iter_mut().zip(word.bytes()) {
            *d = b.to_ascii_lowercase();
        }
        return Some(&buf[..word.len()]);
    }
    let mut n = 0;
    for c in word.chars().flat_map(char::to_lowercase) {
        let l = c.len_utf8();
        if n + l > MAX_KEY {
            return None;
        }
        c.encode_utf8(&mut buf[n..]);
        n += l;
    }
    Some(&buf[..n])
}

/// The kind of `word` (without its final period, any case) in the public abbreviation lists.
pub(crate) fn abbreviation(word: &str) -> Option<AbbrevKind> {
    // No key is longer (`lower` refuses it below): not worth hashing (a long token before
    // each glued period, `A).A).…`, was hashed whole at every one).
    if word.len() > MAX_KEY {
        return None;
    }
    let t = tables();
    let first = *word.as_bytes().first()?;
    // ASCII words: rule most out with the Bloom filter before lower-casing and hashing.
    if first.is_ascii() && word.is_ascii() {
        let bloom = &t.abbreviation_bloom;
        if bloom_bits(bloom_hash(word.as_bytes()))
            .iter()
            .any(|&bit| bloom[bit / 64] & (1 << (bit % 64)) == 0)
        {
            return None;
        }
    }
    let mut buf = [0u8; MAX_KEY];
    t.abbreviations.get(lower(word, &mut buf)?).copied()
}

/// Whether `word` (any case) is a month name or abbreviation in one of the 14 languages.
pub(crate) fn is_month(word: &str) -> bool {
    let mut buf = [0u8; MAX_KEY];
    lower(word, &mut buf).is_some_and(|w| tables().months.contains(w))
}

/// Whether `word` (any case) is an abbreviated month or weekday name of CLDR that is no full
/// name (`Set`, `mar`, `Okt`; not `Mai`).
pub(crate) fn is_date_abbreviation(word: &str) -> bool {
    let mut buf = [0u8; MAX_KEY];
    lower(word, &mut buf).is_some_and(|w| tables().date_abbreviations.contains(w))
}

/// Whether `word` (any case) is an English month name or abbreviation (`Aug`, `September`).
pub(crate) fn is_english_month(word: &str) -> bool {
    let mut buf = [0u8; MAX_KEY];
    lower(word, &mut buf).is_some_and(|w| tables().english_months.contains(w))
}

/// Whether `word` is a capitalized function word of one of the 14 languages (`Die`, `Les`,
/// `Однако`): written in lower case mid-sentence, so capitalized it starts a sentence.
pub(crate) fn is_function_word_capitalized(word: &str) -> bool {
    let mut chars = word.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    if !first.is_uppercase() || !chars.all(|c| c.is_lowercase()) {
        return false;
    }
    let mut buf = [0u8; MAX_KEY];
    lower(word, &mut buf).is_some_and(|w| tables().starters.contains(w))
}

/// Whether `word` (any case) is a function word of one of the 11 languages of
/// `data/starters.tsv` used (`und`, `и`; English: see `abbreviations::is_sentence_starter`).
pub(crate) fn is_function_word(word: &str) -> bool {
    let mut buf = [0u8; MAX_KEY];
    lower(word, &mut buf).is_some_and(|w| tables().starters.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_load_and_answer() {
        assert_eq!(abbreviation("bzw"), Some(AbbrevKind::Ordinary));
        assert_eq!(abbreviation("Msgr"), Some(AbbrevKind::Ordinary));
        assert_eq!(abbreviation("г"), Some(AbbrevKind::Ordinary));
        assert_eq!(abbreviation("hello"), None);
        assert!(is_month("Mai") && is_month("März") && is_month("января") && is_month("julio"));
        assert!(!is_month("Stuyts"));
        assert!(is_function_word_capitalized("Die") && is_function_word_capitalized("Однако"));
        assert!(!is_function_word_capitalized("die") && !is_function_word_capitalized("W"));
        for w in [
            "Insp", "assoc", "Phys", "subsp", "Det", "Assoc", "Assocs", "Insps",
        ] {
            assert!(is_english_truncation(w), "{w}");
        }
        // English words and names, and tokens of other shapes, are not truncations.
        for w in [
            "Rome", "rev", "mod", "Harlow", "Liu", "Kim", "the", "INSP", "insP", "x", "über",
        ] {
            assert!(!is_english_truncation(w), "{w}");
        }
        // Final clusters no English word ends with; words, names, vowel-less tokens do not count.
        for w in ["Govt", "Contd", "recd", "Acct", "Treasr"] {
            assert!(has_unspoken_ending(w), "{w}");
        }
        for w in [
            "first", "world", "Ghent", "strength", "Liszt", "Sgt", "Rome", "GOVT", "go",
        ] {
            assert!(!has_unspoken_ending(w), "{w}");
        }
        assert!(is_common_short_english("good") && is_common_short_english("are"));
        assert!(!is_common_short_english("temp") && !is_common_short_english("Good"));
        assert_eq!(language_evidence("The"), 1);
        assert_eq!(language_evidence("der"), -1);
        assert_eq!(language_evidence("les"), -1);
        assert_eq!(language_evidence("Harlow"), 0);
    }
}

#[cfg(test)]
mod evidence_tests {
    use super::language_evidence;

    #[test]
    fn evidence_of_language() {
        assert_eq!(language_evidence("the"), 1);
        assert_eq!(language_evidence("der"), -1);
        // Common English words that are another language's function words: no evidence.
        assert_eq!(language_evidence("met"), 0);
        assert_eq!(language_evidence("war"), 0);
        // Letters English does not write; Latin-1 ones (`café`) are no evidence.
        assert_eq!(language_evidence("např"), -1);
        assert_eq!(language_evidence("напр"), -1);
        assert_eq!(language_evidence("είσαι"), -1);
        assert_eq!(language_evidence("café"), 0);
    }
}
