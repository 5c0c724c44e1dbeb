#!/usr/bin/env python3
"""Builds src/text/data/english_lexicon.tsv, the English lexicon evidence of the segmenter, from
SCOWL (Spell Checker Oriented Word Lists) 2020.12.07 by Kevin Atkinson, as shipped in Debian 12's
`scowl` package (2020.12.07-2; permissive licence, reproduced in the output's header).

    apt-get download scowl && dpkg-deb -x scowl_*.deb /tmp/scowl
    python3 -m venv /tmp/wf && /tmp/wf/bin/pip install wordfreq==3.1.1
    /tmp/wf/bin/python native/aybiza_core/data/build_english_lexicon.py /tmp/scowl

Two kinds of rows, both for words that are NOT English words or names (no SCOWL list of words,
proper names, contractions or capitalized words of any size up to 95 holds them, in any case;
acronyms in capitals do not count):
* A: SCOWL's own English abbreviation lists (all sizes, up to 95), written without their period,
  2-8 letters, not all capitals (acronyms are not followed by a period): `assoc`, `insp`, `phys`.
* T: truncated words: 3-7 lower-case letters, ending in a consonant, that begin a common English
  word (SCOWL sizes up to 50) at least two letters longer: `subsp` (subspecies), `det`
  (detective). A period after such a token is far more likely an abbreviation's than a sentence's.
* a, t: the same for tokens written in lower case only: a name or a capitalized word but no
  lower-case English word (`var`: `Var` is a French department; `med`).
Rows of either kind that are common English tokens today (wordfreq 3.1.1 Zipf >= 3.5: `app`,
`blog`, `admin`, words newer than SCOWL's lists) are left out. wordfreq (Apache-2.0, its data
CC BY-SA 4.0) is only a filter here: none of its data is copied.

Also builds src/text/data/english_final_clusters.tsv: every final consonant cluster (the letters
after a word's last vowel `a e i o u y`: `st` of `first`, `rld` of `world`, empty after a vowel)
of the English words, proper names, capitalized words (not acronyms) and contractions of SCOWL
sizes up to 70. A token whose final cluster ends no such word (`Commr`, `Archbp`, `Engrg`,
`Supvr`, `Govt`) is not pronounced as an English word: the segmenter reads it as an abbreviation.

And src/text/data/english_common_short.tsv: the lower-case words of 2-4 letters of SCOWL's most
common English words (size 10: `good`, `job`, `are`, `one`). Such a word before a period ends a
sentence even when lower case follows (informal text: `good. great, we look`); a rarer short word
before a period and lower case is read as an abbreviation (`temp. of`, `caps. and`).
"""
import glob, gzip, os, re, sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else "/tmp/scowl"
D = os.path.join(ROOT, "usr/share/dict/scowl")
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "text", "data",
                   "english_lexicon.tsv")
SPELLINGS = ["english", "american", "british", "british_z", "canadian", "australian",
             "variant_1", "variant_2"]


def lists(category, max_size):
    out = set()
    for s in SPELLINGS:
        for f in glob.glob(os.path.join(D, f"{s}-{category}.*")):
            if int(f.rsplit(".", 1)[1]) <= max_size:
                with open(f, encoding="latin-1") as fh:
                    out.update(l.strip() for l in fh if l.strip())
    return out


known = set()
for cat in ("words", "proper-names", "contractions"):
    known |= {w.lower() for w in lists(cat, 95)}
# Upper-case lists hold capitalized words (`Var`, a French department) and acronyms (`VAR`):
# an acronym does not make its lower-case spelling a word.
known |= {w.lower() for w in lists("upper", 95) if not w.isupper()}
# Lower-case words only (`var` is a French department's name, `med` short for the Mediterranean,
# but neither is a lower-case English word): for tokens written in lower case.
known_lower = set()
for cat in ("words", "contractions"):
    known_lower |= {w for w in lists(cat, 95) if w.islower()}
abbreviations_any = {a.lower() for a in lists("abbreviations", 95)
                     if re.fullmatch(r"[A-Za-z]{2,8}", a) and not a.isupper()}
abbreviations = abbreviations_any - known
abbreviations_lower = {a for a in abbreviations_any - known_lower - abbreviations
                       if a in {x for x in lists("abbreviations", 95)}}
common = {w for w in lists("words", 50) if re.fullmatch(r"[a-z]+", w)}
MAX_STEM = 7
truncated = set()
for w in common:
    for n in range(3, MAX_STEM + 1):
        if len(w) >= n + 2 and w[n - 1] not in "aeiouy":
            truncated.add(w[:n])
truncated_lower = {w for w in truncated - known_lower if w in known}
truncated -= known
truncated -= abbreviations
truncated_lower -= abbreviations | abbreviations_lower

