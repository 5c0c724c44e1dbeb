"""Writes bench/data/segmenter_real_check5.json: a fifth check set (issue 13, round 6), made of REAL test
cases of other segmenters that are not in ../shared/benchmarks/sentence_cases_peers.json, and its two
halves by id hash: segmenter_real_check5a.json (dev, 60%) and segmenter_real_check5b.json (held aside,
40%: scored at first look and once at the end). Written by the seg3 helper before any rule of round 6.

Sources (PyPI sdists, fetched with the ordinary client into SRC, default /tmp/seg3src):

    pip download --no-deps --no-binary sentencex sentencex==1.0.32 -d SRC
    pip download --no-deps --no-binary syntok syntok==1.4.2 -d SRC
    pip download --no-deps --no-binary segtok segtok==1.5.11 -d SRC
    (cd SRC && for f in *.tar.gz; do tar xzf "$f"; done)

- sentencex 1.0.32 (wikimedia/sentencex, MIT, Copyright (c) 2025 Santhosh Thottingal): every case of
  tests/<lang>.txt (format: input, `---`, one expected sentence a line, `===`; lines starting with `#`
  are comments, as its runner in src/languages/mod.rs reads them). tests/lists.txt is left out: its
  expected lines re-join line-wrapped input with spaces (a list/newline policy, not a sentence
  boundary), which no exact comparison of trimmed sentences can score.
- syntok 1.4.2 (fnl/syntok, MIT): syntok/segmenter_test.py's OSPL (one sentence a line, the test joins
  them with one space); every two adjacent lines make one case, so each boundary of the suite is scored
  once and each sentence's inside twice.
- segtok 1.5.11 (fnl/segtok, MIT): the sentence lists of the `test_*` methods of
  segtok/segmenter_test.py that call `split_single(' '.join(sentences))` (its OSPL is syntok's, older:
  left out to avoid counting the same lines twice).

Every case keeps its source file and line. kind "full" like the peer cases. Split: FNV-1a 64 of the
id, modulo 100, below 40 -> 5b. Licence of the cases: MIT of each project (notice above; the set
records it per case)."""
import ast, hashlib, json, os, re, sys
from check_split import write_split

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SRC = sys.argv[1] if len(sys.argv) > 1 else "/tmp/seg3src"
PKGS = {
    "sentencex": ("sentencex-1.0.32", "wikimedia/sentencex", "MIT (Copyright (c) 2025 Santhosh Thottingal)"),
    "syntok": ("syntok-1.4.2", "fnl/syntok", "MIT (Copyright (c) Florian Leitner)"),
    "segtok": ("segtok-1.5.11", "fnl/segtok", "MIT (Copyright (c) Florian Leitner)"),
}


def sdist_sha(pkg):
    path = os.path.join(SRC, PKGS[pkg][0] + ".tar.gz")
    if not os.path.exists(path):
        return None
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def case(pkg, path, line, test, group, lang, text, expected):
    dist, repo, lic = PKGS[pkg]
    return {"source": f"{dist}:{path}:{line}", "repo": repo, "sdist": dist, "sdist_sha256": sdist_sha(pkg),
            "path": path, "line": line, "test": test, "group": group, "text": text,
            "expected": expected, "lang": lang, "kind": "full", "licence": lic}


def sentencex_cases():
    out = []
    tdir = os.path.join(SRC, PKGS["sentencex"][0], "tests")
    for name in sorted(os.listdir(tdir)):
        if not name.endswith(".txt") or name == "lists.txt":
            continue
        lang = name[:-4]
        raw = open(os.path.join(tdir, name), encoding="utf-8").read().replace("\r\n", "\n")
        pos = 0
        for chunk in raw.split("==="):
            start_line = raw.count("\n", 0, pos) + 1
            pos += len(chunk) + 3
            lines = chunk.split("\n")
            kept = [(i, l) for i, l in enumerate(lines) if not l.lstrip().startswith("#")]
            cleaned = "\n".join(l for _, l in kept).strip()
            if not cleaned:
                continue
            parts = [p.strip() for p in cleaned.split("---") if p.strip()]
            if len(parts) != 2:
                continue
            first = next(i for i, l in kept if l.strip())
            expected = [l.strip() for l in parts[1].split("\n") if l.strip()]
            out.append(case("sentencex", f"tests/{name}", start_line + first, "run_language_tests",
                            "check5:sentencex", lang, parts[0], expected))
    return out


def ospl(path):
    src = open(path, encoding="utf-8").read()
    m = re.search(r'^OSPL = """', src, re.M)
    first_line = src.count("\n", 0, m.start()) + 1
    tree = ast.parse(src)
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "OSPL":
            return first_line, node.value.value.split("\n")
    raise SystemExit(f"no OSPL in {path}")


def syntok_cases():
    path = "syntok/segmenter_test.py"
    first_line, sents = ospl(os.path.join(SRC, PKGS["syntok"][0], path))
    out = []
    for i in range(len(sents) - 1):
        pair = sents[i:i + 2]
        out.append(case("syntok", path, first_line + i, "TestSegmenter.test_segmenter (OSPL, two adjacent lines)",
                        "check5:syntok", "en", " ".join(pair), pair))
    return out


def segtok_cases():
    path = "segtok/segmenter_test.py"
    src = open(os.path.join(SRC, PKGS["segtok"][0], path), encoding="utf-8").read()
    tree = ast.parse(src)
    out = []
    for cls in tree.body:
        if not isinstance(cls, ast.ClassDef):
            continue
        for fn in cls.body:
            if not isinstance(fn, ast.FunctionDef) or not fn.name.startswith("test_"):
                continue
            body = ast.get_source_segment(src, fn)
            if "split_single(' '.join(sentences))" not in body:
                continue
            for st in fn.body:
                if isinstance(st, ast.Assign) and getattr(st.targets[0], "id", "") == "sentences":
                    sents = ast.literal_eval(st.value)
                    lang = "de" if fn.name == "test_european_dates" else "en"
                    out.append(case("segtok", path, st.lineno, f"{cls.name}.{fn.name}", "check5:segtok",
                                    lang, " ".join(sents), sents))
    return out



def main():
    cases = sentencex_cases() + syntok_cases() + segtok_cases()
    peers = json.load(open(os.path.join(ROOT, "..", "shared", "benchmarks", "sentence_cases_peers.json")))
    seen = {c["text"] for c in peers}
    cases = [c for c in cases if c["text"] not in seen]
    ids = {}
    for c in cases:
        base = f"check5-{c['group'].split(':')[1]}-{c['lang']}-{c['line']:04}"
        n = ids.get(base, 0)
        ids[base] = n + 1
        c["id"] = base if n == 0 else f"{base}-{n}"
    cases = [{"id": c.pop("id"), **c} for c in cases]
    out = os.path.join(ROOT, "bench", "data")
    a, b = write_split(out, 5, cases)
    print(f"{len(cases)} cases: 5a {len(a)}, 5b {len(b)}")


if __name__ == "__main__":
    main()
