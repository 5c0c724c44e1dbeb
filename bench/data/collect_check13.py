"""Collects the English cases of check set 13 (issue 13, round 12) into bench/data/check13_cases.json, from real
test suites of other segmenters that sets 1-12 and the peers set do not use. Written by the seg13 helper before
any rule of round 12. Only the cases are kept (text, expected sentences, where each came from, licence).

Sources (code-search corpus copies, read at the commit or corpus id given):
- sentencesplit (yisding/sentencesplit, MIT, (c) 2019 Nipun Sadvilkar, (c) 2026 Yi Ding; a pySBD fork, PyPI
  sentencesplit 0.1.0 sdist sha256 0bee1933c57d7972146d1f33ac7fb192088cd7c36081e1b2ce599034950cef2c gives the
  licence, it ships no tests): tests/lang/test_english_challenging.py @02ede4930e68fa62423549b881aaa52e69ac3c03
  CHALLENGING_EN_TEST_CASES (cases 49-121, default English segmenter, clean=False). Every asserted case is kept,
  the four marked xfail too (the suite states them as the wanted output; the test name says xfail). pySBD's own
  files (golden rules, test_issue*) are in the peers set and set 11: this file is the fork's own.
- php-sentence (vanderlee/php-sentence, MIT, (c) 2019 Martijn van der Lee): tests/SentenceTest.php, the
  namespaced version with dataSplit (corpus id 40454790110; the older f64fbe089ffb45e94e4ae7fd1cca33bbdd2ee790
  has the same split/count asserts minus testSentenceWithNumericValues and dataSplit). split() asserts (leading
  spaces of its untrimmed output stripped) and count() asserts whose sentences follow from the count alone
  (count 1: the whole text; count 2 with one sentence-final mark followed by a space). Texts with a line
  break, empty inputs, testCleanupUnicode (it rewrites the text) and SPLIT_TRIM duplicates are left out.
Usage: python3 bench/data/collect_check13.py"""
import json, os

HERE = os.path.dirname(os.path.abspath(__file__))

SS = ("yisding/sentencesplit", "tests/lang/test_english_challenging.py", "02ede4930e68fa62423549b881aaa52e69ac3c03",
      "MIT ((c) 2019 Nipun Sadvilkar, (c) 2026 Yi Ding; PyPI sentencesplit 0.1.0 LICENSE)")
PHP = ("vanderlee/php-sentence", "tests/SentenceTest.php", None, "MIT ((c) 2019 Martijn van der Lee; LICENSE)")

