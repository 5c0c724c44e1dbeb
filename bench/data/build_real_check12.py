"""Writes bench/data/segmenter_real_check12.json: a twelfth check set (issue 13, round 10, NON-ENGLISH) of REAL
test cases of other segmenters that are in none of ../shared/benchmarks/sentence_cases_peers.json and checks
1-10, and its two halves by id hash (bench/data/check_split.py): segmenter_real_check12a.json (dev, 60%) and
segmenter_real_check12b.json (held aside, 40%: scored at first look and once at the end). Written by the
seg10 helper before any rule of round 10.

Sources:
- bench/data/check12_cases.json (made by bench/data/transcribe_check12.py; its "about" says what was left
  out): pragmatic_segmenter's Ruby language specs (diasks2/pragmatic_segmenter, MIT) for de, ru, fr, it, pl,
  es, nl, da, bg, kk, el, each case with its file, commit and RSpec test name (nearly all were already in
  check 5 through pySBD's ports and are dropped as duplicates); apache/opennlp's (Apache-2.0)
  SentenceDetectorME{German,Dutch,Polish,Italian,Portuguese,Spanish}Test.java inputs and expected sentences;
  stanza's (stanfordnlp/stanza, Apache-2.0) JA_DOC and ZH_DOC of stanza/tests/pipeline/test_tokenizer.py.
- bench/data/check12_transcribed.txt: zemberek-nlp (ahmetaa/zemberek-nlp, Apache-2.0)
  tokenization/src/test/resources/tokenization/Sentence-Boundary-Test.txt lines 46-128 (check 10 took lines
  1-45), one sentence a line; each two adjacent lines make one case, joined by one space.

Dedup by text against the peers set, checks 1-10 and earlier cases of this set. kind "full".
Usage: python3 bench/data/build_real_check12.py"""
import glob, json, os, re
from check_split import write_split

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "bench", "data")


def pragmatic_cases():
    doc = json.load(open(os.path.join(DATA, "check12_cases.json"), encoding="utf-8"))
    out = []
    for c in doc["cases"]:
        if c["repo"] == "stanfordnlp/stanza":
            cid, group = f"check12-stanza-{c['lang']}-{c['test'].lower()}", "check12:stanza"
        elif c["repo"] == "apache/opennlp":
            slug = re.sub(r"[^a-z0-9]+", "", c["test"].replace("testSentDetectWith", "").lower())
            cid, group = f"check12-opennlp-{c['lang']}-{slug}", "check12:opennlp"
        else:
            num = re.search(r"#(\d+)$", c["test"]).group(1)
            kind = "golden" if c["test"].startswith("Golden Rules") else "text"
            cid, group = f"check12-pragmatic-{c['lang']}-{kind}{num}", "check12:pragmatic"
        out.append({"id": cid,
                    "source": f"{c['repo']}:{c['path']}:{c['test']}", "repo": c["repo"], "path": c["path"],
                    "version": c["commit"], "test": c["test"], "group": group,
                    "text": c["text"], "expected": c["expected"], "lang": c["lang"], "kind": "full",
                    "licence": c["licence"]})
    return out


def zemberek_cases():
    out, head, lines = [], None, []
    blocks = []
    for raw in open(os.path.join(DATA, "check12_transcribed.txt"), encoding="utf-8"):
        line = raw.rstrip("\n")
        if line.startswith("#"):
            continue
        if line.startswith("@@ "):
            if head:
                blocks.append((head, lines))
            head, lines = line[3:].split(" "), []
        elif line:
            lines.append(line)
    if head:
        blocks.append((head, lines))
    for (repo, path, commit, licence, lang, fmt, first), sents in blocks:
        assert fmt == "lines"
        first = int(first)
        for i in range(len(sents) - 1):
            n = first + i
            out.append({"id": f"check12-zemberek-lines-{lang}-{n:04}", "source": f"{repo}:{path}:{n}",
                        "repo": repo, "path": path, "version": commit, "line": n,
                        "group": "check12:zemberek-lines", "text": sents[i] + " " + sents[i + 1],
                        "expected": [sents[i], sents[i + 1]], "lang": lang, "kind": "full",
                        "licence": licence})
    return out


def main():
    peers = json.load(open(os.path.join(ROOT, "..", "shared", "benchmarks", "sentence_cases_peers.json")))
    seen = {c["text"] for c in peers}
    names = glob.glob(os.path.join(DATA, "segmenter_*check*.json"))
    # checks 1-10 only (this set's own files and any later set must not count)
    for n in sorted(x for x in names if re.search(r"check(_names|[1-9]?[ab]?|10[ab]?)\.json$", x)):
        data = json.load(open(n, encoding="utf-8"))
        seen |= {c["text"] for c in (data if isinstance(data, list) else data.get("cases", []))}
    kept, dropped = [], 0
    for c in pragmatic_cases() + zemberek_cases():
        if c["text"] in seen:
            dropped += 1
            continue
        seen.add(c["text"])
        kept.append(c)
    ids = [c["id"] for c in kept]
    assert len(ids) == len(set(ids)), "duplicate ids"
    a, b = write_split(DATA, 12, kept)
    print(f"{len(kept)} cases ({dropped} duplicates dropped): 12a {len(a)}, 12b {len(b)}")


if __name__ == "__main__":
    main()
