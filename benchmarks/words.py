"""Word filter speed: our matcher against better-profanity and better-profanity-rs.

Run: .venv/bin/python benchmarks/words.py [--comments 5000] [--sample 100] [--seed N]

The corpus is plain news-comment prose generated from a fixed seed (written
for this benchmark, not taken from anywhere), about 100 words a comment; 10%
carry an offending word, a third of those typed as an evasion. Every matcher
censors the same comments in the same run; better-profanity only a sample, as
it is slow. The last line is the one to read:
    words: ours_per_s=N better_profanity_per_s=N rs_per_s=N
"""

from __future__ import annotations

import argparse
import gc
import platform
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SEED = 20240611
COMMENTS = 5000
WORDS_PER_COMMENT = 100
OFFENDING_RATE = 0.10
EVASION_RATE = 1 / 3

# --- the corpus ------------------------------------------------------------------

_OPENERS = [
    "Thanks for the report.",
    "I read this twice before commenting.",
    "Good piece, but it leaves out a few things.",
    "Interesting article, and a fair summary of the meeting.",
    "As someone who has lived here for {years} years, I have a different view.",
    "My neighbour sent me this link this morning.",
    "Finally someone is asking the obvious questions.",
    "I have been following this story since {month}.",
    "Not sure I agree with the headline.",
    "Well written, as usual from this reporter.",
]

_SENTENCES = [
    "The council voted {number} to {small} on the new {project} plan last {weekday}.",
    "Nobody at the meeting could explain where the extra {money} came from.",
    "The {project} in {place} was supposed to open in {year}, and it is still not finished.",
    "My daughter takes the {route} bus every morning and it is late at least twice a week.",
    "If the {office} had published the analysis earlier, we could have had a real debate.",
    "The classic mistake is to promise everything before the budget is even passed.",
    "I spoke to a therapist at the clinic on {street} and she said waiting lists have doubled.",
    "Prices at the market in {place} went up by {percent} percent since {month}.",
    "The assessment by the independent panel is worth reading in full.",
    "We moved from {place} to {place2} in {year} and never looked back.",
    "The embassy statement was vague, which tells you something.",
    "There is a passage in the report that nobody seems to have noticed.",
    "Our local bakery on {street} closed after {years} years because the rent tripled.",
    "The grape harvest in the valley was the best in a decade, according to the growers.",
    "I would like to see the numbers broken down by {group}.",
    "The class sizes at the primary school are already above thirty.",
    "Parking on {street} has been a mess since the works started.",
    "A cocktail of higher rates and lower wages is squeezing everyone.",
    "The film about the assassin that the cinema showed last week was sold out.",
    "In {place} they tried the same scheme and dropped it after {small} years.",
    "The mayor promised a consultation, and then the plans appeared anyway.",
    "Families in {place} are paying {money} more each month for heating.",
    "The football club from Scunthorpe had a good run in the cup this season.",
    "My grandfather grew up in Essex and always said the coast was the best part.",
    "The new cycle lane on {street} is used by maybe {small} people an hour.",
    "Teachers told the committee they need support, not another round of inspections.",
    "The hospital trust says the new wing will add {number} beds.",
    "Reading the comments here, I think most of us want the same thing.",
    "The bassist from the band grew up two streets from here.",
    "The title of the piece does not match what the minister actually said.",
    "It would help if the {office} answered emails within a month.",
    "The glass recycling bins by the station are always full.",
    "Water bills went up again, and the pipes on {street} still leak.",
    "We need more homes, but they should be homes people can afford.",
    "The statistics office revised the figures for {year} upward by {percent} percent.",
    "I remember when {place} had three cinemas and a theatre.",
    "The documentary on the circumstances of the flood was excellent.",
    "The peacock in the park has become a local celebrity.",
    "Cumulative delays on the rail line add up to weeks every year.",
    "Someone should ask why the contract went to a firm from {place}.",
    "The library on {street} is the only warm place some people have in winter.",
    "The Hancock report from {year} said exactly the same thing.",
    "Middlesex and Sussex have both tried congestion charges with mixed results.",
    "The constitution of the new board was never put to a vote.",
    "She said the analysis was rushed and the conclusions were premature.",
    "Our street has had four burst pipes since {month}.",
    "The harvest festival brought {number} visitors to the town square.",
    "The shiitake farm outside {place} now employs {small} people.",
    "The pianist who played at the opening was a student from the college.",
    "A button on the ticket machine has been broken for months.",
    "Arsenal fans will remember that match for a long time.",
    "The butterfly survey found fewer species than last year.",
    "Scrap metal prices have collapsed, and the yard on {street} is closing.",
    "The grass verges on the ring road are never cut before {month}.",
    "My brother works at the port and says the new cranes are idle half the time.",
    "The compass rose painted on the square was restored last spring.",
    "There is a cocker spaniel in our street that greets every postman.",
    "The chairman of the committee refused to answer the question twice.",
    "The shell of the old factory is finally being turned into flats.",
    "Public transport should be the first thing a city gets right.",
    "The tourism numbers for {year} look good, but hotel workers are still underpaid.",
    "I wonder how many of the councillors actually use the {route} bus.",
    "The data on air quality near the school should be published every week.",
    "We had the same debate in {year}, and nothing changed.",
    "The Dickens festival in December is the highlight of the year for the shops.",
    "The tennis club lost its grant and now charges {money} a season.",
    "A homogeneous plan for every district makes no sense.",
    "The cockpit recordings were released to the inquiry on {weekday}.",
    "Clitheroe and Penistone both kept their markets open through the winter.",
    "I am glad the paper kept covering this after the first week.",
]

