"""Writes bench/data/segmenter_real_check6.json: a sixth check set (issue 13, round 7) of REAL test cases of
other segmenters that are in neither ../shared/benchmarks/sentence_cases_peers.json nor check 5, and its two
halves by id hash: segmenter_real_check6a.json (dev, 60%) and segmenter_real_check6b.json (held aside, 40%:
scored at first look and once at the end). Written by the seg4 helper before any rule of round 7.

Sources:
- pySBD (nipunsadvilkar/pySBD, MIT, Copyright (c) 2017 Nipun aka Saddy): the golden-rule cases of its
  non-English test files tests/lang/test_<lang>.py (de, fr, it, ru, pl, nl, ar, hi, el, bg, uk, sk, da, kk,
  fa, ur, mr, am, my, hy). pySBD's sdist ships no tests, so the cases were transcribed from the code-search
  corpus into bench/data/pysbd_lang_cases.json (repo, path, commit and line of each case; only the cases,
  no code; what was left out and why is in its "about").
- NLTK 3.10.4 sdist (Apache 2.0), nltk/test/unit/test_tokenize.py: the `sent_tokenize` cases of
  test_sent_tokenize (parametrized) and test_sent_tokenize_curly_quotes_and_guillemets_issue_2333, and the
  Bengali case of test_punkt_tokenize_custom_lang_vars. Cases whose expected sentences include one with no
  letter (Punkt's token artefacts: `.`, `,.` or a list number `1.` alone as a sentence) are left out.
  Fetch: pip download --no-deps --no-binary :all: nltk==3.10.4 -d SRC && (cd SRC && tar xzf nltk-3.10.4.tar.gz)
- cldr-segmentation 2.2.1 npm package (camertron/cldr-segmentation, MIT): spec/sentenceSplit.spec.js and
  spec/breakIterator.spec.js, every sentence case except those run without suppressions on a text with an
  abbreviation (the spec itself says they show the behaviour suppressions exist to avoid).
  Fetch: (cd SRC && npm pack cldr-segmentation@2.2.1 && mkdir cldr-segmentation-2.2.1 &&
  tar xzf cldr-segmentation-2.2.1.tgz -C cldr-segmentation-2.2.1 --strip-components=1)
Not used: sbd 1.0.19 (npm, MIT) asserts only sentence counts, not sentences; sentence-splitter (PyPI) and
pySBD ship no tests in their sdists; NLTK's other sent_tokenize tests need trained Punkt parameters.

Dedup by text against the peers set, check 5 and earlier cases. kind "full". Split: FNV-1a 64 of the id,
modulo 100, below 40 -> 6b. Usage: python3 bench/data/build_real_check6.py [SRC] (default /tmp/seg4/src)."""
import ast, hashlib, json, os, re, sys
from check_split import write_split

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SRC = sys.argv[1] if len(sys.argv) > 1 else "/tmp/seg4/src"
NLTK = "nltk-3.10.4"


def pysbd_cases():
    doc = json.load(open(os.path.join(ROOT, "bench", "data", "pysbd_lang_cases.json"), encoding="utf-8"))
    out = []
    for f in doc["files"]:
        for c in f["cases"]:
            out.append({"source": f"{f['repo']}:{f['path']}:{c['line']}", "repo": f["repo"], "path": f["path"],
                        "commit": f["commit"], "line": c["line"], "test": c["list"], "group": "check6:pysbd",
                        "text": c["text"], "expected": [s.strip() for s in c["expected"]], "lang": f["lang"],
                        "kind": "full", "licence": doc["licence"]})
    return out


def has_word(s):
    return any(ch.isalpha() for ch in s)


