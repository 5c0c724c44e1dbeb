"""Writes bench/data/segmenter_real_check7.json: a seventh check set (issue 13, round 8), ENGLISH, of REAL
test cases of other segmenters that are in none of ../shared/benchmarks/sentence_cases_peers.json and
checks 5 and 6, and its two halves by id hash: segmenter_real_check7a.json (dev, 60%) and
segmenter_real_check7b.json (held aside, 40%: scored at first look and once at the end). Written by the
seg5 helper before any rule of round 8.

Sources (bench/data/check7_cases.json, made by bench/data/transcribe_check7.py from the hand transcription
bench/data/check7_transcribed.txt; repository, path, commit and test of each case are kept):
- pragmatic_segmenter (diasks2/pragmatic_segmenter, MIT, Copyright (c) 2015 Kevin S. Dias):
  spec/pragmatic_segmenter/languages/english_spec.rb, the `#segment` cases and three golden rules.
- LanguageTool (languagetool-org/languagetool, LGPL-2.1-or-later): EnglishSRXSentenceTokenizerTest.
- sentence-splitter (textlint-rule/sentence-splitter, MIT, azu): test/sentence-splitter-test.ts.
- pySBD (nipunsadvilkar/pySBD, MIT): tests/regression/test_issues.py (not in sentencex's copy of its tests).
What was left out and why is in check7_cases.json's "about".

Dedup by text against the peers set, checks 5 and 6, and earlier cases of this set. kind "full".
Split: FNV-1a 64 of the id, modulo 100, below 40 -> 7b. Usage: python3 bench/data/build_real_check7.py"""
import json, os
from check_split import write_split

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GROUPS = {"diasks2/pragmatic_segmenter": "pragmatic", "languagetool-org/languagetool": "languagetool",
          "textlint-rule/sentence-splitter": "sentence-splitter", "nipunsadvilkar/pySBD": "pysbd-issues"}



def main():
    data = os.path.join(ROOT, "bench", "data")
    src = json.load(open(os.path.join(data, "check7_cases.json"), encoding="utf-8"))["cases"]
    peers = json.load(open(os.path.join(ROOT, "..", "shared", "benchmarks", "sentence_cases_peers.json")))
    seen = {c["text"] for c in peers}
    for name in ("segmenter_real_check5.json", "segmenter_real_check6.json"):
        seen |= {c["text"] for c in json.load(open(os.path.join(data, name), encoding="utf-8"))}
    kept, ids = [], {}
    for c in src:
        if c["text"] in seen:
            continue
        seen.add(c["text"])
        group = GROUPS[c["repo"]]
        base = f"check7-{group}-{c['key']}" if group == "pragmatic" else f"check7-{group}"
        n = ids.get(base, 0)
        ids[base] = n + 1
        cid = base if group == "pragmatic" and n == 0 else f"{base}-{n + 1:02}"
        kept.append({"id": cid, "source": f"{c['repo']}:{c['path']}: {c['test']}", "repo": c["repo"],
                     "path": c["path"], "commit": c["commit"], "test": c["test"], "group": f"check7:{group}",
                     "text": c["text"], "expected": c["expected"], "lang": c["lang"], "kind": "full",
                     "licence": c["licence"]})
    a, b = write_split(data, 7, kept)
    print(f"{len(kept)} of {len(src)} cases kept: 7a {len(a)}, 7b {len(b)}")


if __name__ == "__main__":
    main()
