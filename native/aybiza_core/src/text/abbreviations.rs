//! Abbreviations, sentence starters and names spelled with `!` that decide whether a period or an
//! exclamation mark ends a sentence. Lists follow pySBD's English and Spanish lists, trimmed to
//! what occurs in spoken answers and extended with common LLM vocabulary.

/// How an abbreviation behaves before the next word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AbbrevKind {
    /// Titles and words that always lead into more text (`Mr.`, `Dr.`, `Mt.`, `e.g.`, `vs.`):
    /// never end a sentence except at the end of the text or a line.
    Prepositive,
    /// Ends a sentence only before a word that typically starts one (`Co. It closed`,
    /// but `St. Michael's`, `Inc. Apple`); continues before lower case and digits.
    Ordinary,
    /// Continues before lower case and digits (`No. 5`, `etc. and`), ends before any
    /// capitalized word (`etc. The`).
    Weak,
}

// (word, kind, capitalized_only). Capitalized-only entries would otherwise swallow ordinary
// lower-case words (`the sun. Then`, `el mar. Luego`).
const ABBREVIATIONS: &[(&str, AbbrevKind, bool)] = {
    use AbbrevKind::{Ordinary as O, Prepositive as P, Weak as W};
    &[
        // English titles and name parts
        ("mr", P, false),
        ("mrs", P, false),
        ("ms", P, false),
        ("mx", P, false),
        ("dr", P, false),
        ("prof", P, false),
        ("rev", P, false),
        ("hon", P, false),
        ("gen", P, false),
        ("col", P, false),
        ("capt", P, false),
        ("cpt", P, false),
        ("lt", P, false),
        ("sgt", P, false),
        ("maj", P, false),
        ("cmdr", P, false),
        ("adm", P, false),
        ("gov", P, false),
        ("sen", P, false),
        ("rep", P, false),
        ("pres", P, false),
        ("supt", P, false),
        ("mt", P, false),
        ("ft", P, true),
        ("messrs", P, false),
        ("mme", P, false),
        ("mlle", P, false),
        ("fr", P, true),
        ("sr", P, false),
        ("sra", P, false),
        ("srta", P, false),
        ("srs", P, false),
        ("sres", P, false),
        ("dra", P, false),
        ("lic", P, false),
        ("ing", P, true),
        ("arq", P, false),
        ("gral", P, false),
        ("sto", P, true),
        ("sta", P, true),
        ("ud", P, false),
        ("uds", P, false),
        ("vd", P, false),
        ("vds", P, false),
        ("pte", P, false),
        // never the last word of a sentence
        ("e.g", P, false),
        ("i.e", P, false),
        ("vs", P, false),
        ("cf", P, false),
        ("viz", P, false),
        ("approx", P, false),
        ("ca", P, false),
        ("aprox", P, false),
        ("p.ej", P, false),
        ("incl", P, false),
        ("esp", P, false),
        ("resp", P, false),
        // organisations, places, units: may end a sentence
        ("inc", O, false),
        ("ltd", O, false),
        ("co", O, false),
        ("corp", O, false),
        ("jr", O, false),
        ("st", O, false),
        ("ave", O, false),
        ("blvd", O, false),
        ("rd", O, false),
        ("dept", O, false),
        ("univ", O, false),
        ("assn", O, false),
        ("bros", O, false),
        ("esq", O, false),
        ("llc", O, false),
        // Citations: `et al. found`, `Id. at 12` (legal "the same"): weak, so a capital after
        // them still ends the sentence (`et al. The`).
        ("al", W, false),
        ("id", W, false),
        ("plc", O, false),
        ("cía", O, false),
        ("dpto", O, false),
        ("depto", O, false),
        ("avda", O, false),
        ("av", O, false),
        ("admón", O, false),
        ("ee", O, true),
        ("uu", O, true),
        ("min", O, false),
        ("mins", O, false),
        ("max", O, false),
        ("hr", O, false),
        ("hrs", O, false),
        ("hs", O, false),
        ("sec", O, false),
        ("secs", O, false),
        ("km", O, false),
        ("kg", O, false),
        ("lb", O, false),
        ("lbs", O, false),
        ("oz", O, false),
        ("yd", O, false),
        ("yds", O, false),
        ("mi", O, true),
        ("mph", O, false),
        ("sq", O, false),
        ("est", O, false),
        ("govt", O, false),
        ("misc", O, false),
        ("tel", O, false),
        ("ext", O, false),
        ("tbsp", O, false),
        ("tsp", O, false),
        ("qty", O, false),
        ("yr", O, false),
        ("yrs", O, false),
        ("mo", O, true),
        ("mos", O, true),
        ("wk", O, false),
        ("wks", O, false),
        ("pt", O, false),
        ("pts", O, false),
        ("dist", O, false),
        ("intl", O, false),
        ("natl", O, false),
        ("assoc", O, false),
        ("mfg", O, false),
        ("ref", O, false),
        ("cap", O, false),
        // months and weekdays (English and Spanish), capitalized only
        ("jan", O, true),
        ("feb", O, true),
        ("mar", O, true),
        ("apr", O, true),
        ("jun", O, true),
        ("jul", O, true),
        ("aug", O, true),
        ("sep", O, true),
        ("sept", O, true),
        ("oct", O, true),
        ("nov", O, true),
        ("dec", O, true),
        ("ene", O, true),
        ("abr", O, true),
        ("ago", O, true),
        ("dic", O, true),
        ("mon", O, true),
        ("tue", O, true),
        ("tues", O, true),
        ("wed", O, true),
        ("thu", O, true),
        ("thur", O, true),
        ("thurs", O, true),
        ("fri", O, true),
        ("sat", O, true),
        ("sun", O, true),
        ("lun", O, true),
        ("mié", O, true),
        ("jue", O, true),
        ("vie", O, true),
        ("sáb", O, true),
        ("dom", O, true),
        // reference words before numbers
        ("no", W, true),
        ("nos", W, true),
        ("nr", W, false),
        ("núm", W, false),
        ("num", W, false),
        ("n°", W, false),
        ("nº", W, false),
        ("vol", W, false),
        ("vols", W, false),
        ("fig", W, false),
        ("figs", W, false),
        ("p", W, false),
        ("pp", W, false),
        ("pg", W, false),
        ("pgs", W, false),
        ("ch", W, false),
        ("chap", W, false),
        ("art", W, false),
        ("arts", W, false),
        ("pág", W, false),
        ("pag", W, false),
        ("párr", W, false),
        ("párrf", W, false),
        ("ed", W, true),
        ("eds", W, false),
        ("op", W, false),
        ("etc", W, false),
    ]
};

