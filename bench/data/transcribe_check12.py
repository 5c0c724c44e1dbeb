"""Writes bench/data/check12_cases.json: cases of check set 12 (issue 13 round 10, NON-ENGLISH), transcribed
by the seg10 helper from pragmatic_segmenter's Ruby language specs (diasks2/pragmatic_segmenter, MIT), read in
the code-search corpus at the commits below. Each case keeps the spec's test name (`it '...'`), which locates
it in the file at that commit. Text and expected sentences are copied verbatim (Ruby escapes \\" and \\n mean
what they mean in Python). Danish: only the golden rules whose text is Danish (the rest of that spec is English text). Left out: cases with doc_type 'pdf' or 'docx' (pragmatic_segmenter's layout modes,
which join or split on line breaks by document type), and the long layout-only German #022 (blank-line
headings). Also two cases of stanza/tests/pipeline/test_tokenizer.py (stanfordnlp/stanza, Apache-2.0) and the six SentenceDetectorME<Lang>Test.java files of apache/opennlp (Apache-2.0; see OPENNLP_CASES).
Usage: python3 bench/data/transcribe_check12.py"""
import json, os

REPO = "diasks2/pragmatic_segmenter"
LICENCE = "MIT"
FILES = {
    "de": ("spec/pragmatic_segmenter/languages/deutsch_spec.rb", "51895fa594207c193af8c9e96bb057d6c1b1c348"),
    "ru": ("spec/pragmatic_segmenter/languages/russian_spec.rb", "fe5b955f000ad63c10431a9c6db3a0ca6a0828dc"),
    "fr": ("spec/pragmatic_segmenter/languages/french_spec.rb", "15d278da52b8a5ea510c6d35ec6754e3be59f255"),
    "it": ("spec/pragmatic_segmenter/languages/italian_spec.rb", "15d278da52b8a5ea510c6d35ec6754e3be59f255"),
    "pl": ("spec/pragmatic_segmenter/languages/polish_spec.rb", "5e5944f3094ccd04c400a8a4f1406c5548e5040f"),
    "es": ("spec/pragmatic_segmenter/languages/spanish_spec.rb", "235513de554ae5220619a19375f8d21c82869489"),
    "nl": ("spec/pragmatic_segmenter/languages/dutch_spec.rb", "450cfb1a1998186c312d96c7df239d42dde50c30"),
    "da": ("spec/pragmatic_segmenter/languages/danish_spec.rb", "0a30382be6995eeeb74ed7d2af7592ddbc8c7a85"),
    "bg": ("spec/pragmatic_segmenter/languages/bulgarian_spec.rb", "2d3d479a49b17e42aa5d01e23321dda6135f62c0"),
    "kk": ("spec/pragmatic_segmenter/languages/kazakh_spec.rb", "034e880840ba75d95edd3640c9c382fafc3187e6"),
    "el": ("spec/pragmatic_segmenter/languages/greek_spec.rb", "15d278da52b8a5ea510c6d35ec6754e3be59f255"),
}
S = "correctly segments text #"
CASES = [
 ("de", "Golden Rules: Quotation at end of sentence #001", "„Ich habe heute keine Zeit“, sagte die Frau und flüsterte leise: „Und auch keine Lust.“ Wir haben 1.000.000 Euro.", ["„Ich habe heute keine Zeit“, sagte die Frau und flüsterte leise: „Und auch keine Lust.“", "Wir haben 1.000.000 Euro."]),
 ("de", "Golden Rules: Abbreviations #002", "Es gibt jedoch einige Vorsichtsmaßnahmen, die Du ergreifen kannst, z. B. ist es sehr empfehlenswert, dass Du Dein Zuhause von allem Junkfood befreist.", ["Es gibt jedoch einige Vorsichtsmaßnahmen, die Du ergreifen kannst, z. B. ist es sehr empfehlenswert, dass Du Dein Zuhause von allem Junkfood befreist."]),
 ("de", "Golden Rules: Numbers #003", "Was sind die Konsequenzen der Abstimmung vom 12. Juni?", ["Was sind die Konsequenzen der Abstimmung vom 12. Juni?"]),
 ("de", S + "003", "Thomas sagte: ,,Wann kommst zu mir?” ,,Das weiß ich noch nicht“, antwortete Susi, ,,wahrscheinlich am Sonntag.“ Wir haben 1.000.000 Euro.", ["Thomas sagte: ,,Wann kommst zu mir?” ,,Das weiß ich noch nicht“, antwortete Susi, ,,wahrscheinlich am Sonntag.“", "Wir haben 1.000.000 Euro."]),
 ("de", S + "004", "„Lass uns jetzt essen gehen!“, sagte die Mutter zu ihrer Freundin, „am besten zum Italiener.“", ["„Lass uns jetzt essen gehen!“, sagte die Mutter zu ihrer Freundin, „am besten zum Italiener.“"]),
 ("de", S + "005", "Wir haben 1.000.000 Euro.", ["Wir haben 1.000.000 Euro."]),
 ("de", S + "006", "Sie bekommen 3,50 Euro zurück.", ["Sie bekommen 3,50 Euro zurück."]),
 ("de", S + "007", "Dafür brauchen wir 5,5 Stunden.", ["Dafür brauchen wir 5,5 Stunden."]),
 ("de", S + "008", "Bitte überweisen Sie 5.300,25 Euro.", ["Bitte überweisen Sie 5.300,25 Euro."]),
 ("de", S + "009", "1. Dies ist eine Punkteliste.", ["1. Dies ist eine Punkteliste."]),
 ("de", S + "010", "Wir trafen Dr. med. Meyer in der Stadt.", ["Wir trafen Dr. med. Meyer in der Stadt."]),
 ("de", S + "011", "Wir brauchen Getränke, z. B. Wasser, Saft, Bier usw.", ["Wir brauchen Getränke, z. B. Wasser, Saft, Bier usw."]),
 ("de", S + "012", "Ich kann u.a. Spanisch sprechen.", ["Ich kann u.a. Spanisch sprechen."]),
 ("de", S + "013", "Frau Prof. Schulze ist z. Z. nicht da.", ["Frau Prof. Schulze ist z. Z. nicht da."]),
 ("de", S + "014", "Sie erhalten ein neues Bank-Statement bzw. ein neues Schreiben.", ["Sie erhalten ein neues Bank-Statement bzw. ein neues Schreiben."]),
 ("de", S + "015", "Z. T. ist die Lieferung unvollständig.", ["Z. T. ist die Lieferung unvollständig."]),
 ("de", S + "016", "Das finden Sie auf S. 225.", ["Das finden Sie auf S. 225."]),
 ("de", S + "017", "Sie besucht eine kath. Schule.", ["Sie besucht eine kath. Schule."]),
 ("de", S + "018", "Wir benötigen Zeitungen, Zeitschriften u. Ä. für unser Projekt.", ["Wir benötigen Zeitungen, Zeitschriften u. Ä. für unser Projekt."]),
 ("de", S + "019", "Das steht auf S. 23, s. vorherige Anmerkung.", ["Das steht auf S. 23, s. vorherige Anmerkung."]),
 ("de", S + "020", "Dies ist meine Adresse: Dr. Meier, Berliner Str. 5, 21234 Bremen.", ["Dies ist meine Adresse: Dr. Meier, Berliner Str. 5, 21234 Bremen."]),
 ("de", S + "021", "Er sagte: „Hallo, wie geht´s Ihnen, Frau Prof. Müller?“", ["Er sagte: „Hallo, wie geht´s Ihnen, Frau Prof. Müller?“"]),
 ("de", S + "023", "Es gibt jedoch einige Vorsichtsmaßnahmen, die Du ergreifen kannst, z. B. ist es sehr empfehlenswert, dass Du Dein Zuhause von allem Junkfood befreist. Ich persönlich kaufe kein Junkfood oder etwas, das nicht rein ist (ich traue mir da selbst nicht!). Ich finde jeden Vorwand, um das Junkfood zu essen, vor allem die Vorstellung, dass ich nicht mehr in Versuchung kommen werde, wenn ich es jetzt aufesse und es weg ist. Es ist schon komisch, was unser Verstand mitunter anstellt!", ["Es gibt jedoch einige Vorsichtsmaßnahmen, die Du ergreifen kannst, z. B. ist es sehr empfehlenswert, dass Du Dein Zuhause von allem Junkfood befreist.", "Ich persönlich kaufe kein Junkfood oder etwas, das nicht rein ist (ich traue mir da selbst nicht!).", "Ich finde jeden Vorwand, um das Junkfood zu essen, vor allem die Vorstellung, dass ich nicht mehr in Versuchung kommen werde, wenn ich es jetzt aufesse und es weg ist.", "Es ist schon komisch, was unser Verstand mitunter anstellt!"]),
 ("de", S + "024", "Ob Sie in Hannover nur auf der Durchreise, für einen längeren Aufenthalt oder zum Besuch einer der zahlreichen Messen sind: Die Hauptstadt des Landes Niedersachsens hat viele Sehenswürdigkeiten und ist zu jeder Jahreszeit eine Reise Wert. \nHannovers Ursprünge können bis zur römischen Kaiserzeit zurückverfolgt werden, und zwar durch Ausgrabungen von Tongefäßen aus dem 1. -3. Jahrhundert nach Christus, die an mehreren Stellen im Untergrund des Stadtzentrums durchgeführt wurden.", ["Ob Sie in Hannover nur auf der Durchreise, für einen längeren Aufenthalt oder zum Besuch einer der zahlreichen Messen sind: Die Hauptstadt des Landes Niedersachsens hat viele Sehenswürdigkeiten und ist zu jeder Jahreszeit eine Reise Wert.", "Hannovers Ursprünge können bis zur römischen Kaiserzeit zurückverfolgt werden, und zwar durch Ausgrabungen von Tongefäßen aus dem 1. -3. Jahrhundert nach Christus, die an mehreren Stellen im Untergrund des Stadtzentrums durchgeführt wurden."]),
 ("de", S + "025", "• 3. Seien Sie achtsam bei der Auswahl der Nahrungsmittel! \n• 4. Nehmen Sie zusätzlich Folsäurepräparate und essen Sie Fisch! \n• 5. Treiben Sie regelmäßig Sport! \n• 6. Beginnen Sie mit Übungen für die Beckenbodenmuskulatur! \n• 7. Reduzieren Sie Ihren Alkoholgenuss! \n", ["• 3. Seien Sie achtsam bei der Auswahl der Nahrungsmittel!", "• 4. Nehmen Sie zusätzlich Folsäurepräparate und essen Sie Fisch!", "• 5. Treiben Sie regelmäßig Sport!", "• 6. Beginnen Sie mit Übungen für die Beckenbodenmuskulatur!", "• 7. Reduzieren Sie Ihren Alkoholgenuss!"]),
 ("de", S + "031", "Was pro Jahr10. Zudem pro Jahr um 0.3 %11. Der gängigen Theorie nach erfolgt der Anstieg.", ["Was pro Jahr10.", "Zudem pro Jahr um 0.3 %11.", "Der gängigen Theorie nach erfolgt der Anstieg."]),
 ("de", S + "032", "s. vorherige Anmerkung.", ["s. vorherige Anmerkung."]),
 ("de", S + "033", "Mit Inkrafttreten des Mindestlohngesetzes (MiLoG) zum 01. Januar 2015 werden in Bezug auf den Einsatz von Leistungs.", ["Mit Inkrafttreten des Mindestlohngesetzes (MiLoG) zum 01. Januar 2015 werden in Bezug auf den Einsatz von Leistungs."]),
 ("ru", "Golden Rules: Abbreviations #001", "Объем составляет 5 куб.м.", ["Объем составляет 5 куб.м."]),
 ("ru", S + "001", "Маленькая девочка бежала и кричала: «Не видали маму?».", ["Маленькая девочка бежала и кричала: «Не видали маму?»."]),
 ("ru", S + "002", "«Я приду поздно»,  — сказал Андрей.", ["«Я приду поздно»,  — сказал Андрей."]),
 ("ru", S + "003", "«К чему ты готовишься? – спросила мама. – Завтра ведь выходной».", ["«К чему ты готовишься? – спросила мама. – Завтра ведь выходной»."]),
 ("ru", S + "004", "По словам Пушкина, «Привычка свыше дана, замена счастью она».", ["По словам Пушкина, «Привычка свыше дана, замена счастью она»."]),
 ("ru", S + "005", "Он сказал: «Я очень устал», и сразу же замолчал.", ["Он сказал: «Я очень устал», и сразу же замолчал."]),
 ("ru", S + "006", "Мне стало как-то ужасно грустно в это мгновение; однако что-то похожее на смех зашевелилось в душе моей.", ["Мне стало как-то ужасно грустно в это мгновение; однако что-то похожее на смех зашевелилось в душе моей."]),
 ("ru", S + "007", "Шухов как был в ватных брюках, не снятых на ночь (повыше левого колена их тоже был пришит затасканный, погрязневший лоскут, и на нем выведен черной, уже поблекшей краской номер Щ-854), надел телогрейку…", ["Шухов как был в ватных брюках, не снятых на ночь (повыше левого колена их тоже был пришит затасканный, погрязневший лоскут, и на нем выведен черной, уже поблекшей краской номер Щ-854), надел телогрейку…"]),
 ("ru", S + "008", "Слово «дом» является синонимом жилища", ["Слово «дом» является синонимом жилища"]),
 ("ru", S + "009", "В Санкт-Петербург на гастроли приехал театр «Современник»", ["В Санкт-Петербург на гастроли приехал театр «Современник»"]),
 ("ru", S + "010", "Машина едет со скоростью 100 км/ч.", ["Машина едет со скоростью 100 км/ч."]),
 ("ru", S + "011", "Я поем и/или лягу спать.", ["Я поем и/или лягу спать."]),
 ("ru", S + "012", "Он не мог справиться с примером \"3 + (14:7) = 5\"", ["Он не мог справиться с примером \"3 + (14:7) = 5\""]),
 ("ru", S + "013", "Вот список: 1.мороженое, 2.мясо, 3.рис.", ["Вот список: 1.мороженое, 2.мясо, 3.рис."]),
 ("ru", S + "014", "Квартира 234 находится на 4-ом этаже.", ["Квартира 234 находится на 4-ом этаже."]),
 ("ru", S + "015", "В это время года температура может подниматься до 40°C.", ["В это время года температура может подниматься до 40°C."]),
 ("ru", S + "016", "Объем составляет 5м³.", ["Объем составляет 5м³."]),
 ("ru", S + "018", "Площадь комнаты 14м².", ["Площадь комнаты 14м²."]),
 ("ru", S + "019", "Площадь комнаты 14 кв.м.", ["Площадь комнаты 14 кв.м."]),
 ("ru", S + "020", "1°C соответствует 33.8°F.", ["1°C соответствует 33.8°F."]),
 ("ru", S + "021", "Сегодня 27.10.14", ["Сегодня 27.10.14"]),
 ("ru", S + "022", "Сегодня 27 октября 2014 года.", ["Сегодня 27 октября 2014 года."]),
 ("ru", S + "023", "Эта машина стоит 150 000 дол.!", ["Эта машина стоит 150 000 дол.!"]),
 ("ru", S + "024", "Эта машина стоит $150 000!", ["Эта машина стоит $150 000!"]),
 ("ru", S + "025", "Вот номер моего телефона: +39045969798. Передавайте привет г-ну Шапочкину. До свидания.", ["Вот номер моего телефона: +39045969798.", "Передавайте привет г-ну Шапочкину.", "До свидания."]),
 ("ru", S + "026", "Постойте, разве можно указывать цены в у.е.!", ["Постойте, разве можно указывать цены в у.е.!"]),
 ("ru", S + "027", "Едем на скорости 90 км/ч в сторону пгт. Брагиновка, о котором мы так много слышали по ТВ!", ["Едем на скорости 90 км/ч в сторону пгт. Брагиновка, о котором мы так много слышали по ТВ!"]),
 ("ru", S + "028", "Д-р ветеринарных наук А. И. Семенов и пр. выступали на этом семинаре.", ["Д-р ветеринарных наук А. И. Семенов и пр. выступали на этом семинаре."]),
 ("ru", S + "029", "Уважаемый проф. Семенов! Просьба до 20.10 сдать отчет на кафедру.", ["Уважаемый проф. Семенов!", "Просьба до 20.10 сдать отчет на кафедру."]),
 ("ru", S + "030", "Первоначальная стоимость этого комплекта 30 долл., но сейчас действует скидка. Предъявите дисконтную карту, пожалуйста!", ["Первоначальная стоимость этого комплекта 30 долл., но сейчас действует скидка.", "Предъявите дисконтную карту, пожалуйста!"]),
 ("ru", S + "031", "Виктор съел пол-лимона и ушел по-английски из дома на ул. 1 Мая.", ["Виктор съел пол-лимона и ушел по-английски из дома на ул. 1 Мая."]),
 ("ru", S + "032", "Напоминаю Вам, что 25.10 день рождения у Маши К., нужно будет купить ей подарок.", ["Напоминаю Вам, что 25.10 день рождения у Маши К., нужно будет купить ей подарок."]),
 ("ru", S + "033", "В 2010-2012 гг. Виктор посещал г. Волгоград неоднократно.", ["В 2010-2012 гг. Виктор посещал г. Волгоград неоднократно."]),
 ("ru", S + "034", "Маленькая девочка бежала и кричала: «Не видали маму?»", ["Маленькая девочка бежала и кричала: «Не видали маму?»"]),
 ("ru", S + "035", "Кв. 234 находится на 4 этаже.", ["Кв. 234 находится на 4 этаже."]),
 ("ru", S + "037", "Нужно купить 1)рыбу 2)соль.", ["Нужно купить 1)рыбу 2)соль."]),
 ("ru", S + "039", "Л.Н. Толстой написал \"Войну и мир\". Кроме Волконских, Л. Н. Толстой состоял в близком родстве с некоторыми другими аристократическими родами. Дом, где родился Л.Н.Толстой, 1898 г. В 1854 году дом продан по распоряжению писателя на вывоз в село Долгое.", ["Л.Н. Толстой написал \"Войну и мир\".", "Кроме Волконских, Л. Н. Толстой состоял в близком родстве с некоторыми другими аристократическими родами.", "Дом, где родился Л.Н.Толстой, 1898 г. В 1854 году дом продан по распоряжению писателя на вывоз в село Долгое."]),
 ("fr", S + "001", "Après avoir été l'un des acteurs du projet génome humain, le Genoscope met aujourd'hui le cap vers la génomique environnementale. L'exploitation des données de séquences, prolongée par l'identification expérimentale des fonctions biologiques, notamment dans le domaine de la biocatalyse, ouvrent des perspectives de développements en biotechnologie industrielle.", ["Après avoir été l'un des acteurs du projet génome humain, le Genoscope met aujourd'hui le cap vers la génomique environnementale.", "L'exploitation des données de séquences, prolongée par l'identification expérimentale des fonctions biologiques, notamment dans le domaine de la biocatalyse, ouvrent des perspectives de développements en biotechnologie industrielle."]),
 ("fr", S + "002", "\"Airbus livrera comme prévu 30 appareils 380 cette année avec en ligne de mire l'objectif d'équilibre financier du programme en 2015\", a-t-il ajouté.", ["\"Airbus livrera comme prévu 30 appareils 380 cette année avec en ligne de mire l'objectif d'équilibre financier du programme en 2015\", a-t-il ajouté."]),
 ("fr", S + "003", "À 11 heures ce matin, la direction ne décomptait que douze grévistes en tout sur la France : ce sont ceux du site de Saran (Loiret), dont l’effectif est de 809 salariés, dont la moitié d’intérimaires. Elle assure que ce mouvement « n’aura aucun impact sur les livraisons ».", ["À 11 heures ce matin, la direction ne décomptait que douze grévistes en tout sur la France : ce sont ceux du site de Saran (Loiret), dont l’effectif est de 809 salariés, dont la moitié d’intérimaires.", "Elle assure que ce mouvement « n’aura aucun impact sur les livraisons »."]),
 ("fr", S + "004", "Ce modèle permet d’afficher le texte « LL.AA.II.RR. » pour l’abréviation de « Leurs Altesses impériales et royales » avec son infobulle.", ["Ce modèle permet d’afficher le texte « LL.AA.II.RR. » pour l’abréviation de « Leurs Altesses impériales et royales » avec son infobulle."]),
 ("fr", S + "005", "Les derniers ouvrages de Intercept Ltd. sont ici.", ["Les derniers ouvrages de Intercept Ltd. sont ici."]),
 ("pl", S + "001", "To słowo bałt. jestskrótem.", ["To słowo bałt. jestskrótem."]),
 ("it", "Golden Rules: Quotations #002", "Una lettera si può iniziare in questo modo «Il/la sottoscritto/a.».", ["Una lettera si può iniziare in questo modo «Il/la sottoscritto/a.»."]),
 ("it", "Golden Rules: Numbers #003", "La casa costa 170.500.000,00€!", ["La casa costa 170.500.000,00€!"]),
 ("it", S + "001", "Salve Sig.ra Mengoni! Come sta oggi?", ["Salve Sig.ra Mengoni!", "Come sta oggi?"]),
 ("it", S + "002", "Buongiorno! Sono l'Ing. Mengozzi. È presente l'Avv. Cassioni?", ["Buongiorno!", "Sono l'Ing. Mengozzi.", "È presente l'Avv. Cassioni?"]),
 ("it", S + "003", "Mi fissi un appuntamento per mar. 23 Nov.. Grazie.", ["Mi fissi un appuntamento per mar. 23 Nov..", "Grazie."]),
 ("it", S + "004", "Ecco il mio tel.:01234567. Mi saluti la Sig.na Manelli. Arrivederci.", ["Ecco il mio tel.:01234567.", "Mi saluti la Sig.na Manelli.", "Arrivederci."]),
 ("it", S + "005", "La centrale meteor. si è guastata. Gli idraul. son dovuti andare a sistemarla.", ["La centrale meteor. si è guastata.", "Gli idraul. son dovuti andare a sistemarla."]),
 ("it", S + "006", "Hanno creato un algoritmo allo st. d. arte. Si ringrazia lo psicol. Serenti.", ["Hanno creato un algoritmo allo st. d. arte.", "Si ringrazia lo psicol. Serenti."]),
 ("it", S + "007", "Chiamate il V.Cte. delle F.P., adesso!", ["Chiamate il V.Cte. delle F.P., adesso!"]),
 ("it", S + "008", "Giancarlo ha sostenuto l'esame di econ. az..", ["Giancarlo ha sostenuto l'esame di econ. az.."]),
 ("it", S + "009", "Stava viaggiando a 90 km/h verso la provincia di TR quando il Dott. Mesini ha sentito un rumore e si fermò!", ["Stava viaggiando a 90 km/h verso la provincia di TR quando il Dott. Mesini ha sentito un rumore e si fermò!"]),
 ("it", S + "010", "Egregio Dir. Amm., le faccio sapere che l'ascensore non funziona.", ["Egregio Dir. Amm., le faccio sapere che l'ascensore non funziona."]),
 ("it", S + "011", "Stava mangiando e/o dormendo.", ["Stava mangiando e/o dormendo."]),
 ("it", S + "012", "Ricordatevi che dom 25 Set. sarà il compleanno di Maria; dovremo darle un regalo.", ["Ricordatevi che dom 25 Set. sarà il compleanno di Maria; dovremo darle un regalo."]),
 ("it", S + "013", "La politica è quella della austerità; quindi verranno fatti tagli agli sprechi.", ["La politica è quella della austerità; quindi verranno fatti tagli agli sprechi."]),
 ("it", S + "014", "Nel tribunale, l'Avv. Fabrizi ha urlato \"Io, l'illustrissimo Fabrizi, vi si oppone!\".", ["Nel tribunale, l'Avv. Fabrizi ha urlato \"Io, l'illustrissimo Fabrizi, vi si oppone!\"."]),
 ("it", S + "015", "Le parti fisiche di un computer (ad es. RAM, CPU, tastiera, mouse, etc.) sono definiti HW.", ["Le parti fisiche di un computer (ad es. RAM, CPU, tastiera, mouse, etc.) sono definiti HW."]),
 ("it", S + "016", "La parola 'casa' è sinonimo di abitazione.", ["La parola 'casa' è sinonimo di abitazione."]),
 ("it", S + "017", "La \"Mulino Bianco\" fa alimentari pre-confezionati.", ["La \"Mulino Bianco\" fa alimentari pre-confezionati."]),
 ("it", S + "018", "\"Ei fu. Siccome immobile / dato il mortal sospiro / stette la spoglia immemore / orba di tanto spiro / [...]\" (Manzoni).", ["\"Ei fu. Siccome immobile / dato il mortal sospiro / stette la spoglia immemore / orba di tanto spiro / [...]\" (Manzoni)."]),
 ("it", S + "019", "Una lettera si può iniziare in questo modo «Il/la sottoscritto/a ... nato/a a ...».", ["Una lettera si può iniziare in questo modo «Il/la sottoscritto/a ... nato/a a ...»."]),
 ("it", S + "020", "Per casa, in uno degli esercizi per i bambini c'era \"3 + (14/7) = 5\"", ["Per casa, in uno degli esercizi per i bambini c'era \"3 + (14/7) = 5\""]),
 ("it", S + "021", "Ai bambini è stato chiesto di fare \"4:2*2\"", ["Ai bambini è stato chiesto di fare \"4:2*2\""]),
 ("it", S + "022", "La maestra esclamò: \"Bambini, quanto fa '2/3 + 4/3?'\".", ["La maestra esclamò: \"Bambini, quanto fa '2/3 + 4/3?'\"."]),
 ("it", S + "023", "Il motore misurava 120°C.", ["Il motore misurava 120°C."]),
 ("it", S + "024", "Il volume era di 3m³.", ["Il volume era di 3m³."]),
 ("it", S + "025", "La stanza misurava 20m².", ["La stanza misurava 20m²."]),
 ("it", S + "026", "1°C corrisponde a 33.8°F.", ["1°C corrisponde a 33.8°F."]),
 ("it", S + "027", "Oggi è il 27-10-14.", ["Oggi è il 27-10-14."]),
 ("it", S + "029", "Il corridore 103 è arrivato 4°.", ["Il corridore 103 è arrivato 4°."]),
 ("it", S + "030", "Oggi è il 27/10/2014.", ["Oggi è il 27/10/2014."]),
 ("it", S + "031", "Ecco l'elenco: 1.gelato, 2.carne, 3.riso.", ["Ecco l'elenco: 1.gelato, 2.carne, 3.riso."]),
 ("it", S + "032", "Devi comprare : 1)pesce 2)sale.", ["Devi comprare : 1)pesce 2)sale."]),
 ("it", S + "033", "La macchina viaggiava a 100 km/h.", ["La macchina viaggiava a 100 km/h."]),
 ("es", "Golden Rules: Abbreviations #003", "Hola Srta. Ledesma. Buenos días, soy el Lic. Naser Pastoriza, y él es mi padre, el Dr. Naser.", ["Hola Srta. Ledesma.", "Buenos días, soy el Lic. Naser Pastoriza, y él es mi padre, el Dr. Naser."]),
 ("es", "Golden Rules: Quotations #005", "«Ninguna mente extraordinaria está exenta de un toque de demencia.», dijo Aristóteles.", ["«Ninguna mente extraordinaria está exenta de un toque de demencia.», dijo Aristóteles."]),
 ("es", S + "001", "«Ninguna mente extraordinaria está exenta de un toque de demencia», dijo Aristóteles. Pablo, ¿adónde vas? ¡¿Qué viste?!", ["«Ninguna mente extraordinaria está exenta de un toque de demencia», dijo Aristóteles.", "Pablo, ¿adónde vas?", "¡¿Qué viste?!"]),
 ("es", S + "002", "Admón. es administración o me equivoco.", ["Admón. es administración o me equivoco."]),
 ("es", S + "005", "¡Hola Srta. Ledesma! ¿Cómo está hoy? Espero que muy bien.", ["¡Hola Srta. Ledesma!", "¿Cómo está hoy?", "Espero que muy bien."]),
 ("es", S + "006", "Buenos días, soy el Lic. Naser Pastoriza, y él es mi padre, el Dr. Naser.", ["Buenos días, soy el Lic. Naser Pastoriza, y él es mi padre, el Dr. Naser."]),
 ("es", S + "007", "He apuntado una cita para la siguiente fecha: Mar. 23 de Nov. de 2014. Gracias.", ["He apuntado una cita para la siguiente fecha: Mar. 23 de Nov. de 2014.", "Gracias."]),
 ("es", S + "008", "Núm. de tel: 351.123.465.4. Envíe mis saludos a la Sra. Rescia.", ["Núm. de tel: 351.123.465.4.", "Envíe mis saludos a la Sra. Rescia."]),
 ("es", S + "010", "Durante la primera misión del Discovery (30 Ago. 1984 15:08.10) tuvo lugar el lanzamiento de dos satélites de comunicación, el nombre de esta misión fue STS-41-D.", ["Durante la primera misión del Discovery (30 Ago. 1984 15:08.10) tuvo lugar el lanzamiento de dos satélites de comunicación, el nombre de esta misión fue STS-41-D."]),
 ("es", S + "012", "Citando a Criss Jami «Prefiero ser un artista a ser un líder, irónicamente, un líder tiene que seguir las reglas.», lo cual parece muy acertado.", ["Citando a Criss Jami «Prefiero ser un artista a ser un líder, irónicamente, un líder tiene que seguir las reglas.», lo cual parece muy acertado."]),
 ("es", S + "013", "Cuando llegué, le estaba dando ejercicios a los niños, uno de los cuales era \"3 + (14/7).x = 5\". ¿Qué te parece?", ["Cuando llegué, le estaba dando ejercicios a los niños, uno de los cuales era \"3 + (14/7).x = 5\".", "¿Qué te parece?"]),
 ("es", S + "014", "Se le pidió a los niños que leyeran los párrf. 5 y 6 del art. 4 de la constitución de los EE. UU..", ["Se le pidió a los niños que leyeran los párrf. 5 y 6 del art. 4 de la constitución de los EE. UU.."]),
 ("es", S + "015", "Una de las preguntas realizadas en la evaluación del día Lun. 15 de Mar. fue la siguiente: \"Alumnos, ¿cuál es el resultado de la operación 1.1 + 4/5?\". Disponían de 1 min. para responder esa pregunta.", ["Una de las preguntas realizadas en la evaluación del día Lun. 15 de Mar. fue la siguiente: \"Alumnos, ¿cuál es el resultado de la operación 1.1 + 4/5?\".", "Disponían de 1 min. para responder esa pregunta."]),
 ("es", S + "016", "La temperatura del motor alcanzó los 120.5°C. Afortunadamente, pudo llegar al final de carrera.", ["La temperatura del motor alcanzó los 120.5°C.", "Afortunadamente, pudo llegar al final de carrera."]),
 ("es", S + "017", "El volumen del cuerpo es 3m³. ¿Cuál es la superficie de cada cara del prisma?", ["El volumen del cuerpo es 3m³.", "¿Cuál es la superficie de cada cara del prisma?"]),
 ("es", S + "018", "La habitación tiene 20.55m². El living tiene 50.0m².", ["La habitación tiene 20.55m².", "El living tiene 50.0m²."]),
 ("es", S + "019", "1°C corresponde a 33.8°F. ¿A cuánto corresponde 35°C?", ["1°C corresponde a 33.8°F.", "¿A cuánto corresponde 35°C?"]),
 ("es", S + "020", "Hamilton ganó el último gran premio de Fórmula 1, luego de 1:39:02.619 Hs. de carrera, segundo resultó Massa, a una diferencia de 2.5 segundos. De esta manera se consagró ¡Campeón mundial!", ["Hamilton ganó el último gran premio de Fórmula 1, luego de 1:39:02.619 Hs. de carrera, segundo resultó Massa, a una diferencia de 2.5 segundos.", "De esta manera se consagró ¡Campeón mundial!"]),
 ("es", S + "022", "El corredor No. 103 arrivó 4°.", ["El corredor No. 103 arrivó 4°."]),
 ("es", S + "023", "Hoy es 27/04/2014, y es mi cumpleaños. ¿Cuándo es el tuyo?", ["Hoy es 27/04/2014, y es mi cumpleaños.", "¿Cuándo es el tuyo?"]),
 ("es", S + "024", "Aquí está la lista de compras para el almuerzo: 1.Helado, 2.Carne, 3.Arroz. ¿Cuánto costará? Quizás $12.5.", ["Aquí está la lista de compras para el almuerzo: 1.Helado, 2.Carne, 3.Arroz.", "¿Cuánto costará?", "Quizás $12.5."]),
 ("es", S + "025", "1 + 1 es 2. 2 + 2 es 4. El auto es de color rojo.", ["1 + 1 es 2.", "2 + 2 es 4.", "El auto es de color rojo."]),
 ("es", S + "026", "La máquina viajaba a 100 km/h. ¿En cuánto tiempo recorrió los 153 Km.?", ["La máquina viajaba a 100 km/h.", "¿En cuánto tiempo recorrió los 153 Km.?"]),
 ("es", S + "028", "N°. 1026.253.553", ["N°. 1026.253.553"]),
 ("es", S + "031", "Explora oportunidades de carrera en el área de Salud en el Hospital de Northern en Mt. Kisco.", ["Explora oportunidades de carrera en el área de Salud en el Hospital de Northern en Mt. Kisco."]),
 ("nl", "Golden Rules: Sentence starting with a number #001", "Hij schoot op de JP8-brandstof toen de Surface-to-Air (sam)-missiles op hem af kwamen. 81 procent van de schoten was raak.", ["Hij schoot op de JP8-brandstof toen de Surface-to-Air (sam)-missiles op hem af kwamen.", "81 procent van de schoten was raak."]),
 ("nl", "Golden Rules: Sentence starting with an ellipsis #002", "81 procent van de schoten was raak. ...en toen barste de hel los.", ["81 procent van de schoten was raak.", "...en toen barste de hel los."]),
 ("nl", S + "001", "Afkorting aanw. vnw.", ["Afkorting aanw. vnw."]),
 ("da", "Golden Rules: Simple period to end sentence #001", "Hej Verden. Mit navn er Jonas.", ["Hej Verden.", "Mit navn er Jonas."]),
 ("da", "Golden Rules: Question mark to end sentence #002", "Hvad er dit navn? Mit nav er Jonas.", ["Hvad er dit navn?", "Mit nav er Jonas."]),
 ("da", "Golden Rules: Two letter lower case abbreviations at the end of a sentence #008", "Lad os spørge Jane og co. De burde vide det.", ["Lad os spørge Jane og co.", "De burde vide det."]),
 ("da", "Golden Rules: Two letter upper case abbreviations at the end of a sentence #009", "De lukkede aftalen med Pitt, Briggs & Co. Det lukkede i går.", ["De lukkede aftalen med Pitt, Briggs & Co.", "Det lukkede i går."]),
 ("da", "Golden Rules: Two letter (prepositive) abbreviations #010", "De holdt Skt. Hans i byen.", ["De holdt Skt. Hans i byen."]),
 ("da", "Golden Rules: Two letter (prepositive & postpositive) abbreviations #011", "St. Michael's Kirke er på 5. gade nær ved lyset.", ["St. Michael's Kirke er på 5. gade nær ved lyset."]),
 ("da", "Golden Rules: Multi-period abbreviations at the end of a sentence #014", "Jeg bor i E.U. Hvad med dig?", ["Jeg bor i E.U.", "Hvad med dig?"]),
 ("bg", S + "001", "В първата половина на ноември т.г. ще бъде свикан Консултативният съвет за национална сигурност, обяви държавният глава.", ["В първата половина на ноември т.г. ще бъде свикан Консултативният съвет за национална сигурност, обяви държавният глава."]),
 ("bg", S + "002", "Компютърът е устройство с общо предназначение, което може да бъде програмирано да извършва набор от аритметични и/или логически операции. Възможността поредицата такива операции да бъде променяна позволява компютърът да се използва за решаването на теоретично всяка изчислителна/логическа задача. Обикновено целта на тези операции е обработката на въведена информация (данни), представена в цифров (дигитален) вид, резултатът от които може да се изведе в най-общо казано използваема форма.", ["Компютърът е устройство с общо предназначение, което може да бъде програмирано да извършва набор от аритметични и/или логически операции.", "Възможността поредицата такива операции да бъде променяна позволява компютърът да се използва за решаването на теоретично всяка изчислителна/логическа задача.", "Обикновено целта на тези операции е обработката на въведена информация (данни), представена в цифров (дигитален) вид, резултатът от които може да се изведе в най-общо казано използваема форма."]),
 ("bg", S + "003", "Пл. \"20 Април\"", ["Пл. \"20 Април\""]),
 ("kk", "Golden Rules: Simple period to end sentence #001", "Мұхитқа тікелей шыға алмайтын мемлекеттердің ішінде Қазақстан - ең үлкені.", ["Мұхитқа тікелей шыға алмайтын мемлекеттердің ішінде Қазақстан - ең үлкені."]),
 ("kk", "Golden Rules: Question mark to end sentence #002", "Оқушылар үйі, Достық даңғылы, Абай даналығы, ауыл шаруашылығы – кім? не?", ["Оқушылар үйі, Достық даңғылы, Абай даналығы, ауыл шаруашылығы – кім?", "не?"]),
 ("kk", "Golden Rules: Parenthetical inside sentence #003", "Әр түрлі өлшемнің атауы болып табылатын м (метр), см (сантиметр), кг (киллограмм), т (тонна), га (гектар), ц (центнер), т. б. (тағы басқа), тәрізді белгілер де қысқарған сөздер болып табылады.", ["Әр түрлі өлшемнің атауы болып табылатын м (метр), см (сантиметр), кг (киллограмм), т (тонна), га (гектар), ц (центнер), т. б. (тағы басқа), тәрізді белгілер де қысқарған сөздер болып табылады."]),
 ("kk", "Golden Rules: Two letter abbreviation to end sentence #004", "Мысалы: обкомға (облыстық комитетке) барды, ауаткомда (аудандық атқару комитетінде) болды, педучилищеге (педагогтік училищеге) түсті, медпункттің (медициналық пункттің) алдында т. б.", ["Мысалы: обкомға (облыстық комитетке) барды, ауаткомда (аудандық атқару комитетінде) болды, педучилищеге (педагогтік училищеге) түсті, медпункттің (медициналық пункттің) алдында т. б."]),
 ("kk", "Golden Rules: Number as non sentence boundary #005", "Елдің жалпы ішкі өнімі ЖІӨ (номинал) = $225.619 млрд (2014)", ["Елдің жалпы ішкі өнімі ЖІӨ (номинал) = $225.619 млрд (2014)"]),
 ("kk", "Golden Rules: No whitespace between sentence boundary #006", "Ресейдiң әлеуметтiк-экономикалық жағдайы.XVIII ғасырдың бiрiншi ширегiнде Ресейге тән нәрсе.", ["Ресейдiң әлеуметтiк-экономикалық жағдайы.", "XVIII ғасырдың бiрiншi ширегiнде Ресейге тән нәрсе."]),
 ("kk", "Golden Rules: Dates within sentence #007", "(«Егемен Қазақстан», 7 қыркүйек 2012 жыл. №590-591); Бұл туралы кеше санпедқадағалау комитетінің облыыстық департаменті хабарлады. («Айқын», 23 сəуір 2010 жыл. № 70).", ["(«Егемен Қазақстан», 7 қыркүйек 2012 жыл. №590-591); Бұл туралы кеше санпедқадағалау комитетінің облыыстық департаменті хабарлады.", "(«Айқын», 23 сəуір 2010 жыл. № 70)."]),
 ("kk", "Golden Rules: Multi period abbreviation within sentence #008", "Иран революциясы (1905 — 11) және азаматтық қозғалыс (1918 — 21) кезінде А. Фарахани, М. Кермани, М. Т. Бехар, т.б. ақындар демократиялық идеяның жыршысы болды.", ["Иран революциясы (1905 — 11) және азаматтық қозғалыс (1918 — 21) кезінде А. Фарахани, М. Кермани, М. Т. Бехар, т.б. ақындар демократиялық идеяның жыршысы болды."]),
 ("kk", "Golden Rules: Web addresses #009", "Владимир Федосеев: Аттар магиясы енді жоқ http://www.vremya.ru/2003/179/10/80980.html", ["Владимир Федосеев: Аттар магиясы енді жоқ http://www.vremya.ru/2003/179/10/80980.html"]),
 ("kk", "Golden Rules: Question mark not at end of sentence #010", "Бірақ оның енді не керегі бар? — деді.", ["Бірақ оның енді не керегі бар? — деді."]),
 ("kk", "Golden Rules: Exclamation mark not at end of sentence #011", "Сондықтан шапаныма жегізіп отырғаным! - деп, жауап береді.", ["Сондықтан шапаныма жегізіп отырғаным! - деп, жауап береді."]),
 ("kk", S + "001", "Б.з.б. 6 – 3 ғасырларда конфуцийшілдік, моизм, легизм мектептерінің қалыптасуы нәтижесінде Қытай философиясы пайда болды.", ["Б.з.б. 6 – 3 ғасырларда конфуцийшілдік, моизм, легизм мектептерінің қалыптасуы нәтижесінде Қытай философиясы пайда болды."]),
 ("kk", S + "002", "'Та марбута' тек сөз соңында екі түрде жазылады:", ["'Та марбута' тек сөз соңында екі түрде жазылады:"]),
 ("el", "Golden Rules: Question mark to end sentence #001", "Με συγχωρείτε· πού είναι οι τουαλέτες; Τις Κυριακές δε δούλευε κανένας. το κόστος του σπιτιού ήταν £260.950,00.", ["Με συγχωρείτε· πού είναι οι τουαλέτες;", "Τις Κυριακές δε δούλευε κανένας.", "το κόστος του σπιτιού ήταν £260.950,00."]),
]

