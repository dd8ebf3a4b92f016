"""Writes the word filter's quality corpora (tests/moderation/data/*.tsv) from a fixed seed.

Run: .venv/bin/python -m tests.moderation.make_corpora

Every sentence, name list and trap here was written for this project. Offending
comments are listed words put through one kind of evasion each inside carrier
sentences; clean comments are news-comment sentences full of traps (names,
places, fixed phrases, plain vocabulary, other languages, numbers and code,
words holding a listed word). Each line is `kind<TAB>text`.
"""

from __future__ import annotations

import random
from pathlib import Path

DATA = Path(__file__).parent / "data"
SEED = 1111
PER_KIND = 80

WORDS = [
    "fuck", "shit", "cunt", "twat", "wank", "wanker", "prick", "bitch", "bastard", "piss",
    "dick", "cock", "arse", "asshole", "slut", "whore", "bollocks", "tosser", "dickhead",
    "shithead", "motherfucker", "fucking", "bullshit", "jackass", "dumbass", "douche", "crap",
    "knobhead", "bellend", "fucker", "pussy", "wankers", "bitches", "pissed",
]  # fmt: skip
CARRIERS = [
    "the councillor is a {w} and everyone knows it",
    "What a {w}, honestly.",
    "you absolute {w}",
    "Typical {w} behaviour from the club owner.",
    "this whole scheme is {w} from start to finish",
    "Only a {w} would park across two bays like that.",
    "he called the referee a {w} on live radio",
    "Read the article, you {w}.",
    "that minister is such a {w}",
    "{w}. That is all I have to say about the bypass.",
    "My landlord is a total {w} about the deposit.",
    "Shut up, {w}, nobody asked.",
    "the new timetable is {w}",
    "Oh look, another {w} defending the contract.",
    "Who hired this {w} to run the library?",
    "I swear the columnist is a {w}.",
    "Utter {w} from the transport office again.",
    "Stop being a {w} in the comments.",
    "Honestly, {w} like you ruin every thread.",
    "the mayor is a lying {w}",
]
COMPOUND_TAILS = ["bag", "face", "head", "wipe", "stain", "wit", "weasel", "hole", "ing", "er",
                  "ers", "sack", "nugget", "brain", "y"]  # fmt: skip
COMPOUND_STEMS = ["shit", "twat", "arse", "piss", "wank", "cunt", "fuck", "dick", "cock", "bitch",
                  "prick", "slut", "whore", "bastard"]  # fmt: skip
ABBREVIATIONS = ["stfu", "gtfo", "wtf", "foad", "gfy", "lmfao", "s.o.b", "STFU", "GTFO", "WTF",
                 "s.t.f.u", "g.t.f.o", "W.T.F", "FOAD", "Gfy", "StFu"]  # fmt: skip
EMOJI = ["🙄", "😂", "🤬", "👍", "🔥", "💩", "🙃", "😡"]
CYRILLIC = {"a": "а", "c": "с", "e": "е", "o": "о", "p": "р", "x": "х", "i": "і", "s": "ѕ",
            "h": "һ", "k": "к", "t": "т", "b": "Ь", "y": "у", "w": "ԝ"}  # fmt: skip
CAPITAL_LOOKALIKES = {"a": "Α", "b": "Β", "c": "Ϲ", "e": "Ε", "h": "Η", "i": "Ι", "k": "Κ",
                      "m": "Μ", "n": "Ν", "o": "Օ", "p": "Ρ", "s": "Ѕ", "t": "Τ", "u": "Ս",
                      "x": "Χ", "y": "Υ", "d": "Ꭰ", "w": "Ԝ", "r": "Ꭱ", "l": "Ⅼ"}  # fmt: skip
LEET = {"a": ["4", "@"], "e": ["3"], "i": ["1", "!"], "o": ["0"], "s": ["5", "$"], "t": ["7", "+"],
        "b": ["8"], "l": ["1"]}  # fmt: skip
