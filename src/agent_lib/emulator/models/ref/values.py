"""Typed values found in a request: ids, emails, URLs, quoted text, numbers, currencies, languages,
units, tickers, named entities, code and SQL.

Each finder returns spans (start, end) along with the value, so that argument filling can avoid
using the same piece of text twice (an order id's digits are not an amount) and can look at the
words around a value to decide which parameter it belongs to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .tables import COINS, CURRENCY_NAMES, CURRENCY_SYMBOLS, LANGUAGES, QUALIFIED_CURRENCIES, TICKERS, UNITS
from .text import STOP_WORDS


@dataclass(frozen=True)
class Span:
    """A value found in the text, with where it was found."""

    value: object
    start: int
    end: int
    raw: str = ""


EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
URL = re.compile(r"\bhttps?://[^\s<>\"')]+|\bwww\.[^\s<>\"')]+")
QUOTED = re.compile(r"\"([^\"]+)\"|“([^”]+)”|‘([^’]+)’|(?<![\w])'([^']+?)'(?![\w])")
ID_TOKEN = re.compile(
    r"(?<![\w@.-])(?:[A-Za-z]{1,6}-\d[\w-]*|#\d{3,}|(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{8,}|\d{8,})"
    r"(?![\w@-])"
)
_NUMBER = re.compile(
    r"(?P<sym>[$€£¥₹])?\s?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?P<k>k\b)?"
    r"\s?(?P<pct>%)?(?P<deg>°\s?[CF]?)?"
)
NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fourteen": 14,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "fifty": 50,
    "hundred": 100,
    "dozen": 12,
    "couple": 2,
}
_CODE_FENCE = re.compile(r"```(?:[a-zA-Z]+\n)?(.*?)```", re.S)
_INLINE_CODE = re.compile(r"`([^`]+)`")
_SQL = re.compile(r"\b(?:SELECT|WITH)\b.+", re.I | re.S)
_CAPITALIZED = re.compile(
    r"\b(?:[A-Z][\w&'.-]*|[A-Z]{2,})(?:\s+(?:of|de|la|the|del|von|van|&)?\s*[A-Z][\w&'.-]*)*"
)
_NOT_ENTITIES = frozenset(
    """i i'm i'd i'll i've can could would should what what's whats where when who whom which how
    why is are do does did please hi hello hey thanks thank the a an and or but also then any is it
    it's my our your find get show tell give set send book check open pay play put run search look
    translate convert track schedule remind define submit file raise pull email write let make
    monday tuesday wednesday thursday friday saturday sunday today tomorrow tonight yesterday
    january february march april may june july august september october november december
    ok okay yes no am pm""".split()
)


def emails(text: str) -> list[Span]:
    return [Span(m.group(0), m.start(), m.end(), m.group(0)) for m in EMAIL.finditer(text)]


def urls(text: str) -> list[Span]:
    return [Span(m.group(0).rstrip(".,;"), m.start(), m.end(), m.group(0)) for m in URL.finditer(text)]


def quoted(text: str) -> list[Span]:
    out = []
    for m in QUOTED.finditer(text):
        inner = next(g for g in m.groups() if g is not None)
        if inner.strip():
            out.append(Span(inner.strip(), m.start(), m.end(), m.group(0)))
    return out


def ids(text: str) -> list[Span]:
    """Tokens that look like record ids: SO-10042, TCK-88, INV-2024-0117, 1Z999AA1..., #12345."""
    taken = [(s.start, s.end) for s in emails(text) + urls(text)]
    out = []
    for m in ID_TOKEN.finditer(text):
        if any(a <= m.start() < b for a, b in taken):
            continue
        tok = m.group(0).rstrip(".,")
        out.append(Span(tok, m.start(), m.start() + len(tok), tok))
    return out


def id_shape(token: str) -> str:
    """The shape of an id, for matching a request's ids to a parameter's examples: SO-10042 -> 'SO-#'."""
    return re.sub(r"\d+", "#", token.upper())


