"""Turns the hand transcription of check set 7's cases (bench/data/check7_transcribed.txt) into
bench/data/check7_cases.json. The transcription was made by the seg5 helper (issue 13, round 8) from the
code-search corpus (read_file on the repositories named below); only the test cases are copied, no code.

Format of the .txt: a line `@ <file-key> <test name>` opens a case; the next line is the case's text, with
`⟂` written just before the first character of each expected sentence after the first one (the expected
sentences are the text cut at the markers, each trimmed). Only cases whose expected sentences are exact
substrings of the text, in order, can be written this way; the others are left out (listed in "about")."""
import json, os

HERE = os.path.dirname(os.path.abspath(__file__))

FILES = {
    "golden": {"repo": "diasks2/pragmatic_segmenter", "path": "spec/pragmatic_segmenter/languages/english_spec.rb",
               "commit": "03e9abdf3f43691ac84ee3b903107a7c3ad03437", "context": "Golden Rules",
               "title": "{name} #{num}", "licence": "MIT (pragmatic_segmenter, Copyright (c) 2015 Kevin S. Dias)"},
    "segment": {"repo": "diasks2/pragmatic_segmenter", "path": "spec/pragmatic_segmenter/languages/english_spec.rb",
                "commit": "03e9abdf3f43691ac84ee3b903107a7c3ad03437", "context": "#segment",
                "title": "correctly segments text #{num}", "licence": "MIT (pragmatic_segmenter, Copyright (c) 2015 Kevin S. Dias)"},
    "lt": {"repo": "languagetool-org/languagetool",
           "path": "languagetool-language-modules/en/src/test/java/org/languagetool/tokenizers/EnglishSRXSentenceTokenizerTest.java",
           "commit": "07b1798a722af940e64fe7c2226a4fee229e17e6", "context": "LanguageTool English SRX",
           "title": "{name}", "licence": "LGPL-2.1-or-later (LanguageTool, Copyright (C) 2005 Daniel Naber)"},
    "pysbd-issues": {"repo": "nipunsadvilkar/pySBD", "path": "tests/regression/test_issues.py",
                     "commit": "22030f7ca49e625ce2c3342bb21e8fd9c6739ed3", "context": "TEST_ISSUE_DATA",
                     "title": "TEST_ISSUE_DATA {name}", "licence": "MIT (pySBD, Copyright (c) 2017 Nipun aka Saddy)"},
    "ss": {"repo": "textlint-rule/sentence-splitter", "path": "test/sentence-splitter-test.ts",
           "commit": "0219431494726b7dac3e917765e78fdf7c92060a", "context": "sentence-splitter",
           "title": "{name}", "licence": "MIT (sentence-splitter, Copyright (c) azu)"},
}

ABOUT = ("Cases of pragmatic_segmenter's English spec (the ancestor of pySBD's golden rules) and of azu's "
         "sentence-splitter tests, transcribed from the code-search corpus. Left out: cases whose text has a "
         "newline or carriage return or whose expected sentences are not substrings of the text (pragmatic_segmenter "
         "cleans text: PDF line joins, HTML removal, runs of dots or spaces removed, backquotes turned into quotes: "
         "#001-#003, #006 (the text of #004 with more sentences before it), #008, #021, #022, #024-#029, #031-#033, "
         "#035-#037, #045, #049, #053, #061, #063, #068, #074-#077, #081, #082, #084-#088, #093, #094, and Golden "
         "Rules #040-#042 whose text has a newline); golden rules other than #001, #045 and #051 (the peers set "
         "already holds pySBD's copy of them); #106 (`a`) is kept. sentence-splitter: the English cases that assert "
         "sentence text (the Japanese ones and the AST/whitespace-node tests are left out). LanguageTool's "
         "EnglishSRXSentenceTokenizerTest.testTokenize: its testSplit joins the expected sentences as they are (so "
         "`This is a sentence.Isn't it?` has no space: LanguageTool's own case); the cases with a newline, a "
         "no-break space or a U+0002 footnote mark are left out. pySBD's tests/regression/test_issues.py "
         "TEST_ISSUE_DATA (issues #27-#39): the cases made only of punctuation (`.`, `..`, `. . .`, `! ! !`, `??`) "
         "are left out.")


def main():
    src = open(os.path.join(HERE, "check7_transcribed.txt"), encoding="utf-8").read().split("\n")
    cases = []
    i = 0
    while i < len(src):
        line = src[i]
        if not line.startswith("@ "):
            i += 1
            continue
        _, key, rest = line.split(" ", 2)
        meta = FILES[key]
        num, _, name = rest.partition(" ") if key not in ("ss", "lt", "pysbd-issues") else ("", "", rest)
        marked = src[i + 1]
        parts = marked.split("⟂")
        text = "".join(parts)
        expected = [p.strip() for p in parts]
        title = meta["title"].format(name=name, num=num)
        cases.append({"repo": meta["repo"], "path": meta["path"], "commit": meta["commit"], "context": meta["context"],
                      "test": title, "key": f"{key}-{num}" if num else f"{key}-{len(cases)}", "text": text,
                      "expected": expected, "lang": "en", "licence": meta["licence"]})
        i += 2
    with open(os.path.join(HERE, "check7_cases.json"), "w", encoding="utf-8") as f:
        json.dump({"about": ABOUT, "cases": cases}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(len(cases), "cases")


if __name__ == "__main__":
    main()
