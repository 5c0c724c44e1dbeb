//! One example per evidence rule of docs/TEXT.md (written for these tests, not taken from the
//! UD or peer cases), each checked whole-text and in every chunking of `text_common`.

#[path = "text_common/mod.rs"]
mod common;

use aybiza_core::text::segmenter::SegmenterOptions;
use common::*;

fn check(text: &str, expected: &[&str]) {
    let opts = SegmenterOptions {
        max_chars: 0,
        ..SegmenterOptions::default()
    };
    for how in CHUNKINGS {
        assert_eq!(all(text, &opts, how), expected, "{text:?} cut as {how:?}");
    }
}

#[test]
fn public_abbreviation_data() {
    check(
        "Wir brauchen z.B. Milch bzw. Brot. Danach gehen wir.",
        &["Wir brauchen z.B. Milch bzw. Brot.", "Danach gehen wir."],
    );
    check(
        "The letter went to Msgr. Rossi at the curia. He answered.",
        &[
            "The letter went to Msgr. Rossi at the curia.",
            "He answered.",
        ],
    );
}

#[test]
fn abbreviation_shape_without_vowels() {
    // Neither word is in any list: no vowel, so an abbreviation.
    check(
        "Ask Hptm. Brandt or Wchtm. Vogt today. They know.",
        &["Ask Hptm. Brandt or Wchtm. Vogt today.", "They know."],
    );
}

#[test]
fn single_capital_is_an_initial() {
    check(
        "The report names P. Vermeulen as the author. It was late.",
        &[
            "The report names P. Vermeulen as the author.",
            "It was late.",
        ],
    );
}

#[test]
fn labels_and_months_after_abbreviations() {
    check(
        "See Vol. III and Ch. XII for details. Then call us.",
        &["See Vol. III and Ch. XII for details.", "Then call us."],
    );
    check(
        "It was due on Sept. Monday came first. Done.",
        &["It was due on Sept. Monday came first.", "Done."],
    );
}

#[test]
fn function_words_start_sentences_after_abbreviations() {
    check(
        "Wir treffen uns in der Hauptstr. Die Tür ist offen.",
        &["Wir treffen uns in der Hauptstr.", "Die Tür ist offen."],
    );
}

#[test]
fn lower_case_multi_period_abbreviation_closes_its_phrase() {
    check(
        "Rome was founded in 753 a.C. La leggenda dice altro.",
        &["Rome was founded in 753 a.C.", "La leggenda dice altro."],
    );
    // A clock time may be followed by a zone.
    check(
        "We open at 9 a.m. Eastern time. See you.",
        &["We open at 9 a.m. Eastern time.", "See you."],
    );
}

#[test]
fn ordinals_before_months_and_lower_case() {
    check(
        "Das Treffen ist am 14. Oktober in Bonn. Alle kommen.",
        &["Das Treffen ist am 14. Oktober in Bonn.", "Alle kommen."],
    );
    check(
        "Uczeń jest w 3. klasie liceum. Lubi chemię.",
        &["Uczeń jest w 3. klasie liceum.", "Lubi chemię."],
    );
}

#[test]
fn low_and_detached_quotes() {
    check(
        "Hij zweeg. ,,Morgen kom ik terug'', zei hij. Iedereen knikte.",
        &[
            "Hij zweeg.",
            ",,Morgen kom ik terug'', zei hij.",
            "Iedereen knikte.",
        ],
    );
    check(
        "Il a dit : « On part demain. » Puis il est sorti.",
        &["Il a dit : « On part demain. »", "Puis il est sorti."],
    );
}

#[test]
fn names_spelled_with_an_exclamation_mark() {
    check(
        "We ordered from Zapp! yesterday and it came. Great.",
        &["We ordered from Zapp! yesterday and it came.", "Great."],
    );
    // A listed name before a capital continues unless a sentence visibly starts.
    check(
        "Yum! Brands owns the chain. Yahoo! The site is down.",
        &["Yum! Brands owns the chain.", "Yahoo!", "The site is down."],
    );
    // An exclamation at the start of a sentence still ends it.
    check("Wow! that was fast.", &["Wow!", "that was fast."]);
}

#[test]
fn names_from_the_table_of_marked_names() {
    // Multi-word names, `?` names, runs of marks, and a name's own next word (`Panic! at`,
    // `Mia! Here`) even where that word would start a sentence elsewhere.
    check(
        "They played Who Wants to Be a Millionaire? on the bus. Then we slept.",
        &[
            "They played Who Wants to Be a Millionaire? on the bus.",
            "Then we slept.",
        ],
    );
    check(
        "Panic! at the Disco played. We saw Mamma Mia! Here We Go Again twice.",
        &[
            "Panic! at the Disco played.",
            "We saw Mamma Mia! Here We Go Again twice.",
        ],
    );
    check(
        "He bought Punch-Out!! Nintendo fans loved it.",
        &["He bought Punch-Out!! Nintendo fans loved it."],
    );
    // Case-sensitive: the whole name, as listed.
    check(
        "Who wants to be a millionaire? Everyone does.",
        &["Who wants to be a millionaire?", "Everyone does."],
    );
    // Evidence of a sentence start wins after a whole name: `Acme` is not listed, and `The`,
    // `My` start sentences after listed names too.
    check(
        "Welcome to Acme! Enjoy your stay. We grew up on Jeopardy! My aunt loved it.",
        &[
            "Welcome to Acme!",
            "Enjoy your stay.",
            "We grew up on Jeopardy!",
            "My aunt loved it.",
        ],
    );
    // An unlisted title in title case inside a sentence: lower case after it continues, even
    // a function word; a question of the sentence itself still ends before a capital.
    check(
        "We read Where Did All the Money Go? in class. Where did it go? Nobody knows.",
        &[
            "We read Where Did All the Money Go? in class.",
            "Where did it go?",
            "Nobody knows.",
        ],
    );
    check(
        "She was cast in Will You Marry Me? for the spring. Fine.",
        &[
            "She was cast in Will You Marry Me? for the spring.",
            "Fine.",
        ],
    );
    // A no-break space before the name (multi-byte) and the fuzzer's input: no panic.
    check(
        "We use\u{a0}Yahoo! daily. Fine.",
        &["We use\u{a0}Yahoo! daily.", "Fine."],
    );
    check(
        "Oh \u{fffd}\u{a0}\u{fffd}! Ok.",
        &["Oh \u{fffd}\u{a0}\u{fffd}!", "Ok."],
    );
    // Everyday exclamations that are also names (`Hello!`, `Help!`) count only after another
    // word of the sentence.
    check(
        "Hello! Welcome to the line. She reads Hello! Magazine daily.",
        &[
            "Hello!",
            "Welcome to the line.",
            "She reads Hello! Magazine daily.",
        ],
    );
}

#[test]
fn caseless_scripts_after_quotes() {
    check(
        "उसने कहा, \"मैं कल आऊँगा।\" फिर वह चला गया।",
        &["उसने कहा, \"मैं कल आऊँगा।\"", "फिर वह चला गया।"],
    );
    check(
        "「はい。」と言った。次へ。",
        &["「はい。」と言った。", "次へ。"],
    );
}

#[test]
fn words_seen_as_abbreviations_earlier_in_the_stream() {
    // `Zeitg.` is in no list and has a vowel; once seen before a comma it is an abbreviation
    // of this text, so later a capitalized name after it does not start a sentence.
    check(
        "Lies die Zeitg., heute. Dann lies Zeitg. Berlin morgen.",
        &["Lies die Zeitg., heute.", "Dann lies Zeitg. Berlin morgen."],
    );
    // A fresh stream forgets it.
    check(
        "Dann lies Zeitg. Berlin morgen.",
        &["Dann lies Zeitg.", "Berlin morgen."],
    );
}

#[test]
fn dialogue_dash_with_lower_case_continues() {
    check(
        "Кто там? — спросил он. Никто не ответил.",
        &["Кто там? — спросил он.", "Никто не ответил."],
    );
    check("Ready? — Yes. Go.", &["Ready?", "— Yes.", "Go."]);
}

#[test]
fn periods_inside_an_open_parenthesis_before_lower_case_or_digits() {
    check(
        "Der Autor (geb. 12 Mai 1950, gest. 3 Juni 2001) schrieb viel. Danach nichts.",
        &[
            "Der Autor (geb. 12 Mai 1950, gest. 3 Juni 2001) schrieb viel.",
            "Danach nichts.",
        ],
    );
}

#[test]
fn latin_initial_before_another_script_ends_a_sentence() {
    check(
        "Звезда относится к классу K. Она очень яркая.",
        &["Звезда относится к классу K.", "Она очень яркая."],
    );
}

#[test]
fn date_phrase_after_a_number_opens_or_closes_a_sentence() {
    // Late in a sentence, a capital after `1998 r.` starts the next one.
    check(
        "Fabryka przez wiele lat produkowała rowery aż do 1998 r. Potem ją zamknięto.",
        &[
            "Fabryka przez wiele lat produkowała rowery aż do 1998 r.",
            "Potem ją zamknięto.",
        ],
    );
    check(
        "Завод выпускал тракторы на экспорт до 1990 г. Затем его закрыли.",
        &[
            "Завод выпускал тракторы на экспорт до 1990 г.",
            "Затем его закрыли.",
        ],
    );
    // Two abbreviations after the number (`r. p.n.e.`).
    check(
        "Osada istniała na tym wzgórzu już około 2000 r. p.n.e. Później ją opuszczono.",
        &[
            "Osada istniała na tym wzgórzu już około 2000 r. p.n.e.",
            "Później ją opuszczono.",
        ],
    );
    // At the start of a sentence it is an opening adverbial, also before a quoted title.
    check(
        "W 1987 r. Kowalski wyjechał. Wydana w 1920 r. „Nowa Gazeta” upadła.",
        &[
            "W 1987 r. Kowalski wyjechał.",
            "Wydana w 1920 r. „Nowa Gazeta” upadła.",
        ],
    );
    // A clock time late in a sentence may still be followed by a zone.
    check(
        "The support line will call you back tomorrow at 8 a.m. Pacific time. Bye.",
        &[
            "The support line will call you back tomorrow at 8 a.m. Pacific time.",
            "Bye.",
        ],
    );
}

