"""What the request wants done, as opposed to what it is about.

Word overlap says which tool a request is *about*; it cannot tell "what's the status of my order"
from "change the address on my order", or "total revenue" from "the total of order SO-1". Cheap
signals help:

- **Capability verbs.** A request whose main verb changes or removes something (cancel, delete,
  change, turn off, order/buy) can only be served by a tool that says it does that; a tool that
  merely shares the request's nouns is not a fit.
- **Aggregation.** Questions over many records ("how many customers", "total revenue", "top 5
  products", "revenue by month", "the trend") prefer tools that say they aggregate (analytics,
  totals, counts, trends, a data question in plain language) over tools that look up one record
  by its id.
- **Rules.** A question about a rule ("can I expense a business class flight?", "am I allowed to
  ...", "how many days do I have to return ...", "what is the policy on ...") is not a request
  to do the thing: tools that act (submit, book, refund) are less fit than tools that answer, and
  the request hints "policy".
- **Polarity.** Questions ("what's on my calendar") prefer tools that read (get, list, search);
  commands to create ("schedule a meeting") prefer tools that write (create, send, submit). This
  only breaks ties between tools that both fit.
"""

from __future__ import annotations

import re
from functools import cache

from ..base import ToolSpec
from . import tables
from .data import alternation, hint, load, word_set
from .text import apply_phrases, split_identifier, split_negated, stem, words

VERBS = "verbs.json"
"""The verb families and lists, each with a line on where it came from (read on first use)."""


@cache
def capabilities() -> dict[str, tuple[frozenset[str], bool]]:
    """Families of verbs that need a tool which does exactly that. "strict" families are nouns too
    ("order"), so for them only the tool's leading verb counts."""
    return {name: (word_set(family["words"]), family["strict"])
            for name, family in load(VERBS)["capabilities"]["families"].items()}


@cache
def _request_verbs() -> dict[str, str]:
    return {verb: name for name, family in load(VERBS)["capabilities"]["families"].items()
            for verb in family["request_verbs"].split()}


@cache
def read_verbs() -> frozenset[str]:
    return word_set(load(VERBS)["read_verbs"]["words"])


@cache
def write_verbs() -> frozenset[str]:
    return word_set(load(VERBS)["write_verbs"]["words"])


@cache
def action_verbs() -> frozenset[str]:
    """Verbs that name an action specific enough to pick a tool named after it ("email their contact")."""
    return word_set(load(VERBS)["action_verbs"]["words"])


@cache
def _exception(name: str) -> re.Pattern[str]:
    """A named exception of `hints.json` (what it does and the case it quotes are written there)."""
    return re.compile(alternation(hint("exceptions", name, "regex")), re.I)

_POLITE = re.compile(
    r"^(?:(?:please|pls|kindly|can you|could you|would you|will you|i want to|i wanna|i'd like to|"
    r"i would like to|i need to|i have to|help me|go ahead and|let's|let me|just|ok|okay|hey|hi)\b[\s,]*)+",
    re.I,
)
_QUESTION = re.compile(
    r"^(?:what|what's|whats|when|where|who|whom|which|how|is|are|do|does|did|am|any|has|have|was|were)\b",
    re.I,
)


def main_verb(request: str) -> str:
    """The first word of the request after politeness ("Can you please cancel ..." -> 'cancel')."""
    text = _POLITE.sub("", request.strip())
    m = re.match(r"[A-Za-z']+", text)
    return m.group(0).lower() if m else ""


def request_capability(request: str) -> str | None:
    """The capability family the request's main verb needs, if it is one that must be matched."""
    verb = main_verb(request)
    family = _request_verbs().get(verb)
    if family == "change" and _exception("change_money").search(_POLITE.sub("", request.strip())):
        return None  # "change 100 USD to EUR", "update me on ..."
    if family == "turn" and not _exception("turn_on_off").search(request):
        return None  # "turn the heat up to 72" is a setting, not on/off
    return family


def tool_can(tool: ToolSpec, family: str) -> bool:
    """Whether the tool's name or description says it does what the family of verbs does."""
    verbs, strict = capabilities()[family]
    stems = {stem(v) for v in verbs}
    last_segment = split_identifier(re.split(r"\.|__", tool.name)[-1]).split()
    desc_words = words(split_negated(tool.description or "")[0])  # not "...; not for cancellations"
    if strict:
        candidates = last_segment[:1] + desc_words[:1]
    else:
        candidates = split_identifier(tool.name).split() + desc_words
        if family == "return" and desc_words[:1] == ["returns"]:  # exception returns_is_output
            candidates = split_identifier(tool.name).split() + desc_words[1:]  # "Returns the status..."
    return any(w in verbs or stem(w) in stems for w in candidates)


