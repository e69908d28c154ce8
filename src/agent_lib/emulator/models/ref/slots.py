"""Free-text slots cut out of a request by phrasing patterns: route ends, titles, message bodies,
the text to act on, list items, math expressions, and the leftover phrase a tool's words don't
explain (the product in "check inventory for wireless mouse").
"""

from __future__ import annotations

import re

from .text import STOP_WORDS, stem

_BOUNDARY = (
    r"(?=$|[,.;!?]|\s+(?:on|at|by|in|for|next|this|tomorrow|today|tonight|leaving|departing|returning|"
    r"coming|and|via|with|please|around|before|after|starting|from|to)\b|\s+\d)"
)
_VERBS = r"(?:fly|go|get|book|travel|find|be|take|have|make|see|visit|drive|walk|head|leave|know|check)\b"
_PLACE = r"(?:the\s+)?(?!" + _VERBS + r")(?P<{0}>[\w'&.-]+(?:\s+[\w'&.-]+){{0,3}}?)"
_COMMANDS = re.compile(
    r"^(?:(?:hey|hi|ok|okay|so|please|pls|kindly|can you|could you|would you|will you|i need you to|"
    r"i want you to|i'd like you to|help me)\s*,?\s*)+",
    re.I,
)
_SEARCH_PREFIX = re.compile(
    r"^(?:search|look\s+up|lookup|google|find(?:\s+out)?|look\s+for|browse)\s+(?:(?:the\s+)?(?:web|internet|online)\s+)?"
    r"(?:for\s+)?(?:me\s+)?",
    re.I,
)


def route(text: str) -> tuple[str | None, str | None]:
    """(origin, destination) from "from X to Y", "to Y from X", "X to Y" or "between X and Y"."""
    a, b = _PLACE.format("a"), _PLACE.format("b")
    for pattern in (
        rf"\bfrom\s+{a}\s+(?:to|into|towards|->|→)\s+{b}{_BOUNDARY}",
        rf"\b(?:to|towards)\s+{b}\s+from\s+{a}{_BOUNDARY}",
        rf"\bbetween\s+{a}\s+and\s+{b}{_BOUNDARY}",
        r"\b(?P<a>[A-Z][\w'.-]*(?:\s+[A-Z][\w'.-]*)*)\s+(?:to|->|→)\s+"
        r"(?P<b>[A-Z][\w'.-]*(?:\s+[A-Z][\w'.-]*)*)",
        r"\b(?:fly|flights?|drive|route|ride|cab|taxi|directions)\s+(?P<a>[a-z][\w'-]*)\s+to\s+"
        r"(?P<b>[a-z][\w'-]*)\b",
    ):
        m = re.search(pattern, text)
        if m:
            return _clean_place(m.group("a")), _clean_place(m.group("b"))
    m = re.search(rf"\bfrom\s+{a}{_BOUNDARY}", text)
    origin = _clean_place(m.group("a")) if m else None
    m = re.search(rf"\b(?:to|towards|into)\s+{b}{_BOUNDARY}", text)
    dest = _clean_place(m.group("b")) if m else None
    return origin, dest


def _clean_place(phrase: str | None) -> str | None:
    if not phrase:
        return None
    phrase = re.sub(r"^(?:the|a|an)\s+", "", phrase.strip(" ,.?!"), flags=re.I)
    return phrase or None


def username(text: str) -> str | None:
    m = re.search(
        r"\b(?:login|username|user\s*name|user\s*id|userid|handle|user)\s*(?:is|:|=)?\s*([\w.@+-]+)",
        text,
        re.I,
    )
    if m and m.group(1).lower() not in STOP_WORDS:
        return m.group(1).rstrip(".,")
    m = re.search(r"\bfor\s+([a-z][\w.+-]*\d*|[\w.+-]+@[\w.-]+)\s*[.?!]?$", text.strip(), re.I)
    if m and m.group(1).lower() not in STOP_WORDS and " " not in m.group(1):
        return m.group(1).rstrip(".,")
    return None


def title(text: str) -> str | None:
    m = re.search(
        r"\b(?:called|titled|named|title[d]?\s*:?|subject(?:\s+line)?\s*:?)\s+['\"“]?(.+?)['\"”]?"
        + _BOUNDARY,
        text,
        re.I,
    )
    return m.group(1).strip() if m else None


def body(text: str) -> str | None:
    for pattern in (
        r"\b(?:saying|that says|which says|to say|the message is)\s*:?\s+(.+?)\s*(?:,\s*subject\b.*)?$",
        r"\btell(?:ing)?\s+(?:him|her|them|everyone|the team)\s+(?:that\s+)?(.+?)\s*(?:,\s*subject\b.*)?$",
        r"\b(?:that|about)\s+(.+?)\s*(?:,\s*subject\b.*)?$",
    ):
        m = re.search(pattern, text, re.I)
        if m:
            return m.group(1).strip(" .?!")
    return None


