//! Names spelled with `!` or `?` as part of the name (`Yahoo!`, `Yum! Brands`, `Panic! at the
//! Disco`, `Who Wants to Be a Millionaire?`): the table `data/marked_names.tsv` and its lookup.
//! The segmenter asks it at a `!`/`?` run whether the unit's text before the run ends with a
//! listed name (the whole name up to the run, same case) and, if so, which word the name goes
//! on with and whether the name ends there. Rules that use the answer: `Segmenter::decide_strong`.

use super::language_data::FnvBuild;
use std::collections::HashMap;
use std::sync::OnceLock;

const MARKED_NAMES_TSV: &str = include_str!("data/marked_names.tsv");

/// One mark run inside or at the end of a listed name.
#[derive(Debug)]
pub(crate) struct MarkSite {
    /// The name up to the run, without it (`Panic`, `Who Wants to Be a Millionaire`).
    prefix: &'static str,
    /// The run itself (`!`, `?`, `!!`, `!...`).
    mark: &'static str,
    /// The name's next word after the run (`at`, `Brands`); `None` where the name ends.
    pub next: Option<&'static str>,
    /// The words before the run are also an everyday exclamation or question (`Help!`): the
    /// name counts only after another word of its sentence.
    everyday: bool,
}

/// Sites by the last word before their run, and which ASCII bytes begin such a word (most
/// marks follow a word no name ends with: `today?`; they skip the hash).
struct Sites {
    /// FNV: a lookup per `!`/`?` after a word; SipHash cost ~100 instructions more.
    by_word: HashMap<&'static str, Vec<MarkSite>, FnvBuild>,
    first_bytes: [u64; 2],
}

fn sites() -> &'static Sites {
    static SITES: OnceLock<Sites> = OnceLock::new();
    SITES.get_or_init(build)
}

impl Sites {
    fn get(&self, word: &str) -> Option<&Vec<MarkSite>> {
        let b = *word.as_bytes().first()?;
        if b < 128 && self.first_bytes[usize::from(b / 64)] & (1 << (b % 64)) == 0 {
            return None;
        }
        self.by_word.get(word)
    }
}

/// Parses the table now if it is not yet.
pub(crate) fn warm_up() {
    sites();
}

fn is_mark(c: char) -> bool {
    matches!(c, '!' | '?')
}

/// The last word of `text`, without leading openers (`'Allo` -> `Allo`, `(Yahoo` -> `Yahoo`).
fn last_word(text: &str) -> &str {
    // ASCII fast path: most words before a mark are ASCII.
    let bytes = text.as_bytes();
    let mut j = bytes.len();
    while j > 0 && bytes[j - 1].is_ascii() && !bytes[j - 1].is_ascii_whitespace() {
        j -= 1;
    }
    let start = if j == 0 || bytes[j - 1].is_ascii_whitespace() {
        j
    } else {
        text.char_indices()
            .rev()
            .find(|&(_, c)| c.is_whitespace())
            .map_or(0, |(p, c)| p + c.len_utf8())
    };
    text[start..].trim_start_matches(|c: char| !c.is_alphanumeric())
}