/// Per first ASCII letter of a key: a bit per key length in bytes (1..=15), and a bit per
/// lower-case last letter (`a` = 0; bit 26 for any other last byte). Together they rule out
/// most ordinary words before they are hashed.
const FIRST_LETTER_MASKS: [(u16, u32); 26] = {
    let mut t = [(0u16, 0u32); 26];
    let mut i = 0;
    while i < ABBREVIATIONS.len() {
        let k = ABBREVIATIONS[i].0.as_bytes();
        let f = k[0];
        if f.is_ascii_lowercase() {
            let slot = &mut t[(f - b'a') as usize];
            if k.len() < 16 {
                slot.0 |= 1 << k.len();
            }
            slot.1 |= 1 << last_index(k[k.len() - 1]);
        }
        i += 1;
    }
    t
};

/// The last-letter bit of `FIRST_LETTER_MASKS` for a last byte.
const fn last_index(b: u8) -> u32 {
    let l = b.to_ascii_lowercase();
    if l.is_ascii_lowercase() {
        (l - b'a') as u32
    } else {
        26
    }
}

/// FNV-1a over the key bytes (keys are a few bytes long).
const fn fnv(bytes: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    let mut i = 0;
    while i < bytes.len() {
        h ^= bytes[i] as u32;
        h = h.wrapping_mul(0x0100_0193);
        i += 1;
    }
    h
}

const fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Slots of the open-addressing tables below (a power of two, at least 2x the keys).
const SLOTS: usize = 512;

/// An open-addressing hash table built at compile time: slot = 1 + index of the key in
/// `keys`, 0 = empty; linear probing. A repeated key keeps its first entry.
const fn build_table(keys: &[&str]) -> [u16; SLOTS] {
    assert!(keys.len() * 2 <= SLOTS);
    let mut t = [0u16; SLOTS];
    let mut i = 0;
    while i < keys.len() {
        let k = keys[i].as_bytes();
        let mut s = fnv(k) as usize & (SLOTS - 1);
        loop {
            let e = t[s];
            if e == 0 {
                t[s] = (i + 1) as u16;
                break;
            }
            if bytes_eq(keys[e as usize - 1].as_bytes(), k) {
                break; // first entry wins
            }
            s = (s + 1) & (SLOTS - 1);
        }
        i += 1;
    }
    t
}

