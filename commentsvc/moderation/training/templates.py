"""Composed training lines: short patterns with many fillers, added to the written sets.

The written sets (toxic.tsv, fine.tsv) carry the variety of real comments; these
fill in the shapes they have few of: short everyday lines, requests, lists of
places, and abuse aimed at third persons; and (issue 11) an insult addressed to the
reader inside a sentence about something else, veiled threats, pile-ons, and the same
topic sentences said civilly, so the topic half of a sentence is not what decides.
Deterministic (a fixed seed).

Why this module is long (over the 400-line guide): most of it is data, the
filler word lists the patterns draw from, not logic.
"""

from __future__ import annotations

import itertools
import random

INSULT_NOUNS = [
    "idiot",
    "clown",
    "fool",
    "halfwit",
    "dimwit",
    "imbecile",
    "cretin",
    "buffoon",
    "simpleton",
    "dunce",
    "nitwit",
    "numpty",
    "oaf",
    "dolt",
    "loser",
    "parasite",
    "creep",
    "worm",
    "toad",
    "weasel",
    "troll",
    "airhead",
    "windbag",
    "nonentity",
    "plank",
    "ape",
    "goblin",
    "leech",
    "rodent",
    "snake",
    "coward",
    "fraud",
    "charlatan",
    "hack",
    "crank",
    "lunatic",
]
INSULT_ADJECTIVES = [
    "pathetic",
    "worthless",
    "brainless",
    "clueless",
    "gormless",
    "spineless",
    "useless",
    "witless",
    "thick",
    "dense",
    "dim",
    "vile",
    "repulsive",
    "miserable",
    "pitiful",
    "deluded",
    "ignorant",
    "smug",
    "dreary",
    "snivelling",
    "gutless",
    "empty-headed",
    "pea-brained",
    "hopeless",
    "disgusting",
    "nasty",
]
PEOPLE = [
    "the reporter",
    "the writer",
    "this councillor",
    "the referee",
    "the author",
    "that woman",
    "that man",
    "the landlord",
    "the columnist",
    "your MP",
    "the headteacher",
    "the vicar",
    "this journalist",
]
GROUPS = [
    "immigrants",
    "foreigners",
    "refugees",
    "migrants",
    "Muslims",
    "Jews",
    "Christians",
    "Hindus",
    "Sikhs",
    "Poles",
    "Romanians",
    "Africans",
    "Asians",
    "the Irish",
    "the Scots",
    "women",
    "old people",
    "disabled people",
    "travellers",
    "your lot",
    "people like you",
    "your kind",
    "their sort",
]
GROUP_SLURS = [
    "are vermin",
    "are a disease",
    "should be sent back",
    "are all criminals",
    "are subhuman",
    "should be kept out",
    "are parasites",
    "don't belong here",
    "are ruining everything",
    "should be locked up",
    "are animals",
    "are a plague",
]
HARM = [
    "deserves a beating",
    "should be dragged out of the house",
    "needs a visit",
    "should be put in hospital",
    "won't walk away next time",
    "should be strung up",
    "needs teaching a lesson with fists",
    "should watch out on the way home",
    "will get hurt soon",
    "should be run over",
]
PLACES = [
    "Málaga",
    "Zürich",
    "Kraków",
    "Łódź",
    "São Paulo",
    "Bogotá",
    "Genève",
    "Köln",
    "Besançon",
    "Reykjavík",
    "Tromsø",
    "Ålesund",
    "Göteborg",
    "Montréal",
    "Québec",
    "Brno",
    "Ljubljana",
    "İzmir",
    "Córdoba",
    "Orléans",
    "Nîmes",
    "Peñíscola",
    "Scunthorpe",
    "Penistone",
    "Cockermouth",
    "Clitheroe",
    "Lower Slaughter",
    "Bishop's Itchington",
    "Wetwang",
    "Matlock",
    "Ely",
    "Hull",
    "Dundee",
    "Truro",
    "Gdańsk",
    "Poznań",
    "Düsseldorf",
    "Århus",
    "Plzeň",
    "Šibenik",
]
REQUESTS = [
    "Pass the salt, please.",
    "Please close the gate behind you.",
    "Call the office before noon.",
    "Bring a coat, it gets cold by the river.",
    "Send us your photos of the parade.",
    "Keep left on the footpath.",
    "Take the second exit at the roundabout.",
    "Hit reply to join.",
    "Pick a size from the list.",
    "Press the button to cross.",
    "Mind the step.",
    "Ring the bell twice.",
    "Drop the forms at reception.",
    "Feed the cat at six.",
    "Park behind the church.",
    "Knock before you enter.",
    "Text 60777 to donate.",
    "Dial 101 for non-emergencies.",
    "Sign up at the front desk.",
    "Write your name on the back.",
    "Turn left at the pub.",
    "Shut the door, it's freezing.",
    "Go straight on past the school.",
    "Wait for the green man.",
    "Check the timetable before you travel.",
    "Put the bins out on Thursday night.",
]
SHORT = [
    "Good morning from the seafront.",
    "Well said.",
    "Agreed.",
    "Not sure about that.",
    "Fair point.",
    "Thanks, very helpful.",
    "Lovely.",
    "Spot on.",
    "I.e. everyone within five miles.",
    "E.g. the bakery.",
    "Y'all should come to the fete.",
    "Keep it up.",
    "Just saying.",
    "Time will tell.",
    "FWIW I agree.",
    "Scraped knees are part of growing up.",
    "Cockatoos live a long time.",
    "She'll bring the keys.",
    "See you there.",
    "Count me in.",
    "Hear, hear.",
    "Bravo.",
    "Well done all.",
    "Wonderful news.",
    "Hit the bullseye and you win a cake.",
    "Tit for tat tariffs never help.",
    "Same again next year?",
]
CIVIL_TARGETS = [
    "The minister",
    "The council",
    "The government",
    "The mayor",
    "The club's owners",
    "The board",
    "The regulator",
    "The prime minister",
    "The rail company",
    "The water company",
    "The chancellor",
]
CIVIL_CLAIMS = [
    "has failed the town",
    "should resign",
    "got this badly wrong",
    "is out of touch",
    "has broken its promises",
    "should apologise",
    "is wasting our money",
    "has no plan",
    "misled us",
    "should be held to account",
    "has treated residents with contempt",
    "should be ashamed of this",
]

