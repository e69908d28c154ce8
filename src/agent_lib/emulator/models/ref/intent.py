"""What the request wants done, as opposed to what it is about.

Word overlap says which tool a request is *about*; it cannot tell "what's the status of my order"
from "change the address on my order". Two cheap signals help:

- **Capability verbs.** A request whose main verb changes or removes something (cancel, delete,
  change, turn off, order/buy) can only be served by a tool that says it does that; a tool that
  merely shares the request's nouns is not a fit.
- **Polarity.** Questions ("what's on my calendar") prefer tools that read (get, list, search);
  commands to create ("schedule a meeting") prefer tools that write (create, send, submit). This
  only breaks ties between tools that both fit.
"""

from __future__ import annotations

import re

from ..base import ToolSpec
from .text import split_identifier, split_negated, stem, words

# Families of verbs that need a tool which does exactly that. "strict" families are nouns too
# ("order"), so for them only the tool's leading verb counts.
CAPABILITIES: dict[str, tuple[frozenset[str], bool]] = {
    "cancel": (frozenset("cancel cancels cancellation void revoke abort".split()), False),
    "delete": (frozenset("delete deletes remove removes erase purge clear trash archive".split()), False),
    "change": (
        frozenset(
            "change changes update updates modify modifies edit edits amend rename reschedule move set "
            "reset".split()
        ),
        False,
    ),
    "turn": (frozenset("turn switch set toggle enable disable activate deactivate control".split()), False),
    "order": (frozenset("order buy purchase place checkout create submit".split()), True),
    "return": (frozenset("return returns refund refunds rma exchange".split()), False),
}
_REQUEST_VERBS = {
    **{v: "cancel" for v in ("cancel", "void", "revoke", "abort")},
    **{v: "delete" for v in ("delete", "remove", "erase", "purge", "clear", "trash", "archive")},
    **{v: "change" for v in ("change", "update", "modify", "edit", "amend", "rename", "reschedule", "move")},
    **{v: "turn" for v in ("turn", "switch", "toggle", "enable", "disable")},
    **{v: "order" for v in ("order", "buy", "purchase")},
    "return": "return",
}
READ_VERBS = frozenset(
    "get gets list lists search searches find finds check checks lookup look show shows fetch fetches "
    "retrieve retrieves read reads query queries track tracks view count describe return returns "
    "answer answers ask display".split()
)
WRITE_VERBS = frozenset(
    "create creates add adds send sends submit submits book books schedule schedules post posts issue "
    "issues pay pays reset resets request requests open opens file files raise raises make makes "
    "refund refunds write writes log logs register registers reserve reserves invite invites set sets "
    "put email mail text message notify remind".split()
)
# Verbs that name an action specific enough to pick a tool named after it ("email their contact").
ACTION_VERBS = frozenset(
    "email mail text message track translate convert play refund pay schedule remind define summarize "
    "summarise calculate compute cancel order reset submit invite post share upload download print "
    "deploy restart reboot approve reject assign escalate transfer deposit withdraw sign rate review "
    "rename archive delete update install uninstall subscribe unsubscribe forward reply".split()
)
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