#[test]
fn roman_numeral_alone_numbers_a_section() {
    check(
        "IV. ODCINEK: Powrót do domu. Koniec.",
        &["IV. ODCINEK: Powrót do domu.", "Koniec."],
    );
    // Not alone in its unit: `Henry VIII.` ends the sentence.
    check(
        "The ship was named after Henry VIII. It sank.",
        &["The ship was named after Henry VIII.", "It sank."],
    );
}

#[test]
fn english_content_words_after_abbreviations_continue() {
    // Capitalized content words (in stop-words' long English list, but not function words).
    check(
        "The U.S. General Services office called. Nobody answered.",
        &[
            "The U.S. General Services office called.",
            "Nobody answered.",
        ],
    );
    // English closed-class words start a sentence after an abbreviation.
    check(
        "The parcel went to the U.S. Upon arrival it was opened.",
        &["The parcel went to the U.S.", "Upon arrival it was opened."],
    );
}

#[test]
fn clock_time_late_in_a_sentence_ends_it_unless_a_zone_follows() {
    check(
        "The pharmacy on the corner closes at 9 p.m. Customers can order online.",
        &[
            "The pharmacy on the corner closes at 9 p.m.",
            "Customers can order online.",
        ],
    );
    check(
        "The webinar for new members starts at 4 p.m. GMT on Friday. Join early.",
        &[
            "The webinar for new members starts at 4 p.m. GMT on Friday.",
            "Join early.",
        ],
    );
}

#[test]
fn short_capitalized_word_before_a_number_labels_it() {
    check(
        "The proof follows from Thm. 4 and the lemma. It is short.",
        &[
            "The proof follows from Thm. 4 and the lemma.",
            "It is short.",
        ],
    );
}

#[test]
fn chains_of_initials() {
    // The last of several initials comes before the surname, even one that looks like a
    // function word.
    check(
        "The essay is by A. J. De Vries and friends. Read it.",
        &["The essay is by A. J. De Vries and friends.", "Read it."],
    );
}

#[test]
fn titles_ending_in_a_question_or_exclamation_mark() {
    check(
        "We watched Where Is Anybody? twice with friends. It was fun.",
        &[
            "We watched Where Is Anybody? twice with friends.",
            "It was fun.",
        ],
    );
    // A lower-case word that usually starts a sentence: informal text, a new sentence.
    check(
        "Is that in Paris? i think so.",
        &["Is that in Paris?", "i think so."],
    );
}

#[test]
fn new_rules_survive_closers_and_odd_tokens() {
    // Multi-byte closers after initials and abbreviations, numbers glued to quotes: every
    // chunking gives the same pieces and loses no text (checked by `check` in all chunkings).
    for text in [
        "Von «A.» «J.» De Vries. Fin.",
        "By “A.” “B.” Du Bois wrote it. Yes.",
        "Im Jahr «1998» r.» Potem. Dalej 5 «p.m.» Customers.",
        "II.» Koniec. IV.” Dalej 12 r. „Nowa” i 7 p.m. «Eastern».",
    ] {
        let opts = aybiza_core::text::segmenter::SegmenterOptions::default();
        let whole = aybiza_core::text::segmenter::split_sentences(text, &opts);
        check(text, &whole.iter().map(String::as_str).collect::<Vec<_>>());
        let joined: String = whole.concat().split_whitespace().collect();
        let original: String = text.split_whitespace().collect();
        assert_eq!(joined, original, "{text:?}");
    }
}

#[test]
fn english_lexicon_truncations() {
    // No English word or name, but the start of one (`Insp` of inspector, `Assoc` of
    // associate): an abbreviation, before a capitalized name, a lower-case word or a title.
    check(
        "Please ask Insp. Okoro about the file. She kept a copy.",
        &["Please ask Insp. Okoro about the file.", "She kept a copy."],
    );
    check(
        "Assoc. Prof. Lindgren teaches on Mondays. Her exams are hard.",
        &[
            "Assoc. Prof. Lindgren teaches on Mondays.",
            "Her exams are hard.",
        ],
    );
    check(
        "They planted Salix alba subsp. vitellina near the pond.",
        &["They planted Salix alba subsp. vitellina near the pond."],
    );
    // English words and names end sentences as before, at once.
    check(
        "We flew to Rome. Harlow met us there. I met Liu. Kim came later.",
        &[
            "We flew to Rome.",
            "Harlow met us there.",
            "I met Liu.",
            "Kim came later.",
        ],
    );
    // Only in English text: `hier` starts `hierarchy`, but here it is German.
    check(
        "Ich bin jetzt hier. Morgen fahre ich nach Hause.",
        &["Ich bin jetzt hier.", "Morgen fahre ich nach Hause."],
    );
}

#[test]
fn ordinal_after_a_german_article() {
    check(
        "Das Urteil fällte die 12. Zivilkammer des Gerichts. Es ist rechtskräftig.",
        &[
            "Das Urteil fällte die 12. Zivilkammer des Gerichts.",
            "Es ist rechtskräftig.",
        ],
    );
    check(
        "Er kam zum 3. Mal zu spät. Niemand wartete.",
        &["Er kam zum 3. Mal zu spät.", "Niemand wartete."],
    );
    // A function word after the number starts a sentence (the tram is number 27).
    check(
        "Ich nahm die 27. Er war voll.",
        &["Ich nahm die 27.", "Er war voll."],
    );
}

#[test]
fn plurals_of_english_truncations() {
    check(
        "The two Assocs. Directors signed the lease. It runs for a year.",
        &[
            "The two Assocs. Directors signed the lease.",
            "It runs for a year.",
        ],
    );
    // A word whose stem starts a word is still a word.
    check(
        "He stared into the abyss. Nothing stared back.",
        &["He stared into the abyss.", "Nothing stared back."],
    );
}

#[test]
fn compound_titles_and_citations() {
    // A title after a short capitalized abbreviation is the second half of a compound title;
    // after a company suffix it is the next sentence's subject.
    check(
        "The Rt. Hon. Member for Bath rose to speak. Nobody listened.",
        &[
            "The Rt. Hon. Member for Bath rose to speak.",
            "Nobody listened.",
        ],
    );
    check(
        "We bought it from Acme Co. Mr. Lee signed the papers.",
        &["We bought it from Acme Co.", "Mr. Lee signed the papers."],
    );
    // `et al.` and `Id.` before lower case or a digit; a section sign continues a citation.
    check(
        "Okafor et al. reported the same trend. Id. at 14. See Stat. § 5 too.",
        &[
            "Okafor et al. reported the same trend.",
            "Id. at 14.",
            "See Stat. § 5 too.",
        ],
    );
    // In lower case, a name that is no lower-case word can be a truncation (`anat.`).
    check(
        "The term is marked anat. in the glossary. Look it up.",
        &["The term is marked anat. in the glossary.", "Look it up."],
    );
}

#[test]
fn street_names_and_degrees_after_titles() {
    check(
        "Die Praxis liegt in der Lindenstr. 12 in Köln. Sie ist neu.",
        &[
            "Die Praxis liegt in der Lindenstr. 12 in Köln.",
            "Sie ist neu.",
        ],
    );
    check(
        "Heute operiert Dr. rer. nat. Vogel. Morgen nicht.",
        &["Heute operiert Dr. rer. nat. Vogel.", "Morgen nicht."],
    );
    check(
        "Wykład wygłosił dr hab. Zieliński. Sala była pełna.",
        &["Wykład wygłosił dr hab. Zieliński.", "Sala była pełna."],
    );
    // Not after a title, a short lower-case word ends its sentence as before.
    check(
        "We shut it off. Kowalski agreed.",
        &["We shut it off.", "Kowalski agreed."],
    );
}

#[test]
fn runs_of_abbreviated_journal_words() {
    // After a capitalized truncation, the run goes on through real words (`Math`, `Lett`)
    // into more abbreviations, lower case or a number.
    check(
        "The proof is in Amer. Math. Soc. Bull. 12. It is short.",
        &["The proof is in Amer. Math. Soc. Bull. 12.", "It is short."],
    );
    check(
        "It appeared in Phys. Rev. Lett. in 2011.",
        &["It appeared in Phys. Rev. Lett. in 2011."],
    );
    // Not after a title: the name after it may end the sentence.
    check(
        "We asked Insp. Rome. Nobody else knew.",
        &["We asked Insp. Rome.", "Nobody else knew."],
    );
}

#[test]
fn final_consonant_clusters_no_english_word_ends_with() {
    // `Treasr` and `Contd` end in clusters (`sr`, `ntd`) that end no English word.
    check(
        "Send it to Treasr. Halloran first. Then file it.",
        &["Send it to Treasr. Halloran first.", "Then file it."],
    );
    check(
        "The story is contd. on page nine.",
        &["The story is contd. on page nine."],
    );
    // English words and names keep ending sentences.
    check(
        "We landed in Ghent. Halloran met us.",
        &["We landed in Ghent.", "Halloran met us."],
    );
}

#[test]
fn short_rare_words_before_lower_case_or_digits() {
    // A short lower-case word that is not among the most common English words, before lower
    // case or a digit, is an abbreviation.
    check(
        "Keep the hum. level low and use rm. 4 for storage.",
        &["Keep the hum. level low and use rm. 4 for storage."],
    );
    // Before a word that starts informal sentences it ends one; a common word always does.
    check(
        "we sold the van. i miss it. it was good. great times.",
        &[
            "we sold the van.",
            "i miss it.",
            "it was good.",
            "great times.",
        ],
    );
}

#[test]
fn other_languages_short_consonant_final_words() {
    check(
        "Схема показана на черт. 3 выше. Она простая.",
        &["Схема показана на черт. 3 выше.", "Она простая."],
    );
    // A number with a month name after it starts a dated sentence.
    check(
        "Это сделал свящ. 12 марта он уехал.",
        &["Это сделал свящ.", "12 марта он уехал."],
    );
}