# Issue 11: the topic half of a sentence, said to the reader.
TOPICS = [
    "that's not how interest rates work",
    "the bypass was approved two years ago",
    "the school was rated good at its last inspection",
    "the offside rule hasn't changed",
    "the library closes at six on Saturdays",
    "inflation is measured over twelve months",
    "the bridge is shut for repairs, not for fun",
    "the council doesn't set the bus fares",
    "vaccines went through years of trials",
    "the referee was right to give the penalty",
    "the tax applies to second homes only",
    "the hospital wing opened in March",
    "the tide tables are published every week",
    "nobody said the park would be sold",
    "the planning meeting is in the town hall",
    "the pension age rises gradually",
    "the election result was certified",
    "the climate data go back a century",
    "the stadium holds forty thousand",
    "the minimum wage went up in April",
    "rents rose because supply fell",
    "the recipe says two eggs, not four",
    "the train was cancelled because of the storm",
    "that's a bar chart, not a pie chart",
    "the bins are collected on Thursdays",
    "the museum is free on Sundays",
]
VOCATIVE = [
    "you absolute {n}",
    "you {a} {n}",
    "you {a} little {n}",
    "you utter {n}",
    "you complete and total {n}",
]
CIVIL_OPENERS = [
    "With respect, {t}.",
    "I think you're mistaken: {t}.",
    "Sorry, but {t}.",
    "Just to correct the article, {t}.",
    "Check the facts, {t}.",
    "You're wrong on this one, {t}.",
    "For the record, {t}.",
    "I disagree strongly, {t}, and the council knows it.",
    "{T}, as anyone at the meeting will tell you.",
    "Honestly, {t}, read the report.",
]
SARCASM = [
    "Wow, {t}? Who knew, genius. Go back to sleep, you {a} {n}.",
    "{T}, but sure, keep talking, you {a} {n}.",
    "Bless you, {t}, and you're still the biggest {n} in town.",
    "Great, another {n} who can't grasp that {t}.",
]
VEILED = [
    "{P} had better get a good security team.",
    "If I were {p}, I'd stop walking home alone.",
    "{P} should be careful, accidents happen to people who talk.",
    "Someone will pay {p} a visit soon, I'd imagine.",
    "{P} will regret this article when we find out where they live.",
    "I know where {p} lives, and so will everyone else tomorrow.",
    "Let's see how brave {p} is when we turn up at the door.",
    "{P} won't be writing anything once we're done.",
    "I hope {p} gets what's coming, and soon.",
    "I hope {p} ends up in hospital.",
    "It would be a shame if something happened to {p}'s car.",
    "{P} should sleep with the lights on from now on.",
]
PILE_ON = [
    "Everyone go and leave {p} one-star reviews until they give up.",
    "Let's all email {p}'s employer and get them sacked.",
    "Flood {p}'s page with messages until they delete it.",
    "Somebody post {p}'s home address so we can pay a visit.",
    "Keep tagging {p} until they can't go online any more.",
    "Find out where {p} works and make some calls.",
    "Make {p}'s life hell, all of you, starting tonight.",
]
IDENTITY_GROUPS = [
    "pensioners",
    "the elderly",
    "teenagers",
    "wheelchair users",
    "autistic people",
    "deaf people",
    "blind people",
    "people with Down's syndrome",
    "Catholics",
    "Buddhists",
    "atheists",
    "Mormons",
    "Pakistanis",
    "Nigerians",
    "Albanians",
    "Somalis",
    "Mexicans",
    "Chinese people",
    "gay men",
    "lesbians",
    "trans people",
    "bisexual people",
    "women drivers",
    "single mothers",
    "men",
]
DEHUMANISING = [
    "are not really human",
    "are a burden we should be rid of",
    "breed like rats",
    "should be sterilised",
    "are a stain on this country",
    "should be banned from public places",
    "are diseased",
    "are inferior in every way",
    "should be wiped out",
    "are filthy and stupid",
]
NEUTRAL_ABOUT = [
    "The new centre will offer free advice to {g}.",
    "A survey of {g} in the county will be published next month.",
    "The charity supports {g} with housing and work.",
    "The documentary follows three {g} over a year.",
    "The report says {g} face longer waits for appointments.",
    "Local groups for {g} meet at the library.",
    "The bus company is consulting {g} about access.",
]


