"""Writes bench/data/segmenter_real_check10.json: a tenth check set (issue 13, round 9, NON-ENGLISH) of REAL
test cases of other segmenters that are in none of ../shared/benchmarks/sentence_cases_peers.json and checks
1-8, and its two halves by id hash: segmenter_real_check10a.json (dev, 60%) and segmenter_real_check10b.json
(held aside, 40%: scored at first look and once at the end). Written by the seg8 helper before any rule of
round 9.

Sources (bench/data/check10_cases.json, made by bench/data/transcribe_check10.py; its "about" gives the
releases, sdist sha256, repositories, commits and licences, and what was left out and why):
- razdel 0.5.0 (natasha/razdel, MIT): Russian unit partitions of razdel/tests/test_sentenize.py.
- SoMaJo 2.5.0 (tsproisl/SoMaJo, GPL-3.0): German TestMisc cases of tests/test_sentence_splitter.py.
- zemberek-nlp (ahmetaa/zemberek-nlp, Apache-2.0): Turkish TurkishSentenceExtractorTest paragraph cases
  and adjacent line pairs of the first 45 lines of Sentence-Boundary-Test.txt.
- ja_sentence_segmenter (wwwcojp/ja_sentence_segmenter, MIT): the default split_punctuation case.
- sentence-splitter (mediacloud/sentence-splitter, LGPL-3.0-or-later): the de, el, pt and es cases of
  tests/test_sentence_splitter.py (its sdist ships no tests; transcribed).

Dedup by text against the peers set, checks 1-8 and earlier cases of this set. kind "full".
Split: FNV-1a 64 of the id, modulo 100, below 40 -> 10b. Usage: python3 bench/data/build_real_check10.py"""
import glob, json, os, re
from check_split import write_split

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GROUPS = {"natasha/razdel": "razdel", "tsproisl/SoMaJo": "somajo", "ahmetaa/zemberek-nlp": "zemberek",
          "wwwcojp/ja_sentence_segmenter": "ja_sentence_segmenter",
          "mediacloud/sentence-splitter": "sentence-splitter"}


def main():
    doc = json.load(open(os.path.join(ROOT, "bench", "data", "check10_cases.json"), encoding="utf-8"))
    peers = json.load(open(os.path.join(ROOT, "..", "shared", "benchmarks", "sentence_cases_peers.json")))
    seen = {c["text"] for c in peers}
    names = glob.glob(os.path.join(ROOT, "bench", "data", "segmenter_*check*.json"))
    # checks 1-8 only (this set's own files and a later set must not count)
    for n in sorted(x for x in names if re.search(r"check(_names|[1-8]?[ab]?)\.json$", x)):
        data = json.load(open(n, encoding="utf-8"))
        seen |= {c["text"] for c in (data if isinstance(data, list) else data.get("cases", []))}
    kept, dropped = [], 0
    for c in doc["cases"]:
        if c["text"] in seen:
            dropped += 1
            continue
        seen.add(c["text"])
        g = GROUPS[c["repo"]]
        if c["path"].endswith(".txt"):
            g += "-lines"
        where = c.get("commit") or c["release"]
        kept.append({"id": f"check10-{g}-{c['lang']}-{c['line']:04}",
                     "source": f"{c['repo']}:{c['path']}:{c['line']}", "repo": c["repo"], "path": c["path"],
                     "version": where, "line": c["line"], "group": f"check10:{g}", "text": c["text"],
                     "expected": c["expected"], "lang": c["lang"], "kind": "full", "licence": c["licence"]})
    ids = [c["id"] for c in kept]
    assert len(ids) == len(set(ids)), "duplicate ids"
    a, b = write_split(os.path.join(ROOT, "bench", "data"), 10, kept)
    print(f"{len(kept)} cases ({dropped} duplicates dropped): 10a {len(a)}, 10b {len(b)}")


if __name__ == "__main__":
    main()