#[test]
fn runs_of_short_capitalized_words_and_label_letters() {
    check(
        "It is printed in Quart. Jour. 17 with a map. Few read it.",
        &[
            "It is printed in Quart. Jour. 17 with a map.",
            "Few read it.",
        ],
    );
    check(
        "The table is in Annex D and Sched. C in the back.",
        &["The table is in Annex D and Sched. C in the back."],
    );
    // Through an initial into more of the run (`R. App.`), not into a name (`J. Smith`).
    check(
        "See Tex. R. App. P. 38 first. Then file.",
        &["See Tex. R. App. P. 38 first.", "Then file."],
    );
    check(
        "We drove to Rome. J. Smith met us.",
        &["We drove to Rome.", "J. Smith met us."],
    );
    // A short name before a title or a sentence starter still ends its sentence, and so does
    // a one-word sentence.
    check(
        "We flew to Oslo. Mr. Berg met us. One. Two.",
        &["We flew to Oslo.", "Mr. Berg met us.", "One.", "Two."],
    );
}

#[test]
fn titles_after_names_and_indefinite_pronouns() {
    // `Sr.` after a name is a suffix: a sentence starter after it starts a sentence.
    check(
        "The shop belonged to Tom Reyes Sr. He sold it in May.",
        &["The shop belonged to Tom Reyes Sr.", "He sold it in May."],
    );
    check(
        "The order came from the U.N. Nobody objected.",
        &["The order came from the U.N.", "Nobody objected."],
    );
}

#[test]
fn opening_phrases_need_a_function_word() {
    check(
        "Shops close at 9 p.m. Buses run later.",
        &["Shops close at 9 p.m.", "Buses run later."],
    );
    check(
        "By 9 p.m. Mrs. Ortega had left.",
        &["By 9 p.m. Mrs. Ortega had left."],
    );
}

#[test]
fn two_word_titles_before_a_question_mark() {
    check(
        "The podcast Why Bother? was renewed. It airs weekly.",
        &["The podcast Why Bother? was renewed.", "It airs weekly."],
    );
    // Before a pronoun, the question ends its sentence.
    check(
        "Did you ask Anna Berg? she knows.",
        &["Did you ask Anna Berg?", "she knows."],
    );
}

#[test]
fn dotted_abbreviations_before_lower_case_in_any_language() {
    // Norwegian, no abbreviation data: `m.fl.` is letters cut short on both sides.
    check(
        "Vi så elg, rev m.fl. dyr i skogen. Det var kaldt.",
        &["Vi så elg, rev m.fl. dyr i skogen.", "Det var kaldt."],
    );
    // The rule asks for lower case: a capital after it starts a sentence.
    check(
        "Vi så elg, rev m.fl. Det var kaldt.",
        &["Vi så elg, rev m.fl.", "Det var kaldt."],
    );
}

#[test]
fn short_consonant_final_words_beyond_ascii() {
    // Czech `tzv.` is ASCII; `srv.` and Serbian `стр.` show the wider letters.
    check(
        "Viz také obr. a tab. níže. Jinak nic.",
        &["Viz také obr. a tab. níže.", "Jinak nic."],
    );
    check(
        "Видите ли ту књигу, стр. пет и шест. Добро.",
        &["Видите ли ту књигу, стр. пет и шест.", "Добро."],
    );
    // Turkish `ı` is a vowel: a word ending in it before a number ends the sentence.
    check(
        "Bir yazı. 750 lira verdik.",
        &["Bir yazı.", "750 lira verdik."],
    );
}

#[test]
fn greek_question_mark() {
    check("Πού είσαι; Έρχομαι.", &["Πού είσαι;", "Έρχομαι."]);
    check(
        "Τι ώρα είναι\u{37E} Δεν ξέρω.",
        &["Τι ώρα είναι\u{37E}", "Δεν ξέρω."],
    );
    // Lower case after it, or a `;` in text of another script, is a clause mark.
    check("Τι; είπε ο Νίκος.", &["Τι; είπε ο Νίκος."]);
    check(
        "We met Tom; Anna came later. Fine.",
        &["We met Tom; Anna came later.", "Fine."],
    );
}

#[test]
fn abbreviations_chiefly_of_their_own_language() {
    // `ul.` (Polish `ulica`) is ten times as common in Polish as the acronym `UL` is in
    // English, so the data build keeps it: a street name follows.
    check(
        "Sklep jest przy ul. Polnej od rana. Zapraszamy.",
        &["Sklep jest przy ul. Polnej od rana.", "Zapraszamy."],
    );
}

#[test]
fn first_units_give_the_stream_its_language() {
    // `Vzal 5 tis` has no evidence of its own; the first sentence (`ř`, `č`: letters English
    // does not write) makes the stream Czech, so `tis. a` continues as in other languages
    // (in English text `a` after a short word may start an informal sentence).
    check(
        "Přišel včera. Vzal 5 tis. a odešel.",
        &["Přišel včera.", "Vzal 5 tis. a odešel."],
    );
}

#[test]
fn armenian_full_stop_typed_as_colon() {
    check(
        "Ես տանն եմ: Դու որտե՞ղ ես:",
        &["Ես տանն եմ:", "Դու որտե՞ղ ես:"],
    );
    // Lower case after it: a colon before a list.
    check(
        "Գնեցի երեք բան: հաց, պանիր և ջուր: Վերջ:",
        &["Գնեցի երեք բան: հաց, պանիր և ջուր:", "Վերջ:"],
    );
    // Between Armenian words a `.` is the mijaket (a semicolon).
    check("Նա ասաց. Վաղը կգամ: Լավ:", &["Նա ասաց. Վաղը կգամ:", "Լավ:"]);
    // A colon in other scripts stays a colon.
    check(
        "Note: Anna will come. Fine.",
        &["Note: Anna will come.", "Fine."],
    );
}

#[test]
fn lower_case_after_a_period_outside_english() {
    // Any word, not only a short one, before a lower-case word that is no function word.
    check(
        "Leggete il paragr. successivo con calma. Poi uscite.",
        &["Leggete il paragr. successivo con calma.", "Poi uscite."],
    );
    check(
        "Zapłaciliśmy 40 tys. złotych za samochód. Było warto.",
        &["Zapłaciliśmy 40 tys. złotych za samochód.", "Było warto."],
    );
    // A function word after the period starts an informal sentence.
    check(
        "Es war wirklich spät. dann gingen wir heim.",
        &["Es war wirklich spät.", "dann gingen wir heim."],
    );
}

#[test]
fn footnote_references_after_the_period() {
    check(
        "The bridge opened in 1932.[4] Traffic grew fast.",
        &["The bridge opened in 1932.[4]", "Traffic grew fast."],
    );
    check(
        "Il ponte fu aperto nel 1932.[4][17] Il traffico crebbe.",
        &["Il ponte fu aperto nel 1932.[4][17]", "Il traffico crebbe."],
    );
    // Lower case after the references continues; so does a bracket that is no reference.
    check(
        "See the survey.[4] and the notes. Done.",
        &["See the survey.[4] and the notes.", "Done."],
    );
    check(
        "Call obj.[Symbol] Now. Done.",
        &["Call obj.[Symbol] Now.", "Done."],
    );
}

#[test]
fn turkish_titles_from_public_data() {
    // `doç` comes from trtokenizer's Turkish list (data build); a listed title after it is the
    // second half of a compound title, though a stop-word list holds `dr`.
    check(
        "Bu dersi Doç. Dr. Mehmet Kaya verecek. Herkes gelsin.",
        &["Bu dersi Doç. Dr. Mehmet Kaya verecek.", "Herkes gelsin."],
    );
    check(
        "Dün Bnb. Kemal Arslan geldi. Herkes sevindi.",
        &["Dün Bnb. Kemal Arslan geldi.", "Herkes sevindi."],
    );
    // Common Turkish words in the list (`bul`: find) are left out by the build.
    check("Onu bul. Ali geldi.", &["Onu bul.", "Ali geldi."]);
}

#[test]
fn greek_consonant_only_abbreviations() {
    // `Δρ` has no vowel: it cannot be pronounced, so it is an abbreviation (token shape).
    check(
        "Ο Δρ. Νικολάου ήρθε νωρίς. Όλοι χάρηκαν.",
        &["Ο Δρ. Νικολάου ήρθε νωρίς.", "Όλοι χάρηκαν."],
    );
}

#[test]
fn acronym_in_capitals_before_lower_case() {
    check(
        "The storm came from the SW. of the bay. It was cold.",
        &["The storm came from the SW. of the bay.", "It was cold."],
    );
    // A word that starts informal sentences still splits.
    check(
        "I work at IBM. we went home.",
        &["I work at IBM.", "we went home."],
    );
}

#[test]
fn numeric_dates_with_periods() {
    check(
        "Der Vertrag gilt ab 3. 4. 2019 für alle. Danke.",
        &["Der Vertrag gilt ab 3. 4. 2019 für alle.", "Danke."],
    );
    check(
        "Smlouva platí od 3. 4. 2019. Děkujeme.",
        &["Smlouva platí od 3. 4. 2019.", "Děkujeme."],
    );
    // A count and then a number that is no date still split.
    check(
        "Wir waren 13. 2006 war gut.",
        &["Wir waren 13.", "2006 war gut."],
    );
}

#[test]
fn title_inside_a_run_of_abbreviated_words() {
    // A title followed by another abbreviated word with its period is a word of a citation.
    check(
        "The method is given in Ann. Rev. Genet. 12 and is still used. Fine.",
        &[
            "The method is given in Ann. Rev. Genet. 12 and is still used.",
            "Fine.",
        ],
    );
    // Before a name it is a title, and the sentence before it ends.
    check(
        "I met Ann. Rev. Smith came later.",
        &["I met Ann.", "Rev. Smith came later."],
    );
}