MULTI = {"u": ["|_|", "(_)"], "k": ["|<"], "d": ["|)"], "b": ["|3"], "h": ["|-|"], "n": ["|\\|"],
         "w": ["\\/\\/"], "v": ["\\/"], "o": ["()"], "r": ["|2"]}  # fmt: skip
SOUNDS = [("ck", "k"), ("ck", "q"), ("f", "ph"), ("s", "z"), ("er", "a"), ("i", "y"),
          ("c", "k"), ("itch", "iatch"), ("u", "oo"), ("ing", "in")]  # fmt: skip


def _small_caps(w: str) -> str:
    table = str.maketrans("abcdefghijklmnopqrstuvwyz", "ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘǫʀꜱᴛᴜᴠᴡʏᴢ")
    return w.translate(table)


def _regional(w: str, rng: random.Random) -> str:
    sep = rng.choice(["", "\u200b", ""])
    return sep.join(chr(0x1F1E6 + ord(c) - 97) for c in w if c.isalpha())


def _enclosed(w: str, rng: random.Random) -> str:
    base = rng.choice([0x1F150, 0x1F170, 0x1F130, 0x24D0, 0x249C])
    if base == 0x24D0:
        return "".join(chr(base + ord(c) - 97) for c in w)
    if base == 0x249C:
        return "".join(chr(base + ord(c) - 97) for c in w)
    return "".join(chr(base + ord(c) - 97) for c in w)


def _split(w: str, rng: random.Random, seps: list[str]) -> str:
    cut = rng.randrange(1, len(w))
    return w[:cut] + rng.choice(seps) + w[cut:]


