"""A small hand-written table of related words for common business, IT and consumer vocabulary.

Users rarely use a tool's own words ("money back" for a refund tool, "PTO" for leave, "umbrella"
for weather). Each group (in `related_words.json`, with where it came from) is a set of words that
name the same need; a request word that shares a group with a tool word counts as a weaker match
than the word itself. Groups are kept tight on purpose: a loose group turns every request into a
match and breaks abstention.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cache

from . import data
from .text import stem

DATA = "related_words.json"
"""The groups and word lists, each with a line on where it came from (read on first use)."""


_replaced: list[tuple[str, ...]] = []  # groups given by `using`, innermost last


@cache
def groups() -> tuple[str, ...]:
    """The groups in use, one string of words each: the hand-written ones, or those given to `using`."""
    return _replaced[-1] if _replaced else tuple(g["words"] for g in data.load(DATA)["groups"])


@cache
def words() -> frozenset[str]:
    """All words of the groups as written (unstemmed): vocabulary for typo correction."""
    return frozenset(w for group in groups() for w in group.split())


@contextmanager
def using(replacement: Iterable[str]) -> Iterator[None]:
    """Route with other related-word groups for the duration of the block (one string of words per
    group). For experiments only: bench/routing/wordnet.py compares the hand-written groups with
    WordNet's synsets this way. Not thread-safe."""
    _replaced.append(tuple(replacement))
    _clear()
    try:
        yield
    finally:
        _replaced.pop()
        _clear()


def _clear() -> None:
    for cached in (groups, words, _index, _group_counts):
        cached.cache_clear()


@cache
def generic() -> frozenset[str]:
    """Request words that carry little intent on their own; their matches count at half weight."""
    return frozenset(stem(w) for w in data.load(DATA)["generic"]["words"].split())


@cache
def generic_nouns() -> frozenset[str]:
    """Generic nouns that count fully when the tool's own name contains them ("time" for a clock tool)."""
    return frozenset(stem(w) for w in data.load(DATA)["generic_nouns"]["words"].split())


@cache
def _index() -> dict[str, frozenset[str]]:
    related: dict[str, set[str]] = {}
    for group in groups():
        stems = {stem(w) for w in group.split()}
        for s in stems:
            related.setdefault(s, set()).update(stems - {s})
    return {k: frozenset(v) for k, v in related.items()}


@cache
def _group_counts() -> dict[str, int]:
    counts: dict[str, int] = {}
    for group in groups():
        for s in {stem(w) for w in group.split()}:
            counts[s] = counts.get(s, 0) + 1
    return counts


def senses(term: str) -> int:
    """In how many groups a stem appears: 'table' (data, restaurants) has two, and is ambiguous."""
    return _group_counts().get(term, 0)


def related(term: str) -> frozenset[str]:
    """Stems sharing a group with the stem `term` (not including it)."""
    return _index().get(term, frozenset())


def known(term: str) -> bool:
    """Whether a stem appears anywhere in the table (used to decide if a word may be a typo)."""
    return term in _index()


def vocabulary() -> frozenset[str]:
    """All stems in the table."""
    return frozenset(_index())