#[test]
fn months_of_another_language_in_english_text() {
    // `Augustus` is Dutch for August: in text with English evidence it is a name.
    check(
        "The wall dates to 200 B.C. and the gate was rebuilt in 50 A.D. Augustus paid for it.",
        &[
            "The wall dates to 200 B.C. and the gate was rebuilt in 50 A.D.",
            "Augustus paid for it.",
        ],
    );
    // Without evidence either way, any language's month continues.
    check("Er kam Anf. Mai zurück.", &["Er kam Anf. Mai zurück."]);
    check(
        "The report covers Sept. Oct. and Nov. of last year.",
        &["The report covers Sept. Oct. and Nov. of last year."],
    );
}

#[test]
fn data_of_the_languages_of_the_real_suites() {
    // Ukrainian street abbreviation (spaCy's tokenizer exceptions) before a name continues.
    check(
        "Ми живемо на вул. Шевченка біля парку. Гарно.",
        &["Ми живемо на вул. Шевченка біля парку.", "Гарно."],
    );
    // A Greek sentence may start with a lower-case article (spaCy's Greek stop words).
    check(
        "Δεν δούλευε κανένας. το σπίτι ήταν άδειο.",
        &["Δεν δούλευε κανένας.", "το σπίτι ήταν άδειο."],
    );
    // A Danish capitalized function word after an initialism starts a sentence.
    check(
        "Jeg bor i E.U. Hvad med dig?",
        &["Jeg bor i E.U.", "Hvad med dig?"],
    );
    // A Bulgarian abbreviation (pySBD's list) before lower case continues.
    check(
        "Книги, вкл. български и руски, има много.",
        &["Книги, вкл. български и руски, има много."],
    );
}

#[test]
fn footnote_references_after_a_space() {
    // A numbered reference after the period and a space belongs to the sentence before it.
    check(
        "Hydrogen is a gas. [1] It burns in air.",
        &["Hydrogen is a gas. [1]", "It burns in air."],
    );
    check(
        "It was built in 1901. [2][3] Later it burned.",
        &["It was built in 1901. [2][3]", "Later it burned."],
    );
    // Before lower case the sentence goes on; a letter in brackets labels the next item
    // (syntok's `[z] Last`), and a bracket that is no reference starts a sentence.
    check(
        "See the note. [4] and the table.",
        &["See the note. [4] and the table."],
    );
    check(
        "They go here. [z] Last, but not least.",
        &["They go here.", "[z] Last, but not least."],
    );
    check(
        "He left. [Laughter] Then we ate.",
        &["He left.", "[Laughter] Then we ate."],
    );
}

#[test]
fn abbreviated_month_or_weekday_before_a_date() {
    // Italian: an abbreviated weekday before a day number, a month before lower case.
    check(
        "Mi fissi un appuntamento per mar. 23 Nov.. Grazie.",
        &["Mi fissi un appuntamento per mar. 23 Nov..", "Grazie."],
    );
    check(
        "Ricordatevi che dom 25 Set. sarà il compleanno di Maria.",
        &["Ricordatevi che dom 25 Set. sarà il compleanno di Maria."],
    );
    // A full month name is a word and may end the sentence; English keeps its own rules.
    check(
        "Sono nato a maggio. la festa era bella.",
        &["Sono nato a maggio.", "la festa era bella."],
    );
}

#[test]
fn periods_inside_brackets_and_glued_amounts() {
    // Inside an open square or full-width bracket a period before lower case or a digit
    // continues, as inside a parenthesis.
    check(
        "Check the reference [page. 42] for details. You'll find it helpful.",
        &[
            "Check the reference [page. 42] for details.",
            "You'll find it helpful.",
        ],
    );
    check(
        "The parentheses （like. these） are used. They help.",
        &["The parentheses （like. these） are used.", "They help."],
    );
    // A number of three digits or more glued to a capitalized word ends the sentence; a list
    // label does not.
    check(
        "He bought 1,000.That is a lot.",
        &["He bought 1,000.", "That is a lot."],
    );
    check(
        "La lista: 1.Helado, 2.Carne, 3.Arroz.",
        &["La lista: 1.Helado, 2.Carne, 3.Arroz."],
    );
}

#[test]
fn indic_titles_and_initials() {
    // Moses' Malayalam prefixes: `ഡോ.` (Dr.) before a name does not end the sentence.
    check(
        "ഇത് ഡോ. ശിവൻ. ഇദ്ദേഹമാണ് ഞാൻ പറഞ്ഞയാൾ",
        &["ഇത് ഡോ. ശിവൻ.", "ഇദ്ദേഹമാണ് ഞാൻ പറഞ്ഞയാൾ"],
    );
}

#[test]
fn a_subject_pronoun_opens_no_adverbial() {
    // A measure or time after a subject and its verb ends the sentence before a capital.
    check(
        "He bought 5 lb. Tom ate most of it.",
        &["He bought 5 lb.", "Tom ate most of it."],
    );
    check(
        "We met at 5 p.m. Anna was late.",
        &["We met at 5 p.m.", "Anna was late."],
    );
    // An opening adverbial still keeps its subject (`At 5 a.m. Mr. Smith`).
    check(
        "At 5 a.m. Mr. Smith left the house.",
        &["At 5 a.m. Mr. Smith left the house."],
    );
}

#[test]
fn an_adverbial_after_a_colon_or_a_preposition_like_pronoun() {
    check(
        "He noted: In 44 B.C. Caesar died.",
        &["He noted: In 44 B.C. Caesar died."],
    );
    check(
        "On Monday at 6 a.m. Mr. Smith arrived.",
        &["On Monday at 6 a.m. Mr. Smith arrived."],
    );
}

#[test]
fn armenian_stop_before_an_ordinal_number() {
    // After the Armenian full stop, a number with an Armenian suffix starts a sentence.
    check(
        "Համակարգը տրվում է Գնորդին: 2-րդ փուլում թեստերը կատարվում են:",
        &[
            "Համակարգը տրվում է Գնորդին:",
            "2-րդ փուլում թեստերը կատարվում են:",
        ],
    );
    // A plain number after the colon goes on (a list or a time).
    check("Ժամը 5: 30 րոպե անց:", &["Ժամը 5: 30 րոպե անց:"]);
}

#[test]
fn a_title_after_an_elided_article() {
    // Italian glues the elided article to the title: `l'Ing.` is `Ing.`.
    check(
        "Buongiorno! Sono l'Ing. Mengozzi. È presente l'Avv. Cassioni?",
        &[
            "Buongiorno!",
            "Sono l'Ing. Mengozzi.",
            "È presente l'Avv. Cassioni?",
        ],
    );
    // A word with an apostrophe that is no elision is read whole.
    check(
        "I met O'Brien. Then we left.",
        &["I met O'Brien.", "Then we left."],
    );
}

#[test]
fn a_clock_time_in_capitals_or_glued_to_its_number() {
    check(
        "The shop shut at 9 P.M. Neighbours heard the alarm at 10 P.M. and called.",
        &[
            "The shop shut at 9 P.M.",
            "Neighbours heard the alarm at 10 P.M. and called.",
        ],
    );
    check(
        "By 7p.m. the hall was full. Nobody left.",
        &["By 7p.m. the hall was full.", "Nobody left."],
    );
}

#[test]
fn a_title_after_a_clock_time_in_a_fronted_prepositional_phrase() {
    check(
        "After the long meeting at 4 p.m. Dr. Osei drove home.",
        &["After the long meeting at 4 p.m. Dr. Osei drove home."],
    );
    check(
        "She called at 4 p.m. Dr. Osei drove home.",
        &["She called at 4 p.m.", "Dr. Osei drove home."],
    );
}

#[test]
fn a_lone_capital_labels_a_question_or_an_answer() {
    check(
        "Q. Where do we meet? A. We meet at the gate.",
        &["Q. Where do we meet?", "A. We meet at the gate."],
    );
    // The pronoun stays a sentence of its own.
    check(
        "Who won? I. Then you did.",
        &["Who won?", "I.", "Then you did."],
    );
}

#[test]
fn a_glued_end_after_a_number_abbreviation_or_an_ellipsis() {
    check(
        "See p.Later we met. They waited...Then it rained.",
        &[
            "See p.",
            "Later we met.",
            "They waited...",
            "Then it rained.",
        ],
    );
    check(
        "It said wait...OK and went on.",
        &["It said wait...OK and went on."],
    );
}

#[test]
fn a_period_set_off_by_a_space_after_an_abbreviation() {
    // Tokenized text: the abbreviation before the space owns the period.
    check(
        "We thank Dr . Lindqvist for the data . It helped .",
        &["We thank Dr . Lindqvist for the data .", "It helped ."],
    );
}

#[test]
fn a_number_after_a_clock_time_later_in_the_sentence() {
    check(
        "The bus left at 8 a.m. 12 people missed it.",
        &["The bus left at 8 a.m.", "12 people missed it."],
    );
    check(
        "At 8 a.m. 12 people were waiting.",
        &["At 8 a.m. 12 people were waiting."],
    );
}

#[test]
fn an_era_after_a_year_before_a_foreign_month_name() {
    // `Juni` is a German month; after a year with its era it is a name starting a sentence
    // (the text has too few English words to rule German out).
    check(
        "Carthage fell in 146 B.C. Juni Ferreira wrote about it.",
        &["Carthage fell in 146 B.C.", "Juni Ferreira wrote about it."],
    );
}

#[test]
fn inches_after_a_number() {
    check(
        "The shelf is 4 ft. 9 in. wide and 7 in. deep. It fits.",
        &["The shelf is 4 ft. 9 in. wide and 7 in. deep.", "It fits."],
    );
    // An ordinal is no measure: its word may end a sentence.
    check("1st step. 2nd step", &["1st step.", "2nd step"]);
}

#[test]
fn an_ellipsis_set_off_after_an_exclamation_or_question_mark() {
    check(
        "Done? . . .  not quite yet. Ready! ...  The doors open now.",
        &[
            "Done? . . .  not quite yet.",
            "Ready! ...",
            "The doors open now.",
        ],
    );
}

