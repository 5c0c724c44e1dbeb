"""Writes bench/data/segmenter_real_check8.json: an eighth check set (issue 13, round 8, non-English) of REAL
test cases of another segmenter that are in none of ../shared/benchmarks/sentence_cases_peers.json, check 5
and check 6, and its two halves by id hash: segmenter_real_check8a.json (dev, 60%) and
segmenter_real_check8b.json (held aside, 40%: scored at first look and once at the end). Written by the seg6
helper before any rule of round 8.

Source: LanguageTool (languagetool-org/languagetool, LGPL-2.1-or-later), the sentence-tokenizer unit tests
languagetool-language-modules/<lang>/src/test/java/org/languagetool/tokenizers/**/*SentenceTokenizerTest.java
of de fr es pl ru it pt nl uk ja ca sk sv da fa. Each `testSplit(String... sentences)` call is one case: the
text is the concatenation of the arguments (org.languagetool.TestTools.testSplit joins them with nothing
between, so a few cases are glued, e.g. `1939 r.To był`), the expected sentences are the arguments trimmed.
The cases were transcribed from the code-search corpus into bench/data/languagetool_sentence_cases.json
(repo, path, commit and line of each call; only the cases, no code; what was left out and why is in its
"about").

Not used: pragmatic_segmenter's language specs (diasks2/pragmatic_segmenter spec/pragmatic_segmenter/
languages/*_spec.rb): pySBD's tests are their port, so its cases are already in checks 5 and 6 (e.g. the
German `Frau Prof. Schulze ist z. Z. nicht da.` is in 5b, `Thomas sagte: ,,Wann` in 6a); LanguageTool's
Chinese tests split at the comma `，` (a clause convention, not a sentence boundary).

Dedup by text against the peers set, checks 5 and 6 and earlier cases of this set. kind "full". Split:
FNV-1a 64 of the id, modulo 100, below 40 -> 8b. Usage: python3 bench/data/build_real_check8.py"""
import json, os
from check_split import write_split

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def lt_cases():
    doc = json.load(open(os.path.join(ROOT, "bench", "data", "languagetool_sentence_cases.json"), encoding="utf-8"))
    out = []
    for f in doc["files"]:
        for c in f["cases"]:
            out.append({"source": f"{f['repo']}:{f['path']}:{c['line']}", "repo": f["repo"], "path": f["path"],
                        "commit": f["commit"], "line": c["line"], "test": "testSplit", "group": "check8:languagetool",
                        "text": c["text"], "expected": c["expected"], "lang": f["lang"], "kind": "full",
                        "licence": doc["licence"]})
    return out



def main():
    cases = lt_cases()
    peers = json.load(open(os.path.join(ROOT, "..", "shared", "benchmarks", "sentence_cases_peers.json")))
    seen = {c["text"] for c in peers}
    for n in ("segmenter_real_check5.json", "segmenter_real_check6.json"):
        seen |= {c["text"] for c in json.load(open(os.path.join(ROOT, "bench", "data", n), encoding="utf-8"))}
    kept = []
    for c in cases:
        if c["text"] in seen:
            continue
        seen.add(c["text"])
        kept.append(c)
    for c in kept:
        c["id"] = f"check8-lt-{c['lang']}-{c['line']:04}"
    kept = [{"id": c.pop("id"), **c} for c in kept]
    out = os.path.join(ROOT, "bench", "data")
    a, b = write_split(out, 8, kept)
    print(f"{len(kept)} cases: 8a {len(a)}, 8b {len(b)}")


if __name__ == "__main__":
    main()
