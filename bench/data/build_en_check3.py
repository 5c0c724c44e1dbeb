"""Writes bench/data/segmenter_en_check3.json: a third English check set (issue 13, stop 13 round 4),
written by the seg helper before any rule of round 4, and its two halves by id hash:
segmenter_en_check3a.json (dev: failures may be looked at) and segmenter_en_check3b.json (held
aside: scored once at the start and once at the very end, never looked at in between).
Kinds: citations through real words, tokens no list has, real words used as abbreviations,
abbreviations before digits, labels and Roman numerals, sentence-final abbreviations and initials
before a real sentence start (must split), names with `!`/`?` that no table lists, quotes and
brackets after periods, lists, numbers, times, and about 30% controls that must split. Every
sentence was written for this file, not copied from any peer's suite or from UD. Each case is its
sentences joined by one space. Split: FNV-1a 64 of the id, modulo 100, below 40 -> 3b.
Licence: same as the repository."""
import json, os

K = {}
K["titles3"] = [
    ["The blessing was given by Archbp. Delaney after the choir sang."],
    ["Our new hire in accounting reports to Chmn. Osei directly.", "He starts on Monday."],
    ["The plans were approved by Supvr. Kowalczyk without changes."],
    ["Please forward the invoice to Treas. Abernathy.", "She pays on Fridays."],
    ["Lt. Gov. Marchetti opened the session with a short speech."],
    ["The petition was heard by Commr. Baptiste and two clerks."],
    ["The parish is led by Rt. Rev. Ogunleye, who arrived in May."],
    ["A letter from Brig. Ferreira reached the camp late.", "Nobody answered it."],
]
K["citations3"] = [
    ["The motion was denied under Fed. R. Civ. P. 56(a) in a short order."],
    ["The judge excluded the photo under Fed. R. Evid. 403.", "The jury never saw it."],
    ["The reasoning is laid out in Ann. Rev. Psychol. 62, 451 and is still debated."],
    ["The result was first reported in Phys. Rev. Lett. 97 by a small team."],
    ["The survey in Bull. Amer. Math. Soc. 40 remains the best introduction."],
    ["The penalty is set by Stat. Ann. 12 and cannot be waived."],
    ["The trial followed Am. J. Public Health guidelines.", "No one objected."],
    ["Her paper appeared in Proc. Roy. Soc. Lond. B in the spring."],
    ["See Restat. 3d Agency for the modern view."],
    ["The claim rests on N.Y. Gen. Bus. Law § 349 and nothing else."],
]
K["words3"] = [
    ["Record the temp. of each sample twice."],
    ["Set the oven temp. to 180 degrees and wait."],
    ["The cultivar Malus domestica var. sylvestris grows wild here."],
    ["The trip takes approx. 40 minutes by bus."],
    ["As shown in fig. 4, the curve flattens."],
    ["The form goes in box no. 12 at the front desk."],
    ["Use the min. setting for delicate fabrics."],
    ["The load must not exceed the max. rating of the cable."],
    ["The house was built ca. 1850 by a local mason."],
    ["Take one cap. with water after meals."],
    ["This usage is discussed in sec. 3 of the manual."],
    ["See the note in ref. 18 for the raw data."],
]
K["labels3"] = [
    ["The charter is printed in Vol. III of the collected papers."],
    ["The definitions are in Pt. 2 of the regulations.", "Read them first."],
    ["The exception is in Art. XIV of the treaty."],
    ["The outlier is marked in Fig. 2C with a red circle."],
    ["The primers are listed in Tab. S3 of the supplement."],
    ["The derivation is in App. B and takes two pages."],
    ["Bring the form to Rm. 214 before noon."],
    ["The pipe runs under Bldg. C and then north."],
]
K["final3"] = [
    ["The bank is owned by Harlan & Co.", "Its chairman is retired."],
    ["They flew to Washington, D.C.", "The hotel was full."],
    ["The letter was signed by J. R.", "Nobody knew who that was."],
    ["We met at 10 a.m.", "Then we drove to the coast."],
    ["Bring tents, stoves, ropes, etc.", "We leave at dawn."],
    ["He was raised in the U.K.", "His mother still lives there."],
    ["The shop closes at 6 p.m.", "Come early."],
    ["She earned her Ph.D.", "Then she moved to Lisbon."],
    ["The package went to Acme Inc.", "It arrived on time."],
    ["My grandfather was Frank Hale Sr.", "He fixed clocks."],
    ["The memo came from the C.E.O.", "Nobody read it."],
    ["The train leaves from Union St.", "Buy a ticket first."],
]
K["names3"] = [
    ["She works for Zapp! Studios in Bristol."],
    ["We watched Ahoy! Mateys on the small stage last night."],
    ["The cereal brand Crunchee! is sold everywhere."],
    ["The magazine Whatnow? ran a story about us."],
    ["The band Go Go Go! played three encores.", "Fans loved it."],
    ["The quiz show Guess Again? was cancelled after one season."],
    ["I bought tickets for Bingo! The Musical for Saturday."],
    ["The app Yappr! lets you record short voice notes."],
]
K["quotes3"] = [
    ["He said, \"We are done here.\"", "Then he left the room."],
    ["The sign read \"Closed.\" and the lights were off."],
    ["(The details are in the appendix.)", "The main result is simple."],
    ["She asked, \"Is Dr. Kane in today?\"", "Nobody knew."],
    ["The list (see Fig. 3) is incomplete.", "We are fixing it."],
    ["Their motto is 'Work hard.'", "It shows."],
    ["\"Wait here,\" said Mr. Bloom.", "\"I'll be back.\""],
    ["The results were clear [1].", "Others agree [2]."],
]
K["lists3"] = [
    ["1. Unplug the router.", "2. Wait ten seconds.", "3. Plug it back in."],
    ["You need three things: a) a pen, b) a stamp, c) an envelope."],
    ["a. Fill in the form.", "b. Sign it."],
]
K["numbers3"] = [
    ["The rate rose to 4.25 percent.", "Markets fell."],
    ["The ticket costs $12.", "Children ride free."],
    ["Version 3.1.4 fixes the bug.", "Upgrade soon."],
    ["We counted 1,204.", "That is a record."],
    ["The answer is 42.", "Don't ask why."],
    ["It was built in 1887.", "It still stands."],
]
K["times3"] = [
    ["The clinic opens at 8 a.m. on Saturdays."],
    ["We will call you between 2 p.m. and 4 p.m. tomorrow."],
    ["The flight lands at 7:45 p.m. local time."],
    ["Doors open at 6 p.m.", "Dinner is at seven."],
]
K["controls3"] = [
    ["I left the keys on the table.", "Where are they now?"],
    ["The storm passed.", "We went outside."],
    ["Call me tomorrow.", "I will be home."],
    ["Is it raining?", "Take an umbrella."],
    ["What a day!", "I need sleep."],
    ["He lives in Perth.", "His brother lives in Hobart."],
    ["The dog barked at Ms. Lee.", "She laughed."],
    ["We sold the car to Mr. Diaz.", "He paid cash."],
    ["The package is from Amazon.", "Open it carefully."],
    ["Our team lost to Leeds.", "Next week we play Derby."],
    ["My name is Tom.", "What's yours?"],
    ["It cost too much.", "We left."],
    ["The test was easy.", "Most of us passed."],
    ["Turn left at the church.", "The house is green."],
    ["She studied law.", "Now she teaches."],
    ["The file is too big.", "Try compressing it."],
    ["They arrived at noon.", "Lunch was ready."],
    ["Sam won the race.", "Everyone cheered."],
    ["We visited Rome.", "Then we saw Naples."],
    ["I read the report.", "It was long."],
    ["He plays the sax.", "She plays the drums."],
    ["The boss is Mr. Park.", "Ask him."],
    ["Her dog is called Rex.", "He is old."],
    ["I love this app.", "It saves time."],
    ["The word is spelled with a capital W.", "Remember that."],
    ["We stayed at the Ritz.", "It was lovely."],
]


def fnv1a64(s):
    h = 0xCBF29CE484222325
    for b in s.encode("utf-8"):
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


cases = []
for kind, items in K.items():
    for n, sents in enumerate(items):
        cases.append({"id": f"check3-en-{kind}-{n:02}", "lang": "en", "group": f"check3:{kind}",
                      "kind": "full", "text": " ".join(sents), "expected": sents})
here = os.path.dirname(os.path.abspath(__file__))
held = [c for c in cases if fnv1a64(c["id"]) % 100 < 40]
dev = [c for c in cases if fnv1a64(c["id"]) % 100 >= 40]
for name, part in [("", cases), ("a", dev), ("b", held)]:
    out = os.path.join(here, f"segmenter_en_check3{name}.json")
    with open(out, "w", encoding="utf-8") as f:
        json.dump(part, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(len(part), "cases ->", out)