#[test]
fn low_and_reversed_quotes_close_after_an_end_mark() {
    // German `„…“` and `»…«` close with the marks English and French open with: after an end
    // mark inside them a capital starts a new sentence (LanguageTool's German tests).
    check(
        "»Der Papagei ist grün.« Das kam so.",
        &["»Der Papagei ist grün.«", "Das kam so."],
    );
    check(
        "Er sagte: „Und auch keine Lust.“ Wir haben 1.000.000 Euro.",
        &[
            "Er sagte: „Und auch keine Lust.“",
            "Wir haben 1.000.000 Euro.",
        ],
    );
    // Without the low opener `“` and `«` still open a quote that goes on.
    check(
        "Il a dit. «Bonjour» et il est parti.",
        &["Il a dit.", "«Bonjour» et il est parti."],
    );
    // Lower case after the closing quote continues, as after `"` (`»Wie?« fragte er`).
    check(
        "»Nun also, wie ist es?« fragte er.",
        &["»Nun also, wie ist es?« fragte er."],
    );
}

#[test]
fn editorial_marks_in_brackets() {
    // `(!)`, `(???)`, `(sic!)` comment on a word; they end no sentence, whatever follows.
    check("Das hier ist ein(!) Satz.", &["Das hier ist ein(!) Satz."]);
    check(
        "Das hier ist ein(???) Satz.",
        &["Das hier ist ein(???) Satz."],
    );
    check(
        "W gazecie napisali, że pasy (sic!) Pogryzły człowieka.",
        &["W gazecie napisali, że pasy (sic!) Pogryzły człowieka."],
    );
    // A sentence that ends inside a parenthesis still ends there.
    check(
        "Je suis Chris (Christopher!). Comment allez vous?",
        &["Je suis Chris (Christopher!).", "Comment allez vous?"],
    );
}

#[test]
fn a_numeric_day_and_month_before_lower_case() {
    // `3.10.` (day, month, period) is a date; a lower-case word after it goes on.
    check(
        "Das Schreiben ist auf den 3.10. datiert. Es geht am 24.09. los.",
        &[
            "Das Schreiben ist auf den 3.10. datiert.",
            "Es geht am 24.09. los.",
        ],
    );
    check("Den 31.12. går ikke!", &["Den 31.12. går ikke!"]);
    // A capital after it starts a sentence, and a decimal in English text ends one.
    check(
        "Wir sehen uns am 3.10. Dann reden wir.",
        &["Wir sehen uns am 3.10.", "Dann reden wir."],
    );
    check(
        "The price rose to 3.10. then it fell.",
        &["The price rose to 3.10.", "then it fell."],
    );
}

#[test]
fn a_longer_opening_adverbial_outside_english() {
    // Polish: a year phrase led by a preposition opens the sentence (UD Polish PUD).
    check(
        "Po upadku dynastii Qing w 1911 r. Mongolia ogłosiła niepodległość.",
        &["Po upadku dynastii Qing w 1911 r. Mongolia ogłosiła niepodległość."],
    );
    // A function word after it starts a sentence; so does any capital after a clause.
    check(
        "Po wielu latach pracy w 1939 r. To był burzliwy rok.",
        &["Po wielu latach pracy w 1939 r.", "To był burzliwy rok."],
    );
    check(
        "Jan z Gandawy zmarł w 1399 r. Rycerz Lyvet został uwolniony.",
        &[
            "Jan z Gandawy zmarł w 1399 r.",
            "Rycerz Lyvet został uwolniony.",
        ],
    );
}

#[test]
fn a_title_in_lower_case_outside_english() {
    // Dutch `prof` is a word too (`een prof` is a professional); before a function word the
    // sentence ends (LanguageTool's Dutch tests). Turkish `sen` is `you`, not `Sen.`.
    check(
        "Als voetballer wordt hij nooit een prof. Maar prof. Janssen wordt dat wel.",
        &[
            "Als voetballer wordt hij nooit een prof.",
            "Maar prof. Janssen wordt dat wel.",
        ],
    );
    check(
        "Bunu yapan sen. Ben değilim.",
        &["Bunu yapan sen.", "Ben değilim."],
    );
    // Before a name, or an initial that is also a preposition (`W.`), the title goes on.
    check(
        "Ks. Jankowski jest prof. teologii. Był nim prof. W. Nowak.",
        &[
            "Ks. Jankowski jest prof. teologii.",
            "Był nim prof. W. Nowak.",
        ],
    );
    // English keeps its titles whatever follows (`Sen. Smith`).
    check("I met Sen. Smith today.", &["I met Sen. Smith today."]);
}

#[test]
fn sentencex_abbreviations_of_ukrainian_and_malayalam() {
    // Round 8 data (sentencex 1.0.32's lists, MIT): `грн.`, `див.`, Malayalam `പ്രൊ.`, `മി.`.
    check("Ціна 20 грн. за кілограм.", &["Ціна 20 грн. за кілограм."]);
    check("Див. розділ 3 цієї книги.", &["Див. розділ 3 цієї книги."]);
    check("പ്രൊ. ശിവൻ ക്ലാസ് എടുത്തു.", &["പ്രൊ. ശിവൻ ക്ലാസ് എടുത്തു."]);
    check("മി. രാജു വന്നു.", &["മി. രാജു വന്നു."]);
}

#[test]
fn a_function_word_glued_after_an_abbreviation() {
    // LanguageTool's Polish tests join sentences without a space: `r.To`, `mln.To`.
    check(
        "To wydarzyło się w 1939 r.To był burzliwy rok.",
        &["To wydarzyło się w 1939 r.", "To był burzliwy rok."],
    );
    check(
        "Mam już 20 mln.To powinno mi wystarczyć",
        &["Mam już 20 mln.", "To powinno mi wystarczyć"],
    );
    // Not after a title or `e.g.`, and not before a name or a single letter.
    check(
        "See e.g.The Times for details.",
        &["See e.g.The Times for details."],
    );
    check("Call St.John today.", &["Call St.John today."]);
    check("Born 1990 r.W Krakowie.", &["Born 1990 r.W Krakowie."]);
}

#[test]
fn a_number_with_a_short_suffix_before_lower_case() {
    // Round 9: digits (or a range) with a short lower-case suffix are an abbreviated ordinal or
    // unit outside English (`5o.`, `2as.`, `5hrs.`, `1996-1999гг.`).
    check(
        "Quedó en el 5o. clasificado de la prueba.",
        &["Quedó en el 5o. clasificado de la prueba."],
    );
    check(
        "Empiezan las 2as. jornadas de debate.",
        &["Empiezan las 2as. jornadas de debate."],
    );
    check("В 1996-1999гг. теффт", &["В 1996-1999гг. теффт"]);
    // A capital after it still starts a sentence; a suffix of four letters is no such token.
    check(
        "Los precios subieron en los años 90s. Luego bajaron.",
        &["Los precios subieron en los años 90s.", "Luego bajaron."],
    );
    check(
        "Er bezahlte 20euro. dann ging er.",
        &["Er bezahlte 20euro.", "dann ging er."],
    );
}

#[test]
fn an_ordinal_after_another_ordinal_before_a_noun() {
    // Round 9: a coordination or list of ordinals belongs to one noun phrase.
    check(
        "Natürliche Vererbungsprozesse prägten sich erst im 18. und frühen 19. Jahrhundert aus.",
        &["Natürliche Vererbungsprozesse prägten sich erst im 18. und frühen 19. Jahrhundert aus."],
    );
    check(
        "Das Kloster entstand im 13. oder 14. Jahrhundert in Bayern.",
        &["Das Kloster entstand im 13. oder 14. Jahrhundert in Bayern."],
    );
    check(
        "Hacettepe 402., İstanbul 404. Ankara Üniversitesi de 473. sıradan listeye girdi.",
        &["Hacettepe 402., İstanbul 404. Ankara Üniversitesi de 473. sıradan listeye girdi."],
    );
    // A function word after it starts a sentence; with no ordinal before, a capital does too.
    check(
        "Er kam am 3. und blieb bis zum 4. Dann fuhr er ab.",
        &["Er kam am 3. und blieb bis zum 4.", "Dann fuhr er ab."],
    );
    check(
        "Er wurde bei der Wahl 3. Viele waren überrascht.",
        &["Er wurde bei der Wahl 3.", "Viele waren überrascht."],
    );
}

#[test]
fn a_roman_numeral_after_a_german_article() {
    // Round 9 (SoMaJo's tests): `des III. Geschwaders` is an ordinal of the noun phrase.
    check(
        "Auf drei Schiffen des III. Geschwaders",
        &["Auf drei Schiffen des III. Geschwaders"],
    );
    // A function word after it starts a sentence; after a name it is a regnal number.
    check(
        "Er gehörte zum II. Er war stolz darauf.",
        &["Er gehörte zum II.", "Er war stolz darauf."],
    );
    // Outside English, after a lower-case word too (sentencex's Slovak test).
    check(
        "Ide o príslušníkov XII. Pluku špeciálneho určenia.",
        &["Ide o príslušníkov XII. Pluku špeciálneho určenia."],
    );
    check(
        "Das Schloss baute Ludwig XIV. Später zog er nach Versailles.",
        &[
            "Das Schloss baute Ludwig XIV.",
            "Später zog er nach Versailles.",
        ],
    );
}

#[test]
fn a_lower_case_parenthesis_after_a_word_outside_english() {
    // Round 9 (razdel's tests): Punkt's orthographic evidence through an opening parenthesis.
    check(
        "уменьшить с 20 до 18 проц. (при сохранении",
        &["уменьшить с 20 до 18 проц. (при сохранении"],
    );
    // A capital inside it, or English text, keeps the boundary.
    check(
        "Он ушёл домой. (Позже он вернулся.)",
        &["Он ушёл домой.", "(Позже он вернулся.)"],
    );
    check(
        "The rain stopped. (it was late by then)",
        &["The rain stopped.", "(it was late by then)"],
    );
}