_CLOSERS = [
    "Keep up the good work.",
    "Looking forward to the follow-up.",
    "Let's see what happens at the next meeting.",
    "I hope someone in the {office} reads this.",
    "Just my two cents.",
    "We deserve better than this.",
    "Thanks again for covering it.",
    "Time will tell.",
]

_FILL = {
    "years": ["12", "20", "35", "8", "41", "15"],
    "month": ["January", "March", "May", "August", "October", "December"],
    "number": ["12", "27", "40", "64", "120", "250", "1,200", "3,500"],
    "small": ["2", "3", "4", "6", "9"],
    "percent": ["3", "7", "12", "18", "26", "3.5"],
    "year": ["2009", "2014", "2017", "2019", "2021", "2023"],
    "weekday": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
    "money": ["£40", "$120", "€75", "two million", "£1.2 million", "$30 a month"],
    "project": ["tram", "housing", "bridge", "harbour", "library", "stadium", "bypass"],
    "place": ["Leeds", "Bristol", "Norwich", "Dundee", "Cork", "Lyon", "Gdańsk", "Zürich"],
    "place2": ["York", "Exeter", "Bath", "Galway", "Porto", "Málaga"],
    "route": ["14", "27", "X5", "101", "6A"],
    "office": ["council", "ministry", "transport authority", "planning office", "mayor's office"],
    "street": ["Mill Road", "Station Street", "King's Parade", "Harbour Lane", "Elm Grove"],
    "group": ["district", "age group", "income band", "school", "ward"],
}

# Offending words as they are usually typed; every one is on better-profanity's list.
_OFFENDING = [
    "fuck", "fucking", "shit", "bullshit", "bitch", "asshole", "bastard", "crap", "damn",
    "dick", "piss", "cunt", "wanker", "slut", "whore", "douche", "motherfucker", "twat",
    "arse", "prick", "jackass", "dumbass", "shithead", "bitches", "fucker", "shitty",
]  # fmt: skip
_OFFENDING_SENTENCES = [
    "What a load of {w}.",
    "Sorry, but the whole plan is {w}, frankly.",
    "Honestly this is {w} and everyone knows it.",
    "The minister is a {w}.",
    "Who writes this {w}?",
    "Oh {w}, here we go again.",
]
_HOMOGLYPHS = {"a": "а", "e": "е", "o": "о", "c": "с", "p": "р", "x": "х", "i": "і", "s": "ѕ"}
_LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "$", "t": "7"}


def _evasion(word: str, rng: random.Random) -> str:
    kind = rng.randrange(8)
    if kind == 0:  # leet
        out = "".join(_LEET.get(c, c) if rng.random() < 0.6 else c for c in word)
        return out if out != word else word.replace(word[1], _LEET.get(word[1], "*"), 1)
    if kind == 1:
        return " ".join(word)
    if kind == 2:
        return ".".join(word)
    if kind == 3:  # stretched
        vowels = [i for i, c in enumerate(word) if c in "aeiou"] or [0]
        i = rng.choice(vowels)
        return word[:i] + word[i] * rng.randint(3, 6) + word[i + 1 :]
    if kind == 4:  # masked
        vowels = [i for i, c in enumerate(word) if c in "aeiou" and 0 < i < len(word) - 1]
        i = rng.choice(vowels) if vowels else 1
        return word[:i] + rng.choice("*#") + word[i + 1 :]
    if kind == 5:  # look-alike letters
        return "".join(_HOMOGLYPHS.get(c, c) for c in word)
    if kind == 6:  # full-width
        return "".join(chr(ord(c) + 0xFEE0) for c in word)
    return "\u200b".join(word)  # zero-width spaces


def _fill(template: str, rng: random.Random) -> str:
    out = template
    while "{" in out:
        start = out.index("{")
        key = out[start + 1 : out.index("}", start)]
        out = out.replace("{" + key + "}", rng.choice(_FILL[key]), 1)
    return out


