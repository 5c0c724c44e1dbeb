"""Writes bench/data/segmenter_real_check14.json: a fourteenth check set (issue 13, round 12, NON-ENGLISH) of
REAL test cases of other segmenters that no earlier set used, and its two halves by id hash
(bench/data/check_split.py): segmenter_real_check14a.json (dev, 60%) and segmenter_real_check14b.json (held
aside, 40%: scored at first look and once at the end). Written by the seg14 helper before any rule of round 12.

Sources (bench/data/check14_transcribed.txt says per block which file and commit, and how it was read):
- ucto (LanguageMachines/ucto, GPL-3.0): tests/test.{de,es,fr,nl}.txt, abbreviations.nl.txt, nu.nl.txt with
  ucto's expected sentence flags from the matching tests/*.tok.V;
- rusenttokenize (deeppavlov/ru_sentence_tokenizer, Apache-2.0): tests/test_tokenizer.py;
- bunkai (megagonlabs/bunkai, Apache-2.0): tests/sample.gold.txt; sengiri (ikegami-yukino/sengiri, MIT):
  test_sengiri.py;
- translate-toolkit (translate/translate, GPL-2.0-or-later): translate/lang/test_XX.py sentence tests
  (ar, fa, zh, ja, hy, el, tr, uk, es, fr, ne, km, vi, ko, am, af, or, nqo).

Dedup by text against ../shared/benchmarks/sentence_cases_peers.json, ../shared/benchmarks/ud_cases.json,
check sets 1-12 (every other segmenter_*check*.json in bench/data) and earlier cases of this set. kind "full".
Usage: python3 bench/data/build_real_check14.py"""
import glob, json, os, re
from check_split import write_split

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "bench", "data")
MARK = "\u2502"
TOOLS = {"LanguageMachines/ucto": "ucto", "deeppavlov/ru_sentence_tokenizer": "rusenttokenize",
         "megagonlabs/bunkai": "bunkai", "ikegami-yukino/sengiri": "sengiri",
         "translate/translate": "translate-toolkit"}


def transcribed_cases():
    out, head, n = [], None, 0
    for raw in open(os.path.join(DATA, "check14_transcribed.txt"), encoding="utf-8"):
        line = raw.rstrip("\n")
        if line.startswith("#") or not line.strip():
            continue
        if line.startswith("@@ "):
            head, n = line[3:].split(" "), 0
            continue
        repo, path, commit, exp_path, exp_commit, licence, lang = head
        n += 1
        tool = TOOLS[repo]
        stem = re.sub(r"[^a-z0-9]+", "-", os.path.basename(path).lower().rsplit(".", 1)[0]).strip("-")
        expected = [p.strip() for p in line.split(MARK)]
        assert all(expected), line
        out.append({"id": f"check14-{tool}-{lang}-{stem}-{n:02}",
                    "source": f"{repo}:{path}@{commit[:12]} case {n} (expected: {exp_path}@{exp_commit[:12]})",
                    "repo": repo, "path": path, "version": commit, "expected_path": exp_path,
                    "expected_version": exp_commit, "group": f"check14:{tool}",
                    "text": line.replace(MARK, ""), "expected": expected, "lang": lang, "kind": "full",
                    "licence": licence})
    return out


def main():
    shared = os.path.join(ROOT, "..", "shared", "benchmarks")
    seen = {c["text"] for c in json.load(open(os.path.join(shared, "sentence_cases_peers.json")))}
    ud = json.load(open(os.path.join(shared, "ud_cases.json")))
    seen |= {c["text"] for c in (ud if isinstance(ud, list) else ud.get("cases", []))}
    for n in glob.glob(os.path.join(DATA, "segmenter_*check*.json")):
        if re.search(r"check14[ab]?\.json$", n):
            continue
        data = json.load(open(n, encoding="utf-8"))
        seen |= {c["text"] for c in (data if isinstance(data, list) else data.get("cases", []))}
    kept, dropped = [], []
    for c in transcribed_cases():
        if c["text"] in seen or c["text"].strip() in seen:
            dropped.append(c["id"])
            continue
        seen.add(c["text"])
        kept.append(c)
    ids = [c["id"] for c in kept]
    assert len(ids) == len(set(ids)), "duplicate ids"
    a, b = write_split(DATA, 14, kept)
    print(f"{len(kept)} cases ({len(dropped)} duplicates dropped: {', '.join(dropped)}): 14a {len(a)}, 14b {len(b)}")


if __name__ == "__main__":
    main()