#[test]
fn an_and_so_on_abbreviation_closes_its_list() {
    // Round 9 (SoMaJo's tests): `usw.`, `itd.`, `osv.` before a capitalized word end the sentence.
    check(
        "Wir könnten wandern, schwimmen, Fahrrad fahren, usw. Worauf hättest du denn Lust?",
        &[
            "Wir könnten wandern, schwimmen, Fahrrad fahren, usw.",
            "Worauf hättest du denn Lust?",
        ],
    );
    check(
        "Kupiłem jabłka, gruszki itd. Wszystko było świeże.",
        &["Kupiłem jabłka, gruszki itd.", "Wszystko było świeże."],
    );
    // Before lower case it goes on; other abbreviations keep the title rule (`z. B. Herr`).
    check(
        "Wir haben Äpfel, Birnen usw. gekauft und gegessen.",
        &["Wir haben Äpfel, Birnen usw. gekauft und gegessen."],
    );
}

#[test]
fn a_period_after_a_detached_closing_quote() {
    // Round 9 (UD French dev): `? ».` ends one sentence, the period included.
    check(
        "Il m'a demandé : « qu'est ce que tu as ? ». Latour se tourne ensuite vers la théorie.",
        &[
            "Il m'a demandé : « qu'est ce que tu as ? ».",
            "Latour se tourne ensuite vers la théorie.",
        ],
    );
    // Without the period, or with a glued word after it, nothing changes.
    check(
        "Il a demandé : « pourquoi ? » Puis il est parti.",
        &["Il a demandé : « pourquoi ? »", "Puis il est parti."],
    );
}

#[test]
fn end_marks_set_off_by_spaces_stay_with_their_sentence() {
    // Tokenized text: a lone `!`, `?` or `.` after `!`/`?` and a space is still that end.
    check(
        "We won the cup ! ! Then we went home . It rained ? ?",
        &["We won the cup ! !", "Then we went home .", "It rained ? ?"],
    );
    check(
        "The show ran on Fox ! . Critics liked it.",
        &["The show ran on Fox ! .", "Critics liked it."],
    );
    // Lower case after the last one continues (a chess `! ?` annotation).
    check(
        "Black may try 7 ... g5 ! ? with a sharp game.",
        &["Black may try 7 ... g5 ! ? with a sharp game."],
    );
    // An ellipsis after them is not one of them (the trailing-ellipsis rule decides).
    check(
        "She smiled! . . . no one saw it.",
        &["She smiled! . . . no one saw it."],
    );
}

#[test]
fn references_after_a_closing_quote_or_strong_mark() {
    // Wikipedia style: references glued after `."` or `!`/`?` belong to that sentence.
    check(
        "He wrote that \"the river is wide.\"[12] Later critics agreed.",
        &[
            "He wrote that \"the river is wide.\"[12]",
            "Later critics agreed.",
        ],
    );
    check(
        "Was it a hoax?[3][4] Nobody knows.",
        &["Was it a hoax?[3][4]", "Nobody knows."],
    );
    // Lower case after them continues, as after the bare period.
    check(
        "It was called \"the end.\"[2] by many readers.",
        &["It was called \"the end.\"[2] by many readers."],
    );
}

#[test]
fn spaced_ellipsis_before_a_capitalized_word_ends_in_english() {
    check(
        "The plan was never finished ... Later the town sold the land.",
        &[
            "The plan was never finished ...",
            "Later the town sold the land.",
        ],
    );
    check(
        "We waited . . . Nobody came.",
        &["We waited . . .", "Nobody came."],
    );
    // Not before the pronoun `I` (no lower case after its capital) nor lower case.
    check(
        "The point is . . . I forgot it.",
        &["The point is . . . I forgot it."],
    );
    check(
        "The plan was ... not finished.",
        &["The plan was ... not finished."],
    );
}

#[test]
fn weekday_after_a_clock_time_dates_it() {
    check(
        "The library will stay open until 8 p.m. Tuesday through Friday. Weekends differ.",
        &[
            "The library will stay open until 8 p.m. Tuesday through Friday.",
            "Weekends differ.",
        ],
    );
    // Another capitalized word still starts a sentence.
    check(
        "The library will stay open until 8 p.m. Readers like that.",
        &[
            "The library will stay open until 8 p.m.",
            "Readers like that.",
        ],
    );
}

#[test]
fn news_dateline_before_a_dash_goes_on() {
    check(
        "LANSING, Mich. - The council voted late on Monday. It passed.",
        &[
            "LANSING, Mich. - The council voted late on Monday.",
            "It passed.",
        ],
    );
    check(
        "BOWLING GREEN, Ky. — Rain closed the fair. It reopens today.",
        &[
            "BOWLING GREEN, Ky. — Rain closed the fair.",
            "It reopens today.",
        ],
    );
    // Not a dateline: a sentence that ends before a dash and a capital.
    check(
        "We drove to Lansing in Mich. — The council had voted.",
        &["We drove to Lansing in Mich.", "— The council had voted."],
    );
}

#[test]
fn tokenized_title_with_a_spaced_mark() {
    // Tokenized text sets the mark off: the capitalized word before the space is read.
    check(
        "Look Out Below ! is a 1950 comedy . It was a hit .",
        &["Look Out Below ! is a 1950 comedy .", "It was a hit ."],
    );
    check(
        "The story goes on from the episode Who Sent The Letter ? with the crew arriving .",
        &["The story goes on from the episode Who Sent The Letter ? with the crew arriving ."],
    );
    // A lower-case word before the spaced mark: lower case after it still starts a sentence.
    check(
        "is it worth the money ? thanks for any help",
        &["is it worth the money ?", "thanks for any help"],
    );
}

#[test]
fn reference_run_with_a_space_inside() {
    check(
        "Iron is a metal.[4][5] [6] Copper is another.",
        &["Iron is a metal.[4][5] [6]", "Copper is another."],
    );
    check(
        "Iron is a metal. [4] [5] It rusts.",
        &["Iron is a metal. [4] [5]", "It rusts."],
    );
    // Lower case after the run continues, as after a glued one.
    check(
        "Iron is a metal.[4] [5] and it rusts.",
        &["Iron is a metal.[4] [5] and it rusts."],
    );
}

#[test]
fn range_of_ordinals_is_one_ordinal() {
    // `1. -3.`: the first period before a dash glued to digits and a period, and the range's
    // end before a capitalized noun, outside English.
    check(
        "Die Scherben stammen aus dem 2. -4. Jahrhundert und lagen im Hof. Sie sind alt.",
        &[
            "Die Scherben stammen aus dem 2. -4. Jahrhundert und lagen im Hof.",
            "Sie sind alt.",
        ],
    );
    check(
        "Der Markt ist vom 5.-7. Oktober offen und wir gehen hin. Kommst du mit?",
        &[
            "Der Markt ist vom 5.-7. Oktober offen und wir gehen hin.",
            "Kommst du mit?",
        ],
    );
    // A function word after the range's end starts the next sentence.
    check(
        "Wir waren am Ende auf den Plätzen 2. -4. Das war gut so.",
        &[
            "Wir waren am Ende auf den Plätzen 2. -4.",
            "Das war gut so.",
        ],
    );
    // A dash and digits without a period is no range of ordinals.
    check(
        "Das war der Tag 3. -5 Grad zeigte das Thermometer.",
        &["Das war der Tag 3.", "-5 Grad zeigte das Thermometer."],
    );
}

#[test]
fn non_english_list_closer_in_a_text_without_other_evidence() {
    // `usw.` is German whatever the rest: a capital after it starts a sentence.
    check(
        "Äpfel, Birnen, usw. Kaufen",
        &["Äpfel, Birnen, usw.", "Kaufen"],
    );
    check(
        "Apples, pears, usw. Quince",
        &["Apples, pears, usw.", "Quince"],
    );
}

#[test]
fn padded_numeric_date_before_lower_case_in_any_text() {
    // No function word of its language: the text reads as English, and the date still goes on.
    check("Es geht am 24.09. los.", &["Es geht am 24.09. los."]);
    // A price is no date; a capital after the date starts a sentence as before.
    check(
        "It cost $10.05. then we left.",
        &["It cost $10.05.", "then we left."],
    );
}

#[test]
fn opening_quote_before_a_sentence_starter_after_an_abbreviation() {
    // Own texts: a word that starts sentences, behind an opening quote, starts one.
    check(
        "The farm lies near Salisbury, Md. ``It's a dry year,'' he said.",
        &[
            "The farm lies near Salisbury, Md.",
            "``It's a dry year,'' he said.",
        ],
    );
    check(
        "She moved to Boston, Mass. \u{201c}The winters are long.\u{201d}",
        &[
            "She moved to Boston, Mass.",
            "\u{201c}The winters are long.\u{201d}",
        ],
    );
    // A name or other word in quotes after an initial or abbreviation goes on.
    check(
        "John F. \"Jack\" Kennedy spoke.",
        &["John F. \"Jack\" Kennedy spoke."],
    );
    check(
        "They met in Annapolis, Md. \"Harbor Days\" began.",
        &["They met in Annapolis, Md. \"Harbor Days\" began."],
    );
}

#[test]
fn ellipsis_glued_to_an_exclamation_or_question_mark() {
    // Own texts: lower case after `!...` / `?…` goes on, as after a spaced ellipsis.
    check(
        "Rested!...  nobody had asked her that in years.",
        &["Rested!...  nobody had asked her that in years."],
    );
    check(
        "Ready?\u{2026} and then the lights went out.",
        &["Ready?\u{2026} and then the lights went out."],
    );
    // A capital after it still starts a sentence; a bare `!` before lower case still ends.
    check(
        "Rested!...  Nobody had asked.",
        &["Rested!...", "Nobody had asked."],
    );
    check("Stop! nobody moves.", &["Stop!", "nobody moves."]);
}

#[test]
fn short_parenthetical_keeps_its_end_marks() {
    // Own texts: a mark at most three words into an open parenthesis, before a capital or
    // another parenthesis, does not end the sentence.
    check(
        "We met at noon (Wow. Really!) and left. It rained.",
        &["We met at noon (Wow. Really!) and left.", "It rained."],
    );
    check(
        "She wrote (Seen! (Twice.)) on the card.",
        &["She wrote (Seen! (Twice.)) on the card."],
    );
    // A longer parenthetical holds sentences of its own.
    check(
        "(This remark inside the brackets runs on for a while. Then another follows.)",
        &[
            "(This remark inside the brackets runs on for a while.",
            "Then another follows.)",
        ],
    );
}

