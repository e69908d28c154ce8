"""From a user's request to the calls that serve it.

A request may ask for several things ("status of SO-10042 and 120 USD in EUR?"). It is cut at
sentence ends and conjunctions, each part is routed on its own, and the parts are merged back:
a part that fits no tool belongs to its neighbour ("chicken, rice and broccoli"), unless it
restates the neighbour's request for another value ("weather in Boston and in San Francisco"),
which makes a parallel call of the same tool. A request that fits nothing may still be a
follow-up of the previous turn ("and for EMEA?"): then the previous tool is called again with the
new value. General questions go to a web-search tool when one is offered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from ..base import ToolSpec
from . import dates, lexicon, values
from .data import alternation, hint, word_set
from .expand import expand
from .fill import fill
from .relevance import Scored, score_tools, tool_doc
from .schema import param_kinds, tokens
from .text import content_words

MAX_CALLS = 5
SECOND_THRESHOLD = 0.6  # a second request in the same message needs a clearer match
DISTINGUISHING = frozenset(
    "id email url location origin destination name ticker coin currency language integer number date "
    "datetime username word".split()
)
ELLIPTICAL = re.compile(
    r"^\s*(?:and|what about|how about|same for|also for|now|ok(?:ay)?,? (?:and|now)|and for|what if)\b", re.I
)
CONTEXT = re.compile(
    r"^\s*(?:it|it's|its|my|our|the|this|that|these|those|i'm|i am|i've|i have|i was|i had|we|we're|"
    r"he|she|they|there|his|her|their)\b(?![^?]*\?)(?!.*\b(?:please|can you|could you)\b)"
    r"(?=.*\b(?:is|are|was|were|has|have|had|got|keeps|kept|did|does|seems|looks|came|went|broke|\w+ed|"
    r"\w+n't)\b)"
    r"|^\s*(?:i'm|i am|we're|we are)\s+(?!looking|trying|hoping|wondering|searching)\w+ing\b(?![^?]*\?)",
    re.I,
)
ELLIPSIS = re.compile(
    r"^\s*(?:(?:and|or|also|then)\s+)?"
    r"(?:in|for|at|to|from|on|with|about|near|what about|how about|same for|\d)\b",
    re.I,
)
NAMES_ONLY = re.compile(r"^\W*(?:[A-Z][\w'-]*|\d[\w.,]*)(?:\s+(?:[A-Z][\w'-]*|\d[\w.,]*)){0,3}\W*$")
_SPLIT_SENTENCES = re.compile(r"(?<=[?!])\s+|(?<=[^\d\s.][.])\s+(?=[A-Z])|\n+")
_SPLIT_CLAUSES = re.compile(
    r",?\s+(?:and\s+also|and\s+then|and|also|then|as\s+well\s+as)\s+(?=\S+\s+\S)|,\s+(?:then|also)\s+|;\s*",
    re.I,
)


@cache
def _chat() -> re.Pattern[str]:
    """Greetings, thanks and small talk (the openings in `hints.json`)."""
    return re.compile(rf"^\s*(?:{alternation(hint('chat', 'openings_regex'))})\b[\s\w,'!.?]*$", re.I)


@cache
def _question() -> re.Pattern[str]:
    """A question, or a request to look something up: what a catch-all web search may answer."""
    return re.compile(
        r"^\s*(?:who|what|when|where|which|why|how|is|are|does|do|did|can|could|will|was|were|has|have)\b|"
        rf"\b(?:{alternation(hint('catch_all', 'lookup_phrases_regex'))})\b",
        re.I,
    )


@cache
def _material() -> frozenset[str]:
    """Parameter-name words for material to act on (a text to translate), kept by a follow-up."""
    return word_set(hint("material", "words"))


@dataclass(frozen=True)
class Call:
    """A planned tool call and the part of the request it serves."""

    tool: ToolSpec
    arguments: dict[str, Any]
    part: str


def is_chat(text: str) -> bool:
    """Greetings, thanks and small talk: answered without tools and without an apology."""
    return bool(_chat().match(text)) and len(text.split()) <= 8


def split_parts(text: str) -> list[str]:
    """Sentences, then clauses joined by 'and'/'also'/'then'; quoted text and code stay whole."""
    protected: list[str] = []

    def hide(m: re.Match[str]) -> str:
        protected.append(m.group(0))
        return f"\x00{len(protected) - 1}\x00"

    masked = re.sub(
        r"```.*?```|`[^`]*`|" + values.QUOTED.pattern + "|" + values.URL.pattern + "|" + values.EMAIL.pattern,
        hide,
        text,
        flags=re.S,
    )
    parts = []
    for sentence in _SPLIT_SENTENCES.split(masked):
        clauses = (
            [sentence] if re.search(r"\brespectively\b", sentence, re.I) else _SPLIT_CLAUSES.split(sentence)
        )
        for clause in clauses:
            clause = re.sub(r"^\s*(?:and|also|then)\b[\s,]*", "", clause, flags=re.I).strip()
            if clause:
                parts.append(re.sub(r"\x00(\d+)\x00", lambda m: protected[int(m.group(1))], clause))
    return parts or [text]


def plan(
    text: str, tools: list[ToolSpec], history: tuple[str, ...] = (), anchor: date | None = None
) -> list[Call]:
    """The calls that serve `text` (empty when no tool fits)."""
    if not tools or not text.strip() or is_chat(text):
        return []
    context = (text,) + history  # where values may come from: the whole message, earlier turns
    routed = [
        (part, _top(score_tools(part, tools, context)), not CONTEXT.match(part)) for part in split_parts(text)
    ]
    asks_anchor = any(top and ask for _, top, ask in routed)
    segments: list[tuple[ToolSpec, list[str]]] = []
    leading: list[str] = []
    for part, top, ask in routed:
        anchored = top is not None and (ask or not asks_anchor)
        prev = segments[-1] if segments else None
        if anchored and prev and top.tool.name == prev[0].name:
            if _restates(prev, part, anchor):
                segments.append((top.tool, [part]))
            else:
                prev[1].append(part)
        elif anchored and (prev is None or top.score >= SECOND_THRESHOLD):
            segments.append((top.tool, leading + [part]))
            leading = []
        elif prev and (ELLIPSIS.match(part) or NAMES_ONLY.match(part)) and _restates(prev, part, anchor):
            segments.append((prev[0], [part]))
        elif prev:
            prev[1].append(part)
        else:
            leading.append(part)
    for i, (_, parts) in enumerate(segments):
        if len(parts) > 1:  # context joined a request: route the whole
            top = _top(score_tools(_joined(text, parts), tools, context))
            if top:
                segments[i] = (top.tool, parts)
    if not segments:
        top = _top(score_tools(text, tools, context))
        if top is None:
            top_tool = _catch_all(text, tools)
            if top_tool is None:
                return []
            segments = [(top_tool, [text])]
        else:
            segments = [(top.tool, [text])]
    calls: list[Call] = []
    for tool, parts in segments:
        part = _joined(text, parts)
        filled = fill(tool, part, context, anchor)
        for args in expand(filled.arguments, filled.evidence, param_kinds(tool), part):
            if not any(c.tool.name == tool.name and c.arguments == args for c in calls):
                calls.append(Call(tool, args, part))
    return calls[:MAX_CALLS]


def plan_followup(
    text: str, tools: list[ToolSpec], history: tuple[str, ...], anchor: date | None = None
) -> list[Call]:
    """Plan the latest message, reading it as a follow-up of the previous one when it is elliptical
    ("and for EMEA?", "now into German") or fits nothing on its own: the previous request's tool
    is called again, with the new values and the previous ones for everything else."""
    calls = plan(text, tools, history, anchor)
    elliptical = bool(ELLIPTICAL.match(text))
    if not history or is_chat(text) or (calls and not elliptical):
        return calls
    previous = plan(history[0], tools, history[1:], anchor)
    if calls:
        return [
            _carry_over(c, next((p for p in previous if p.tool.name == c.tool.name), None), text, anchor)
            for c in calls
        ]
    out: list[Call] = []
    for call in previous:
        filled = fill(call.tool, text, (), anchor)
        kinds = param_kinds(call.tool)
        new = {
            k: v for k, v in filled.arguments.items() if k in filled.evidence and kinds[k] in DISTINGUISHING
        }
        if not new and not elliptical or _changes_subject(text, call.tool, new):
            continue
        carried = _carry_over(Call(call.tool, new, text), call, text, anchor)
        # "what about tomorrow?" with nothing the tool takes: ask it again, the answer may cover it
        if not any(c.tool.name == carried.tool.name and c.arguments == carried.arguments for c in out):
            out.append(carried)
    return out


def _carry_over(call: Call, previous: Call | None, text: str, anchor: date | None) -> Call:
    """The follow-up's own values over the previous call's: a question is rewritten ("revenue in
    AMER" -> "revenue in EMEA"), material to act on (a text to translate) is kept."""
    if previous is None:
        return call
    kinds = param_kinds(call.tool)
    own = fill(call.tool, text, (), anchor).evidence
    args = dict(previous.arguments)
    for k, v in previous.arguments.items():
        if kinds.get(k) == "query" and isinstance(v, str) and not tokens(k) & _material():
            args[k] = _substitute(v, text)
    args.update({k: v for k, v in call.arguments.items() if k in own and kinds.get(k) != "query"})
    if values.quoted(text):  # new material: "and 'see you soon'?"
        args.update({k: v for k, v in call.arguments.items() if kinds.get(k) == "query"})
    return Call(call.tool, args, text)




def _changes_subject(text: str, tool: ToolSpec, new: dict[str, Any]) -> bool:
    """Whether a short follow-up brings words of its own that the previous tool does not explain:
    "and Berlin?" stays on the weather, "and the capital of Peru?" does not. Names, values and
    dates are what a follow-up is expected to bring, so only lower-case words count."""
    spans = [(w.start, w.end) for w in dates.find_whens(text, None)]
    plain = " ".join(
        m.group(0)
        for m in re.finditer(r"[^\W\d_][\w'-]*", text)
        if m.group(0).islower() and not any(a <= m.start() < b for a, b in spans)
    )
    explained = set(score_tools(text, [tool])[0].matched)
    return any(w not in explained for w in content_words(plain) if w not in lexicon.generic())


def _joined(text: str, parts: list[str]) -> str:
    """Parts of one segment as the user wrote them (with their "and"), when they are in order."""
    first, last = text.find(parts[0]), text.rfind(parts[-1])
    if len(parts) > 1 and 0 <= first <= last:
        return text[first : last + len(parts[-1])]
    return " ".join(parts)


def _top(ranked: list[Scored]) -> Scored | None:
    return ranked[0] if ranked and ranked[0].fits else None


def _restates(prev: tuple[ToolSpec, list[str]], part: str, anchor: date | None) -> bool:
    """Whether `part` asks the previous segment's tool again for a different value."""
    tool = prev[0]
    kinds = param_kinds(tool)
    mine = fill(tool, part, (), anchor)
    theirs = fill(tool, " ".join(prev[1]), (), anchor)
    for k in mine.evidence & theirs.evidence:
        if kinds[k] in DISTINGUISHING and mine.arguments[k] != theirs.arguments[k]:
            return True
    return False


def _catch_all(text: str, tools: list[ToolSpec]) -> ToolSpec | None:
    if not _question().search(text):
        return None
    return next((t for t in tools if tool_doc(t).catch_all), None)


def _substitute(previous: str, followup: str) -> str:
    """Rewrite the previous question for a follow-up: "revenue in AMER?" + "and for EMEA?"."""
    new = [e.value for e in values.entities(followup)]
    if not new:
        return f"{previous.rstrip()} ({followup.strip()})"
    olds = [e for e in values.entities(previous) if e.start > 0 and (e.value.isupper() == new[0].isupper())]
    if not olds:
        return f"{previous.rstrip()} ({followup.strip()})"
    old = olds[-1]
    return previous[: old.start] + new[0] + previous[old.end :]