def toxic() -> list[tuple[str, str]]:
    rng = random.Random(11)
    out: list[tuple[str, str]] = []
    pairs = list(itertools.product(INSULT_ADJECTIVES, INSULT_NOUNS))
    for adjective, noun in rng.sample(pairs, 120):
        shape = rng.choice(
            (
                "You {a} {n}.",
                "What a {a} {n} you are.",
                "Shut up, you {a} {n}.",
                "{P} is a {a} {n}.",
                "Only a {a} {n} like you would post this.",
                "Listen, you {a} {n}, nobody asked.",
            )
        )
        out.append(("insult", shape.format(a=adjective, n=noun, P=rng.choice(PEOPLE).capitalize())))
    for person, harm in rng.sample(list(itertools.product(PEOPLE, HARM)), 60):
        out.append(("threat", f"{person.capitalize()} {harm}."))
    for group, slur in rng.sample(list(itertools.product(GROUPS, GROUP_SLURS)), 80):
        out.append(("identity", f"{group[0].upper()}{group[1:]} {slur}."))
    out += _issue11_toxic(rng)
    return out


def _cap(text: str) -> str:
    return text[0].upper() + text[1:]


def _vocative(rng: random.Random) -> str:
    return rng.choice(VOCATIVE).format(a=rng.choice(INSULT_ADJECTIVES), n=rng.choice(INSULT_NOUNS))


def _issue11_toxic(rng: random.Random) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for topic in TOPICS:  # the insult before, after or inside the topic clause
        for shape in rng.sample(
            ("{V}, {t}.", "{T}, {v}.", "Listen, {v}: {t}.", "{T}. Honestly, {v}."), 3
        ):
            v = _vocative(rng)
            out.append(("insult", shape.format(v=v, V=_cap(v), t=topic, T=_cap(topic))))
    for topic in rng.sample(TOPICS, 16):
        shape = rng.choice(SARCASM)
        out.append(
            (
                "insult",
                shape.format(
                    t=topic,
                    T=_cap(topic),
                    a=rng.choice(INSULT_ADJECTIVES),
                    n=rng.choice(INSULT_NOUNS),
                ),
            )
        )
    for shape, person in rng.sample(list(itertools.product(VEILED, PEOPLE)), 48):
        out.append(("threat", shape.format(p=person, P=_cap(person))))
    for shape, person in rng.sample(list(itertools.product(PILE_ON, PEOPLE)), 36):
        out.append(("harassment", shape.format(p=person, P=_cap(person))))
    for group, slur in rng.sample(list(itertools.product(IDENTITY_GROUPS, DEHUMANISING)), 60):
        out.append(("identity", f"{_cap(group)} {slur}."))
    return out


def fine() -> list[tuple[str, str]]:
    rng = random.Random(12)
    out: list[tuple[str, str]] = [("neutral", r) for r in REQUESTS]
    out += [("neutral", s) for s in SHORT]
    for _ in range(60):
        a, b, c = rng.sample(PLACES, 3)
        shape = rng.choice(
            (
                "We drove through {a}, {b} and {c} last summer.",
                "Everyone in {a} knows that junction is dangerous.",
                "The choir sings in {a}, {b} and {c} this year.",
                "My cousin runs the post office in {a}.",
                "Trains from {a} to {b} are delayed.",
                "The best market is in {a}, not {b}.",
            )
        )
        out.append(("neutral", shape.format(a=a, b=b, c=c)))
    for target, claim in rng.sample(list(itertools.product(CIVIL_TARGETS, CIVIL_CLAIMS)), 70):
        out.append(("public", f"{target} {claim}."))
    for topic in TOPICS:  # the same topic clauses, said without an insult
        for shape in rng.sample(CIVIL_OPENERS, 3):
            out.append(("disagreement", shape.format(t=topic, T=_cap(topic))))
    for shape, group in rng.sample(list(itertools.product(NEUTRAL_ABOUT, IDENTITY_GROUPS)), 40):
        out.append(("neutral", shape.format(g=group)))
    return out