#[test]
fn speech_tag_after_an_exclamation_or_question_mark() {
    // Own texts: a lower-case pronoun and a speech verb after `!`/`?` tag the speech.
    check(
        "Get out of my kitchen! she shouted. Nobody moved.",
        &["Get out of my kitchen! she shouted.", "Nobody moved."],
    );
    check(
        "Is it raining? he asked. It was.",
        &["Is it raining? he asked.", "It was."],
    );
    // Other lower-case words after the mark still start a sentence.
    check("Stop! he is not ready.", &["Stop!", "he is not ready."]);
}

#[test]
fn face_in_brackets_is_no_parenthetical() {
    // A `(` that opens a face, not words, leaves the end mark after it alone.
    check(
        "Nice pictures (:? I want more of them!",
        &["Nice pictures (:?", "I want more of them!"],
    );
}

#[test]
fn section_number_heads_its_sentence() {
    // Own texts: a paragraph sign with a number, or dotted numbers, alone at the start.
    check(
        "§3. Общие положения договора. Далее идёт текст.",
        &["§3. Общие положения договора.", "Далее идёт текст."],
    );
    check(
        "4.2. Warum brauchen wir das? Weil es hilft.",
        &["4.2. Warum brauchen wir das?", "Weil es hilft."],
    );
    // Not at the start of a unit: a number ends the sentence as before.
    check(
        "Die Version ist 4.2. Sie läuft gut.",
        &["Die Version ist 4.2.", "Sie läuft gut."],
    );
}

#[test]
fn spaced_lower_case_abbreviation_closes_a_phrase() {
    // Own texts: `т. п.` / `т. д.` set off by spaces end a sentence before a capital, even a
    // one-letter word, as the glued `т.п.` does.
    check(
        "Купили хлеб, сыр и т. п. В субботу уехали.",
        &["Купили хлеб, сыр и т. п.", "В субботу уехали."],
    );
    check(
        "Купили хлеб, сыр и т. д. и поехали домой.",
        &["Купили хлеб, сыр и т. д. и поехали домой."],
    );
}

#[test]
fn spaced_emoji_after_an_end_mark_belong_to_the_sentence() {
    // Own texts: emoji after `!` and a space, before a capital, end the sentence they follow.
    check(
        "Toll gemacht! 🎉 Bis morgen!",
        &["Toll gemacht! 🎉", "Bis morgen!"],
    );
    check("Danke! 👍 🙏 Das hilft.", &["Danke! 👍 🙏", "Das hilft."]);
    // At the end of the text they stand alone.
    check("See you tomorrow! 🎉", &["See you tomorrow!", "🎉"]);
}

#[test]
fn turkish_finite_verb_before_lower_case_ends_the_sentence() {
    // Own texts: a Turkish verb ending (`-dı`, `-yor`, `-mış`) before a period and lower case.
    check(
        "Dün akşam eve geç geldim. sonra hemen yattım.",
        &["Dün akşam eve geç geldim.", "sonra hemen yattım."],
    );
    check(
        "Kapı açılıyor... içeri giren yok.",
        &["Kapı açılıyor...", "içeri giren yok."],
    );
    check(
        "Haber çok geç duyulmuş.kimse bilmiyordu.",
        &["Haber çok geç duyulmuş.", "kimse bilmiyordu."],
    );
    // Without Turkish evidence the orthographic rule still reads an abbreviation (`dati`
    // ends like `-ti`).
    check(
        "Vedi i dati. successivi alla tabella sono nuovi.",
        &["Vedi i dati. successivi alla tabella sono nuovi."],
    );
}

#[test]
fn superscript_footnote_after_a_period() {
    // Own texts: superscript footnote numbers glued to the period belong to the sentence; a
    // capital after them starts the next one, lower case goes on.
    check(
        "Das steht im Vertrag.²³ Danach kam nichts.",
        &["Das steht im Vertrag.²³", "Danach kam nichts."],
    );
    check(
        "Siehe Abs.¹ und die Folgen.",
        &["Siehe Abs.¹ und die Folgen."],
    );
}

#[test]
fn abbreviated_first_name_after_a_title_outside_english() {
    // Own texts: a two-letter capitalized abbreviation after a title is the name's start.
    check(
        "Ayer hablamos con la Sra. Ma. de la Torre sobre el proyecto de la sala.",
        &["Ayer hablamos con la Sra. Ma. de la Torre sobre el proyecto de la sala."],
    );
    // English has two-letter surnames after titles: the sentence ends there.
    check(
        "Yesterday I had a long talk with Mr. Wu. He was very kind.",
        &[
            "Yesterday I had a long talk with Mr. Wu.",
            "He was very kind.",
        ],
    );
}

#[test]
fn noun_abbreviation_before_a_subject_and_verb() {
    // Own texts: a unit after a number, an era after a year or a degree after `a`/a possessive
    // ends its noun phrase; a capitalized name and a finite verb after it start a sentence.
    check(
        "The beam is 4 ft. Anna trimmed it.",
        &["The beam is 4 ft.", "Anna trimmed it."],
    );
    check(
        "He finished his M.A. Lena was proud.",
        &["He finished his M.A.", "Lena was proud."],
    );
    check(
        "The city fell in 410 C.E. Rome recovered slowly.",
        &["The city fell in 410 C.E.", "Rome recovered slowly."],
    );
    // Not after `the` (the abbreviation may modify the noun), not in an opening adverbial, not
    // before a name without a verb, not a measure going on.
    check("The U.S. Navy was ready.", &["The U.S. Navy was ready."]);
    check("In 410 C.E. Rome fell.", &["In 410 C.E. Rome fell."]);
    check(
        "He met a U.S. Army officer.",
        &["He met a U.S. Army officer."],
    );
    check("He is 5 ft. 6 in. tall.", &["He is 5 ft. 6 in. tall."]);
}

#[test]
fn unicode_separators_always_end_a_sentence() {
    // UAX #29 SB4: a sentence ends after U+2029 PARAGRAPH SEPARATOR, U+2028 LINE SEPARATOR and
    // U+0085 NEXT LINE (class Sep), with or without an end mark and after an abbreviation.
    check(
        "A heading\u{2029}The text. More.",
        &["A heading", "The text.", "More."],
    );
    check("Line one\u{2028}line two", &["Line one", "line two"]);
    check("Ask Mr.\u{85}Smith came.", &["Ask Mr.", "Smith came."]);
    check("Done.\u{2029}\u{2029}Next.", &["Done.", "Next."]);
    // Other Unicode spaces stay spaces inside a sentence.
    check("One\u{2003}sentence.", &["One\u{2003}sentence."]);
}

#[test]
fn word_initial_exclamation_mark() {
    // Own texts: a `!` after a space and glued to a letter starts a word (click letters).
    check(
        "The !Kung and the !Xóõ live there. They herd.",
        &["The !Kung and the !Xóõ live there.", "They herd."],
    );
    // Glued to the word before, it still ends a sentence before a capital.
    check("Great!Thanks for it.", &["Great!", "Thanks for it."]);
}

#[test]
fn double_hyphen_aside_after_a_mark() {
    // Own texts: `--` typed for a dash after `!`/`?`, then lower case: the aside closes and
    // the sentence goes on; a capital after it starts a new sentence.
    check(
        "We ran -- and how! -- to the gate. Then we rested.",
        &["We ran -- and how! -- to the gate.", "Then we rested."],
    );
    check(
        "Was it -- who knows? -- a mistake?",
        &["Was it -- who knows? -- a mistake?"],
    );
    check("Stop! -- The end.", &["Stop!", "-- The end."]);
}

#[test]
fn mark_few_words_into_an_open_quotation() {
    // Own texts: `!`/`?` at most three short words into a quotation opened in the sentence
    // leaves it open before a capital; deeper into a quotation it ends a sentence as usual.
    check(
        "She yelled \"Run! Run!\" at us. We ran.",
        &["She yelled \"Run! Run!\" at us.", "We ran."],
    );
    check(
        "\u{201C}Why? Tell me.\u{201D} Okay.",
        &["\u{201C}Why? Tell me.\u{201D}", "Okay."],
    );
    check(
        "\"Why did the council vote for the plan? Nobody knows,\" he said.",
        &[
            "\"Why did the council vote for the plan?",
            "Nobody knows,\" he said.",
        ],
    );
    // A closed quotation before the mark does not count.
    check(
        "He said \"no\" twice! Then left.",
        &["He said \"no\" twice!", "Then left."],
    );
}

#[test]
fn spaced_lone_quote_after_an_end_mark() {
    // Own texts: a `'` with spaces on both sides after a glued end mark closes that sentence's
    // quotation; after a spaced end mark (tokenized text) only when the sentence opened one.
    check(
        "He waved at the boat. ' Sam stayed on shore.",
        &["He waved at the boat. '", "Sam stayed on shore."],
    );
    check(
        "They called it a ' Grand Tour . ' It lasted a year .",
        &["They called it a ' Grand Tour . '", "It lasted a year ."],
    );
    check(
        "The band is from Leeds . ' Hello ' is their hit .",
        &["The band is from Leeds .", "' Hello ' is their hit ."],
    );
    // Glued to the next word, the quote opens the next sentence.
    check(
        "He left. 'Bye,' she said.",
        &["He left.", "'Bye,' she said."],
    );
}

#[test]
fn spaced_hyphen_for_a_dialogue_dash_after_a_question() {
    // Own texts: ` - ` typed for a dialogue dash after `?` or `!`, then lower case: the author's
    // words belong to the sentence; a capital after it still starts a new one.
    check(
        "Ты придёшь? - спросила она. Он кивнул.",
        &["Ты придёшь? - спросила она.", "Он кивнул."],
    );
    check(
        "Стой! - крикнул он и побежал.",
        &["Стой! - крикнул он и побежал."],
    );
    check("What now? - Nobody knew.", &["What now?", "- Nobody knew."]);
    // A hyphen glued to the next word is no dash.
    check("Kto tam? -owa kobieta.", &["Kto tam?", "-owa kobieta."]);
}