def subject_text(text: str) -> str | None:
    """What the user wants acted on: after a colon, 'say X in', 'remind me to X'."""
    m = re.search(r":\s*(.+)$", text, re.S)
    if m and len(m.group(1).split()) >= 1 and not re.match(r"\d", m.group(1)):
        return m.group(1).strip()
    m = re.search(r"\bsay\s+(.+?)\s+(?:in|into)\s+\w+\s*[?.!]*$", text, re.I)
    if m:
        return m.group(1).strip(" '\"")
    m = re.search(
        r"\b(?:remind(?:er)?\s+(?:me\s+)?(?:to|about)|forget\s+to|remember\s+to|reminder\s+to)\s+(.+)$",
        text,
        re.I,
    )
    if m:
        return m.group(1).strip(" .?!")
    m = re.search(r"\b(?:reminder|remind me)\b.*?\bto\s+(.+)$", text, re.I)
    if m:
        return m.group(1).strip(" .?!")
    return None


def strip_command(text: str, *, search: bool = False) -> str:
    """The request without leading politeness ("can you please") and, for search, the verb."""
    out = _COMMANDS.sub("", text.strip())
    if search:
        out = _SEARCH_PREFIX.sub("", out)
    return out.strip() or text.strip()


def list_items(text: str) -> list[str]:
    """Items of an enumeration: "with chicken, rice and broccoli" -> [chicken, rice, broccoli]."""
    m = re.search(
        r"\b(?:with|using|have|got|of|includ\w*)\s+"
        r"((?:[\w' -]+,\s*)+[\w' -]+?\s+(?:and|or)\s+[\w' -]+?)(?=[?.!]|$)",
        text,
        re.I,
    )
    if not m:
        m = re.search(r"\b(?:with|using)\s+([\w' -]+?\s+(?:and|or)\s+[\w' -]+?)(?=[?.!,]|$)", text, re.I)
    if not m:
        return []
    parts = re.split(r",\s*|\s+(?:and|or)\s+", m.group(1))
    return [p.strip() for p in parts if p.strip() and p.strip().lower() not in STOP_WORDS]


def residual(text: str, known_stems: set[str], used: list[tuple[int, int]]) -> str | None:
    """The longest run of content words the tool's own vocabulary doesn't explain."""
    best: list[str] = []
    run: list[str] = []
    for m in re.finditer(r"[A-Za-z][\w'-]*|\S", text):
        w = m.group(0)
        lw = w.lower().strip("'")
        is_free = (
            w[0].isalpha()
            and lw not in STOP_WORDS
            and stem(lw) not in known_stems
            and not any(a <= m.start() < b for a, b in used)
        )
        if is_free:
            run.append(w)
            if len(run) > len(best):
                best = list(run)
        else:
            run = []
    return " ".join(best) if best else None


def phrase_ending_with(text: str, token: str) -> str | None:
    """'living room' for a `room` parameter: the word(s) right before a mention of the token."""
    m = re.search(rf"\b((?:[a-z]+\s+)?[a-z]*{re.escape(token)})\b", text, re.I)
    if not m:
        return None
    words = [w for w in m.group(1).split() if w.lower() not in STOP_WORDS]
    return " ".join(words) or None


def math_expression(text: str) -> str | None:
    """An arithmetic expression from words and symbols: "17.5% of 2,340" -> "17.5/100*2340"."""
    t = text.lower().replace(",", "")
    t = re.sub(r"(\d+(?:\.\d+)?)\s*%\s*off\s+(?:an?\s+|the\s+)?\$?(\d+(?:\.\d+)?)", r"\2*(1-\1/100)", t)
    t = re.sub(r"(\d)\s*%\s*(?:tip\s+)?(?:of|on)\s+(?:an?\s+|the\s+)?\$?", r"\1/100*", t)
    t = re.sub(r"square root of\s*(\d+(?:\.\d+)?)", r"sqrt(\1)", t)
    t = re.sub(r"(\d+(?:\.\d+)?)\s*squared", r"\1**2", t)
    t = re.sub(r"(\d+(?:\.\d+)?)\s*cubed", r"\1**3", t)
    t = re.sub(r"\bto the power of\b|\^", "**", t)
    t = re.sub(r"\b(?:multiplied by|times|x)\b", "*", t)
    t = re.sub(r"\b(?:divided by|over)\b", "/", t)
    t = re.sub(r"\bplus\b", "+", t)
    t = re.sub(r"\bminus\b", "-", t)
    t = re.sub(r"\$", "", t)
    m = re.search(r"\bsplit\D*?(\d+(?:\.\d+)?)\D*?(?:between|among|by)\s+(\d+)", t)
    if m:
        return f"{m.group(1)}/{m.group(2)}"
    t = t.replace("sqrt(", "√(")
    spans = re.findall(r"[\d.()+\-*/ √]*\d[\d.()+\-*/ √]*", t)
    candidates = [s.strip() for s in spans if re.search(r"\d\s*(?:\*\*|[-+*/])\s*\(?\s*\d|√\(", s)]
    if not candidates:
        return None
    return max(candidates, key=len).replace("√(", "sqrt(").strip(" .")