def make_comment(rng: random.Random, offending: bool = False) -> str:
    """One comment of about WORDS_PER_COMMENT words."""
    sentences = [_fill(rng.choice(_OPENERS), rng)]
    words = len(sentences[0].split())
    target = rng.randint(WORDS_PER_COMMENT - 12, WORDS_PER_COMMENT + 12)
    while words < target - 6:
        sentence = _fill(rng.choice(_SENTENCES), rng)
        sentences.append(sentence)
        words += len(sentence.split())
    sentences.append(_fill(rng.choice(_CLOSERS), rng))
    if offending:
        word = rng.choice(_OFFENDING)
        if rng.random() < EVASION_RATE:
            word = _evasion(word, rng)
        bad = rng.choice(_OFFENDING_SENTENCES).format(w=word)
        sentences.insert(rng.randrange(1, len(sentences)), bad)
    text = " ".join(sentences)
    style = rng.random()
    if style < 0.2:  # typed on a phone: curly apostrophes and an emoji now and then
        text = text.replace("'", "\u2019")
        if style < 0.05:
            text += " \U0001f44d"
    elif style < 0.25:
        text = text.replace(". ", ".\n\n", 1)
    return text


def make_corpus(n: int = COMMENTS, seed: int = SEED) -> list[str]:
    """`n` comments; every tenth one (at a random place) carries an offending word."""
    rng = random.Random(seed)
    offending = set(rng.sample(range(n), round(n * OFFENDING_RATE)))
    return [make_comment(rng, i in offending) for i in range(n)]


# --- timing ----------------------------------------------------------------------


def _one_pass(fn: Callable[[str], object], texts: Sequence[str]) -> float:
    """Seconds per comment for one pass over `texts`."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        for text in texts:
            fn(text)
        return (time.perf_counter() - start) / len(texts)
    finally:
        gc.enable()


def _best_interleaved(
    matchers: dict[str, Callable[[str], object]], texts: Sequence[str], repeat: int
) -> dict[str, float]:
    """Best seconds per comment for each matcher, passes taken in turn (fair on a busy box)."""
    best = dict.fromkeys(matchers, float("inf"))
    for _ in range(repeat):
        for name, fn in matchers.items():
            best[name] = min(best[name], _one_pass(fn, texts))
    return best


def _line(name: str, seconds: float, note: str) -> str:
    return f"{name:<20}{seconds * 1e6:>12,.1f} µs/comment {1 / seconds:>11,.0f} comments/s  {note}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--comments", type=int, default=COMMENTS)
    parser.add_argument("--sample", type=int, default=100, help="comments for better-profanity")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--repeat", type=int, default=7, help="passes for the fast matchers")
    args = parser.parse_args(argv)

    from better_profanity import profanity

    from commentsvc.moderation.matcher import WordMatcher, compile_matcher, default_words

    corpus = make_corpus(args.comments, args.seed)
    sample = corpus[: args.sample]
    words = sum(len(c.split()) for c in corpus) / len(corpus)
    print(
        f"corpus: {len(corpus)} comments, {words:.1f} words each on average, seed {args.seed}; "
        f"better-profanity times the first {len(sample)}"
    )
    print(f"python {platform.python_version()} on {platform.machine()}, one process, one thread")

    start = time.perf_counter()
    ours = compile_matcher()
    compile_ms = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    WordMatcher((*default_words(), "frack"), ("hell",))
    recompile_ms = (time.perf_counter() - start) * 1000
    matchers: dict[str, Callable[[str], object]] = {"ours": ours.censor}
    try:
        import better_profanity_rs
    except ImportError:
        rs = None
    else:
        rs = better_profanity_rs.profanity
        matchers["better-profanity-rs"] = rs.censor
    for fn in matchers.values():
        fn(corpus[0])  # load word lists before timing
    best = _best_interleaved(matchers, corpus, args.repeat)

    flagged = sum(1 for c in corpus if ours.find(c))
    ours_s = best["ours"]
    note = (
        f"{flagged} flagged; list compiled in {compile_ms:.0f} ms, a site's in {recompile_ms:.0f}"
    )
    print(_line("ours", ours_s, note))

    profanity.censor("warm up")
    bp_s = _one_pass(profanity.censor, sample)
    bp_flagged = sum(1 for c in sample if profanity.contains_profanity(c))
    ours_sample = sum(1 for c in sample if ours.find(c))
    print(
        _line("better-profanity", bp_s, f"{bp_flagged} of its sample flagged (ours {ours_sample})")
    )

    rs_s: float | None = None
    if rs is None:
        print(f"{'better-profanity-rs':<20}not installed")
    else:
        rs_s = best["better-profanity-rs"]
        rs_flagged = sum(1 for c in corpus if rs.contains_profanity(c))
        print(_line("better-profanity-rs", rs_s, f"{rs_flagged} flagged"))

    ratios = f"ratios: ours is {bp_s / ours_s:,.0f}x as fast as better-profanity"
    if rs_s is not None:
        ratios += f", {rs_s / ours_s:.2f}x as fast as better-profanity-rs"
    print(ratios)
    rs_per_s = "na" if rs_s is None else f"{1 / rs_s:.0f}"
    print(
        f"words: ours_per_s={1 / ours_s:.0f} better_profanity_per_s={1 / bp_s:.0f} rs_per_s={rs_per_s}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
