"""Writes bench/data/segmenter_real_check9.json: a ninth check set (issue 13, round 9), ENGLISH, of REAL test
cases of other segmenters that are in none of ../shared/benchmarks/sentence_cases_peers.json and checks 1-8,
and its two halves by id hash: segmenter_real_check9a.json (dev, 60%) and segmenter_real_check9b.json (held
aside, 40%: scored at first look and once at the end). Written by the seg7 helper before any rule of round 9.

Sources (bench/data/check9_cases.json, made by bench/data/collect_check9.py, which says how each was fetched
and what was left out): neurosnap/sentences 1.0.6 (Go Punkt port, Expat: 21 real English documents of its
TestEnglish, adjacent sentence pairs, and its unit tests), sbd 1.0.19 (npm, MIT: count tests, sentences from
its own output), compromise (MIT: count tests), natural (MIT: sentence_tokenizer_spec.js), mediacloud
sentence-splitter (LGPL-3.0: the English tests). Dedup by text against the peers set, every
bench/data/segmenter_*check*.json of sets 1-8 and earlier cases of this set. kind "full". Split: FNV-1a 64 of
the id, modulo 100, below 40 -> 9b. Usage: python3 bench/data/build_real_check9.py"""
import os
from check_split import build_from_collected

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

if __name__ == "__main__":
    build_from_collected(ROOT, 9)
