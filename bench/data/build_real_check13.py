"""Writes bench/data/segmenter_real_check13.json: a thirteenth check set (issue 13, round 12), ENGLISH, of REAL
test cases of other segmenters that are in none of ../shared/benchmarks/sentence_cases_peers.json and checks
1-12, and its two halves by id hash: segmenter_real_check13a.json (dev, 60%) and segmenter_real_check13b.json
(held aside, 40%: scored at first look and once at the end). Written by the seg13 helper before any rule of
round 12.

Sources (bench/data/check13_cases.json, made by bench/data/collect_check13.py, which says where each came from
and what was left out): sentencesplit (yisding/sentencesplit, MIT: tests/lang/test_english_challenging.py) and
php-sentence (vanderlee/php-sentence, MIT: tests/SentenceTest.php). Dedup by text against the peers set, every bench/data/segmenter_*check*.json of sets 1-12 and earlier
cases of this set. kind "full". Split: FNV-1a 64 of the id, modulo 100, below 40 -> 13b.
Usage: python3 bench/data/collect_check13.py && python3 bench/data/build_real_check13.py"""
import glob, json, os
from check_split import write_split

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    data = os.path.join(ROOT, "bench", "data")
    src = json.load(open(os.path.join(data, "check13_cases.json"), encoding="utf-8"))["cases"]
    peers = json.load(open(os.path.join(ROOT, "..", "shared", "benchmarks", "sentence_cases_peers.json")))
    seen = {c["text"] for c in peers}
    for name in sorted(glob.glob(os.path.join(data, "segmenter_*check*.json"))):
        if "check13" in name:
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
        case = {"id": f"check13-{c['key']}-{n:03}", "source": f"{c['repo']}:{c['path']}: {c['test']}",
                "repo": c["repo"], "path": c["path"]}
        for k in ("commit", "line", "version"):
            if c.get(k) is not None:
                case[k] = c[k]
        case.update({"test": c["test"], "group": f"check13:{group}", "text": c["text"], "expected": c["expected"],
                     "lang": c["lang"], "kind": "full", "licence": c["licence"]})
        kept.append(case)
    a, b = write_split(data, 13, kept)
    print(f"{len(kept)} of {len(src)} cases kept: 13a {len(a)}, 13b {len(b)}")


if __name__ == "__main__":
    main()
