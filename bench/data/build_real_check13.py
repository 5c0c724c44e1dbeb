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
import os
from check_split import build_from_collected

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

if __name__ == "__main__":
    build_from_collected(ROOT, 13)