def numbers(text: str, exclude: list[tuple[int, int]] = ()) -> list[Span]:
    """Numbers with their currency symbol, percent sign or degree sign; words like 'three' too.

    Digits that belong to something else are skipped: ids ("SO-10042"), times ("10am", "11:00"),
    labels ("Q3"). Dates are removed by the caller through `exclude`.
    """
    out = []
    for m in _NUMBER.finditer(text):
        num_start, num_end = m.start("num"), m.end("num")
        if any(a <= num_start < b for a, b in exclude):
            continue
        before = text[num_start - 1 : num_start] if num_start else ""
        if before.isalpha() or before in ("-", ":", "/", "_", "#", ".") and before:
            continue
        tail = re.match(r"[A-Za-z]+|:", text[num_end:])
        if tail and not m.group("k"):
            word = tail.group(0).lower()
            if word == ":" or word not in _UNIT_SUFFIXES:
                continue
        value: float = float(m.group("num").replace(",", ""))
        if m.group("k"):
            value *= 1000
        start = m.start() if m.group("sym") else num_start
        out.append(Span(int(value) if value.is_integer() else value, start, m.end(), m.group(0).strip()))
    lowered = text.lower()
    for word, value in NUMBER_WORDS.items():
        for m in re.finditer(rf"\b{word}\b", lowered):
            if not any(a <= m.start() < b for a, b in exclude):
                out.append(Span(value, m.start(), m.end(), m.group(0)))
    return sorted(out, key=lambda s: s.start)


_UNIT_SUFFIXES = frozenset(
    "km kg lb lbs mi cm mm ml oz ft m g l st nd rd th min mins h hr hrs x usd eur gbp".split()
)


def currencies(text: str) -> list[Span]:
    """Currency mentions in order of appearance, as ISO codes ("euros" -> EUR, "$" -> USD)."""
    out: list[Span] = []
    lowered = text.lower()
    for sym, code in CURRENCY_SYMBOLS.items():
        for m in re.finditer(re.escape(sym), text):
            out.append(Span(code, m.start(), m.end(), sym))
    for m in re.finditer(
        r"\b([a-z]+(?: [a-z]+)?) (dollars?|pounds?|francs?|krone|kroner|yen|pesos?|rupees?)\b", lowered
    ):
        if m.group(1) in QUALIFIED_CURRENCIES or m.group(1).split()[-1] in QUALIFIED_CURRENCIES:
            qual = m.group(1) if m.group(1) in QUALIFIED_CURRENCIES else m.group(1).split()[-1]
            start = m.start() + m.group(0).rfind(qual)
            out.append(Span(QUALIFIED_CURRENCIES[qual], start, m.end(), text[start : m.end()]))
    for m in re.finditer(r"\b[a-zA-Z]+\b", text):
        word = m.group(0)
        code = CURRENCY_NAMES.get(word.lower())
        if not code or any(s.start <= m.start() < s.end for s in out):
            continue
        if word.lower() == code.lower() and not word.isupper() and not _near_amount(text, m.start(), m.end()):
            continue  # a lower-case ISO code counts next to an amount ("20 eur to usd"), "try" never alone
        out.append(Span(code, m.start(), m.end(), word))
    return sorted(out, key=lambda s: s.start)


def _near_amount(text: str, start: int, end: int) -> bool:
    before, after = text[max(0, start - 12) : start], text[end : end + 3]
    return bool(re.search(r"(?:\d\s*|\b(?:to|in|into)\s+)$", before, re.I) or re.match(r"\s*\d", after))


def languages(text: str) -> list[Span]:
    return [
        Span(m.group(0).capitalize(), m.start(), m.end(), m.group(0))
        for m in re.finditer(r"\b(" + "|".join(LANGUAGES) + r")\b", text, re.I)
    ]


def units(text: str) -> list[Span]:
    out = []
    for m in re.finditer(r"(?<![A-Za-z])([A-Za-z]+)\b|°\s?([CF])\b", text):
        word = (m.group(1) or "").lower()
        if m.group(2):
            out.append(Span(m.group(2), m.start(), m.end(), m.group(0)))
        elif word in UNITS and (
            len(word) > 2 or _after_number(text, m.start()) or _after_to(text, m.start())
        ):
            out.append(Span(UNITS[word], m.start(), m.end(), m.group(0)))
    return out


