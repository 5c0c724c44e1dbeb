"""Collects the English cases of check set 11 (issue 13, round 10) into bench/data/check11_cases.json, from real
test suites of other segmenters that sets 1-10 and the peers set do not use. Written by the seg9 helper before
any rule of round 10. Only the cases are kept (text, expected sentences, where each came from, licence).

Sources (each read at the commit given; code-search corpus copies, or the package named):
- Tactful Tokenizer (zencephalon/Tactful_Tokenizer, Ruby, Splitta lineage, GPL-3.0, (c) 2010 Matthew Bunday):
  spec/tactful_tokenizer/tactful_tokenizer_spec.rb "::tokenize_text should tokenize correctly" reads
  spec/files/sample.txt (@0924105e, news text, paragraphs split by blank lines) and compares its output line by
  line with spec/files/verification_out.txt (@4bcfe679, one expected sentence a line). Both files are copied
  verbatim into SRC (tactful_sample.txt, tactful_verification_out.txt). The paragraphs are aligned with the
  expected lines (the concatenation must equal the paragraph); each two adjacent expected sentences of a
  paragraph make one case (verbatim span, as in set 9), a one-sentence paragraph is a case of its own; the
  Russian paragraph is left out (English set), as are the two lines the later sample adds.
- Stanford CoreNLP (stanfordnlp/CoreNLP, GPL-3.0-or-later): test/src/edu/stanford/nlp/process/
  WordToSentenceProcessorTest.java @0b5b0eff (default WordToSentenceProcessor `wts`; cases with a newline, XML
  or non-default options left out) and test/src/edu/stanford/nlp/pipeline/WordsToSentencesAnnotatorTest.java
  @a13c4373 testAnnotator (asserts COUNTS 3 and 4 of the default English pipeline; the sentences are the only
  split of the text with that count at sentence-final marks followed by a capital, written out below).
- Apache OpenNLP (apache/opennlp, Apache-2.0): opennlp-tools/src/test/java/opennlp/tools/sentdetect/
  SentenceDetectorMETest.java @0b7e7fb2 testSentenceDetector (English model trained on its Sentences.txt):
  the asserted sentences (empty inputs left out).
- NLTK 3.10.4 (PyPI wheel nltk-3.10.4-py3-none-any.whl, Apache-2.0): nltk/test/tokenize.doctest "Regression
  Tests: PunktSentenceTokenizer" (default PunktSentenceTokenizer()).
- pySBD (nipunsadvilkar/pySBD, MIT): tests/regression/test_issue27-31.py @c9af897a (en, clean=False) and
  tests/test_segmenter.py @29d9d12a test_sbd_char_span (the files used by sets 6/7/peers are others).
- SoMaJo (tsproisl/SoMaJo, GPL-3.0): tests/test_sentence_splitter.py @8c081870 TestMiscEnglish (en_PTB; its
  expected sentences are token lists joined by spaces: written back as the spans of the text).
- Stanza 1.15.0 (PyPI wheel stanza-1.15.0-py3-none-any.whl, Apache-2.0): stanza/tests/pipeline/test_tokenizer.py
  EN_DOC with EN_DOC_GOLD_TOKENS (three sentences).
Candidates looked at and not used: npm sentence-tokenizer 1.0.1 (French chat-bot tests), tokenize-text 1.1.3
(no sentence tests beyond a regex), sentence-splitter 5.0.1 (npm ships no tests), ersatz 1.0.0 and wtpsplit
2.2.2 (no tests in the packages), OpenNLP golden-rules.txt and jdkato/prose golden_rules_en.json (the golden
rules: already in the peers set), NLTK's older doctest (no sentence cases), CoreNLP's ITest (Chinese only).
Usage: python3 bench/data/collect_check11.py [SRC]   (SRC default /tmp/seg9/src)"""
import hashlib, json, os, re, sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = sys.argv[1] if len(sys.argv) > 1 else "/tmp/seg9/src"

TACTFUL = ("zencephalon/Tactful_Tokenizer", "GPL-3.0 ((c) 2010 Matthew Bunday; README.rdoc, gemspec)")
CORENLP_LIC = "GPL-3.0-or-later (Stanford CoreNLP)"
W2SP = ("test/src/edu/stanford/nlp/process/WordToSentenceProcessorTest.java", "0b5b0eff474a3ae43cb3897611e6ea047291c5d8")
W2SA = ("test/src/edu/stanford/nlp/pipeline/WordsToSentencesAnnotatorTest.java", "a13c4373a5e57d322b143516b493e84f14909fec")
OPENNLP = ("apache/opennlp", "opennlp-tools/src/test/java/opennlp/tools/sentdetect/SentenceDetectorMETest.java",
           "0b7e7fb286f0a5d902fa605175ca8a65822be570", "Apache-2.0 (Apache OpenNLP)")