#[test]
fn japanese_particle_glued_after_a_full_width_mark() {
    // Own texts: `と`, `に`, `を` never open a Japanese sentence: glued after `？` or `！` they
    // continue it; any other kana or ideograph after the mark starts a new one.
    check("行くの？と聞かれた。", &["行くの？と聞かれた。"]);
    check("本当？に驚いた。", &["本当？に驚いた。"]);
    check("元気？今日は晴れ。", &["元気？", "今日は晴れ。"]);
}

#[test]
fn ascii_periods_glued_between_kana_end_a_sentence() {
    // Own texts: two or more ASCII periods between kana or ideographs end the sentence, as
    // one does; `…` and a full-width digit after the run do not.
    check("そうだね..また明日", &["そうだね..", "また明日"]);
    check("そうだね...また明日", &["そうだね...", "また明日"]);
    check("彼は…そう言った。", &["彼は…そう言った。"]);
    check("価格は..１０円", &["価格は..１０円"]);
}

#[test]
fn greek_question_mark_before_a_parenthesis_and_khmer_khan() {
    // Own texts: the Greek question mark `;`, a space, then `(` and a Greek capital: a new
    // sentence. Khmer `។` (khan) ends a sentence like a danda.
    check(
        "Θέλεις να φύγεις; (Η πόρτα είναι ανοιχτή)",
        &["Θέλεις να φύγεις;", "(Η πόρτα είναι ανοιχτή)"],
    );
    check(
        "Θέλεις να φύγεις; (και γιατί)",
        &["Θέλεις να φύγεις; (και γιατί)"],
    );
    check("ខ្ញុំទៅផ្សារ ។ គាត់នៅផ្ទះ ។", &["ខ្ញុំទៅផ្សារ ។", "គាត់នៅផ្ទះ ។"]);
}

#[test]
fn company_suffix_before_a_subject_and_verb() {
    // Own texts: a company suffix after a capitalized name ends the sentence before a name
    // (with or without a surname) and a finite verb; a title or a non-verb after it goes on.
    check(
        "He joined Globex Corp. Anna Berg was his boss.",
        &["He joined Globex Corp.", "Anna Berg was his boss."],
    );
    check(
        "They sued Initech Ltd. Tom has the papers.",
        &["They sued Initech Ltd.", "Tom has the papers."],
    );
    check(
        "Shares of Globex Corp. Chairman Anna Berg said rose.",
        &["Shares of Globex Corp. Chairman Anna Berg said rose."],
    );
    check(
        "She met Warner Bros. Discovery is her client.",
        &["She met Warner Bros. Discovery is her client."],
    );
    // The surname step also serves the degree case.
    check(
        "She earned her Ph.D. Tom Hill was there.",
        &["She earned her Ph.D.", "Tom Hill was there."],
    );
}

#[test]
fn glued_starter_after_a_capitalized_company_abbreviation() {
    // Own texts: a sentence starter glued to the period of a capitalized company or place
    // abbreviation starts a sentence; a name or another abbreviation glued there does not.
    check(
        "He sold it to Globex Inc.They paid cash.",
        &["He sold it to Globex Inc.", "They paid cash."],
    );
    check(
        "They live on Elm St.John came too.",
        &["They live on Elm St.John came too."],
    );
    check(
        "It is Globex Corp.Ltd now.",
        &["It is Globex Corp.Ltd now."],
    );
    // A title glued to a name is no end.
    check("Ask Dr.Hill now.", &["Ask Dr.Hill now."]);
}

#[test]
fn glued_pronoun_after_a_short_number() {
    // Own texts: a personal pronoun glued to a short number's period starts a sentence unless
    // the number opens the unit (a list label) or the word only begins like a pronoun.
    check(
        "She came in at number 7.They cheered.",
        &["She came in at number 7.", "They cheered."],
    );
    check("2.They cheered.", &["2.They cheered."]);
    check(
        "He ordered 4.Hebrew menus came.",
        &["He ordered 4.Hebrew menus came."],
    );
}

#[test]
fn japanese_and_chinese_closers_after_end_marks() {
    // UD zh GSDSimp: a closing quote after `。` then a Han character starts a sentence.
    check(
        "不如把精力集中于我们能够合作的事情上。”在此条约之下的同盟仍然有效。",
        &[
            "不如把精力集中于我们能够合作的事情上。”",
            "在此条约之下的同盟仍然有效。",
        ],
    );
    // Hiragana after the quote is a particle: `「はい。」と言った` stays one sentence.
    check("「はい。」と言った。", &["「はい。」と言った。"]);
    // sengiri: a parenthesis that opened the sentence closes it before kanji.
    check(
        "これは！(すばらしい！)感動……。",
        &["これは！", "(すばらしい！)", "感動……。"],
    );
    // ja_sentence_segmenter: an ASCII mark and closers before a particle go on; a closer
    // followed by its own `。` ends the sentence.
    check(
        "でも、「それはそれ(だがつらい?)として!」とも思う。(ほげ。)。ではまた。",
        &[
            "でも、「それはそれ(だがつらい?)として!」とも思う。",
            "(ほげ。)。",
            "ではまた。",
        ],
    );
}

#[test]
fn japanese_faces_end_sentences_without_a_mark() {
    // bunkai's sample: a kaomoji between kana or ideographs ends the sentence; ASCII digits
    // after it open the next one.
    check(
        "これは入力の入力サンプルです(^o^)2文目です(;_;)３文目まで書きました(*_*)",
        &[
            "これは入力の入力サンプルです(^o^)",
            "2文目です(;_;)",
            "３文目まで書きました(*_*)",
        ],
    );
    // Own texts: pictographic emoji between kana end the sentence, not before a particle;
    // a parenthesis of words or numbers is no face.
    check(
        "楽しかった😊また来ます。",
        &["楽しかった😊", "また来ます。"],
    );
    check("今日は🍣を食べた。", &["今日は🍣を食べた。"]);
    check("今日は🍣美味しかった。", &["今日は🍣美味しかった。"]);
    check(
        "ありがとう🙏🙏また来ます。",
        &["ありがとう🙏🙏", "また来ます。"],
    );
    check(
        "あるNGO(非政府組織)を紹介します。",
        &["あるNGO(非政府組織)を紹介します。"],
    );
    check(
        "之前的国旗（1927-1994）中也有一支。",
        &["之前的国旗（1927-1994）中也有一支。"],
    );
    check(
        "泊まった（＾＿＾）大浴場",
        &["泊まった（＾＿＾）", "大浴場"],
    );
}

#[test]
fn full_width_period_after_a_number_in_japanese() {
    // bunkai's sample: a full-width period after digits, glued to kanji, ends the sentence;
    // between digits it is a decimal point.
    check("文1．文2.", &["文1．", "文2."]);
    check("３．５mの板を買った。", &["３．５mの板を買った。"]);
    check("幅は３．２９％以上だ。", &["幅は３．２９％以上だ。"]);
}

#[test]
fn period_of_a_unit_after_a_number_and_slash() {
    // Own texts: outside English, a number glued by a slash to a short abbreviated unit keeps
    // the unit's period before lower case; a function word after a slash does not.
    check(
        "Цена за 5/шт. снизилась вчера.",
        &["Цена за 5/шт. снизилась вчера."],
    );
    check(
        "Нефть по 30/барр. не продают.",
        &["Нефть по 30/барр. не продают."],
    );
    check(
        "Es kostet 4/und. das ist viel.",
        &["Es kostet 4/und.", "das ist viel."],
    );
}

#[test]
fn catalan_function_word_after_an_abbreviation() {
    // Own texts: a capitalized Catalan function word (stop-words' Catalan list) after an
    // ordinary abbreviation starts a sentence; a name there does not.
    check(
        "Vam parlar amb el cap del dept. També hi era la Maria.",
        &["Vam parlar amb el cap del dept.", "També hi era la Maria."],
    );
    check(
        "Vam parlar amb el cap del dept. Puig ahir.",
        &["Vam parlar amb el cap del dept. Puig ahir."],
    );
}

#[test]
fn abbreviated_first_name_before_a_non_ascii_name_in_a_short_text() {
    // Own texts: with no evidence of the language yet, a two-letter abbreviated first name
    // after a title goes on before a capitalized word with a letter beyond ASCII; an ASCII
    // word or an English sentence starter there still starts a sentence.
    check("La Sra. Ma. Àngels.", &["La Sra. Ma. Àngels."]);
    check(
        "Ask Mr. Wu. Smith is out.",
        &["Ask Mr. Wu.", "Smith is out."],
    );
    check("Ask Mr. Wu. He is out.", &["Ask Mr. Wu.", "He is out."]);
}

#[test]
fn bracketed_pair_of_words_with_a_period() {
    // Own texts: a bracket or brace glued before a word with its period, closed right after
    // the next word, holds one reference; a sentence inside the bracket still splits.
    check("See [Ann. Rep] here.", &["See [Ann. Rep] here."]);
    check("See {Tabl. 12-b} here.", &["See {Tabl. 12-b} here."]);
    check(
        "He left [Note. Then it fell.]",
        &["He left [Note.", "Then it fell.]"],
    );
}

#[test]
fn lower_case_dotted_abbreviation_before_a_content_word() {
    // Own texts: after a lower-case multi-period abbreviation only a sentence starter or a
    // function word starts a sentence; a name or content word goes on.
    check(
        "Он купил т.н. Волгу вчера.",
        &["Он купил т.н. Волгу вчера."],
    );
    check(
        "Они купили хлеб и т.п. При этом забыли соль.",
        &["Они купили хлеб и т.п.", "При этом забыли соль."],
    );
    check(
        "The nurse gave him the i.v. Then he slept.",
        &["The nurse gave him the i.v.", "Then he slept."],
    );
}
