"""Writes bench/data/segmenter_real_check11.json: an eleventh check set (issue 13, round 10), ENGLISH, of REAL
test cases of other segmenters that are in none of ../shared/benchmarks/sentence_cases_peers.json and checks
1-10, and its two halves by id hash: segmenter_real_check11a.json (dev, 60%) and segmenter_real_check11b.json
(held aside, 40%: scored at first look and once at the end). Written by the seg9 helper before any rule of
round 10.

Sources (bench/data/check11_cases.json, made by bench/data/collect_check11.py, which says where each came from
and what was left out): Tactful Tokenizer (Ruby, Splitta lineage, GPL-3.0: its news sample and expected
sentences, adjacent pairs), Stanford CoreNLP (GPL-3.0+: WordToSentenceProcessorTest, WordsToSentencesAnnotator
counts), Apache OpenNLP (Apache-2.0: SentenceDetectorMETest), NLTK 3.10.4 tokenize.doctest (Punkt regression
tests), pySBD (MIT: test_issue27-31, test_segmenter), SoMaJo (GPL-3.0: English tests), Stanza 1.15.0 (Apache-2.0:
EN_DOC). Dedup by text against the peers set, every bench/data/segmenter_*check*.json of sets 1-10 and earlier
cases of this set. kind "full". Split: FNV-1a 64 of the id, modulo 100, below 40 -> 11b.
Usage: python3 bench/data/collect_check11.py [SRC] && python3 bench/data/build_real_check11.py"""
import glob, json, os
from check_split import write_split

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    data = os.path.join(ROOT, "bench", "data")
    src = json.load(open(os.path.join(data, "check11_cases.json"), encoding="utf-8"))["cases"]
    peers = json.load(open(os.path.join(ROOT, "..", "shared", "benchmarks", "sentence_cases_peers.json")))
    seen = {c["text"] for c in peers}
    for name in sorted(glob.glob(os.path.join(data, "segmenter_*check*.json"))):
        if "check11" in name:
            continue
        seen |= {c["text"] for c in json.load(open(name, encoding="utf-8"))}
    kept, ids = [], {}
    for c in src:
        if c["text"] in seen:
            continue
        seen.add(c["text"])
        group = c["key"].split("-")[0]
        n = ids.get(c["key"], 0) + 1
        ids[c["key"]] = n
        case = {"id": f"check11-{c['key']}-{n:03}", "source": f"{c['repo']}:{c['path']}: {c['test']}",
                "repo": c["repo"], "path": c["path"]}
        for k in ("commit", "line", "version"):
            if c.get(k) is not None:
                case[k] = c[k]
        case.update({"test": c["test"], "group": f"check11:{group}", "text": c["text"], "expected": c["expected"],
                     "lang": c["lang"], "kind": "full", "licence": c["licence"]})
        kept.append(case)
    a, b = write_split(data, 11, kept)
    print(f"{len(kept)} of {len(src)} cases kept: 11a {len(a)}, 11b {len(b)}")


if __name__ == "__main__":
    main()
