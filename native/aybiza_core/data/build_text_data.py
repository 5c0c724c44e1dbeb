#!/usr/bin/env python3
"""Builds the segmenter's language data (src/text/data/*.tsv) from public packages on PyPI.

    python3 -m venv /tmp/textdata && /tmp/textdata/bin/pip install pysbd==0.3.4 sacremoses==0.2.0 \
        wordfreq==3.1.1 babel==2.19.0 stop-words==2025.11.4
    /tmp/textdata/bin/pip install --no-deps trtokenizer==0.0.3
    /tmp/textdata/bin/pip download --no-deps --only-binary :all: spacy==3.8.7 -d /tmp/textdata
    /tmp/textdata/bin/pip download --no-deps --no-binary :all: sentencex==1.0.32 -d /tmp/textdata
    (cd /tmp/textdata && tar xzf sentencex-1.0.32.tar.gz)
    /tmp/textdata/bin/python native/aybiza_core/data/build_text_data.py /tmp/textdata/spacy-3.8.7-*.whl \
        /tmp/textdata/sentencex-1.0.32

Sources (each row of the output names its source):
* pySBD 0.3.4 (MIT): pysbd/lang/<language>.py, `Abbreviation.ABBREVIATIONS`,
  `PREPOSITIVE_ABBREVIATIONS`, `NUMBER_ABBREVIATIONS` for en de fr es it nl pl ru ar (pySBD's hi,
  zh and ja classes reuse the English list, so they add nothing).
* sacremoses 0.2.0 (MIT; the Moses toolkit's nonbreaking_prefix files): en de fr es it nl pl pt
  ru hi; `#NUMERIC_ONLY#` prefixes are "weak".
* babel 2.19.0 (BSD-3-Clause; Unicode CLDR data): month names, wide and abbreviated, format and
  stand-alone, for the 14 languages.
* babel 2.19.0 (CLDR): abbreviated month and weekday names of three letters or more that are no
  wide name (`set`, `mar`), for the date-abbreviation rule (round 7).
* stop-words 2025.11.4 (BSD-3-Clause): function words, capitalized, as sentence-start evidence.
* wordfreq 3.1.1 (Apache-2.0; its data CC BY-SA 4.0): only as a filter, never copied: an
  abbreviation without an internal period that is a common word (Zipf >= 3.3) in one of the 14
  languages that does not list it is left out, since the segmenter has one table for every language,
  unless it is ten times as frequent in a language that lists it (Polish `ul`).
* trtokenizer 0.0.3 (MIT, Copyright (c) 2020 Apdullah Yayık): trtokenizer/tr_non_suffixes, a
  Moses-style nonbreaking prefix list for Turkish; `#NUMERIC_ONLY#` prefixes are "weak". Its
  Roman numerals, letters and digits are left out (labels and initials are decided by shape),
  and so is a token with a vowel that is a common Turkish word (Zipf >= 4.0 in wordfreq's
  Turkish, the threshold used above for other languages: `sen`, `al`, `hayır`, `bul`), since
  the table is one for every language and ignores case. TDK's spelling rules (as quoted at
  https://dersimizedebiyat.org/tdkye-gore-kisaltmalarin-kullanimi-nasildir.html) write the
  abbreviation of a proper name, title or rank with a capital and that of a common noun in
  lower case (`çev.`), with a period: the list's `Doç.`, `Yzb.`, `Bnb.` are such titles.
* Round 8 (uk ml am, whose data was still missing): sentencex 1.0.32 (MIT, Copyright (c) 2025
  Santhosh Thottingal), the sdist's src/languages/abbrev/<lang>.txt lists, as ordinary
  abbreviations (second argument: the unpacked sdist). The filters above apply.
* Round 7, languages beyond the 14 whose real test suites we score (bg, uk, el, da, sk, kk):
  pySBD 0.3.4's bulgarian, danish, greek, kazakh and slovak `Abbreviation` lists; sacremoses'
  el and sk prefixes, and those of ten Indic languages (ml bn ta te mr gu kn pa or as: titles
  such as Malayalam `ഡോ.` and the letters' names used as initials); spaCy 3.8.7 (MIT, the wheel read as a zip file, nothing imported):
  spacy/lang/<l>/tokenizer_exceptions.py entries (`ORTH: "вул."`) that end with a period, for
  uk bg el da (spaCy has none for sk); spacy/lang/<l>/stop_words.py for el uk bg (stop-words' Greek list is Ancient
  Greek, polytonic) and stop-words' danish and slovak lists, as function words; babel months.
  The wordfreq filter of the 14 languages applies to their abbreviations too; their
  abbreviations with an internal period are left out unless already listed (`A.D.`, `a.m.`
  stay multi-period tokens, decided by shape). A Latin-script
  function word of these languages that is a common English word (Zipf >= 3.0 in wordfreq's
  English: `under`, `man`, `hans`) or already a function word of the 14 is left out.
* Round 13, Catalan (84 LanguageTool cases in check set 8, read as English when short): stop-words
  2025.11.4's catalan list (BSD-3-Clause) as function words, filtered as the Danish and Slovak
  lists are (a word already listed, a common English word or a common word of de fr es it pt nl
  is left out: `els`, `amb`, `és` go; `també`, `perquè`, `molt`, `aquell` stay).
No abbreviation list for Chinese or Japanese was found in these packages.
"""
import ast, importlib, importlib.resources, os, re, sys, zipfile