def nltk_cases():
    path = "nltk/test/unit/test_tokenize.py"
    full = os.path.join(SRC, NLTK, path)
    tar = os.path.join(SRC, NLTK + ".tar.gz")
    sha = hashlib.sha256(open(tar, "rb").read()).hexdigest() if os.path.exists(tar) else None
    src = open(full, encoding="utf-8").read()
    tree = ast.parse(src)
    out = []

    def add(test, line, text, expected, lang="en"):
        if not all(has_word(s) for s in expected):
            return
        out.append({"source": f"{NLTK}:{path}:{line}", "repo": "nltk/nltk", "sdist": NLTK, "sdist_sha256": sha,
                    "path": path, "line": line, "test": test, "group": "check6:nltk", "text": text,
                    "expected": expected, "lang": lang, "kind": "full", "licence": "Apache-2.0 (NLTK)"})

    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef):
            continue
        if node.name == "test_sent_tokenize":
            for dec in node.decorator_list:
                if isinstance(dec, ast.Call) and len(dec.args) == 2:
                    for elt in dec.args[1].elts:
                        text, exp = ast.literal_eval(elt)
                        add("test_sent_tokenize", elt.lineno, text, exp)
        elif node.name == "test_sent_tokenize_curly_quotes_and_guillemets_issue_2333":
            for st in node.body:
                if isinstance(st, ast.Assert) and isinstance(st.test, ast.Compare):
                    call = st.test.left
                    add(node.name, st.lineno, ast.literal_eval(call.args[0]), ast.literal_eval(st.test.comparators[0]),
                        "fr" if "bonjour" in ast.literal_eval(call.args[0]) else "en")
        elif node.name == "test_punkt_tokenize_custom_lang_vars":
            vals = {}
            for st in node.body:
                if isinstance(st, ast.Assign) and isinstance(st.targets[0], ast.Name) and st.targets[0].id in ("sentences", "expected"):
                    vals[st.targets[0].id] = (st.lineno, ast.literal_eval(st.value))
            add(node.name, vals["sentences"][0], vals["sentences"][1], vals["expected"][1], "bn")
    return out


CLDR = "cldr-segmentation-2.2.1"
JS_CASE = re.compile(r"it\(\s*(['\"])(?P<title>.*?)\1.*?(?:let|const) str = (?P<str>'(?:[^'\\\\]|\\\\.)*'|\"(?:[^\"\\\\]|\\\\.)*\");"
                     r"(?P<call>.*?)toEqual\(\s*(?P<exp>\[.*?\])\s*\)", re.S)


def cldr_cases():
    out = []
    tgz = os.path.join(SRC, CLDR + ".tgz")
    sha = hashlib.sha256(open(tgz, "rb").read()).hexdigest() if os.path.exists(tgz) else None
    for path in ["spec/sentenceSplit.spec.js", "spec/breakIterator.spec.js"]:
        src = open(os.path.join(SRC, CLDR, path), encoding="utf-8").read()
        for m in JS_CASE.finditer(src):
            call = m.group("call")
            if "sentenceSplit" not in call and "eachSentence" not in call:
                continue
            before = src[:m.start()]
            no_supp = ("sentenceSplit(str)" in call) or ("describe('without suppressions'" in before[-400:])
            text = ast.literal_eval(m.group("str"))
            if no_supp and "Mrs." in text:
                continue
            lang = "de" if "germanSuppressions" in call else "en"
            line = src.count("\n", 0, m.start("str")) + 1
            out.append({"source": f"{CLDR}:package/{path}:{line}", "repo": "camertron/cldr-segmentation", "sdist": CLDR,
                        "sdist_sha256": sha, "path": f"package/{path}", "line": line, "test": m.group("title"),
                        "group": "check6:cldr", "text": text,
                        "expected": [x.strip() for x in ast.literal_eval(m.group("exp"))], "lang": lang,
                        "kind": "full", "licence": "MIT (cldr-segmentation)"})
    return out



def main():
    cases = pysbd_cases() + nltk_cases() + cldr_cases()
    peers = json.load(open(os.path.join(ROOT, "..", "shared", "benchmarks", "sentence_cases_peers.json")))
    check5 = json.load(open(os.path.join(ROOT, "bench", "data", "segmenter_real_check5.json"), encoding="utf-8"))
    seen = {c["text"] for c in peers} | {c["text"] for c in check5}
    kept = []
    for c in cases:
        if c["text"] in seen:
            continue
        seen.add(c["text"])
        kept.append(c)
    ids = {}
    for c in kept:
        base = f"check6-{c['group'].split(':')[1]}-{c['lang']}-{c['line']:04}"
        n = ids.get(base, 0)
        ids[base] = n + 1
        c["id"] = base if n == 0 else f"{base}-{n}"
    kept = [{"id": c.pop("id"), **c} for c in kept]
    out = os.path.join(ROOT, "bench", "data")
    a, b = write_split(out, 6, kept)
    print(f"{len(kept)} cases: 6a {len(a)}, 6b {len(b)}")


if __name__ == "__main__":
    main()