# (number in the file, text, expected); xfail marked with a trailing "x" on the number
SENTENCESPLIT = [
    ("49", "She earned her Ph.D. in molecular biology from MIT.", ["She earned her Ph.D. in molecular biology from MIT."]),
    ("50", "He completed his Ph.D. She completed her M.D.", ["He completed his Ph.D.", "She completed her M.D."]),
    ("51", "John Smith, M.D., Ph.D., gave the keynote address. The audience applauded.",
     ["John Smith, M.D., Ph.D., gave the keynote address.", "The audience applauded."]),
    ("52", "She holds a B.A. in English and a B.S. in computer science from Stanford.",
     ["She holds a B.A. in English and a B.S. in computer science from Stanford."]),
    ("53", "I spoke with Sgt. Johnson and Lt. Col. Davis about the mission.",
     ["I spoke with Sgt. Johnson and Lt. Col. Davis about the mission."]),
    ("54", "The order came from Gen. Patton. He demanded immediate action.",
     ["The order came from Gen. Patton.", "He demanded immediate action."]),
    ("55", "We visited Rev. Martin Luther King Jr.'s memorial. It was moving.",
     ["We visited Rev. Martin Luther King Jr.'s memorial.", "It was moving."]),
    ("56", "The statute is codified at 42 U.S.C. § 1983. It provides a right of action.",
     ["The statute is codified at 42 U.S.C. § 1983.", "It provides a right of action."]),
    ("57", "The ruling in Brown v. Board of Education changed history. Schools were desegregated.",
     ["The ruling in Brown v. Board of Education changed history.", "Schools were desegregated."]),
    ("58", "According to Smith et al. the results were inconclusive. Further studies are needed.",
     ["According to Smith et al. the results were inconclusive.", "Further studies are needed."]),
    ("59", "The temperature rose by 1.5°C [1]. This is consistent with previous findings [2, 3].",
     ["The temperature rose by 1.5°C [1].", "This is consistent with previous findings [2, 3]."]),
    ("60", "Please upgrade to version 3.2.1. The new release fixes several bugs.",
     ["Please upgrade to version 3.2.1.", "The new release fixes several bugs."]),
    ("61", "Edit the file config.yaml to change the settings.", ["Edit the file config.yaml to change the settings."]),
    ("62", "The server at 192.168.1.1 is down. Please contact IT support.",
     ["The server at 192.168.1.1 is down.", "Please contact IT support."]),
    ("63", "The log is at /var/log/app.2024.01.15.log. Check it for errors.",
     ["The log is at /var/log/app.2024.01.15.log.", "Check it for errors."]),
    ("64", '"Is anyone there?" she called. No one answered.', ['"Is anyone there?" she called.', "No one answered."]),
    ("65", 'He shouted, "Run!" and everyone scattered.', ['He shouted, "Run!" and everyone scattered.']),
    ("66", '"I\'m leaving," he said. "Don\'t wait up." She nodded.',
     ['"I\'m leaving," he said.', '"Don\'t wait up."', "She nodded."]),
    ("67", '"I thought we could..." He trailed off. She looked away.',
     ['"I thought we could..."', "He trailed off.", "She looked away."]),
    ("68", "She asked, \"Did he really say 'I quit'?\" I wasn't sure.",
     ["She asked, \"Did he really say 'I quit'?\"", "I wasn't sure."]),
    ("69", "He moved from Washington, D.C. to Los Angeles, CA. The move took three days.",
     ["He moved from Washington, D.C. to Los Angeles, CA.", "The move took three days."]),
    ("70", "The U.S. and U.K. signed a trade agreement. It takes effect in January.",
     ["The U.S. and U.K. signed a trade agreement.", "It takes effect in January."]),
    ("71", "She received her M.B.A. from H.B.S. She then joined McKinsey & Co.",
     ["She received her M.B.A. from H.B.S.", "She then joined McKinsey & Co."]),
    ("72", "Sales grew by 12.5%. The board was pleased.", ["Sales grew by 12.5%.", "The board was pleased."]),
    ("73", "He finished in 1st. She finished in 3rd. They both qualified.",
     ["He finished in 1st.", "She finished in 3rd.", "They both qualified."]),
    ("74", "The patient's temperature was 101.3°F. The nurse administered medication.",
     ["The patient's temperature was 101.3°F.", "The nurse administered medication."]),
    ("75", "Let pi equal 3.14159 for this calculation.", ["Let pi equal 3.14159 for this calculation."]),
    ("76", "The company was founded in 2015. It went public in 2020.",
     ["The company was founded in 2015.", "It went public in 2020."]),
    ("77", "He visited the capital (Washington, D.C.) for a conference.",
     ["He visited the capital (Washington, D.C.) for a conference."]),
    ("78", "She works for the government (specifically, the C.I.A.). Her job is classified.",
     ["She works for the government (specifically, the C.I.A.).", "Her job is classified."]),
    ("79", "The project failed (see Appendix B for details). Management was not happy.",
     ["The project failed (see Appendix B for details).", "Management was not happy."]),
    ("80", "Stop. Look. Listen. These are the rules.", ["Stop.", "Look.", "Listen.", "These are the rules."]),
    ("81", "Is it option A? Or B? Choose now.", ["Is it option A?", "Or B?", "Choose now."]),
    ("82", "WARNING: DO NOT ENTER. THIS AREA IS RESTRICTED.", ["WARNING: DO NOT ENTER.", "THIS AREA IS RESTRICTED."]),
    ("83", "The suspect—a man in his 30s—fled the scene. Police gave chase.",
     ["The suspect—a man in his 30s—fled the scene.", "Police gave chase."]),
    ("84", "He visited the U.S.; however, he preferred the U.K. The weather was better.",
     ["He visited the U.S.; however, he preferred the U.K.", "The weather was better."]),
    ("85", "She bought three items: apples, bread, and milk. Then she went home.",
     ["She bought three items: apples, bread, and milk.", "Then she went home."]),
    ("86", "Can you believe it? Absolutely incredible! I was stunned.",
     ["Can you believe it?", "Absolutely incredible!", "I was stunned."]),
    ("87", "The plan was simple, i.e. we would leave at dawn. No one objected.",
     ["The plan was simple, i.e. we would leave at dawn.", "No one objected."]),
    ("88", "Use a common format, e.g. JSON, XML, or CSV. The parser handles all three.",
     ["Use a common format, e.g. JSON, XML, or CSV.", "The parser handles all three."]),
    ("89", "She works at Apple Inc. Tim Cook is the CEO.", ["She works at Apple Inc.", "Tim Cook is the CEO."]),
    ("90", "Acme Corp. announced record earnings last quarter.", ["Acme Corp. announced record earnings last quarter."]),
    ("91", "The contract was signed by Thames Ltd. It goes into effect Monday.",
     ["The contract was signed by Thames Ltd.", "It goes into effect Monday."]),
    ("92", "The flight departs at 6:30 a.m. Please arrive two hours early.",
     ["The flight departs at 6:30 a.m.", "Please arrive two hours early."]),
    ("93", "Office hours are 9 a.m. to 5 p.m. The office is closed on weekends.",
     ["Office hours are 9 a.m. to 5 p.m.", "The office is closed on weekends."]),
    ("94", "The office is at 123 Main St. near the park.", ["The office is at 123 Main St. near the park."]),
    ("95", "Turn left on Oak Blvd. and right on 5th Ave. The building is on the corner.",
     ["Turn left on Oak Blvd. and right on 5th Ave.", "The building is on the corner."]),
    ("96", "The team includes you, her, and I. We start tomorrow.",
     ["The team includes you, her, and I.", "We start tomorrow."]),
    ("97x", "The first experiment failed.The second one succeeded.",
     ["The first experiment failed.", "The second one succeeded."]),
    ("98x", "He works at Acme Corp.She works at Globex Inc.", ["He works at Acme Corp.", "She works at Globex Inc."]),
    ("99", "See item No. 7 in the list. It contains the answer.", ["See item No. 7 in the list.", "It contains the answer."]),
    ("100", "As shown in Fig. 3, the curve rises sharply. Fig. 4 shows the decline.",
     ["As shown in Fig. 3, the curve rises sharply.", "Fig. 4 shows the decline."]),
    ("101", "Substituting into Eq. 5 yields the result. The proof is complete.",
     ["Substituting into Eq. 5 yields the result.", "The proof is complete."]),
    ("102", "The C.E.O. of Widgets Inc. met with Sen. Harris and Rep. Garcia at 3 p.m. They discussed H.R. 1234. No agreement was reached.",
     ["The C.E.O. of Widgets Inc. met with Sen. Harris and Rep. Garcia at 3 p.m.", "They discussed H.R. 1234.",
      "No agreement was reached."]),
    ("103", "Previous work (Johnson et al., 2019; see also Fig. 2 in Smith, 2020) supports this claim. However, the results of Lee (2021) suggest otherwise.",
     ["Previous work (Johnson et al., 2019; see also Fig. 2 in Smith, 2020) supports this claim.",
      "However, the results of Lee (2021) suggest otherwise."]),
    ("104x", "Pt. presented with a temp. of 102.4°F and B.P. of 140/90. Dr. Lee ordered labs stat. Results pending.",
     ["Pt. presented with a temp. of 102.4°F and B.P. of 140/90.", "Dr. Lee ordered labs stat.", "Results pending."]),
    ("105", "The distance is approx. 500 miles. We should fly.", ["The distance is approx. 500 miles.", "We should fly."]),
    ("106", "She transferred to the marketing dept. Her new role starts Monday.",
     ["She transferred to the marketing dept.", "Her new role starts Monday."]),
    ("107", "The govt. issued new regulations on emissions.", ["The govt. issued new regulations on emissions."]),
    ("108", "The max. temperature was 35°C and the min. was 12°C. It was a wide range.",
     ["The max. temperature was 35°C and the min. was 12°C.", "It was a wide range."]),
    ("109", "Visit us at https://example.com/path/to/page.html. We look forward to hearing from you.",
     ["Visit us at https://example.com/path/to/page.html.", "We look forward to hearing from you."]),
    ("110", "The treaty was signed by the U.S. (represented by the Sec. of State). It took effect immediately.",
     ["The treaty was signed by the U.S. (represented by the Sec. of State).", "It took effect immediately."]),
    ("111", 'He read "Dr. Jekyll and Mr. Hyde" in one sitting. It terrified him.',
     ['He read "Dr. Jekyll and Mr. Hyde" in one sitting.', "It terrified him."]),
    ("112", "Bring supplies: water, food, rope, etc. The hike will be long.",
     ["Bring supplies: water, food, rope, etc.", "The hike will be long."]),
    ("113", "Items such as pens, pencils, etc. are provided free of charge.",
     ["Items such as pens, pencils, etc. are provided free of charge."]),
    ("114", "The restaurant serves hors d'oeuvres, viz. small appetizers. The menu changes daily.",
     ["The restaurant serves hors d'oeuvres, viz. small appetizers.", "The menu changes daily."]),
    ("115", "You mean...? I can't believe it. Tell me more.", ["You mean...?", "I can't believe it.", "Tell me more."]),
    ("116", "The case of Smith vs. Jones was settled. The judge ruled in favor of Jones.",
     ["The case of Smith vs. Jones was settled.", "The judge ruled in favor of Jones."]),
    ("117", "The shelf is 3 ft. 5 in. wide. It fits perfectly.", ["The shelf is 3 ft. 5 in. wide.", "It fits perfectly."]),
    ("118", "I saw Dr. Smith on Monday. Dr. Jones was unavailable. Dr. Patel will see you Friday.",
     ["I saw Dr. Smith on Monday.", "Dr. Jones was unavailable.", "Dr. Patel will see you Friday."]),
    ("119", "The meeting is at 3 p.m. EST. Please be on time.", ["The meeting is at 3 p.m. EST.", "Please be on time."]),
    ("119a", "The call is at 3 p.m. AST. Please join on time.", ["The call is at 3 p.m. AST.", "Please join on time."]),
    ("119b", "The launch was at 3 p.m. NASA broadcast it live.", ["The launch was at 3 p.m.", "NASA broadcast it live."]),
    ("119c", "The update was at 3 p.m. ASST prepared the report.", ["The update was at 3 p.m.", "ASST prepared the report."]),
    ("119d", "In early Dixieland, a.k.a. New Orleans jazz, musicians improvised freely.",
     ["In early Dixieland, a.k.a. New Orleans jazz, musicians improvised freely."]),
    ("119e", "A.S.E. Ackermann and team published the findings in 2007.",
     ["A.S.E.", "Ackermann and team published the findings in 2007."]),
    ("119f", "I had lunch at 3P.M. E.S.T.", ["I had lunch at 3P.M. E.S.T."]),
    ("119g", "I had lunch at 3P.M. S.A.T. scored are coming out tomorrow.",
     ["I had lunch at 3P.M.", "S.A.T. scored are coming out tomorrow."]),
    ("119h", "I studied for the S.A.T. Tomorrow is test day.", ["I studied for the S.A.T.", "Tomorrow is test day."]),
    ("119j", "The U.S. Government issued a statement.", ["The U.S. Government issued a statement."]),
    ("119j2", "He worked for the U.S. Government office.", ["He worked for the U.S. Government office."]),
    ("119k", "They discussed H.R. 1234. No agreement was reached.", ["They discussed H.R. 1234.", "No agreement was reached."]),
    ("120", "He is ranked no. 1 in the world. She is no. 3.", ["He is ranked no. 1 in the world.", "She is no. 3."]),
    ("121", "\n".join([
        '"Peak XV" (temporary, assigned by British Imperial Survey)',
        '"Deodungha" (Old Darjeeling)',
        '"Gauri Shankar", "Gaurishankar", or "Gaurisankar" (misattribution; used occasionally until about 1900. In modern times the name is used for a different peak about 30 miles (48 kilometres) away.)']),
     ['"Peak XV"', "(temporary, assigned by British Imperial Survey)", '"Deodungha"', "(Old Darjeeling)",
      '"Gauri Shankar", "Gaurishankar", or "Gaurisankar" (misattribution; used occasionally until about 1900.',
      "In modern times the name is used for a different peak about 30 miles (48 kilometres) away.)"]),
]

