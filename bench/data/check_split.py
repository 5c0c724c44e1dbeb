"""What the real-suite check set builders (build_real_check5.py ... build_real_check8.py) share:
the split of a set into its dev half (a) and its held-aside half (b) by id hash, and the three
JSON files they write."""
import json, os


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