/// Index in `keys` of `word`, by the table `build_table(keys)` built.
#[inline]
fn find(table: &[u16; SLOTS], keys: &[&str], word: &[u8]) -> Option<usize> {
    let mut s = fnv(word) as usize & (SLOTS - 1);
    loop {
        let e = table[s] as usize;
        if e == 0 {
            return None;
        }
        if keys[e - 1].as_bytes() == word {
            return Some(e - 1);
        }
        s = (s + 1) & (SLOTS - 1);
    }
}

const ABBREV_KEYS: [&str; ABBREVIATIONS.len()] = {
    let mut k = [""; ABBREVIATIONS.len()];
    let mut i = 0;
    while i < ABBREVIATIONS.len() {
        k[i] = ABBREVIATIONS[i].0;
        i += 1;
    }
    k
};

static ABBREV_TABLE: [u16; SLOTS] = build_table(&ABBREV_KEYS);

/// Looks `word` (the text before a period, without the period) up, ignoring case except for
/// capitalized-only entries, which must start with an upper-case letter.
pub fn lookup(word: &str) -> Option<AbbrevKind> {
    // The longest entry has 6 characters (at most 2 bytes each): most words stop here.
    if word.is_empty() || word.len() > 12 {
        return None;
    }
    let mut buf = [0u8; 64];
    let mut n = 0;
    if word.is_ascii() {
        let f = word.as_bytes()[0].to_ascii_lowercase();
        if !f.is_ascii_lowercase() {
            return None;
        }
        let (lengths, last_letters) = FIRST_LETTER_MASKS[(f - b'a') as usize];
        let last = word.as_bytes()[word.len() - 1];
        if lengths & (1 << word.len()) == 0 || last_letters & (1 << last_index(last)) == 0 {
            return None;
        }
        for b in word.bytes() {
            buf[n] = b.to_ascii_lowercase();
            n += 1;
        }
    } else {
        for c in word.chars().flat_map(char::to_lowercase) {
            let l = c.len_utf8();
            if n + l > buf.len() {
                return None;
            }
            c.encode_utf8(&mut buf[n..]);
            n += l;
        }
    }
    let i = find(&ABBREV_TABLE, &ABBREV_KEYS, &buf[..n])?;
    let (_, kind, cap_only) = ABBREVIATIONS[i];
    if cap_only && !word.chars().next().is_some_and(char::is_uppercase) {
        return None;
    }
    // `FR.`, `ST.` in capitals are acronyms (`der FR. Die`), not titles or street names.
    if word.len() >= 2 && word.chars().all(char::is_uppercase) && kind == AbbrevKind::Prepositive {
        return None;
    }
    Some(kind)
}

// Words that usually begin a sentence; after an ambiguous abbreviation or an initial they decide
// for a boundary (`U.S. How about you?` splits, `U.S. Government` does not). Closed-class words
// (pronouns, including the indefinite ones `Nobody`, `Everyone`, determiners, prepositions,
// conjunctions) and sentence adverbs.
const STARTERS: &[&str] = &[
    "A",
    "About",
    "Above",
    "Across",
    "Additionally",
    "After",
    "Afterwards",
    "Again",
    "Against",
    "All",
    "Almost",
    "Already",
    "Also",
    "Alternatively",
    "Although",
    "Always",
    "Among",
    "An",
    "And",
    "Another",
    "Any",
    "Anybody",
    "Anyone",
    "Anything",
    "Are",
    "Around",
    "As",
    "At",
    "Be",
    "Because",
    "Before",
    "Behind",
    "Being",
    "Below",
    "Beneath",
    "Beside",
    "Besides",
    "Between",
    "Beyond",
    "Both",
    "But",
    "By",
    "Can",
    "Check",
    "Click",
    "Consequently",
    "Could",
    "Currently",
    "Despite",
    "Did",
    "Do",
    "Does",
    "Don",
    "During",
    "Each",
    "Either",
    "Even",
    "Every",
    "Everybody",
    "Everyone",
    "Everything",
    "Few",
    "Finally",
    "First",
    "Firstly",
    "For",
    "From",
    "Further",
    "Furthermore",
    "Go",
    "Good",
    "Great",
    "Had",
    "Has",
    "Have",
    "He",
    "Hence",
    "Her",
    "Here",
    "Him",
    "His",
    "How",
    "However",
    "I",
    "If",
    "In",
    "Indeed",
    "Instead",
    "Into",
    "Is",
    "It",
    "Its",
    "Itself",
    "Just",
    "Last",
    "Later",
    "Let",
    "Likewise",
    "Make",
    "Many",
    "Maybe",
    "Me",
    "Meanwhile",
    "Millions",
    "Mine",
    "More",
    "Moreover",
    "Most",
    "Much",
    "My",
    "Myself",
    "Neither",
    "Never",
    "Nevertheless",
    "Next",
    "No",
    "Nobody",
    "None",
    "Nonetheless",
    "Nor",
    "Not",
    "Note",
    "Nothing",
    "Now",
    "OK",
    "Of",
    "Often",
    "Ok",
    "Okay",
    "On",
    "Once",
    "One",
    "Only",
    "Onto",
    "Or",
    "Other",
    "Otherwise",
    "Our",
    "Overall",
    "Perhaps",
    "Please",
    "Second",
    "See",
    "Several",
    "She",
    "Should",
    "Similarly",
    "Since",
    "So",
    "Some",
    "Somebody",
    "Someone",
    "Something",
    "Sometimes",
    "Still",
    "Such",
    "Sure",
    "Than",
    "Thank",
    "Thanks",
    "That",
    "The",
    "Their",
    "Them",
    "Themselves",
    "Then",
    "There",
    "Therefore",
    "These",
    "They",
    "This",
    "Those",
    "Though",
    "Through",
    "Throughout",
    "Thus",
    "To",
    "Today",
    "Tomorrow",
    "Tonight",
    "Toward",
    "Towards",
    "Try",
    "Unfortunately",
    "Unless",
    "Unlike",
    "Until",
    "Upon",
    "Us",
    "Use",
    "Very",
    "Was",
    "We",
    "Well",
    "Were",
    "What",
    "Whatever",
    "When",
    "Whenever",
    "Where",
    "Wherever",
    "Whether",
    "Which",
    "While",
    "Who",
    "Whom",
    "Whose",
    "Why",
    "Will",
    "With",
    "Within",
    "Without",
    "Would",
    "Yes",
    "Yesterday",
    "Yet",
    "You",
    "Your",
];