# (test method, text, expected) from split() asserts
PHP_SPLIT = [
    ("testSplitWord", "Hello", ["Hello"]), ("testSplitWord", "Hello.", ["Hello."]),
    ("testSplitWord", "Hello...", ["Hello..."]), ("testSplitWord", "Hello!", ["Hello!"]),
    ("testSplitWord", "Hello?", ["Hello?"]), ("testSplitWord", "Hello?!", ["Hello?!"]),
    ("testSplitMultipleWords", "Hello world. Are you there", ["Hello world.", "Are you there"]),
    ("testSplitMultipleWords", "Hello world. Are you there?", ["Hello world.", "Are you there?"]),
    ("testSplitMultipleWords", "Hello world, Are you there?", ["Hello world, Are you there?"]),
    ("testSplitMultipleWords", "Hello world: Are you there?", ["Hello world: Are you there?"]),
    ("testSplitMultipleWords", "Hello world... Are you there?", ["Hello world... Are you there?"]),
    ("testSplitAbreviations", "Hello mr. Smith.", ["Hello mr. Smith."]),
    ("testSplitAbreviations", "Hello, OMG Kittens!", ["Hello, OMG Kittens!"]),
    ("testSplitAbreviations", "Hello, abbrev. Kittens!", ["Hello, abbrev. Kittens!"]),
    ("testSplitAbreviations", "Hello, O.M.G. Kittens!", ["Hello, O.M.G. Kittens!"]),
    ("testSplitAbreviations", "Last week, former director of the A.B.C. John B. Smith was fired.",
     ["Last week, former director of the A.B.C. John B. Smith was fired."]),
    ("testSplitAbreviations", "Mr. Smith was not available for comment..", ["Mr. Smith was not available for comment.."]),
    ("testSplitAbreviations", "Hello mr. Smith. Are you there?", ["Hello mr. Smith.", "Are you there?"]),
    ("testSplitOneWordSentences", "You? Smith?", ["You?", "Smith?"]),
    ("testSplitOneWordSentences", "You there? Smith?", ["You there?", "Smith?"]),
    ("testSplitOneWordSentences", "You mr. Smith?", ["You mr. Smith?"]),
    ("testSplitOneWordSentences", "Are you there. Mister Smith?", ["Are you there.", "Mister Smith?"]),
    ("testSplitOneWordSentences", "Are you there. Smith, sir?", ["Are you there.", "Smith, sir?"]),
    ("testSplitOneWordSentences", "Are you there. Mr. Smith?", ["Are you there.", "Mr. Smith?"]),
    ("testSplitParenthesis", "You there (not here!). Mister Smith", ["You there (not here!).", "Mister Smith"]),
    ("testSplitParenthesis", "You (not him!) here. Mister Smith", ["You (not him!) here.", "Mister Smith"]),
    ("testSplitParenthesis", "(What!) you here. Mister Smith", ["(What!) you here.", "Mister Smith"]),
    ("testSplitParenthesis", "You there (not here). Mister Smith", ["You there (not here).", "Mister Smith"]),
    ("testSplitParenthesis", "You (not him) here. Mister Smith", ["You (not him) here.", "Mister Smith"]),
    ("testSplitParenthesis", "(What) you here. Mister Smith", ["(What) you here.", "Mister Smith"]),
    ("dataSplit repeat 2", "He got £2. He lost £2. He had £2.", ["He got £2.", "He lost £2.", "He had £2."]),
    ("dataSplit times", "If at 8:00 pm, do something, there is a good chance that by 8:45 pm we do something else. This is another sentence",
     ["If at 8:00 pm, do something, there is a good chance that by 8:45 pm we do something else.", "This is another sentence"]),
    ("dataSplit lead/trailing zeroes", "Number 00.20 it is", ["Number 00.20 it is"]),
    ("dataSplit Price", "The price is 25.50, including postage and packing.",
     ["The price is 25.50, including postage and packing."]),
    ("dataSplit Recursive replacement", "From 11 to 12. From 11 to 15.", ["From 11 to 12.", "From 11 to 15."]),
]
# count() asserts not repeated by a split() assert: (method, text, count)
PHP_COUNT = [
    ("testCountTwoWords", "Hello world", 1), ("testCountTwoWords", "Hello world.", 1),
    ("testCountTwoWords", "Hello world...", 1), ("testCountTwoWords", "Hello world!", 1),
    ("testCountTwoWords", "Hello world?", 1), ("testCountTwoWords", "Hello world?!", 1),
    ("testCountMultiplePunctuation", "Hello there. Brave new world.", 2),
    ("testCountMultiplePunctuation", "Hello there... Brave new world.", 1),
    ("testCountMultiplePunctuation", "Hello there?... Brave new world.", 2),
    ("testCountMultiplePunctuation", "Hello there!... Brave new world.", 2),
    ("testCountMultiplePunctuation", "Hello there!!! Brave new world.", 2),
    ("testCountMultiplePunctuation", "Hello there??? Brave new world.", 2),
    ("testSentenceWithNumericValues", "The price is ￡25.50, including postage and packing.", 1),
    ("testSentenceWithNumericValues", "I went true to size at 10.5 cms.", 1),
    ("testSentenceWithNumericValues",
     "The prices are ￡25.50 or ￡27.50, including postage and packing. I went true to size at 10.5 cms.", 2),
]