def request_polarity(request: str) -> str:
    """'read' for questions, 'write' for commands to create or send, '' when unclear."""
    text = _POLITE.sub("", request.strip())
    verb = main_verb(request)
    if verb == "get" and _exception("get_passive").match(text):
        return ""  # "get reimbursed" is passive, not a lookup
    if verb in write_verbs() or re.match(
        r"^i(?:'d| would)? (?:want|need|like) to "
        r"(?:take|book|send|create|add|submit|request|schedule|file|open)\b",
        request.strip(),
        re.I,
    ):
        return "write"
    if _QUESTION.match(text) or verb in read_verbs():
        return "read"
    return ""


def tool_polarity(tool: ToolSpec) -> str:
    """'read' or 'write' from the tool's leading verb (name first, then description)."""
    last = split_identifier(re.split(r"\.|__", tool.name)[-1]).split()
    desc = words(tool.description or "")
    for w in last[:1] + desc[:1]:
        if w in read_verbs():
            return "read"
        if w in write_verbs():
            return "write"
    return ""


@cache
def _counted_not() -> frozenset[str]:
    """Nouns after "how many" that count a quantity, not records ("how many days")."""
    return word_set(hint("aggregate", "counted_not", "words"))


@cache
def _aggregate() -> re.Pattern[str]:
    """Counts, totals, rankings, breakdowns and trends, from the word lists of `hints.json`."""
    a = hint("aggregate")
    return re.compile(
        rf"\b(?:{alternation(a['totals'])})\b"
        rf"|\btop\s+(?:{alternation(a['top_counts_regex'])})\b"
        + "".join(rf"|\b{p}\b" for p in a["rankings_regex"])
        + rf"|\b(?:{alternation(a['superlatives'])})\b"
        rf"|\bthe\s+(?:{alternation(a['the_most'])})\s+(?!{alternation(hint('exceptions', 'most_not_aggregate', 'regex'))})\w+"
        rf"|\b(?:by|per|each|every)\s+(?:{alternation(a['groupers'])})\b"
        rf"|\b(?:{alternation(a['periodic_regex'])})\b"
        + "".join(rf"|\b{p}\b" for p in a["comparisons_regex"]),
        re.I,
    )


@cache
def aggregate_tool_words() -> frozenset[str]:
    return frozenset(stem(w) for w in word_set(hint("aggregate", "tool_words", "words")))


@cache
def _data_words() -> frozenset[str]:
    return frozenset(stem(w) for w in word_set(hint("aggregate", "data_words", "words")))


def request_aggregate(request: str) -> bool:
    """Whether the request asks about many records at once: counts ("how many customers", not
    "how many days" or "how many miles"), totals, rankings, breakdowns and trends."""
    if _aggregate().search(request):
        return True
    for m in re.finditer(r"\bhow many\s+([a-z-]+)(?:\s+([a-z-]+))?", request, re.I):
        counted = [w.lower() for w in m.groups() if w]
        if not any(w in _counted_not() or w in tables.UNITS or w in tables.CURRENCY_NAMES for w in counted):
            return True
    return False


def tool_aggregates(tool: ToolSpec, query_param: bool) -> bool:
    """Whether the tool says what it is as an aggregating one (analytics, totals, counts, trends) in its
    name or first sentence, or answers plain-language questions (`query_param`) about data. Later
    sentences describe outputs ("... and total in USD"), not the tool."""
    first = re.split(r"(?<=[.!?])\s+|\n", split_negated(tool.description or "")[0].strip(), maxsplit=1)[0]
    text = f"{split_identifier(tool.name)} {first}"
    stems = {stem(w) for w in words(text)}
    return bool(stems & aggregate_tool_words()) or (query_param and bool(stems & _data_words()))


@cache
def _rule_words() -> re.Pattern[str]:
    return re.compile(rf"\b(?:{alternation(hint('rules', 'words'))})\b", re.I)


def asks_rule(request: str) -> bool:
    """Whether the request is a question about what the rules are, not a request to act: a question
    ("can I ...", "am I allowed ...", "how long do I have to ...", "what's the policy on ...")
    that speaks of permission, policy or limits."""
    text = apply_phrases(request.strip())  # "can I" and "how many days do I have to" read "allowed"
    question = (
        bool(_QUESTION.match(_POLITE.sub("", text))) or text.rstrip().endswith("?") or text.startswith("allowed")
    )
    return question and bool(_rule_words().search(text))
