"""What the real-suite check set builders (build_real_check5.py ... build_real_check11.py) share:
the split of a set into its dev half (a) and its held-aside half (b) by id hash, the three JSON
files they write, and (build_from_collected) the whole build of a set from a collected-cases file."""
import glob, json, os, re


def fnv1a64(s):
    h = 0xCBF29CE484222325
    for b in s.encode("utf-8"):
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def write_split(out_dir, number, cases):
    """Writes segmenter_real_check{N,Na,Nb}.json: a = ids whose FNV-1a 64 is 40-99 mod 100
    (dev, 60%), b = 0-39 (held aside, 40%). Returns (a, b)."""
    a = [c for c in cases if fnv1a64(c["id"]) % 100 >= 40]
    b = [c for c in cases if fnv1a64(c["id"]) % 100 < 40]
    for suffix, data in (("", cases), ("a", a), ("b", b)):
        name = f"segmenter_real_check{number}{suffix}.json"
        with open(os.path.join(out_dir, name), "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=1)
            f.write("\n")
    return a, b


def build_from_collected(root, number):
    """Builds set N from bench/data/checkN_cases.json (written by a collect_checkN.py): drops every
    case whose text is in ../shared/benchmarks/sentence_cases_peers.json, in another
    bench/data/segmenter_*check*.json or earlier in this set; numbers cases per key
    (checkN-KEY-001...), keeps each case's provenance (repo, path, commit, line, version, test,
    licence), kind "full", and writes the split. Returns (kept, a, b) and prints the counts."""
    data = os.path.join(root, "bench", "data")
    src = json.load(open(os.path.join(data, f"check{number}_cases.json"), encoding="utf-8"))["cases"]
    peers = json.load(open(os.path.join(root, "..", "shared", "benchmarks", "sentence_cases_peers.json")))
    seen = {c["text"] for c in peers}
    own = re.compile(rf"segmenter_real_check{number}[ab]?\.json$")
    for name in sorted(glob.glob(os.path.join(data, "segmenter_*check*.json"))):
        if own.search(name):
            continue
        seen |= {c["text"] for c in json.load(open(name, encoding="utf-8"))}
    kept, ids = [], {}
    for c in src:
        if c["text"] in seen:
            continue
        seen.add(c["text"])
        group = c["key"].split("-")[0]
        n = ids.get(c["key"], 0) + 1
        ids[c["key"]] = n
        case = {"id": f"check{number}-{c['key']}-{n:03}", "source": f"{c['repo']}:{c['path']}: {c['test']}",
                "repo": c["repo"], "path": c["path"]}
        for k in ("commit", "line", "version"):
            if c.get(k) is not None:
                case[k] = c[k]
        case.update({"test": c["test"], "group": f"check{number}:{group}", "text": c["text"],
                     "expected": c["expected"], "lang": c["lang"], "kind": "full", "licence": c["licence"]})
        kept.append(case)
    a, b = write_split(data, number, kept)
    print(f"{len(kept)} of {len(src)} cases kept: {number}a {len(a)}, {number}b {len(b)}")
    return kept, a, b
