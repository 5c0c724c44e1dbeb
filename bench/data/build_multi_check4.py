"""Writes bench/data/segmenter_multi_check4.json: a fourth check set, multilingual (issue 13, round 5),
written by the seg2 helper before any rule of round 5, and its two halves by id hash:
segmenter_multi_check4a.json (dev) and segmenter_multi_check4b.json (held aside: scored at first
look and once at the end). Kinds: abbreviations with an internal period or short consonant-final
abbreviations before a lower-case word in languages without abbreviation data (da, nb, sv, sk, cs,
hr, sl, bg, uk, fi, hu, ro, lt), the Greek question mark `;` (U+003B and U+037E), street words
before a capital in Polish, titles that no list has in very short English texts, names with `!`
and `?`, and controls that must split (about a third). Every sentence was written for this file,
not copied from any peer's suite or from UD. Each case is its sentences joined by one space.
Split: FNV-1a 64 of the id, modulo 100, below 40 -> 4b. Licence: same as the repository."""
import json, os

K = {}
K["lower"] = [
    ("da", ["Vi spiser meget frugt, f.eks. æbler og pærer.", "Resten køber vi sjældent."]),
    ("da", ["Han har boet i flere lande, bl.a. i Tyskland og Norge."]),
    ("nb", ["Hun liker mange idretter, bl.a. ski og fotball.", "Hun trener hver dag."]),
    ("sv", ["Vi behöver mer tid, t.ex. en vecka till.", "Annars blir det svårt."]),
    ("sk", ["Kúpili sme ovocie, napr. jablká a hrušky."]),
    ("cs", ["Přinesl různé nástroje, např. kladivo a pilu.", "Všechno bylo nové."]),
    ("hr", ["Donio je voće, npr. jabuke i kruške."]),
    ("sl", ["Kupili smo sadje, npr. jabolka in hruške.", "Vse je bilo sveže."]),
    ("bg", ["Това е второто, т.е. последното изречение."]),
    ("uk", ["Він купив багато фруктів, напр. яблука та груші.", "Потім пішов додому."]),
    ("fi", ["Ostimme hedelmiä, esim. omenoita ja päärynöitä."]),
    ("hu", ["Sok gyümölcsöt vettünk, pl. almát és körtét.", "Otthon megettük."]),
    ("ro", ["Am cumpărat fructe, de ex. mere și pere."]),
    ("lt", ["Pirkome vaisių, pvz. obuolių ir kriaušių.", "Jie buvo skanūs."]),
    ("sk", ["Prišiel neskoro, t.j. po polnoci.", "Nikto ho nečakal."]),
]
K["greek"] = [
    ("el", ["Τι κάνεις;", "Είμαι καλά."]),
    ("el", ["Πού πας\u037e", "Στο σπίτι."]),
    ("el", ["Ήρθε ο Νίκος;", "Δεν τον είδα σήμερα."]),
    ("el", ["Γιατί άργησες\u037e", "Είχε πολλή κίνηση."]),
    ("el", ["Ο καιρός ήταν καλός· πήγαμε στη θάλασσα.", "Γυρίσαμε αργά."]),
    ("en", ["We invited Tom; Anna came too."]),
    ("en", ["Bring bread; Greek yogurt is optional."]),
]
K["street"] = [
    ("pl", ["Mieszkam przy ul. Długiej od pięciu lat.", "Lubię tę okolicę."]),
    ("pl", ["Biuro mieści się przy al. Jerozolimskich w centrum."]),
    ("pl", ["Spotkajmy się przy ul. Nowej o szóstej."]),
    ("pl", ["To był ten kot.", "Nikt go nie chciał."]),
    ("pl", ["Nie znam go.", "Zapytaj Annę."]),
]
K["short_en"] = [
    ("en", ["The nun met Archbp. Collins."]),
    ("en", ["I saw Cmdr. Vance."]),
    ("en", ["Then Brig. Okafor left."]),
    ("en", ["Send it to Supvr. Hale."]),
    ("en", ["We met Supt. Harlow."]),
    ("en", ["I met Tom.", "He was nice."]),
    ("en", ["We ate fish.", "It was good."]),
    ("en", ["Ask Wendt.", "She knows."]),
]
K["names"] = [
    ("en", ["They sang a song from Oklahoma! at the party."]),
    ("en", ["I watched Jeopardy! last night.", "It was fun."]),
    ("en", ["Stop!", "Police!"]),
    ("en", ["Is it done?", "Yes."]),
]
K["turkish"] = [
    ("tr", ["Elma, armut vb. meyveler aldık.", "Hepsi tazeydi."]),
    ("tr", ["Toplantıya Doç. Dr. Ayşe Demir katıldı."]),
    ("tr", ["Bu konu için bkz. ek 2.", "Orada her şey var."]),
]


def fnv1a64(s):
    h = 0xCBF29CE484222325
    for b in s.encode("utf-8"):
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


cases = []
for kind, items in K.items():
    for n, (lang, sents) in enumerate(items):
        cases.append({"id": f"check4-{lang}-{kind}-{n:02}", "lang": lang, "group": f"check4:{kind}",
                      "kind": "full", "text": " ".join(sents), "expected": sents})
here = os.path.dirname(os.path.abspath(__file__))
held = [c for c in cases if fnv1a64(c["id"]) % 100 < 40]
dev = [c for c in cases if fnv1a64(c["id"]) % 100 >= 40]
for name, part in [("", cases), ("a", dev), ("b", held)]:
    out = os.path.join(here, f"segmenter_multi_check4{name}.json")
    with open(out, "w", encoding="utf-8") as f:
        json.dump(part, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(len(part), "cases ->", out)
