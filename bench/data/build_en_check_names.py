#!/usr/bin/env python3
"""Writes bench/data/segmenter_en_check_names.json: an English check set of names spelled with
`!` or `?` (issue 13, brands round), written by the brands helper for this file (no sentence is
copied from any peer's suite or from UD). Groups:
* listed: names that are in native/aybiza_core/src/text/data/marked_names.tsv;
* unlisted: real names spelled with `!`/`?` deliberately left OUT of the table (Hatari!, Viva
  Zapata!, Oh, Kay!, Fiorello!, Sushi Go!, Pitfall!, Toradora!, Skip Beat!, Why Didn't They Ask
  Evans?, What Makes Sammy Run?, Is Paris Burning?, Shindig!), to show the honest unseen rate;
* unlisted2: twelve more unlisted names, written after the title-case rule and scored once;
* controls: sentences that really end in `!` or `?`, some right after a listed name, which must
  still split.
Each case is its sentences joined by one space. Licence: same as the repository.
Run: python3 bench/data/build_en_check_names.py; score: bin/bench segmenter-accuracy --check
bench/data/segmenter_en_check_names.json"""
import json, os

K = {}
K["listed"] = [
    ["Analysts expect Yum! Brands to open more stores next year."],
    ["My uncle read the news on Yahoo! Finance every morning."],
    ["Her favourite band was Panic! at the Disco when she was fifteen."],
    ["He won twelve games on Jeopardy! before he lost.", "The final question was about rivers."],
    ["The tickets for Mamma Mia! Here We Go Again sold out fast."],
    ["They played Who Wants to Be a Millionaire? on a long car trip."],
    ["We saw Oklahoma! at the community theatre.", "The lead was superb."],
    ["Her first job was at E! News in Los Angeles."],
    ["The site runs on Joomla! and a few plugins."],
    ["Grandpa still quotes Airplane! at every family dinner."],
    ["The kids watched Yo Gabba Gabba! while I cooked."],
    ["My sister bought a copy of Hello! Magazine at the station."],
    ["The studio behind Hot Shots! Part Deux also made Top Secret! in 1984."],
    ["A copy of Who Moved My Cheese? sat on every desk in the office."],
    ["She kept a box of Chips Ahoy! cookies in her locker."],
    ["The old comics from BOOM! Studios are worth a lot now."],
    ["We argued about whether Mother! was a good film.", "I think it was."],
    ["Her dad sang Oh! Darling in the car all the way to the coast."],
    ["He bought Punch-Out!! for his brother and never played it himself."],
    ["Everyone at the party knew the words to Hey Ya! by heart."],
]
K["unlisted"] = [
    ["We watched Hatari! on a rainy Sunday."],
    ["The film Viva Zapata! starred Marlon Brando."],
    ["The revival of Oh, Kay! closed after a month."],
    ["They staged Fiorello! at the college last spring."],
    ["The kids love Sushi Go! more than any other card game."],
    ["My first console game was Pitfall! on a borrowed Atari."],
    ["She binged Toradora! over the holidays."],
    ["The manga Skip Beat! ran for many years."],
    ["I finished Why Didn't They Ask Evans? on the train."],
    ["The novel What Makes Sammy Run? is about Hollywood."],
    ["The film Is Paris Burning? has a huge cast."],
    ["My parents used to dance to Shindig! on television."],
]
# Written at 22:59 after the title-case rule was drawn from the three `unlisted` failures above,
# and scored once, untouched since: more names left OUT of the table.
K["unlisted2"] = [
    ["My brother still hums the theme from Eek! The Cat when he cooks."],
    ["Reruns of What's Happening!! aired every afternoon."],
    ["We watched Gimme a Break! on Thursday nights."],
    ["The kids rented Hey Vern, It's Ernest! from the video store."],
    ["Her favourite album is Up! by Shania Twain."],
    ["Melissa McCarthy was nominated for Can You Ever Forgive Me? at the Oscars."],
    ["The documentary Won't You Be My Neighbor? made my mother cry."],
    ["We took the kids to Are We There Yet? and they loved it."],
    ["She reviewed What's Your Number? for the school paper."],
    ["The crowd at Why Did I Get Married? laughed all night."],
    ["The church group went to see Do You Believe? together."],
    ["The DJ played Whoomp! There It Is twice in a row."],
]
K["controls"] = [
    ["Welcome to Acme!", "Enjoy your stay."],
    ["I love Yahoo!", "The service is fast."],
    ["We grew up watching Jeopardy!", "My grandmother never missed it."],
    ["Have you ever seen Oklahoma?", "It is flat."],
    ["Hello!", "Welcome to the help line."],
    ["Help!", "Somebody call a doctor."],
    ["What a goal!", "The crowd went wild."],
    ["Where is my phone?", "I had it a minute ago."],
    ["Is it raining?", "Take an umbrella."],
    ["Thanks for calling!", "Your ticket number is ready."],
    ["Great news!", "Your refund has been approved."],
    ["Wham!", "The door slammed shut."],
    ["Can you hear me?", "Please say yes."],
    ["She shouted Stop!", "Then she ran."],
    ["Who wants to be a millionaire?", "Everyone does."],
    ["Did you like Airplane!?", "It is my favourite."],
]

cases = []
for kind, items in K.items():
    for n, sents in enumerate(items):
        cases.append({"id": f"names-en-{kind}-{n:02}", "lang": "en", "group": f"names:{kind}",
                      "kind": "full", "text": " ".join(sents), "expected": sents})
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "segmenter_en_check_names.json")
with open(out, "w", encoding="utf-8") as f:
    json.dump(cases, f, ensure_ascii=False, indent=1)
    f.write("\n")
print(len(cases), "cases ->", out)
