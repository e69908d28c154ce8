"""Words of a question: normalizing, tokenizing, stemming, and the phrase lexicon that gives them meaning.

A question is lower-cased and split into tokens that keep identifiers whole (`so-10042`, `usb-c`,
`2025-03-01`); every token is stemmed (plural -> singular, consistently on both sides) before it is
looked up. The lexicon maps phrases (tuples of stems) to meanings; the parser reads them
longest-first. Words that carry no meaning (articles, pronouns, politeness) are STOPWORDS; any
other word the lexicon does not know makes the question "unmapped" rather than guessed at.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

_TOKEN = re.compile(r"[a-z0-9]+(?:[-./][a-z0-9]+)*|#|%")


_US_NOUN = re.compile(r"(\w+ )?\bus(?= (?:customers?|market|sales|revenue|orders?|region|business|buyers?|"
                      r"clients?)\b)")
_US_VERBS = {f"{v} " for v in ("show", "give", "tell", "get", "send", "let", "help", "bring", "find", "make",
                                "for", "to", "with")}


def normalize(text: str) -> str:
    t = text.lower().replace("\u2019", "'").replace("\u2018", "'").replace("\u2013", "-")
    t = re.sub(r"\bu\.s\.a\.?|\bu\.s\.(?=\s|$)|\bu\.s\b", "usa", t)
    t = re.sub(r"(?<=\d),(?=\d{3})", "", t)  # 1,000 -> 1000
    t = t.replace("&", " and ").replace("$", " ")
    t = re.sub(r"'s\b|'(?=\s|$)", "", t)  # possessives
    t = re.sub(r"\b(\w+)n't\b", r"\1 not", t)
    t = re.sub(r"\bnon-(?=[a-z])", "non ", t)
    # "US" the country, not "us" the pronoun: after a preposition or before a data noun
    t = re.sub(r"\b(in|the|from|across|within|outside|for) us\b", r"\1 usa", t)
    t = _US_NOUN.sub(lambda m: m.group(0) if m.group(1) in _US_VERBS else f"{m.group(1) or ''}usa", t)
    return t


def tokenize(text: str) -> list[str]:
    """Tokens of a question, already normalized; trailing dots of a sentence are dropped."""
    return [tok.rstrip(".") for tok in _TOKEN.findall(normalize(text)) if tok.rstrip(".")]


def stem(token: str) -> str:
    """A light, consistent singular: categories -> category, statuses -> status, sales -> sale."""
    if len(token) <= 3 or not token.isalpha():
        return token
    if token.endswith("ies") and len(token) > 4:
        return token[:-3] + "y"
    if token.endswith(("sses", "uses", "ches", "shes", "xes", "zzes")):
        return token[:-2]
    if token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def stems(text: str) -> tuple[str, ...]:
    return tuple(stem(t) for t in tokenize(text))


NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
                "fifty": 50, "hundred": 100}

# Words that carry no meaning of their own in a data question (grammar words that do, such as
# "by", "top" or "how many", are in the grammar lexicon, which is consulted first).
STOPWORDS = frozenset("""
a an the of in on at for to from with within into over under during throughout is are was were be
been being am do does did done doing have has had having we our ours us i me my you your they their
them it its this that these those there here what which who whom whose where when how please can
could would will should shall may might tell give let know want need like see look get got so far
and or also just only now currently current right as about much many whats data numbers figures
stats statistics metrics report summary overview performance perform performing performed place
placed receive received come came period ever recent recently latest altogether exactly
approximately roughly around nearly almost thanks thank hey hi okay ok via using use through
respectively company store shop team actual actually overall total together combined sum given
still yet currently presently right now today's so-called kindly quickly quick real really exact
single ever
""".split())


@dataclass(frozen=True)
class Meaning:
    """What a phrase means: kind (measure, dim, value, entity, rank, ...) and its value."""

    kind: str
    value: Any = None
    weak: bool = False  # a verb-like hint, used only when nothing explicit says otherwise


class Lexicon:
    """Phrases (tuples of stems) -> meanings; `match` finds the longest phrase at a position."""

    def __init__(self) -> None:
        self._phrases: dict[tuple[str, ...], list[Meaning]] = {}
        self.longest = 1

    def add(self, phrase: str | tuple[str, ...], *meanings: Meaning) -> None:
        key = phrase if isinstance(phrase, tuple) else stems(phrase)
        if not key:
            return
        bucket = self._phrases.setdefault(key, [])
        for m in meanings:
            if m not in bucket:
                bucket.append(m)
        self.longest = max(self.longest, len(key))

    def add_many(self, phrases: Iterable[str], *meanings: Meaning) -> None:
        for p in phrases:
            self.add(p, *meanings)

    def get(self, phrase: tuple[str, ...]) -> list[Meaning]:
        return self._phrases.get(phrase, [])

    def match(self, words: list[str], start: int) -> tuple[int, list[Meaning]]:
        """(length, meanings) of the longest known phrase at `start`; (0, []) when none."""
        for n in range(min(self.longest, len(words) - start), 0, -1):
            got = self._phrases.get(tuple(words[start:start + n]))
            if got:
                return n, got
        return 0, []

    def merged(self, other: Lexicon) -> Lexicon:
        out = Lexicon()
        for src in (self, other):
            for k, v in src._phrases.items():
                out.add(k, *v)
        return out

    def __contains__(self, phrase: tuple[str, ...]) -> bool:
        return phrase in self._phrases


def M(kind: str, value: Any = None, weak: bool = False) -> Meaning:  # noqa: N802 - terse builder
    return Meaning(kind, value, weak)