def evasion(kind: str, w: str, rng: random.Random) -> str:
    if kind == "split_space":
        return _split(w, rng, [" ", "  "])
    if kind == "split_line":
        return _split(w, rng, ["\n", "\n\n", "-\n"])
    if kind == "split_emoji":
        return _split(w, rng, EMOJI)
    if kind == "wide_gaps":
        gap = " " * rng.randint(4, 6)
        return gap.join(w)
    if kind == "pipe_plus":
        return rng.choice("|+").join(w)
    if kind == "doubled":
        spots = (
            rng.sample(range(len(w)), k=max(1, len(w) // 2))
            if rng.random() < 0.6
            else range(len(w))
        )
        return "".join(c * 2 if i in spots else c for i, c in enumerate(w))
    if kind == "self_censor":
        inner = list(range(1, len(w) - 1))
        i = rng.choice(inner)
        return w[:i] + rng.choice(["—", "-", "%", "^", "~", "?", "_", "*", "#", "–"]) + w[i + 1 :]
    if kind == "small_caps":
        return _small_caps(w)
    if kind == "regional":
        return _regional(w, rng)
    if kind == "enclosed":
        return _enclosed(w, rng)
    if kind == "script_lookalikes":
        table = CAPITAL_LOOKALIKES if rng.random() < 0.5 else CYRILLIC
        out = "".join(table.get(c, c) if rng.random() < 0.8 else c for c in w)
        if out == w:
            out = "".join(table.get(c, c) for c in w)
        return out
    if kind == "mixed_leet":
        out = "".join(rng.choice(LEET[c]) if c in LEET and rng.random() < 0.7 else c for c in w)
        return out if out != w else "".join(LEET.get(c, [c])[-1] for c in w)
    if kind == "multichar_leet":
        spots = [i for i, c in enumerate(w) if c in MULTI]
        if not spots:
            return w.replace("i", "!")
        i = rng.choice(spots)
        return w[:i] + rng.choice(MULTI[w[i]]) + w[i + 1 :]
    if kind == "phonetic":
        options = [(a, b) for a, b in SOUNDS if a in w]
        if not options:
            return w + w[-1]
        a, b = rng.choice(options)
        return w.replace(a, b, 1)
    raise ValueError(kind)


KINDS = ["split_space", "split_line", "split_emoji", "wide_gaps", "pipe_plus", "doubled",
         "self_censor", "abbreviation", "small_caps", "regional", "enclosed", "script_lookalikes",
         "mixed_leet", "multichar_leet", "phonetic", "compound"]  # fmt: skip


def offending(rng: random.Random) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for kind in KINDS:
        seen: set[str] = set()
        while len(seen) < PER_KIND:
            carrier = rng.choice(CARRIERS)
            if kind == "abbreviation":
                typed = rng.choice(ABBREVIATIONS)
                carrier = rng.choice(["{w}, seriously", "oh {w} is this", "{w}!!", "just {w} mate",
                                      "{w} was that vote about", "lol {w}"])  # fmt: skip
            elif kind == "compound":
                stem, tail = rng.choice(COMPOUND_STEMS), rng.choice(COMPOUND_TAILS)
                typed = stem + tail
                if rng.random() < 0.3:
                    typed = stem + rng.choice([" ", "-"]) + tail
            else:
                typed = evasion(kind, rng.choice(WORDS), rng)
            line = carrier.format(w=typed).replace("\t", " ")
            if line not in seen:
                seen.add(line)
                rows.append((kind, line))
    return rows


# A second set, unlike the first: other words, other carriers, and each kind typed in
# ways the first set does not use (two masks, other mask characters, other emoji,
# Windows line breaks, tabs, other multi-symbol letters, other sound-alikes).
PER_KIND_MORE = 30
MORE_WORDS = [
    "shitty", "bastards", "dickheads", "twats", "fuckers", "cunts", "wanking", "bitchy",
    "pissing", "arsehole", "tossers", "whores", "sluts", "pricks", "bollocks", "bellends",
    "shitbag", "knobheads", "motherfucking", "fuckwit", "douchebag", "asshat",
]  # fmt: skip
MORE_CARRIERS = [
    "Honestly the planning officer is a {w}.",
    "{w}! The bins were not collected again.",
    "I cannot believe this {w} got re-elected",
    "Tell the developers they are {w} and we will vote them out.",
    "the chairman, what a {w}, resigned on Friday",
    "You lot are {w}, the lot of you.",
    "Replying to the {w} above: read the report first.",
    "Another {w} column about parking fees.",
    "why is every councillor such a {w}?",
    "Our MP is a {w} and the hospital is still shut.",
]
MORE_MASKS = ["_", "-", "*", ".", "?", "~", "^", "%", "#", "=", "—", "–", "+", "/"]
MORE_EMOJI = ["🤡", "🙈", "💀", "🤮", "✋", "🖕", "😤", "🤦"]
MORE_MULTI = {"a": ["/\\", "/-\\"], "d": ["[)", "|]"], "k": ["|{", "|<"], "n": ["|\\|", "/\\/"],
              "u": ["\\_/", "|_|"], "o": ["[]", "()"], "h": ["]-[", "}{"], "r": ["|?", "|2"],
              "x": ["><"], "l": ["|_"], "m": ["|\\/|", "/\\/\\"], "b": ["|3"], "w": ["\\/\\/"]}  # fmt: skip
MORE_LEET = {"a": ["4", "@", "/\\"], "e": ["3", "€"], "i": ["1", "!", "|"], "o": ["0", "()"],
             "s": ["5", "$"], "t": ["7", "+"], "b": ["8", "|3"], "g": ["9", "6"],
             "u": ["v", "|_|"], "h": ["#"]}  # fmt: skip
MORE_SOUNDS = [("ck", "kk"), ("ck", "x"), ("s", "z"), ("er", "ah"), ("er", "uh"), ("y", "ee"),
               ("itch", "yatch"), ("u", "oo"), ("ing", "n"), ("er", "ur")]  # fmt: skip


def more_evasion(kind: str, w: str, rng: random.Random) -> str:
    """`evasion`'s kinds, typed the other ways."""
    if kind == "split_space":
        return _split(w, rng, [" ", "   ", "\t"])
    if kind == "split_line":
        return _split(w, rng, ["\n ", " \n", "-\n", "\n\n", "\n\t"])
    if kind == "split_emoji":
        return _split(w, rng, [*MORE_EMOJI, rng.choice(MORE_EMOJI) * 2])
    if kind == "wide_gaps":
        return (" " * rng.randint(3, 8)).join(w)
    if kind == "pipe_plus":
        return rng.choice(["|", "+", "_", "."]).join(w)
    if kind == "self_censor":
        i = rng.randrange(1, len(w) - 1)
        masks = rng.choice([1, 1, 2]) if len(w) >= 6 else 1
        mask = rng.choice(MORE_MASKS)
        return w[:i] + mask * masks + w[i + masks :]
    if kind == "mixed_leet":
        out = "".join(
            rng.choice(MORE_LEET[c]) if c in MORE_LEET and rng.random() < 0.6 else c for c in w
        )
        return out if out != w else "".join(MORE_LEET.get(c, [c])[0] for c in w)
    if kind == "multichar_leet":
        spots = [i for i, c in enumerate(w) if c in MORE_MULTI]
        for i in sorted(rng.sample(spots, k=min(len(spots), rng.choice([1, 2]))), reverse=True):
            w = w[:i] + rng.choice(MORE_MULTI[w[i]]) + w[i + 1 :]
        return w
    if kind == "phonetic":
        options = [(a, b) for a, b in MORE_SOUNDS if a in w]
        if not options:
            return w.replace("s", "z") if "s" in w else w + "z"
        a, b = rng.choice(options)
        return w.replace(a, b, 1)
    if kind == "doubled":
        return "".join(c * rng.choice([1, 2, 2, 3]) for c in w)
    return evasion(kind, w, rng)


def more_offending(rng: random.Random) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for kind in KINDS:
        seen: set[str] = set()
        while len(seen) < PER_KIND_MORE:
            carrier = rng.choice(MORE_CARRIERS)
            if kind == "abbreviation":
                typed = rng.choice(["fml", "FFS", "ffs", "stfu", "wtaf", "WTAF", "gtfo", "Ffs",
                                    "FML", "s.t.f.u", "f.f.s", "w.t.a.f"])  # fmt: skip
                carrier = rng.choice(["{w}, not again", "this is {w}", "{w} council!!",
                                      "ugh {w}", "{w}... the bins"])  # fmt: skip
            elif kind == "compound":
                stem = rng.choice(["shit", "twat", "arse", "piss", "wank", "fuck", "dick", "cock",
                                   "bitch", "prick", "cunt", "slut", "whore"])  # fmt: skip
                tail = rng.choice(["stain", "wipe", "nugget", "weasel", "sack", "trumpet",
                                   "goblin", "biscuit", "muncher", "wagon", "hammer", "pipe"])  # fmt: skip
                typed = stem + rng.choice(["", "", "-", " "]) + tail
            else:
                typed = more_evasion(kind, rng.choice(MORE_WORDS + WORDS), rng)
            line = carrier.format(w=typed)
            if line not in seen:
                seen.add(line)
                rows.append((kind, line))
    return rows


if __name__ == "__main__":
    from tests.moderation.clean_corpus import clean

    rng = random.Random(SEED)
    off = offending(rng) + more_offending(random.Random(SEED + 2))
    (DATA / "evasions.tsv").write_text(
        "".join(f"{k}\t{t.replace(chr(10), '⏎')}\n" for k, t in off), encoding="utf-8"
    )
    rows = clean(random.Random(SEED + 1))
    (DATA / "clean_traps.tsv").write_text(
        "".join(f"{k}\t{t.replace(chr(10), '⏎')}\n" for k, t in rows), encoding="utf-8"
    )
    print(len(off), "offending,", len(rows), "clean")