def from_count(text, n):
    if n == 1:
        return [text]
    # the one sentence-final mark run followed by a space
    cuts = [i for i in range(1, len(text)) if text[i] == " " and text[i - 1] in ".!?" and
            not text[:i].endswith("...") or (text[i] == " " and text[i - 4:i] in ("?...", "!..."))]
    cuts = sorted(set(cuts))
    assert n == 2 and len(cuts) == 1, (text, cuts)
    return [text[:cuts[0]], text[cuts[0] + 1:]]


def main():
    cases = []
    for num, text, exp in SENTENCESPLIT:
        xfail = num.endswith("x")
        cases.append({"key": "sentencesplit", "repo": SS[0], "path": SS[1], "commit": SS[2],
                      "test": f"test_en_challenging case {num.rstrip('x')}" + (" (xfail in the suite)" if xfail else ""),
                      "text": text, "expected": exp, "lang": "en", "licence": SS[3]})
    for test, text, exp in PHP_SPLIT:
        cases.append({"key": "phpsentence", "repo": PHP[0], "path": PHP[1], "version": "code-search corpus id 40454790110",
                      "test": f"{test} (split)", "text": text, "expected": exp, "lang": "en", "licence": PHP[3]})
    for test, text, n in PHP_COUNT:
        cases.append({"key": "phpsentence", "repo": PHP[0], "path": PHP[1], "version": "code-search corpus id 40454790110",
                      "test": f"{test} (count {n})", "text": text, "expected": from_count(text, n), "lang": "en",
                      "licence": PHP[3]})
    for c in cases:
        assert "".join(c["expected"]).replace(" ", "").replace("\n", "") == c["text"].replace(" ", "").replace("\n", ""), c
    with open(os.path.join(HERE, "check13_cases.json"), "w", encoding="utf-8") as f:
        json.dump({"cases": cases}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(len(cases), "cases")


if __name__ == "__main__":
    main()