def _after_number(text: str, pos: int) -> bool:
    return bool(re.search(r"\d\s?$", text[:pos]))


def _after_to(text: str, pos: int) -> bool:
    return bool(re.search(r"\b(?:to|into|in)\s$", text[:pos], re.I))


def tickers(text: str) -> list[Span]:
    """Stock tickers: upper-case symbols (NVDA) or well-known company names (Apple -> AAPL)."""
    out = []
    for m in re.finditer(r"\b[A-Za-z][A-Za-z-]+\b", text):
        word = m.group(0)
        if word.lower() in TICKERS:
            out.append(Span(TICKERS[word.lower()], m.start(), m.end(), word))
        elif (
            word.isupper()
            and 1 < len(word) <= 5
            and word.lower() not in CURRENCY_NAMES
            and word
            not in (
                "I",
                "OK",
                "CEO",
                "USA",
                "UK",
                "EU",
                "IT",
                "HR",
                "PTO",
                "CRM",
                "SQL",
                "AM",
                "PM",
                "ETA",
                "API",
                "FAQ",
                "VPN",
                "NDA",
                "PDF",
                "IPO",
                "ETF",
            )
        ):
            out.append(Span(word, m.start(), m.end(), word))
    return out


def coins(text: str) -> list[Span]:
    return [
        Span(COINS[m.group(0).lower()], m.start(), m.end(), m.group(0))
        for m in re.finditer(r"\b[A-Za-z]+\b", text)
        if m.group(0).lower() in COINS
    ]


def entities(text: str) -> list[Span]:
    """Capitalized phrases that name something (cities, people, companies, products)."""
    out = []
    for m in _CAPITALIZED.finditer(text):
        phrase = m.group(0).strip(" .,'")
        phrase = re.sub(r"'s$", "", phrase)
        parts = phrase.split()
        while parts and parts[0].lower().strip("'") in _NOT_ENTITIES:
            parts = parts[1:]
        while parts and parts[-1].lower() in _NOT_ENTITIES:
            parts = parts[:-1]
        if not parts or len(" ".join(parts)) < 2:
            continue
        phrase = " ".join(parts)
        start = text.find(phrase, m.start())
        out.append(Span(phrase, start, start + len(phrase), phrase))
    return out


def place_after_preposition(text: str) -> list[Span]:
    """Lower-case places people type ("weather in seattle"): the words after in/at/near/for."""
    out = []
    for m in re.finditer(r"\b(?:in|at|near|around|for|to|from)\s+((?:[a-z][a-z'-]+\s?){1,3})", text):
        words = []
        for w in m.group(1).split():
            if w in STOP_WORDS or w in _NOT_ENTITIES or w in _TIME_WORDS or w in UNITS or w in LANGUAGES:
                break
            words.append(w)
        if words:
            phrase = " ".join(words)
            out.append(Span(phrase, m.start(1), m.start(1) + len(phrase), phrase))
    return out


_TIME_WORDS = frozenset(
    """today tonight tomorrow yesterday morning afternoon evening night week weekend month year
    now later celsius fahrenheit minutes hours days business economy first class""".split()
)


def code_snippet(text: str) -> Span | None:
    """Code the user pasted: a fenced block, inline code, or what follows 'python:' / 'code:'."""
    m = _CODE_FENCE.search(text) or _INLINE_CODE.search(text)
    if m:
        return Span(m.group(1).strip(), m.start(), m.end(), m.group(0))
    m = re.search(r"(?:python|code|snippet|script|this)\s*:\s*(.+)$", text, re.I | re.S)
    if m and re.search(r"[()=\[\]]", m.group(1)):
        return Span(m.group(1).strip(), m.start(1), m.end(1), m.group(1))
    return None


def sql_statement(text: str) -> Span | None:
    m = _SQL.search(text)
    if m and re.search(r"\bFROM\b|\bSELECT\s+\d", m.group(0), re.I):
        stmt = m.group(0).strip().rstrip("?")
        return Span(stmt, m.start(), m.end(), m.group(0))
    return None
