"""Composed training lines: short patterns with many fillers, added to the written sets.

The written sets (toxic.tsv, fine.tsv) carry the variety of real comments; these
fill in the shapes they have few of: short everyday lines, requests, lists of
places, and abuse aimed at third persons. Deterministic (a fixed seed).
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
    return out
