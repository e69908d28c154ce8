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

import json
import re
from pathlib import Path

from ..base import ToolSpec
from . import tables
from .text import apply_phrases, split_identifier, split_negated, stem, words

_VERBS = json.loads(Path(__file__).with_name("verbs.json").read_text(encoding="utf-8"))
"""The verb families and lists below, each with a line on where it came from."""

# Families of verbs that need a tool which does exactly that. "strict" families are nouns too
# ("order"), so for them only the tool's leading verb counts.
CAPABILITIES: dict[str, tuple[frozenset[str], bool]] = {
    name: (frozenset(family["words"].split()), family["strict"])
    for name, family in _VERBS["capabilities"]["families"].items()
}
_REQUEST_VERBS = {verb: name for name, family in _VERBS["capabilities"]["families"].items()
                  for verb in family["request_verbs"].split()}
READ_VERBS = frozenset(_VERBS["read_verbs"]["words"].split())
WRITE_VERBS = frozenset(_VERBS["write_verbs"]["words"].split())
# Verbs that name an action specific enough to pick a tool named after it ("email their contact").
ACTION_VERBS = frozenset(_VERBS["action_verbs"]["words"].split())
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
    family = _REQUEST_VERBS.get(verb)
    if family == "change" and re.search(
        r"^\W*(?:please\s+)?(?:change|update)\s+(?:me\b|my\s+(?:money|cash)|\d|[$€£¥])",
        _POLITE.sub("", request.strip()),
        re.I,
    ):
        return None  # "change 100 USD to EUR", "update me on ..."
    if family == "turn" and not re.search(r"\bturn\s+(?:\w+\s+){0,3}?(?:on|off)\b|\bswitch\b", request, re.I):
        return None  # "turn the heat up to 72" is a setting, not on/off
    return family


def tool_can(tool: ToolSpec, family: str) -> bool:
    """Whether the tool's name or description says it does what the family of verbs does."""
    verbs, strict = CAPABILITIES[family]
    stems = {stem(v) for v in verbs}
    last_segment = split_identifier(re.split(r"\.|__", tool.name)[-1]).split()
    desc_words = words(split_negated(tool.description or "")[0])  # not "...; not for cancellations"
    if strict:
        candidates = last_segment[:1] + desc_words[:1]
    else:
        candidates = split_identifier(tool.name).split() + desc_words
        if family == "return" and desc_words[:1] == ["returns"]:
            candidates = split_identifier(tool.name).split() + desc_words[1:]  # "Returns the status..."
    return any(w in verbs or stem(w) in stems for w in candidates)


def request_polarity(request: str) -> str:
    """'read' for questions, 'write' for commands to create or send, '' when unclear."""
    text = _POLITE.sub("", request.strip())
    verb = main_verb(request)
    if verb == "get" and re.match(r"get\s+\w+ed\b", text, re.I):
        return ""  # "get reimbursed" is passive, not a lookup
    if verb in WRITE_VERBS or re.match(
        r"^i(?:'d| would)? (?:want|need|like) to "
        r"(?:take|book|send|create|add|submit|request|schedule|file|open)\b",
        request.strip(),
        re.I,
    ):
        return "write"
    if _QUESTION.match(text) or verb in READ_VERBS:
        return "read"
    return ""


def tool_polarity(tool: ToolSpec) -> str:
    """'read' or 'write' from the tool's leading verb (name first, then description)."""
    last = split_identifier(re.split(r"\.|__", tool.name)[-1]).split()
    desc = words(tool.description or "")
    for w in last[:1] + desc[:1]:
        if w in READ_VERBS:
            return "read"
        if w in WRITE_VERBS:
            return "write"
    return ""


_COUNTED_NOT = frozenset(
    "day days week weeks month months year years hour hours minute minutes second seconds night nights "
    "time times more".split()
)
_AGGREGATE = re.compile(
    r"\b(?:total|totals|totaled|totalled|sum of|count of|number of|average|avg|median|overall|altogether)\b"
    r"|\btop\s+(?:\d+|three|five|ten|twenty)\b|\bbest[- ]selling\b|\b(?:highest|lowest|biggest|largest)\b"
    r"|\bthe\s+(?:most|fewest|least)\s+(?!recent|recently|likely|popular\s+(?:song|movie|film))\w+"
    r"|\b(?:by|per|each|every)\s+(?:month|week|quarter|year|day|region|country|product|category|customer|"
    r"segment|channel|team|store|rep)\b"
    r"|\b(?:monthly|quarterly|weekly|yearly|year[- ]over[- ]year|month[- ]over[- ]month)\b"
    r"|\btrends?\b|\bbreakdown\b|\bbroken down\b|\bcompared?\s+(?:to|with)\b|\brank(?:ed|ing)?\b",
    re.I,
)
AGGREGATE_TOOL_WORDS = frozenset(
    stem(w)
    for w in "aggregate aggregates analytics analysis analyze metrics statistics totals count counts sum "
    "average trends ranking rankings breakdown breakdowns dashboard kpi kpis insights".split()
)
_DATA_WORDS = frozenset(stem(w) for w in "data dataset datasets warehouse database".split())


def request_aggregate(request: str) -> bool:
    """Whether the request asks about many records at once: counts ("how many customers", not
    "how many days" or "how many miles"), totals, rankings, breakdowns and trends."""
    if _AGGREGATE.search(request):
        return True
    for m in re.finditer(r"\bhow many\s+([a-z-]+)(?:\s+([a-z-]+))?", request, re.I):
        counted = [w.lower() for w in m.groups() if w]
        if not any(w in _COUNTED_NOT or w in tables.UNITS or w in tables.CURRENCY_NAMES for w in counted):
            return True
    return False


def tool_aggregates(tool: ToolSpec, query_param: bool) -> bool:
    """Whether the tool says what it is as an aggregating one (analytics, totals, counts, trends) in its
    name or first sentence, or answers plain-language questions (`query_param`) about data. Later
    sentences describe outputs ("... and total in USD"), not the tool."""
    first = re.split(r"(?<=[.!?])\s+|\n", split_negated(tool.description or "")[0].strip(), maxsplit=1)[0]
    text = f"{split_identifier(tool.name)} {first}"
    stems = {stem(w) for w in words(text)}
    return bool(stems & AGGREGATE_TOOL_WORDS) or (query_param and bool(stems & _DATA_WORDS))


_RULE_WORDS = re.compile(
    r"\b(?:allowed|permitted|entitled|eligible|prohibited|forbidden|policy|policies|rules?|guidelines?|"
    r"handbook|limit|limits|maximum|minimum)\b",
    re.I,
)


def asks_rule(request: str) -> bool:
    """Whether the request is a question about what the rules are, not a request to act: a question
    ("can I ...", "am I allowed ...", "how long do I have to ...", "what's the policy on ...")
    that speaks of permission, policy or limits."""
    text = apply_phrases(request.strip())  # "can I" and "how many days do I have to" read "allowed"
    question = (
        bool(_QUESTION.match(_POLITE.sub("", text))) or text.rstrip().endswith("?") or text.startswith("allowed")
    )
    return question and bool(_RULE_WORDS.search(text))
