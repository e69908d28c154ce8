"""The reference model's hand-written knowledge, kept as JSON next to its code.

`related_words.json` (lexicon.py), `verbs.json` and `hints.json` (intent.py, relevance.py,
plan.py) hold every word list and named exception, each with the commit that wrote it and the
tool, dataset or benchmark category it was written for. They ship in the wheel as package data
and are read once, on first use: importing the model does no work.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def load(name: str) -> dict[str, Any]:
    """The JSON file `name` of this package, parsed (once)."""
    return json.loads(resources.files(__package__).joinpath(name).read_text(encoding="utf-8"))


def hint(*path: str) -> Any:
    """An entry of `hints.json` by its keys: `hint("aggregate", "groupers")`."""
    node: Any = load("hints.json")
    for key in path:
        node = node[key]
    return node


def word_set(value: str | list[str]) -> frozenset[str]:
    """A word list as written in the data: one string of words or a list of them."""
    return frozenset(value.split() if isinstance(value, str) else value)


def alternation(value: str | list[str]) -> str:
    """A list of words or regular-expression alternatives as one `a|b|c`."""
    return "|".join(value.split() if isinstance(value, str) else value)