# (repo, path, commit, version, licence, test, text, expected)
FIXED = [
    ("stanfordnlp/CoreNLP", *W2SP, None, CORENLP_LIC, "testNoSplitting",
     "This should only be one sentence.", ["This should only be one sentence."]),
    ("stanfordnlp/CoreNLP", *W2SP, None, CORENLP_LIC, "testTwoSentences",
     "This should be two sentences.  There is a split.", ["This should be two sentences.", "There is a split."]),
    ("stanfordnlp/CoreNLP", *W2SP, None, CORENLP_LIC, "testTwoSentences",
     "This should be two sentences!  There is a split.", ["This should be two sentences!", "There is a split."]),
    ("stanfordnlp/CoreNLP", *W2SP, None, CORENLP_LIC, "testTwoSentences",
     "This should be two sentences?  There is a split.", ["This should be two sentences?", "There is a split."]),
    ("stanfordnlp/CoreNLP", *W2SP, None, CORENLP_LIC, "testTwoSentences",
     "This should be two sentences!!!?!!  There is a split.", ["This should be two sentences!!!?!!", "There is a split."]),
    ("stanfordnlp/CoreNLP", *W2SP, None, CORENLP_LIC, "testEdgeCases",
     "This should be two sentences.  Second one incomplete", ["This should be two sentences.", "Second one incomplete"]),
    ("stanfordnlp/CoreNLP", *W2SP, None, CORENLP_LIC, "testEdgeCases",
     "One incomplete sentence", ["One incomplete sentence"]),
    ("stanfordnlp/CoreNLP", *W2SP, None, CORENLP_LIC, "testEdgeCases",
     "(Break after a parenthesis.)  (Or after \"quoted stuff!\")",
     ["(Break after a parenthesis.)", "(Or after \"quoted stuff!\")"]),
    ("stanfordnlp/CoreNLP", *W2SP, None, CORENLP_LIC, "testEdgeCases",
     "'') Funny stuff joined on.", ["'') Funny stuff joined on."]),
    ("stanfordnlp/CoreNLP", *W2SP, None, CORENLP_LIC, "testMr",
     "Mr. White got a loaf of bread", ["Mr. White got a loaf of bread"]),
    ("stanfordnlp/CoreNLP", *W2SP, None, CORENLP_LIC, "testParagraphSeparator",
     "Hello\u2029World.", ["Hello", "World."]),
    ("stanfordnlp/CoreNLP", *W2SP, None, CORENLP_LIC, "testParagraphSeparator",
     "Hello.\u2029World.", ["Hello.", "World."]),
    ("stanfordnlp/CoreNLP", *W2SP, None, CORENLP_LIC, "testParagraphSeparator",
     "Hello  \u2029World.", ["Hello", "World."]),
    ("stanfordnlp/CoreNLP", *W2SA, None, CORENLP_LIC, "testAnnotator (count 3)",
     "I saw Dr. Spock yesterday, he was speaking with Mr. McCoy.  They were walking down Mullholand Dr. talking about www.google.com.  Dr. Spock returns!",
     ["I saw Dr. Spock yesterday, he was speaking with Mr. McCoy.",
      "They were walking down Mullholand Dr. talking about www.google.com.", "Dr. Spock returns!"]),
    ("stanfordnlp/CoreNLP", *W2SA, None, CORENLP_LIC, "testAnnotator (count 4)",
     "I visited Google Research.  Dr. Spock, Ph.D., was working there and said it's an awful place!  What a waste of Ms. Pacman's last remaining life. Indeed",
     ["I visited Google Research.", "Dr. Spock, Ph.D., was working there and said it's an awful place!",
      "What a waste of Ms. Pacman's last remaining life.", "Indeed"]),
    (*OPENNLP[:3], None, OPENNLP[3], "testSentenceDetector sampleSentences1",
     "This is a test. There are many tests, this is the second.",
     ["This is a test.", "There are many tests, this is the second."]),
    (*OPENNLP[:3], None, OPENNLP[3], "testSentenceDetector sampleSentences2",
     "This is a test. There are many tests, this is the second",
     ["This is a test.", "There are many tests, this is the second"]),
    (*OPENNLP[:3], None, OPENNLP[3], "testSentenceDetector sampleSentences3",
     "This is a \"test\". He said \"There are many tests, this is the second.\"",
     ["This is a \"test\".", "He said \"There are many tests, this is the second.\""]),
    (*OPENNLP[:3], None, OPENNLP[3], "testSentenceDetector sampleSentences4",
     "This is a \"test\". I said \"This is a test.\"  Any questions?",
     ["This is a \"test\".", "I said \"This is a test.\"", "Any questions?"]),
    (*OPENNLP[:3], None, OPENNLP[3], "testSentenceDetector sampleSentences5",
     "This is a one sentence test space at the end.    ", ["This is a one sentence test space at the end."]),
    (*OPENNLP[:3], None, OPENNLP[3], "testSentenceDetector sampleSentences7",
     "This is a test.    With spaces between the two sentences.",
     ["This is a test.", "With spaces between the two sentences."]),
    (*OPENNLP[:3], None, OPENNLP[3], "testSentenceDetector sampleSentences11",
     "This is test sentence without a dot at the end and spaces          ",
     ["This is test sentence without a dot at the end and spaces"]),
    (*OPENNLP[:3], None, OPENNLP[3], "testSentenceDetector sampleSentence12",
     "    This is a test.", ["This is a test."]),
    ("nltk/nltk", "nltk/test/tokenize.doctest", None, "PyPI nltk-3.10.4-py3-none-any.whl", "Apache-2.0 (NLTK)",
     "Regression Tests: PunktSentenceTokenizer",
     "See Section 3).  Or Section 2).  ", ["See Section 3).", "Or Section 2)."]),
    ("nltk/nltk", "nltk/test/tokenize.doctest", None, "PyPI nltk-3.10.4-py3-none-any.whl", "Apache-2.0 (NLTK)",
     "Regression Tests: PunktSentenceTokenizer",
     "See Section 3.)  Or Section 2.)  ", ["See Section 3.)", "Or Section 2.)"]),
    ("nltk/nltk", "nltk/test/tokenize.doctest", None, "PyPI nltk-3.10.4-py3-none-any.whl", "Apache-2.0 (NLTK)",
     "Testing that inputs can start with dots",
     ". This input starts with a dot. This used to cause issues.",
     [".", "This input starts with a dot.", "This used to cause issues."]),
    ("nipunsadvilkar/pySBD", "tests/test_segmenter.py", "29d9d12a26718405763103e997285026f8fd4563", None,
     "MIT (pySBD repository LICENSE)", "test_sbd_char_span",
     "My name is Jonas E. Smith. Please turn to p. 55.", ["My name is Jonas E. Smith.", "Please turn to p. 55."]),
    ("tsproisl/SoMaJo", "tests/test_sentence_splitter.py", "8c0818707cbbb5e54b87d1d9b6e26ac84ecf7a7c", None, "GPL-3.0",
     "TestMiscEnglish test_misc_en_01", "Foo \"Bar.\" Baz.", ["Foo \"Bar.\"", "Baz."]),
    ("tsproisl/SoMaJo", "tests/test_sentence_splitter.py", "8c0818707cbbb5e54b87d1d9b6e26ac84ecf7a7c", None, "GPL-3.0",
     "TestMiscEnglish test_misc_en_02", "Foo \u201cBar.\u201d Baz.", ["Foo \u201cBar.\u201d", "Baz."]),
    ("tsproisl/SoMaJo", "tests/test_sentence_splitter.py", "8c0818707cbbb5e54b87d1d9b6e26ac84ecf7a7c", None, "GPL-3.0",
     "TestMiscEnglish test_misc_en_03", "Foo \u00abBar.\u00bb Baz.", ["Foo \u00abBar.\u00bb", "Baz."]),
    ("stanfordnlp/stanza", "stanza/tests/pipeline/test_tokenizer.py", None, "PyPI stanza-1.15.0-py3-none-any.whl",
     "Apache-2.0 (Stanza)", "EN_DOC / EN_DOC_GOLD_TOKENS",
     "Joe Smith lives in California. Joe's favorite food is pizza. He enjoys going to the beach.",
     ["Joe Smith lives in California.", "Joe's favorite food is pizza.", "He enjoys going to the beach."]),
]