from wordfreq import zipf_frequency
COMMON_ZIPF = 3.5
abbreviations = {w for w in abbreviations if zipf_frequency(w, "en") < COMMON_ZIPF}
truncated = {w for w in truncated if zipf_frequency(w, "en") < COMMON_ZIPF}
abbreviations_lower = {w for w in abbreviations_lower if zipf_frequency(w, "en") < COMMON_ZIPF}
truncated_lower = {w for w in truncated_lower if zipf_frequency(w, "en") < COMMON_ZIPF}

with gzip.open(os.path.join(ROOT, "usr/share/doc/scowl/README.gz"), "rt", encoding="latin-1") as fh:
    readme = fh.read()
notice = readme[readme.index("COPYRIGHT, SOURCES, and CREDITS:"):].rstrip()

with open(OUT, "w", encoding="utf-8") as out:
    out.write("# English lexicon evidence for the segmenter, built by\n"
              "# native/aybiza_core/data/build_english_lexicon.py from SCOWL 2020.12.07 (Debian 12\n"
              "# package scowl 2020.12.07-2, http://wordlist.aspell.net/). Columns: token (lower case,\n"
              "# without its period), kind (A: in SCOWL's English abbreviation lists and no English\n"
              "# word or name; T: no English word or name but the start of a common English word; a and t:\n"
              "# the same in lower case only, the token being a name but no lower-case word); common\n"
              "# English tokens (wordfreq 3.1.1 Zipf >= 3.5, used only as a filter) left out.\n"
              "# SCOWL's copyright and licence notice follows, as its licence asks.\n#\n")
    for line in notice.splitlines():
        out.write(("# " + line).rstrip() + "\n")
    out.write("#\n")
    for w in sorted(abbreviations):
        out.write(f"{w}\tA\n")
    for w in sorted(truncated):
        out.write(f"{w}\tT\n")
    for w in sorted(abbreviations_lower):
        out.write(f"{w}\ta\n")
    for w in sorted(truncated_lower):
        out.write(f"{w}\tt\n")
CLUSTER_SIZE = 70
spoken = {w.lower() for cat in ("words", "proper-names", "upper", "contractions")
          for w in lists(cat, CLUSTER_SIZE)
          if re.fullmatch(r"[A-Za-z]+", w) and not w.isupper() and re.search(r"[aeiouyAEIOUY]", w)}
clusters = sorted({re.search(r"[^aeiouy]*$", w).group(0) for w in spoken})
CLUSTERS_OUT = os.path.join(os.path.dirname(OUT), "english_final_clusters.tsv")
with open(CLUSTERS_OUT, "w", encoding="utf-8") as out:
    out.write("# Final consonant clusters of English words (the letters after the last vowel, a e i o u\n"
              "# or y; the empty cluster is left implicit), built by\n"
              "# native/aybiza_core/data/build_english_lexicon.py from the words, proper names,\n"
              f"# capitalized words (not acronyms) and contractions of SCOWL sizes up to {CLUSTER_SIZE}\n"
              f"# ({len(spoken)} words), SCOWL 2020.12.07 (Debian 12 package scowl 2020.12.07-2,\n"
              "# http://wordlist.aspell.net/). A token ending in any other cluster is no English word.\n"
              "# SCOWL's copyright and licence notice follows, as its licence asks.\n#\n")
    for line in notice.splitlines():
        out.write(("# " + line).rstrip() + "\n")
    out.write("#\n")
    for c in clusters:
        if c:
            out.write(c + "\n")
print(len(clusters), "final clusters ->", CLUSTERS_OUT)
COMMON_SIZE = 10
short = sorted({w for w in lists("words", COMMON_SIZE) if re.fullmatch(r"[a-z]{2,4}", w)})
SHORT_OUT = os.path.join(os.path.dirname(OUT), "english_common_short.tsv")
with open(SHORT_OUT, "w", encoding="utf-8") as out:
    out.write("# Lower-case English words of 2-4 letters among SCOWL's most common words (size\n"
              f"# {COMMON_SIZE}), built by native/aybiza_core/data/build_english_lexicon.py from SCOWL\n"
              "# 2020.12.07 (Debian 12 package scowl 2020.12.07-2, http://wordlist.aspell.net/).\n"
              "# SCOWL's copyright and licence notice follows, as its licence asks.\n#\n")
    for line in notice.splitlines():
        out.write(("# " + line).rstrip() + "\n")
    out.write("#\n")
    for w in short:
        out.write(w + "\n")
print(len(short), "common short words ->", SHORT_OUT)
print(len(abbreviations), "abbreviations,", len(truncated), "truncated stems,",
      len(abbreviations_lower), "+", len(truncated_lower), "in lower case only ->", OUT)
