"""Writes bench/data/segmenter_en_check2.json: a second English check set (issue 13, third round),
written by the segment helper before the rules it checks were tuned, and never tuned on: scored
only at the end (`bin/bench segmenter-accuracy --check bench/data/segmenter_en_check2.json`).
Kinds: abbreviations nobody lists (titles and ranks, academic and legal citations, company
suffixes, taxonomy and science), chains of them, and controls: sentences that really end in a
short word, a name or an abbreviation and must still split. Every sentence was written for this
file, not copied from any peer's suite or from UD. Each case is its sentences joined by one space.
Licence: same as the repository."""
import json, os

K = {}
K["titles2"] = [
    ["Brig. Gen. Ashworth inspected the barracks.", "Nothing was out of place."],
    ["The file was handed to Supt. Mbeki on Friday."],
    ["Ask Insp. Varga about the second witness.", "She interviewed him."],
    ["Cpl. Delgado and Pfc. Lowe stood guard all night."],
    ["The keynote is by Assoc. Dean Farrow of the law school."],
    ["Our thanks go to Asst. Prof. Ibarra for the data.", "It was invaluable."],
    ["Cllr. Mahoney raised the matter at the council meeting."],
    ["We wrote to Dep. Commr. Rhee in March."],
    ["Sister Agnes met Archbp. Collins at the door."],
    ["The case went to Magistrate Ortiz.", "She dismissed it."],
]
K["citations2"] = [
    ["The rule is stated in Proc. Natl. Acad. Sci. 104, 88 and cited widely."],
    ["See Ann. Rev. Biochem. 71 for a longer review.", "It is out of date now."],
    ["The appeal relied on Fed. R. Civ. P. 12 and nothing else."],
    ["The passage is quoted from Trans. Amer. Math. Soc. without a page number."],
    ["The standard reference is J. Chem. Phys. 98, 5648.", "Everyone cites it."],
    ["Their argument follows Restat. 2d Torts closely."],
    ["The court looked at Stat. Ann. 35 and the legislative history."],
    ["The data appeared in Geophys. Res. Lett. in 2011."],
    ["The version in Suppl. Table 4 uses a different baseline."],
    ["He cited Philos. Trans. R. Soc. London in the footnote."],
]
K["companies2"] = [
    ["The contract was signed by Harbor Freight Assocs. on Monday."],
    ["She works for Kestrel Mfg. in the north of the state.", "The plant is new."],
    ["Northgate Bros. sold the warehouse last year."],
    ["The supplier is Lindqvist Intl. and its office is in Malmo."],
    ["Tanaka Bldg. Svcs. cleans the lobby every night."],
    ["The shares of Orion Hldgs. fell sharply.", "Analysts were surprised."],
    ["Payment goes to Redwood Dist. at the end of the month."],
    ["Marlow Engrg. submitted the lowest bid."],
]
K["science2"] = [
    ["The sample contained Quercus robur subsp. pedunculiflora from the hills."],
    ["We grew Brassica oleracea var. capitata in the greenhouse.", "It thrived."],
    ["A new strain, Bacillus sp. nov., was isolated from the soil."],
    ["The dose was 5 mg per kg, given approx. every six hours."],
    ["Plants of Rosa cv. Peace were used as controls."],
    ["The species was first described by Linn. in 1758."],
    ["Measure the temp. before and after the reaction.", "Record both values."],
    ["The resin was stored in a sealed bot. at room temperature."],
]
K["controls2"] = [
    ["The train stopped in Ghent.", "Nobody got off."],
    ["I finally met Liu.", "She was kind."],
    ["He moved to Oslo.", "Winters there are long."],
    ["We ordered the fish.", "Mine was cold."],
    ["That was the plan.", "Then it rained."],
    ["Please call Dr. Adeyemi at the clinic.", "She is expecting you."],
    ["The meeting ended at 5 p.m.", "Everyone went home."],
    ["He lives on Baker St.", "His sister lives nearby."],
    ["I bought a new amp.", "It is very loud."],
    ["They named the cat Pip.", "It suits him."],
    ["The firm is called Acme Corp.", "It makes anvils."],
    ["My favourite band is Abba.", "Yours is worse."],
    ["She speaks French and Hindi.", "Her brother speaks Thai."],
    ["Add the salt.", "Stir well."],
    ["We drove through Tulsa.", "The roads were empty."],
    ["Our new intern is Ngozi.", "Say hello to her."],
]
K["lowercase2"] = [
    ["The tree is listed as Acer saccharum ssp. nigrum in older keys."],
    ["Each unit costs approx. forty dollars at retail."],
    ["The word appears in the dict. under a different spelling."],
    ["Samples were taken at the max. depth allowed by the permit."],
    ["He cited the govt. report in his speech."],
    ["The supplement is sold in caps. and tablets."],
]

cases = []
for kind, items in K.items():
    for n, sents in enumerate(items):
        cases.append({"id": f"check2-en-{kind}-{n:02}", "lang": "en", "group": f"check2:{kind}",
                      "kind": "full", "text": " ".join(sents), "expected": sents})
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "segmenter_en_check2.json")
with open(out, "w", encoding="utf-8") as f:
    json.dump(cases, f, ensure_ascii=False, indent=1)
    f.write("\n")
print(len(cases), "cases ->", out)