# apache/opennlp (Apache-2.0) opennlp-tools/src/test/java/opennlp/tools/sentdetect/SentenceDetectorME<Lang>Test.java:
# the input strings and expected sentences of each test (Java string concatenation done by hand; the Spanish
# test's missing spaces between concatenated pieces are kept, as the test asserts them).
OPENNLP = "opennlp-tools/src/test/java/opennlp/tools/sentdetect/"
OPENNLP_FILES = {
    "de": ("SentenceDetectorMEGermanTest.java", "26cac4f4275fa18c3bd68b9fae8279fce3b42d6c"),
    "nl": ("SentenceDetectorMEDutchTest.java", "26cac4f4275fa18c3bd68b9fae8279fce3b42d6c"),
    "pl": ("SentenceDetectorMEPolishTest.java", "5183434d96e89b9600757f62c562926185855e45"),
    "it": ("SentenceDetectorMEItalianTest.java", "cc1c3315b0a090a617171d74c761ba3172a4f642"),
    "pt": ("SentenceDetectorMEPortugueseTest.java", "26cac4f4275fa18c3bd68b9fae8279fce3b42d6c"),
    "es": ("SentenceDetectorMESpanishTest.java", "26cac4f4275fa18c3bd68b9fae8279fce3b42d6c"),
}
ES_LONG = ("Ya Aristóteles creía en la posibilidad de hallar en los sueños la indicación"
           "del comienzo de una enfermedad de la que en el estado de vigilia no experimentábamos aún"
           "el menor indicio (merced a la ampliación que el sueño deja experimentar a las"
           "impresiones), y autores médicos de cuyas opiniones se hallaba muy lejos el conceder a los"
           "sueños un valor profético, han aceptado esta significación de los mismos como"
           "anunciadores de la enfermedad (cf. Simón, pág. 31, y otros muchos autores más"
           "antiguos).")