from sacremoses._data_nonbreaking_prefixes import NONBREAKING_PREFIXES
import wordfreq
from babel import Locale
from stop_words import get_stop_words

LANGS = ["en", "de", "fr", "es", "it", "pt", "nl", "pl", "ru", "tr", "ar", "hi", "zh", "ja"]
PYSBD = {"en": ("english", "English"), "de": ("deutsch", "Deutsch"), "fr": ("french", "French"),
         "es": ("spanish", "Spanish"), "it": ("italian", "Italian"), "nl": ("dutch", "Dutch"),
         "pl": ("polish", "Polish"), "ru": ("russian", "Russian"), "ar": ("arabic", "Arabic")}
STOP = {"en": "english", "de": "german", "fr": "french", "es": "spanish", "it": "italian",
        "pt": "portuguese", "nl": "dutch", "pl": "polish", "ru": "russian", "tr": "turkish",
        "ar": "arabic", "hi": "hindi"}
RANK = {"W": 0, "O": 1, "P": 2}
EXTRA = ["bg", "uk", "el", "da", "sk", "kk"]
# Moses prefixes of Indic scripts (titles `ഡോ`, `ശ്രീ` and the letters' names used as initials):
# scripts without case, where a known abbreviation is the only evidence against a sentence end.
INDIC = ["ml", "bn", "ta", "te", "mr", "gu", "kn", "pa", "or", "as"]
PYSBD_EXTRA = {"bg": ("bulgarian", "Bulgarian"), "da": ("danish", "Danish"), "el": ("greek", "Greek"),
               "kk": ("kazakh", "Kazakh"), "sk": ("slovak", "Slovak")}
SPACY_WHEEL = sys.argv[1] if len(sys.argv) > 1 else None
# Round 8: the unpacked sentencex 1.0.32 sdist (MIT, Copyright (c) 2025 Santhosh Thottingal), for
# the languages whose data was still missing (uk, ml, am): `pip download --no-deps --no-binary
# :all: sentencex==1.0.32` and untar; its src/languages/abbrev/<lang>.txt lists.
SENTENCEX_SDIST = sys.argv[2] if len(sys.argv) > 2 else None
SENTENCEX_LANGS = ["uk", "ml", "am"]


def spacy_file(lang, name):
    """Text of spacy/lang/<lang>/<name> in the spaCy wheel (read, never imported)."""
    with zipfile.ZipFile(SPACY_WHEEL) as z:
        return z.read(f"spacy/lang/{lang}/{name}").decode("utf-8")


def spacy_abbreviations(lang):
    return [m.group(1) for m in re.finditer(r'ORTH: "([^"]+\.)"', spacy_file(lang, "tokenizer_exceptions.py"))]


def sentencex_abbreviations(lang):
    """Abbreviations of sentencex's src/languages/abbrev/<lang>.txt (one a line, `//` comments)."""
    if SENTENCEX_SDIST is None:
        raise SystemExit("give the unpacked sentencex 1.0.32 sdist as the second argument")
    path = os.path.join(SENTENCEX_SDIST, "src", "languages", "abbrev", f"{lang}.txt")
    with open(path, encoding="utf-8") as f:
        return [l.strip() for l in f if l.strip() and not l.strip().startswith("//")]


def spacy_stop_words(lang):
    tree = ast.parse(spacy_file(lang, "stop_words.py"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) > 200:
            return node.value.split()
    raise SystemExit(f"no stop words for {lang}")
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "text", "data")
FUNCTION_WORDS = {l: {w.lower() for w in get_stop_words(n)} for l, n in STOP.items()}
with open(os.path.join(OUT, "english_common_short.tsv")) as _f:
    COMMON_ENGLISH = {l.strip() for l in _f if l.strip() and not l.startswith("#")}