fn build() -> Sites {
    let mut out: HashMap<&'static str, Vec<MarkSite>, FnvBuild> = HashMap::default();
    for line in MARKED_NAMES_TSV.lines() {
        if line.starts_with('#') {
            continue;
        }
        let mut cols = line.split('\t');
        let (Some(_category), Some(name), flag) = (cols.next(), cols.next(), cols.next()) else {
            continue;
        };
        let everyday = flag == Some("w");
        // Every run of marks (with periods: `Oops!...`) followed by a space or the end.
        let mut iter = name.char_indices().peekable();
        while let Some((p, c)) = iter.next() {
            if !is_mark(c) {
                continue;
            }
            let mut end = p + c.len_utf8();
            while let Some(&(q, d)) = iter.peek() {
                if is_mark(d) || d == '.' || d == '…' {
                    end = q + d.len_utf8();
                    iter.next();
                } else {
                    break;
                }
            }
            let rest = &name[end..];
            let next = if rest.is_empty() {
                None
            } else if let Some(after) = rest.strip_prefix(' ') {
                let word_end = after
                    .find(|c: char| !c.is_alphanumeric())
                    .unwrap_or(after.len());
                if word_end == 0 {
                    continue; // `Whoomp! (There`: no word to compare
                }
                Some(&after[..word_end])
            } else {
                continue; // glued (`Zzap!64`, `Y!J`): not a sentence end anyway
            };
            let prefix = &name[..p];
            let key = last_word(prefix);
            if key.is_empty() {
                continue;
            }
            out.entry(key).or_default().push(MarkSite {
                prefix,
                mark: &name[p..end],
                next,
                everyday,
            });
        }
    }
    let mut first_bytes = [0u64; 2];
    for b in out.keys().filter_map(|k| k.as_bytes().first()) {
        if *b < 128 {
            first_bytes[usize::from(b / 64)] |= 1 << (b % 64);
        }
    }
    Sites {
        by_word: out,
        first_bytes,
    }
}

/// The listed names whose text up to a mark run `mark` is the end of `before` (the unit's
/// text before the run). Everyday names (`Help!`) that begin the unit are left out unless
/// `allow_everyday_first`.
pub(crate) fn sites_at<'a>(
    before: &'a str,
    mark: &'a str,
    allow_everyday_first: bool,
) -> impl Iterator<Item = &'static MarkSite> + 'a {
    let key = last_word(before);
    sites()
        .get(key)
        .map(|v| v.as_slice())
        .unwrap_or(&[])
        .iter()
        .filter(move |s| {
            if s.mark != mark || !before.ends_with(s.prefix) {
                return false;
            }
            let head = &before[..before.len() - s.prefix.len()];
            if head.chars().next_back().is_some_and(char::is_alphanumeric) {
                return false; // `Superhelp!` is not `Help!`
            }
            allow_everyday_first || !s.everyday || head.chars().any(char::is_alphanumeric)
        })
}

/// Whether `word` followed by `mark` is a whole listed name of one word (`Yahoo`, `!`).
pub(crate) fn is_one_word_name(word: &str, mark: &str) -> bool {
    sites_at(word, mark, true).any(|s| s.next.is_none() && s.prefix == word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_parses_sites() {
        let n: usize = sites().by_word.values().map(Vec::len).sum();
        assert!(n >= 250, "{n} sites");
        assert!(is_one_word_name("Yahoo", "!") && is_one_word_name("Jeopardy", "!"));
        assert!(!is_one_word_name("Yahoo", "?") && !is_one_word_name("yahoo", "!"));
        let next: Vec<_> = sites_at("We saw Panic", "!", false)
            .map(|s| s.next)
            .collect();
        assert_eq!(next, [Some("at")]);
        let ends = |b: &str, m: &str| sites_at(b, m, false).any(|s| s.next.is_none());
        assert!(ends("I watched Who Wants to Be a Millionaire", "?"));
        assert!(!ends("I watched who wants to be a Millionaire", "?"));
        let oops: Vec<_> = sites_at("Britney sang Oops", "!...", false)
            .map(|s| s.next)
            .collect();
        assert_eq!(oops, [Some("I")]);
        // Everyday names count only after another word; no name inside a longer word.
        assert!(!ends("Help", "!") && ends("We saw Help", "!"));
        assert!(
            ends("I read Who Moved My Cheese", "?") && !ends("I read XWho Moved My Cheese", "?")
        );
        assert!(ends("She reads 'Allo 'Allo", "!") && ends("(Yahoo", "!"));
        // A multi-byte space before the word (the fuzzer's find: no slice inside it).
        assert!(ends("I use\u{a0}Yahoo", "!") && ends("µµ\u{a0}Yahoo", "!"));
        assert_eq!(last_word("\u{b5}\u{a0}\u{c6}"), "\u{c6}");
    }
}
