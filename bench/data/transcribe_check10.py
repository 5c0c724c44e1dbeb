"""Writes bench/data/check10_cases.json, the source cases of check set 10 (issue 13, round 9, non-English),
from two PyPI sdists and a hand transcription of files read from the code-search corpus. Only the cases are
kept (text, expected sentences, language, origin), no code. Written by the seg8 helper before any rule of
round 9.

    pip download --no-deps --no-binary :all: razdel==0.5.0 somajo==2.5.0 -d SRC
    (cd SRC && for f in *.tar.gz; do tar xzf "$f"; done)
    python3 bench/data/transcribe_check10.py SRC

- razdel 0.5.0 (natasha/razdel, MIT; sdist sha256 4334c0fdfe34d4e888cf0ed854968c9df14f0a547df909a77f4634f9ffe626e6):
  razdel/tests/test_sentenize.py, the UNIT partitions (Russian). A partition is chunks separated by `|`;
  the text is the chunks joined, the expected sentences are the chunks that are not blank (razdel's own
  tests/partition.py reads them so).
- SoMaJo 2.5.0 (tsproisl/SoMaJo, GPL-3.0; sdist sha256
  baa6d8442e5e299ea3d81b8cdf6d3d14d86ff4aa3c89236a1c4b18692f31ff90): tests/test_sentence_splitter.py, the
  `self._equal(raw, sentences)` calls of class TestMisc (German, de_CMC). SoMaJo's expected sentences are
  token lists joined by spaces; each is mapped back onto the raw text by its non-space characters (a case
  whose non-space characters differ from the raw text's is left out). Left out: the English class (helper
  seg7 owns English), XML, pre-tokenized and tuple classes (same sentences again, or markup).
- bench/data/check10_transcribed.txt (see its header): zemberek-nlp (ahmetaa/zemberek-nlp, Apache-2.0)
  TurkishSentenceExtractorTest's paragraph cases and the first 45 lines of its
  Sentence-Boundary-Test.txt (one sentence a line; each two adjacent lines make one case, joined by one
  space, as check 5 does for syntok's OSPL), and ja_sentence_segmenter (wwwcojp, MIT)
  test_simple_splitter.py's default split_punctuation case, and sentence-splitter (mediacloud, LGPL-3.0-or-
  later) tests/test_sentence_splitter.py's de, el, pt, es cases (English ones left to seg7).
Not used: bunkai's tests assert sentence counts only; razdel's che_sents_sample.txt is Chechen."""
import ast, json, os, sys

HERE = os.path.dirname(os.path.abspath(__file__))


def razdel_cases(src):
    path = "razdel/tests/test_sentenize.py"
    code = open(os.path.join(src, "razdel-0.5.0", path), encoding="utf-8").read()
    tree = ast.parse(code)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "UNIT":
            for el in node.value.args[0].elts:
                chunks = el.value.split("|")
                out.append({"repo": "natasha/razdel", "path": path, "release": "razdel 0.5.0 (PyPI sdist)",
                            "line": el.lineno, "lang": "ru", "licence": "MIT", "text": "".join(chunks),
                            "expected": [c.strip() for c in chunks if c.strip()]})
    return out


def somajo_cases(src):
    path = "tests/test_sentence_splitter.py"
    code = open(os.path.join(src, "somajo-2.5.0", path), encoding="utf-8").read()
    tree = ast.parse(code)
    out, skipped = [], []
    for cls in tree.body:
        if not (isinstance(cls, ast.ClassDef) and cls.name == "TestMisc"):
            continue
        for node in ast.walk(cls):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "_equal"):
                raw = node.args[0].value
                toks = [e.value for e in node.args[1].elts]
                expected, pos = [], 0
                ok = "".join(raw.split()) == "".join("".join(toks).split())
                for t in toks if ok else []:
                    need = len("".join(t.split()))
                    while raw[pos].isspace():
                        pos += 1
                    start, seen = pos, 0
                    while seen < need:
                        if not raw[pos].isspace():
                            seen += 1
                        pos += 1
                    expected.append(raw[start:pos])
                if not ok:
                    skipped.append(node.lineno)
                    continue
                out.append({"repo": "tsproisl/SoMaJo", "path": path, "release": "SoMaJo 2.5.0 (PyPI sdist)",
                            "line": node.lineno, "lang": "de", "licence": "GPL-3.0", "text": raw,
                            "expected": expected})
    return out, skipped


def transcribed_cases():
    out, head, lines = [], None, []

    def flush():
        if head is None:
            return
        repo, path, commit, licence, lang, fmt = head[0]
        if fmt == "lines":
            for i in range(len(lines) - 1):
                (l1, a), (l2, b) = lines[i], lines[i + 1]
                out.append({"repo": repo, "path": path, "commit": commit, "line": l1, "lang": lang,
                            "licence": licence, "text": a + " " + b, "expected": [a, b],
                            "note": f"lines {l1}-{l2} of the file"})
        else:
            for n, (_, l) in enumerate(lines):
                if l.startswith("RAW:"):
                    text, sents = l[4:].split(" => ")
                else:
                    text, sents = None, l
                exp = [s.strip() for s in sents.split(" | ")]
                out.append({"repo": repo, "path": path, "commit": commit, "line": n + 1, "lang": lang,
                            "licence": licence, "text": text if text is not None else " ".join(exp),
                            "expected": exp, "note": f"case {n + 1} of the file"})

    for raw in open(os.path.join(HERE, "check10_transcribed.txt"), encoding="utf-8"):
        raw = raw.rstrip("\n")
        if raw.startswith("#") or not raw:
            continue
        if raw.startswith("@@ "):
            flush()
            head, lines = (raw[3:].split(" "),), []
            continue
        lines.append((len(lines) + 1, raw))
    flush()
    return out


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "/tmp/seg8/src"
    so, skipped = somajo_cases(src)
    cases = razdel_cases(src) + so + transcribed_cases()
    doc = {"about": __doc__, "somajo_left_out_lines": skipped, "cases": cases}
    with open(os.path.join(HERE, "check10_cases.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(len(cases), "cases", {l: sum(c["lang"] == l for c in cases) for l in sorted({c["lang"] for c in cases})},
          "somajo skipped", skipped)


if __name__ == "__main__":
    main()
