#!/usr/bin/env python3
"""Peer segmenters (pySBD, sentencex, blingfire) on the same cases and split as
native/aybiza_core/examples/segmenter_accuracy.rs: % of cases whose sentences equal the expected
ones exactly (each trimmed). Whole text only: none of them has a streaming interface.

    bench/segmenter_peers.py [--split dev|heldout|all] [--ud PATH] [--peers PATH] [--check]

`--check [PATH]` scores our English check set (bench/data/segmenter_en_check.json, or PATH: the
second one is bench/data/segmenter_en_check2.json, the third one's halves
bench/data/segmenter_en_check3a.json and bench/data/segmenter_en_check3b.json, the real test
cases of other segmenters bench/data/segmenter_real_check5a.json and ..._check5b.json, and
..._check6a.json and ..._check6b.json, ..._check7a.json and ..._check7b.json, ..._check9a.json
and ..._check9b.json, ..._check11a.json and ..._check11b.json, ..._check13a.json and
..._check13b.json (English), ..._check14a.json and ..._check14b.json (20 languages)) instead.
sentencex's figure on check set 5 is no unseen one: most of its cases are sentencex's own tests;
nor is pySBD's on check set 6 (its own tests) or on check set 7 (pySBD ports pragmatic_segmenter,
whose English spec most of it comes from).

Needs `pip install pysbd sentencex blingfire` (bin/bench segmenter-accuracy makes a venv).
pySBD has no Portuguese or Turkish rules: those cases use its English rules (as a caller would).
"""
import argparse, collections, json, os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def held_out(case_id):
    h = 0xCBF29CE484222325
    for b in case_id.encode():
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h % 100 < 30


def peers():
    out = {}
    try:
        import pysbd
        cache = {}

        def run_pysbd(text, lang):
            lang = lang if lang in pysbd.languages.LANGUAGE_CODES else "en"
            if lang not in cache:
                cache[lang] = pysbd.Segmenter(language=lang, clean=False)
            return cache[lang].segment(text)
        out["pysbd"] = run_pysbd
    except ImportError:
        pass
    try:
        import sentencex
        out["sentencex"] = lambda text, lang: list(sentencex.segment(lang, text))
    except ImportError:
        pass
    try:
        import blingfire
        out["blingfire"] = lambda text, lang: blingfire.text_to_sentences(text).split("\n")
    except ImportError:
        pass
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", default="dev", choices=["dev", "heldout", "all"])
    ap.add_argument("--ud", default=os.path.join(ROOT, "..", "shared", "benchmarks", "ud_cases.json"))
    ap.add_argument("--peers", default=os.path.join(ROOT, "native", "aybiza_core", "tests", "data",
                                                   "sentence_cases_peers.json"))
    ap.add_argument("--check", nargs="?", const=os.path.join(ROOT, "bench", "data",
                                                              "segmenter_en_check.json"))
    a = ap.parse_args()
    cases = []
    if a.check:
        cases = json.load(open(a.check))
    elif os.path.exists(a.ud):
        for c in json.load(open(a.ud)):
            h = held_out(c["id"])
            if a.split == "all" or (a.split == "heldout") == h:
                cases.append(c)
    if not a.check:
        cases += [c for c in json.load(open(a.peers)) if c.get("kind") == "full"]
    segs = peers()
    names = sorted(segs)
    tally = collections.defaultdict(lambda: collections.Counter())
    for c in cases:
        is_ud = c["id"].startswith("ud-")
        if a.check:
            keys = [(c["lang"], c["group"]), ("check ALL", "")]
        else:
            keys = [(c["lang"], c["group"] if is_ud else "peers:" + c["group"])]
            keys.append(("ud " + c["lang"], "") if is_ud else ("peers (kind full) ALL", ""))
        if is_ud:
            keys.append(("ud ALL", ""))
        expected = [s.strip() for s in c["expected"]]
        for k in keys:
            tally[k]["cases"] += 1
        for n in names:
            try:
                got = [s.strip() for s in segs[n](c["text"], c["lang"]) if s.strip()]
            except Exception:
                got = None
            if got == expected:
                for k in keys:
                    tally[k][n] += 1
    split = "check set" if a.check else a.split
    print(f"peer segmenters (% of cases exactly right, whole text), {split}")
    print(f"{'lang / source':<36} {'cases':>5} " + " ".join(f"{n:>9}" for n in names))
    order = sorted(k for k in tally if not k[0].startswith(("ud ", "peers ", "check ")))
    order += sorted(k for k in tally if k[0].startswith("ud ") and k[0] != "ud ALL")
    order += [k for k in [("ud ALL", ""), ("peers (kind full) ALL", ""), ("check ALL", "")]
              if k in tally]
    for k in order:
        t = tally[k]
        name = (k[0] + " " + k[1]).strip()
        print(f"{name:<36} {t['cases']:>5} " + " ".join(f"{100.0 * t[n] / t['cases']:>9.1f}" for n in names))


if __name__ == "__main__":
    main()
