"""Curated example questions with their SQL: matched by normalized similarity, not exact text.

"Top 10 customers by revenue?" and "who are our 10 biggest customers by sales" are the same
question once both are normalized (stems, synonyms, no stopwords), so the curated SQL answers
it. The values in a question (years, quarters, numbers, order ids, names from the data) must be
the same, though: a curated "revenue by region in 2025" never answers a question about 2024.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from .lexicon import STOPWORDS, Lexicon, stem, tokenize
from .timeparse import parse_time

THRESHOLD = 0.78
# Words with the same meaning in a question, after stemming.
_CANON = {"sale": "revenue", "income": "revenue", "turnover": "revenue", "earning": "revenue",
          "biggest": "top", "largest": "top", "best": "top", "highest": "top", "leading": "top",
          "most": "top", "greatest": "top", "lowest": "bottom", "worst": "bottom", "least": "bottom",
          "smallest": "bottom", "client": "customer", "account": "customer", "buyer": "customer",
          "item": "product", "sku": "product", "monthly": "month", "quarterly": "quarter",
          "yearly": "year", "annual": "year", "avg": "average", "mean": "average", "canceled": "cancelled",
          "per": "by", "each": "by", "every": "by", "across": "by", "amount": "total",
          "show": "", "list": "", "display": "", "give": "", "find": "", "total": ""}


@dataclass(frozen=True)
class Example:
    question: str
    sql: str
    title: str = ""
    description: str = ""


@dataclass(frozen=True)
class Match:
    example: Example
    score: float


_KEYED = ("measure", "dim", "entity")  # what a question is about must be the same as the example's
_FIXED = {"top": "rank:desc", "bottom": "rank:asc", "excluding": "neg", "except": "neg", "without": "neg",
          "not": "neg", "non": "neg", "exclude": "neg"}


def _canonical(text: str, values: Lexicon | None,
               span: tuple[dt.date, dt.date]) -> tuple[list[str], set[str]]:
    """Content words (canonical stems) and fixed words (values, measures, dimensions, entities,
    numbers, time ranges, ranking direction, negation) of a question. `values` is the lexicon
    (grammar and data values) that names them."""
    tokens = tokenize(text)
    words = [stem(t) for t in tokens]
    content: list[str] = []
    fixed: set[str] = set()
    time = parse_time(tokens, *span)
    fixed |= {f"{s}..{e}" for s, e in time.ranges}
    i = 0
    while i < len(words):
        if i in time.consumed:
            i += 1
            continue
        if values is not None:
            n, meanings = values.match(words, i)
            keyed = [m for m in meanings if m.kind == "value" or (m.kind in _KEYED and not m.weak)]
            if n and keyed:
                key = f"{keyed[0].kind}:{keyed[0].value}"
                content.append(key)
                fixed.add(key)
                i += n
                continue
        w = words[i]
        i += 1
        if any(ch.isdigit() for ch in w):
            fixed.add(w)
            content.append(w)
            continue
        w = _CANON.get(w, w)
        if w in _FIXED:
            fixed.add(_FIXED[w])
        if w and w not in STOPWORDS:
            content.append(w)
    return content, fixed


def similarity(a: list[str], b: list[str]) -> float:
    if not a or not b:
        return 0.0
    sa, sb = set(a), set(b)
    jaccard = len(sa & sb) / len(sa | sb)
    seq = SequenceMatcher(None, a, b).ratio()
    return max(jaccard, seq)


def best_match(question: str, examples: Sequence[Example], values: Lexicon | None = None,
               span: tuple[dt.date, dt.date] = (dt.date(2024, 1, 1), dt.date(2025, 12, 31)),
               threshold: float = THRESHOLD) -> Match | None:
    """The curated example closest to the question, if it is close enough and names the same values.

    `span` is the data's first and last order date (relative time words resolve against it)."""
    q_words, q_fixed = _canonical(question, values, span)
    best: Match | None = None
    for ex in examples:
        e_words, e_fixed = _canonical(ex.question, values, span)
        if e_fixed != q_fixed:
            continue
        score = similarity(q_words, e_words)
        if score >= threshold and (best is None or score > best.score):
            best = Match(ex, score)
    return best
