"""Writes bench/data/segmenter_en_check.json: an English check set of the kinds issue 13 lists
(titles and ranks, legal and academic citations, company suffixes, taxonomy and science
abbreviations, brand names with ! and ?, abbreviations of other languages and scripts,
sentence-final abbreviations, initials, times, list-like capitals). Every sentence was written
for this file (segment helper, issue 13, stop 13), not copied from any peer's suite or from UD.
It was kept out of tuning: scored once, at the end (`bin/bench segmenter-accuracy --check`).
Each case is its sentences joined by one space. Licence: same as the repository."""
import json, os

K = {}
K["titles"] = [
    ["Sgt. Alvarez filed the report before noon.", "The captain signed it an hour later."],
    ["We spoke with Capt. Moreno and Lt. Col. Briggs about the schedule.", "Both agreed to wait."],
    ["The letter was addressed to Gov. Hathaway.", "Her office replied the next day."],
    ["Msgr. Keane blessed the new wing of the hospital on Sunday."],
    ["Adm. Foley and Cmdr. Patel arrived at the base.", "Nobody expected them."],
    ["Ask Supt. Dawson whether the gate is open.", "He keeps the keys."],
    ["The award went to Rev. Dr. Okafor for her work with refugees."],
    ["Pvt. Lindqvist was promoted after the exercise.", "She had earned it."],
    ["Our guest tonight is Sen. Whitmore of Ohio."],
    ["Prof. Nakamura and Assoc. Prof. Silva co-wrote the paper.", "It won a prize."],
    ["I called Det. Insp. Harlow twice.", "There was no answer."],
    ["The meeting with Amb. Castellanos ran late."],
    ["Gen. Okonkwo reviewed the troops.", "Then the parade began."],
    ["Fr. Doyle will say the evening mass."],
]
K["citations"] = [
    ["The statute is codified at 42 U.S.C. § 1983 and applies to state actors."],
    ["See ibid. at 14 for the full argument.", "The court disagreed."],
    ["The rule appears in Vol. II of the treatise.", "Later editions moved it."],
    ["Read Ch. IV before the seminar.", "It explains the method."],
    ["The holding in Smith v. Jones, 512 F.3d 101 (2d Cir. 2008), was narrow."],
    ["This point is made in op. cit. p. 47 and again later."],
    ["The exhibit is listed as Fig. 3b in the appendix."],
    ["As discussed in Sec. 5.2, the estimator is biased.", "We correct for it."],
    ["The quotation comes from Art. 12 of the convention."],
    ["Compare Eq. 7 with the result in the previous section."],
    ["The editors, et al., disagree on the date.", "A later source settles it."],
    ["His thesis cites Rev. Mod. Phys. 81, 109 in the first chapter."],
    ["The case was decided under Cal. Civ. Proc. Code § 425.16 last year."],
    ["See Pt. III, Sch. 2 of the act for the exemptions."],
]
K["companies"] = [
    ["The contract was signed by Fiat Chrysler Automobiles S.p.A. in Turin.", "Production starts in May."],
    ["Warner Bros. released the film in March.", "Critics liked it."],
    ["The supplier is Hartmann GmbH & Co. KG of Bremen."],
    ["She works for Acme Holdings Ltd. in the accounts department."],
    ["Johnson Bros. Hardware closed its last store in 2019."],
    ["Our bank is Crédit Rural S.A. and it charges no fees."],
    ["The merger between Nordvik AB and Ostrander Inc. was approved.", "Shares rose."],
    ["Brown & Sons Co. delivered the timber on Friday."],
    ["Shares of Fairhaven Corp. fell sharply.", "Analysts blamed the weather."],
    ["The plant belongs to Tessaro S.r.l. of Milan."],
    ["They hired Blake Pty. Ltd. to build the bridge."],
]
K["science"] = [
    ["The sample contained E. coli and several Staphylococcus spp. in high numbers."],
    ["The lily is known as Lilium martagon var. album in older catalogues."],
    ["We found Quercus robur subsp. pedunculiflora on the slope.", "It was rare."],
    ["The strain was identified as Bacillus cf. subtilis by sequencing."],
    ["Measurements were taken at approx. 20 min. intervals."],
    ["The reaction was stirred for 3 hrs. at room temperature."],
    ["The compound melts at ca. 150 degrees.", "It then decomposes."],
    ["A new species, Ranunculus sp. nov., is described here."],
    ["The specimen was collected by H. S. Whitcombe in 1911."],
    ["The dose was 5 mg/kg b.w. per day for two weeks."],
]
K["brands"] = [
    ["I used to check my mail on Yahoo! every morning."],
    ["The band Wham! topped the charts in 1984.", "Their next single did too."],
    ["Yum! Brands owns several fast-food chains."],
    ["We watched Jeopardy! with my grandmother every night."],
    ["She bought a ticket for Oklahoma! at the Palace Theatre."],
    ["The quiz show Who Wants to Be a Millionaire? returned last year."],
    ["He reads Hello! magazine on the train."],
    ["Panic! at the Disco played a short set.", "The crowd loved it."],
    ["My cousin works for Yahoo! Japan in Tokyo."],
    ["The musical Mamma Mia! opened in London in 1999."],
]
K["foreign"] = [
    ["Bring fruit, z. B. apples or pears, to the picnic.", "Drinks are provided."],
    ["The rent (bzw. the deposit) is due on the first."],
    ["The museum, founded in 1912 г., is in Kazan.", "It is free on Mondays."],
    ["The label said т. е. that is, in Russian, but nobody could read it."],
    ["The shop on the Hauptstr. sells bread.", "It opens at six."],
    ["They met at the corner of ul. Długa and Mariacka."],
    ["The sign read Dr. med. Keller, Facharzt für Innere Medizin."],
    ["She quoted the motto, i. e. the one on the gate, from memory."],
]
K["final_abbrev"] = [
    ["We need eggs, flour, sugar, etc.", "The rest we already have."],
    ["The shuttle leaves at 7 p.m.", "Please be on time."],
    ["He grew up in Washington, D.C.", "Later he moved to Denver."],
    ["The package went to Apple Inc.", "It arrived the same day."],
    ["The meeting ends at 10 a.m.", "Lunch is at noon."],
    ["She was born in 1990 in the U.S.", "Her parents were teachers."],
    ["Bring pens, paper, glue, etc.", "We start on Monday."],
    ["Our office is on Baker St.", "Parking is in the back."],
]
K["initials_times"] = [
    ["The novel was written by J. M. Coetzee and published in 1999."],
    ["Call me at 9 a.m. tomorrow and we can talk."],
    ["The poem is by T. S. Eliot.", "It is very long."],
    ["At 6 p.m. Mrs. Oduya closed the shop."],
    ["The opening is at 8 P.M. sharp."],
    ["The report names W. E. B. Du Bois as a founder."],
    ["My favourite letter is Z.", "It looks sharp."],
    ["The grade was an A.", "Her father was proud."],
]
K["plain"] = [
    ["The store closes early today.", "Come back tomorrow."],
    ["Is the train late again?", "Yes, by ten minutes."],
    ["Stop!", "The road is closed."],
    ["He paid $3.50 for the coffee.", "It was cold."],
    ["Version 2.4.1 fixes the crash.", "Update soon."],
    ["We will see.", "Maybe next week."],
]

cases = []
for kind, groups in K.items():
    for n, sents in enumerate(groups):
        cases.append({"id": f"check-en-{kind}-{n:02}", "lang": "en", "group": f"check:{kind}",
                      "kind": "full", "text": " ".join(sents), "expected": sents})
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "segmenter_en_check.json")
with open(out, "w") as f:
    json.dump(cases, f, ensure_ascii=False, indent=1)
print(len(cases), "cases ->", out)
