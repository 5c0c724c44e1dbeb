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
import os
from check_split import build_from_collected

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

if __name__ == "__main__":
    build_from_collected(ROOT, 11)