OPENNLP_CASES = [
 ("de", "testSentDetectWithInlineAbbreviationsEx1", ["Ein Traum, zu dessen Bildung eine besonders starke Verdichtung beigetragen, wird für diese Untersuchung das günstigste Material sein.", "Ich wähle den auf S. 183 ff. mitgeteilten Traum von der botanischen Monographie."], " "),
 ("de", "testSentDetectWithInlineAbbreviationsEx2", ["Die farbige Tafel, die ich aufschlage, geht (vgl. die Analyse S. 185 f.) auf ein neues Thema ein."], " "),
 ("de", "testSentDetectWithInlineAbbreviationsEx3", ["Die farbige Tafel, die ich aufschlage, geht (z. B. die Analyse S. 185) auf ein neues Thema ein."], " "),
 ("de", "testSentDetectWithUseTokenEndFalse", ["Träume sind eine Verbindung von Gedanken.", "Verschiedene Gedanken sind während der Traumformation aktiv."], ""),
 ("nl", "testSentDetectWithInlineAbbreviationsEx1", ["Een droom, tot de vorming waarvan een bijzonder sterke compressie heeft bijgedragen, zal het meest gunstige materiaal zijn voor dit onderzoek.", "Ik kies voor de droom van de botanische monografie die op p. 183 en volgende wordt beschreven."], " "),
 ("nl", "testSentDetectWithInlineAbbreviationsEx2", ["Met het oog op de overvloed aan ideeën die de analyse op elk afzonderlijk element van de droominhoud brengt, zullen sommige lezers twijfels hebben over het principe of alles wat later tijdens de analyse in je opkomt, tot de droomgedachten gerekend mag worden, d.w.z. of aangenomen mag worden dat al deze gedachten al tijdens de slaaptoestand actief waren en bijdroegen aan de vorming van de droom?"], " "),
 ("nl", "testSentDetectWithInlineAbbreviationsEx3", ["De gekleurde plaat die ik openmaak (zie de analyse pag. 185 e.v.) verwijst naar een nieuw thema, de kritiek van collega's op mijn werk, en naar een thema dat al in de droom voorkomt, mijn hobby's, en ook naar de jeugdherinnering waarin ik een boek met gekleurde platen uit elkaar pluk, het gedroogde exemplaar van de plant raakt aan de gymnasiumervaring met het herbarium en benadrukt deze herinnering in het bijzonder."], " "),
 ("pl", "testSentDetectWithInlineAbbreviationsResultsInOneSentence[1]", ["Freud zauważył, że w normalnych warunkach silne pobudzenie emocjonalne wymaga odpowiedniego rozładowania w formie działania (np. uraza ze strony jakiejś osoby wymaga odwetu) lub opracowania intelektualnego."], " "),
 ("pl", "testSentDetectWithInlineAbbreviationsResultsInOneSentence[2]", ["Z tego pierwszego badania można odnieść wrażenie, że elementy \"botaniczny\" i \"monografia\" znalazły się w treści snu, ponieważ mogą mieć najszerszy kontakt z większością myśli sennych, tj. reprezentują punkty węzłowe, w których spotyka się wiele myśli sennych, ponieważ są one niejednoznaczne w odniesieniu do interpretacji snów."], " "),
 ("pl", "testSentDetectWithInlineAbbreviationsResultsInTwoSentences", ["W szkicu autobiograficznym pt. moje życie i psychoanaliza Freud pisze, że jego przodkowie żyli przez wiele lat w Kolonii.", "W wyniku prześladowań Żydów w XIV i XV wieku uciekli na wschód do Polski i na Litwę."], " "),
 ("it", "testSentDetectWithInlineAbbreviationsResultsInOneSentence[1]", ["La chiesa fu costruita fra il 1258 ed il 1308 ca. come chiesa del convento degli Agostiniani."], " "),
 ("it", "testSentDetectWithInlineAbbreviationsResultsInOneSentence[2]", ["Laureato in Scienza Politiche presso l'Università S. Pio V, di Roma."], " "),
 ("it", "testSentDetectWithInlineAbbreviationsResultsInOneSentence[3]", ["La chiesa, che prima dipendeva da S. Giovanni Battista sopra Quarona, fu innalzata parrocchia nel 1588, con la posa della croce sulla sommità."], " "),
 ("it", "testSentDetectWithInlineAbbreviationsResultsInTwoSentences", ["L' antico Conservatorio di S. Giuseppe e Teresa di Pucara del 1662 è soggetto a speculazione edilizia.", "La consegna ha avuto luogo nell'auditorium S. Chiara di Trento, che per l'occasione era pieno."], " "),
 ("pt", "testSentDetectWithInlineAbbreviationsResultsInOneSentence[1]", ["Medico é o Dr. Avelino, d'aqui a legoa e meia, nas Bolsas."], " "),
 ("pt", "testSentDetectWithInlineAbbreviationsResultsInOneSentence[2]", ["Mas já V. Ex.a vê, esta gentinha é pobre!"], " "),
 ("pt", "testSentDetectWithInlineAbbreviationsResultsInOneSentence[3]", ["S. Alteza o Gran-Duque Casimiro!"], " "),
 ("pt", "testSentDetectWithInlineAbbreviationsResultsInTwoSentences", ["O povo pernambucano, tradicionalmente inimigo dos imperadores, lembrava-se do tempo em que o Sr. D. Pedro de Alcantara dava-se ao luxo de visitar o norte.", "S. Exc.a soffre de fartura."], " "),
 ("es", "testSentDetectWithInlineAbbreviationsResultsInOneSentence[1]", ["El panel de color que abro (cf. el análisis de la pág. 185) trata un tema nuevo"], " "),
 ("es", "testSentDetectWithInlineAbbreviationsResultsInOneSentence[2]", ["El panel de color que abro (p.ej. el análisis de la pág. 185) trata un tema nuevo"], " "),
 ("es", "testSentDetectWithInlineAbbreviationsResultsInOneSentence[3]", ["El caballo se come la ensalada de pepino con el n.º dos."], " "),
 ("es", "testSentDetectWithInlineAbbreviationsResultsInTwoSentences", [ES_LONG, "Tampoco en la época moderna faltan ejemplos comprobados de una tal función diagnóstica del sueño."], " "),
]