static STARTER_TABLE: [u16; SLOTS] = build_table(STARTERS);

/// Whether `word` (letters only, as written) typically starts a sentence.
pub fn is_sentence_starter(word: &str) -> bool {
    word.len() <= 16 && find(&STARTER_TABLE, STARTERS, word.as_bytes()).is_some()
}

/// Whether `word` is a title abbreviation (used after initials: `R.T.C. Mr. Theo` splits).
pub fn is_title(word: &str) -> bool {
    matches!(lookup(word), Some(AbbrevKind::Prepositive))
        && word.chars().next().is_some_and(char::is_uppercase)
}

/// Company suffixes (`Acme Co. Mr. Lee said`): a title after them starts a sentence.
const COMPANY_SUFFIXES: &[&str] = &[
    "Co", "Cos", "Corp", "Inc", "Ltd", "Llc", "Plc", "Bros", "Pty", "Bhd", "Gmbh", "Lp", "Llp",
];

/// Whether `word` is a capitalized company suffix.
pub fn is_company_suffix(word: &str) -> bool {
    COMPANY_SUFFIXES.contains(&word)
}

/// Whether `word` and a `!` are a whole one-word name of the table of names spelled with
/// `!` or `?` (`src/text/data/marked_names.tsv`: `Yahoo`, `Jeopardy`, `Joomla`).
pub fn is_exclamation_word(word: &str) -> bool {
    super::marked_names::is_one_word_name(word, "!")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_respects_case_rules() {
        assert_eq!(lookup("Mr"), Some(AbbrevKind::Prepositive));
        assert_eq!(lookup("mr"), Some(AbbrevKind::Prepositive));
        assert_eq!(lookup("Mar"), Some(AbbrevKind::Ordinary));
        assert_eq!(lookup("mar"), None);
        assert_eq!(lookup("Admón"), Some(AbbrevKind::Ordinary));
        assert_eq!(lookup("hello"), None);
        assert!(is_sentence_starter("How"));
        assert!(!is_sentence_starter("how"));
        assert!(!is_sentence_starter("Government"));
        assert!(is_title("Mr"));
    }

    #[test]
    fn tables_find_every_key() {
        for &(w, kind, cap) in ABBREVIATIONS {
            let i = find(&ABBREV_TABLE, &ABBREV_KEYS, w.as_bytes()).unwrap();
            // A repeated key keeps its first entry, as the map it replaced did.
            let first = ABBREVIATIONS.iter().find(|e| e.0 == w).unwrap();
            assert_eq!((ABBREVIATIONS[i].1, ABBREVIATIONS[i].2), (first.1, first.2));
            let _ = (kind, cap);
        }
        for &w in STARTERS {
            assert!(w.len() <= 16 && is_sentence_starter(w), "{w}");
        }
        assert!(find(&ABBREV_TABLE, &ABBREV_KEYS, b"zzzz").is_none());
    }
}