def common_word(w, own):
    """Whether `w` is a common word of a language other than those listing it as an
    abbreviation (in its own languages the abbreviation itself is frequent: `Dr.`, `bzw.`),
    unless it is at least ten times (1 Zipf) as frequent in one of its own languages as in
    any other: then it is chiefly that language's abbreviation and the other languages' uses
    are rare or an acronym (wordfreq folds case: Polish `ul.` 5.0 against English `UL` 3.5).
    Chinese and Japanese need extra tokenizers and have no Latin or Cyrillic words."""
    others = [wordfreq.zipf_frequency(w, l) for l in LANGS
              if l not in ("zh", "ja") and l not in own]
    if not any(z >= 3.3 for z in others):
        return False
    # The exception needs a token that is no word elsewhere: not common in another language
    # (Zipf < 4), not another language's function word (stop-words' English list is left
    # out: it holds abbreviations such as `np`), not a common English word (`ill`; SCOWL's
    # list, data/english_common_short.tsv). Its own lists may hold prepositions (Italian
    # `fra`, Spanish `tras`): they rarely end a sentence, so reading them so costs little.
    if max(others) >= 4.0 or w in COMMON_ENGLISH:
        return True
    if any(w in FUNCTION_WORDS[l] for l in FUNCTION_WORDS if l not in own and l != "en"):
        return True
    mine = max(wordfreq.zipf_frequency(w, l) for l in own)
    return mine < max(others) + 1.0


def clean(a):
    a = a.strip().rstrip(".").lower()
    if not a or " " in a or len(a) > 24:
        return None
    return a