PYSBD_ISSUES = [
    ("#27", "This new form of generalized PDF in (9) is generic and suitable for all the fading models presented in Table I withbranches MRC reception. In section III, (9) will be used in the derivations of the unified ABER and ACC expression.",
     ["This new form of generalized PDF in (9) is generic and suitable for all the fading models presented in Table I withbranches MRC reception.",
      "In section III, (9) will be used in the derivations of the unified ABER and ACC expression."]),
    ("#29", "Random walk models (Skellam, 1951;Turchin, 1998) received a lot of attention and were then extended to several more mathematically and statistically sophisticated approaches to interpret movement data such as State-Space Models (SSM) (Jonsen et al., 2003(Jonsen et al., , 2005 and Brownian Bridge Movement Model (BBMM) (Horne et al., 2007). Nevertheless, these models require heavy computational resources (Patterson et al., 2008) and unrealistic structural a priori hypotheses about movement, such as homogeneous movement behavior. A fundamental property of animal movements is behavioral heterogeneity (Gurarie et al., 2009) and these models poorly performed in highlighting behavioral changes in animal movements through space and time (Kranstauber et al., 2012).",
     ["Random walk models (Skellam, 1951;Turchin, 1998) received a lot of attention and were then extended to several more mathematically and statistically sophisticated approaches to interpret movement data such as State-Space Models (SSM) (Jonsen et al., 2003(Jonsen et al., , 2005 and Brownian Bridge Movement Model (BBMM) (Horne et al., 2007).",
      "Nevertheless, these models require heavy computational resources (Patterson et al., 2008) and unrealistic structural a priori hypotheses about movement, such as homogeneous movement behavior.",
      "A fundamental property of animal movements is behavioral heterogeneity (Gurarie et al., 2009) and these models poorly performed in highlighting behavioral changes in animal movements through space and time (Kranstauber et al., 2012)."]),
    ("#30", "Thus, we first compute EMC 3 's response time-i.e., the duration from the initial of a call (from/to a participant in the target region) to the time when the decision of task assignment is made; and then, based on the computed response time, we estimate EMC 3 maximum throughput [28]-i.e., the maximum number of mobile users allowed in the MCS system. EMC 3 algorithm is implemented with the Java SE platform and is running on a Java HotSpot(TM) 64-Bit Server VM; and the implementation details are given in Appendix, available in the online supplemental material.",
     ["Thus, we first compute EMC 3 's response time-i.e., the duration from the initial of a call (from/to a participant in the target region) to the time when the decision of task assignment is made; and then, based on the computed response time, we estimate EMC 3 maximum throughput [28]-i.e., the maximum number of mobile users allowed in the MCS system.",
      "EMC 3 algorithm is implemented with the Java SE platform and is running on a Java HotSpot(TM) 64-Bit Server VM; and the implementation details are given in Appendix, available in the online supplemental material."]),
    ("#31", "Proof. First let v \u2208 V be incident to at least three leaves and suppose there is a minimum power dominating set S of G that does not contain v. If S excludes two or more of the leaves of G incident to v, then those leaves cannot be dominated or forced at any step. Thus, S excludes at most one leaf incident to v, which means S contains at least two leaves \u2113 1 and \u2113 2 incident to v. Then, (S\\{\u2113 1 , \u2113 2 }) \u222a {v} is a smaller power dominating set than S, which is a contradiction. Now consider the case in which v \u2208 V is incident to exactly two leaves, \u2113 1 and \u2113 2 , and suppose there is a minimum power dominating set S of G such that {v, \u2113 1 , \u2113 2 } \u2229 S = \u2205. Then neither \u2113 1 nor \u2113 2 can be dominated or forced at any step, contradicting the assumption that S is a power dominating set. If S is a power dominating set that contains \u2113 1 or \u2113 2 , say \u2113 1 , then (S\\{\u2113 1 }) \u222a {v} is also a power dominating set and has the same cardinality. Applying this to every vertex incident to exactly two leaves produces the minimum power dominating set required by (3). Definition 3.4. Given a graph G = (V, E) and a set X \u2286 V , define \u2113 r (G, X) as the graph obtained by attaching r leaves to each vertex in X. If X = {v 1 , . . . , v k }, we denote the r leaves attached to vertex v i as \u2113",
     ["Proof.", "First let v \u2208 V be incident to at least three leaves and suppose there is a minimum power dominating set S of G that does not contain v. If S excludes two or more of the leaves of G incident to v, then those leaves cannot be dominated or forced at any step.",
      "Thus, S excludes at most one leaf incident to v, which means S contains at least two leaves \u2113 1 and \u2113 2 incident to v. Then, (S\\{\u2113 1 , \u2113 2 }) \u222a {v} is a smaller power dominating set than S, which is a contradiction.",
      "Now consider the case in which v \u2208 V is incident to exactly two leaves, \u2113 1 and \u2113 2 , and suppose there is a minimum power dominating set S of G such that {v, \u2113 1 , \u2113 2 } \u2229 S = \u2205.",
      "Then neither \u2113 1 nor \u2113 2 can be dominated or forced at any step, contradicting the assumption that S is a power dominating set.",
      "If S is a power dominating set that contains \u2113 1 or \u2113 2 , say \u2113 1 , then (S\\{\u2113 1 }) \u222a {v} is also a power dominating set and has the same cardinality.",
      "Applying this to every vertex incident to exactly two leaves produces the minimum power dominating set required by (3).",
      "Definition 3.4.",
      "Given a graph G = (V, E) and a set X \u2286 V , define \u2113 r (G, X) as the graph obtained by attaching r leaves to each vertex in X. If X = {v 1 , . . . , v k }, we denote the r leaves attached to vertex v i as \u2113"]),
]


def sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def tactful_cases():
    sample = os.path.join(SRC, "tactful_sample.txt")
    verif = os.path.join(SRC, "tactful_verification_out.txt")
    paras = [p.strip() for p in re.split(r"\n\s*\n", open(sample, encoding="utf-8").read()) if p.strip()]
    lines = [l.strip() for l in open(verif, encoding="utf-8").read().split("\n") if l.strip()]
    version = f"code-search copies: sample.txt @0924105e sha256 {sha(sample)[:16]}, verification_out.txt @4bcfe679 sha256 {sha(verif)[:16]}"
    out, k = [], 0
    for pi, para in enumerate(paras, 1):
        sents, joined = [], ""
        while joined != " ".join(para.split()):
            if k >= len(lines) or len(joined) > len(para):
                raise SystemExit(f"tactful: paragraph {pi} does not align with the expected lines")
            sents.append(lines[k])
            k += 1
            joined = " ".join(sents)
        if re.search("[\u0400-\u04ff]", para):
            continue  # the Russian paragraph: not English
        spans = []
        pos = 0
        for s in sents:  # verbatim spans of the paragraph (it holds no newline)
            i = para.index(s, pos)
            spans.append((i, i + len(s)))
            pos = i + len(s)
        groups = [(0, 0)] if len(sents) == 1 else [(i, i + 1) for i in range(len(sents) - 1)]
        for a, b in groups:
            text = para[spans[a][0]:spans[b][1]]
            out.append(("tactful", TACTFUL[0], "spec/files/verification_out.txt", "4bcfe679bb83e194023adefbe307e1b2935bae61",
                        version, TACTFUL[1], f"tactful_tokenizer_spec.rb tokenize_text: paragraph {pi} sentences {a + 1}-{b + 1}",
                        text, sents[a:b + 1]))
    return out