def main():
    out = []
    for lang, test, text, expected in CASES:
        path, commit = FILES[lang]
        assert "".join(expected).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", ""), test
        out.append({"repo": REPO, "path": path, "commit": commit, "test": test, "lang": lang, "text": text,
                     "expected": expected, "licence": LICENCE})
    for lang, test, expected, sep in OPENNLP_CASES:
        name, commit = OPENNLP_FILES[lang]
        out.append({"repo": "apache/opennlp", "path": OPENNLP + name, "commit": commit, "test": test,
                    "lang": lang, "text": sep.join(expected), "expected": expected, "licence": "Apache-2.0"})
    # stanfordnlp/stanza (Apache-2.0) stanza/tests/pipeline/test_tokenizer.py @1ea7a658: JA_DOC and ZH_DOC
    # with their gold sentences (JA_DOC_GOLD_TOKENS / ZH_DOC_GOLD_TOKENS, one sentence a blank-line block).
    for lang, name, text, expected in (
            ("ja", "JA_DOC", "北京は中国の首都です。 北京の人口は2152万人です。\n", ["北京は中国の首都です。", "北京の人口は2152万人です。"]),
            ("zh", "ZH_DOC", "北京是中国的首都。 北京有2100万人口，是一个直辖市。\n", ["北京是中国的首都。", "北京有2100万人口，是一个直辖市。"])):
        out.append({"repo": "stanfordnlp/stanza", "path": "stanza/tests/pipeline/test_tokenizer.py",
                    "commit": "1ea7a6587cca8020a76913b7b7c60bec757c0ea4", "test": name, "lang": lang,
                    "text": text, "expected": expected, "licence": "Apache-2.0"})
    about = {"about": __doc__, "cases": out}
    dst = os.path.join(os.path.dirname(os.path.abspath(__file__)), "check12_cases.json")
    with open(dst, "w", encoding="utf-8") as f:
        json.dump(about, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"{len(out)} cases -> {dst}")


if __name__ == "__main__":
    main()