def main():
    rows = {}  # abbr -> (kind, langs set, sources set)

    def add(lang, abbr, kind, source):
        abbr = clean(abbr)
        if abbr is None:
            return
        if len(abbr) == 1 and abbr.isascii():
            return  # single Latin letters are initials, decided by shape
        if lang in EXTRA and "." in abbr and abbr not in rows:
            return  # new dotted ones (`a.d`, `a.m`) are decided by shape, as before round 7
        k, ls, ss = rows.get(abbr, (kind, set(), set()))
        if RANK[kind] < RANK[k]:
            k = kind
        ls.add(lang); ss.add(source)
        rows[abbr] = (k, ls, ss)

    for lang, (mod, cls) in list(PYSBD.items()) + list(PYSBD_EXTRA.items()):
        a = getattr(importlib.import_module("pysbd.lang." + mod), cls).Abbreviation
        pre = set(getattr(a, "PREPOSITIVE_ABBREVIATIONS", []))
        num = set(getattr(a, "NUMBER_ABBREVIATIONS", []))
        if lang == "es":
            pre = set()  # pySBD's Spanish "prepositive" list holds word prefixes (anti, archi)
        for w in a.ABBREVIATIONS:
            add(lang, w, "W" if w in num else "P" if w in pre else "O", "pysbd-0.3.4")
        for w in pre:
            add(lang, w, "P", "pysbd-0.3.4")
        for w in num:
            add(lang, w, "W", "pysbd-0.3.4")
    for lang in ["en", "de", "fr", "es", "it", "nl", "pl", "pt", "ru", "hi", "el", "sk"] + INDIC:
        text = NONBREAKING_PREFIXES.get("nonbreaking_prefix." + lang, "")
        for line in text.splitlines():
            line = line.split("#NUMERIC_ONLY#")
            w = line[0].strip()
            if not w or w.startswith("#"):
                continue
            add(lang, w, "W" if len(line) > 1 else "O", "sacremoses-0.2.0")


    text = (importlib.resources.files("trtokenizer") / "tr_non_suffixes").read_text(encoding="utf-8")
    for line in text.splitlines():
        line = line.split("#NUMERIC_ONLY#")
        w = line[0].strip()
        if not w or w.startswith("#") or any(c.isdigit() for c in w):
            continue
        low = w.rstrip(".").lower()
        if set(low) <= set("ivxlcdm") or len(low) == 1:
            continue  # Roman numerals and letters: labels and initials, decided by shape
        if any(c in "aeıioöuü" for c in low) and wordfreq.zipf_frequency(low, "tr") >= 4.0:
            continue  # a common Turkish word (`sen`, `hayır`)
        add("tr", w, "W" if len(line) > 1 else "O", "trtokenizer-0.0.3")

    for lang in ["uk", "bg", "el", "da"]:
        for w in spacy_abbreviations(lang):
            add(lang, w, "O", "spacy-3.8.7")

    for lang in SENTENCEX_LANGS:
        for w in sentencex_abbreviations(lang):
            add(lang, w, "O", "sentencex-1.0.32")

    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "abbreviations.tsv"), "w") as f:
        f.write("# Abbreviations (lower case, without the final period) for the segmenter, built by\n"
                "# native/aybiza_core/data/build_text_data.py from pySBD 0.3.4 (MIT), sacremoses 0.2.0 (MIT,\n"
                "# Moses nonbreaking prefixes) and trtokenizer 0.0.3 (MIT, Turkish), filtered with wordfreq 3.1.1\n"
                "# (common words left out).\n"
                "# Columns: abbreviation, kind (P never ends a sentence, O ends only before sentence-start\n"
                "# evidence, W ends before any capital), languages, sources.\n")
        for abbr in sorted(rows):
            k, ls, ss = rows[abbr]
            if "." not in abbr and k != "W" and len(abbr) > 1 and common_word(abbr, ls):
                continue
            f.write(f"{abbr}\t{k}\t{','.join(sorted(ls))}\t{','.join(sorted(ss))}\n")

    with open(os.path.join(OUT, "months.tsv"), "w") as f:
        f.write("# Month names (wide and abbreviated, format and stand-alone, lower case) from babel 2.19.0\n"
                "# (BSD-3-Clause; Unicode CLDR data), by native/aybiza_core/data/build_text_data.py.\n"
                "# Columns: language, month name. After an ordinal number (`am 6. Mai`) a month name continues.\n")
        seen = set()
        for lang in LANGS + EXTRA:
            loc = Locale.parse(lang)
            for ctx in ("format", "stand-alone"):
                for width in ("wide", "abbreviated"):
                    for m in loc.months[ctx][width].values():
                        m = m.strip(".").lower()
                        if m and (lang, m) not in seen and not m[0].isdigit():
                            seen.add((lang, m))
                            f.write(f"{lang}\t{m}\n")

    with open(os.path.join(OUT, "date_abbreviations.tsv"), "w") as f:
        f.write("# Abbreviated month and weekday names (lower case, without the period) from babel 2.19.0\n"
                "# (BSD-3-Clause; Unicode CLDR data), by native/aybiza_core/data/build_text_data.py: those of\n"
                "# three letters or more that are no wide name of their language (`set`, `mar`, not `mai`).\n"
                "# Columns: language, abbreviation. Outside English, one with its period before lower case or a\n"
                "# number continues (`dom 25 Set. sarà`, `per mar. 23 Nov.`).\n")
        seen = set()
        for lang in LANGS + EXTRA:
            loc = Locale.parse(lang)
            wide = {v.strip(".").lower() for table in (loc.months, loc.days) for ctx in ("format", "stand-alone")
                    for v in table[ctx]["wide"].values()}
            for table in (loc.months, loc.days):
                for ctx in ("format", "stand-alone"):
                    for v in table[ctx]["abbreviated"].values():
                        v = v.strip(".").lower()
                        if len(v) >= 3 and v not in wide and not v[0].isdigit() and (lang, v) not in seen:
                            seen.add((lang, v))
                            f.write(f"{lang}\t{v}\n")

    with open(os.path.join(OUT, "starters.tsv"), "w") as f:
        f.write("# Function words (stop-words 2025.11.4, BSD-3-Clause), by\n"
                "# native/aybiza_core/data/build_text_data.py. Capitalized after an ambiguous abbreviation they\n"
                "# are evidence of a sentence start. Columns: language, word (lower case).\n")
        for lang, name in STOP.items():
            for w in sorted(set(get_stop_words(name))):
                w = w.strip().lower()
                if w and " " not in w and "'" not in w and len(w) <= 16:
                    f.write(f"{lang}\t{w}\n")
        known = set().union(*FUNCTION_WORDS.values())
        extra = {"el": spacy_stop_words("el"), "uk": spacy_stop_words("uk"), "bg": spacy_stop_words("bg"),
                 "da": get_stop_words("danish"), "sk": get_stop_words("slovak"),
                 "ca": get_stop_words("catalan")}
        for lang, words in extra.items():
            for w in sorted({w.strip().lower() for w in words}):
                if not w or " " in w or "'" in w or "’" in w or len(w) > 16 or w in known:
                    continue
                if w.isascii() and wordfreq.zipf_frequency(w, "en") >= 3.0:
                    continue  # `under`, `man`, `hans`: English words and names
                if lang in ("da", "sk", "ca") and any(wordfreq.zipf_frequency(w, l) >= 3.0 for l in ("de", "fr", "es", "it", "pt", "nl")):
                    continue  # common words of the 14 languages' Latin-script texts
                f.write(f"{lang}\t{w}\n")


if __name__ == "__main__":
    main()