def main():
    cases = tactful_cases()
    for repo, path, commit, version, lic, test, text, expected in FIXED:
        key = {"stanfordnlp/CoreNLP": "corenlp", "apache/opennlp": "opennlp", "nltk/nltk": "nltk",
               "nipunsadvilkar/pySBD": "pysbd", "tsproisl/SoMaJo": "somajo", "stanfordnlp/stanza": "stanza"}[repo]
        cases.append((key, repo, path, commit, version, lic, test, text, expected))
    for issue, text, expected in PYSBD_ISSUES:
        cases.append(("pysbd", "nipunsadvilkar/pySBD", "tests/regression/test_issue27-31.py",
                      "c9af897a23560f55ce96d15a6a5166ed4dd38dd9", None, "MIT (pySBD repository LICENSE)",
                      f"test_issue {issue}", text, expected))
    rows = []
    for key, repo, path, commit, version, lic, test, text, expected in cases:
        assert "\n" not in text, text
        assert [e.strip() for e in expected] == expected
        rows.append({"key": key, "repo": repo, "path": path, "commit": commit, "version": version, "test": test,
                     "text": text, "expected": expected, "lang": "en", "licence": lic})
    with open(os.path.join(HERE, "check11_cases.json"), "w", encoding="utf-8") as f:
        json.dump({"cases": rows}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"{len(rows)} cases")


if __name__ == "__main__":
    main()
