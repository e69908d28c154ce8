"""A request as weighted stems, plus hints derived from the typed values it mentions.

Each content word gets a prior: generic verbs and nouns ("find", "check", "details") count half,
words in a trailing prepositional phrase ("the email [with my flight details]") a little less, and
words corrected from a probable typo less still. Typed values add hint stems that tool
definitions use: two currencies suggest "currency", an address after "to" suggests sending email,
a language after "into" suggests "language", a degree sign "temperature", and so on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import dates, intent, lexicon, slots, tables, values
from .text import ABBREVIATIONS, STOP_WORDS, content_words, dice, edit_distance, stem, trigrams, words

TYPO_FACTOR = 0.6
MODIFIER_FACTOR = 0.7
PAYLOAD_FACTOR = 0.5
RULE_VERB_FACTOR = 0.5
_MODIFIER_PREPS = frozenset("with about for from of on regarding concerning".split())


@dataclass(frozen=True)
class Query:
    """A request as weighted stems plus the id shapes it mentions."""

    terms: dict[str, float]
    shapes: frozenset[str]
    kinds: frozenset[str] = frozenset()  # kinds of values present: ticker, coin, currency, date, ...


def analyze(text: str, vocabulary: frozenset[str] = frozenset()) -> Query:
    """Stems of the request with priors, plus hints derived from typed values.

    Words unknown to both the lexicon and the offered tools are corrected to a close known word
    ("wether" -> "weather", "convrt" -> "convert") and count a little less.
    """
    terms: dict[str, float] = {}
    seen_head = modifier = False
    original = text
    text, dotted = _identifiers(text)
    text, payload = _payload(text)
    after_rule = False
    for w in words(text):
        if w in _MODIFIER_PREPS and seen_head:
            modifier = True
        if w in STOP_WORDS or not w[0].isalpha():
            continue
        w = ABBREVIATIONS.get(w, w)
        prior = MODIFIER_FACTOR if modifier else 1.0
        if after_rule:  # "allowed [to] expense ...": the action is what the rule is about, not the ask
            prior *= RULE_VERB_FACTOR
        after_rule = w == "allowed"
        seen_head = seen_head or stem(w) not in lexicon.generic()
        if (
            vocabulary
            and len(w) >= 5
            and w.isalpha()
            and w not in vocabulary
            and not lexicon.known(stem(w))
            and w not in dates.CALENDAR_WORDS  # "march" is a month, not a typo for "match"
        ):
            fixed = _closest(w, vocabulary)
            if fixed:
                w, prior = fixed, prior * TYPO_FACTOR
        s = stem(w)
        terms[s] = max(terms.get(s, 0.0), prior * (0.5 if s in lexicon.generic() else 1.0))

    for w in content_words(payload):  # quoted text or what follows "...:" is material, not the ask
        terms[w] = max(terms.get(w, 0.0), PAYLOAD_FACTOR * (0.5 if w in lexicon.generic() else 1.0))
    text = original  # hints read the values the words skipped

    def hint(word: str, weight: float) -> None:
        key = stem(word)
        terms[key] = max(terms.get(key, 0.0), weight)

    for ident in dotted:  # "sales.orders" names a table, "q3_report.pdf" a file: weak words, strong hint
        for w in content_words(ident.replace(".", " ").replace("_", " ")):
            hint(w, 0.5)
        hint("file" if ident.rsplit(".", 1)[-1].lower() in _FILE_EXTENSIONS else "table", 0.6)

    if values.emails(text):
        hint("email", 0.5)
        if re.search(r"\b(?:to|email|e-mail|mail|message|cc)\s+[\w.+-]+@", text, re.I):
            hint("send", 0.6)  # an address after "to" is a recipient
            hint("email", 0.8)
    if values.urls(text):
        hint("url", 0.8)
    found = values.currencies(text)
    if len({c.value for c in found}) >= 2:
        hint("currency", 0.8)
    elif found and re.search(r"\d", text):
        hint("price", 0.3)
    if values.languages(text) and re.search(
        r"\b(?:in|into|to|from)\s+(?:\w+\s+)?(?:" + "|".join(tables.LANGUAGES) + r")\b", text, re.I
    ):
        hint("language", 0.8)
    if len(values.units(text)) >= 2:
        hint("measurement", 0.6)
    found_tickers = _tickers(text)
    if any(s.raw.lower() in tables.TICKERS for s in found_tickers):
        hint("stock", 0.5)
    elif found_tickers:
        hint("ticker", 0.8)
    if re.search(r"\d\s*(?:°|degrees?\b)", text, re.I):
        hint("temperature", 0.8)
    if re.search(_CUISINES, text, re.I) and not re.search(
        r"\b(?:in|into)\s+(?:" + _CUISINES_RAW + r")\b", text, re.I
    ):
        hint("cuisine", 0.8)
    origin, destination = slots.route(text)
    if origin and destination and not values.currencies(text) and not values.units(text):
        hint("route", 0.5)
    if values.coins(text):
        hint("crypto", 0.8)
    if values.code_snippet(text):
        hint("code", 0.8)
    if values.sql_statement(text):
        hint("sql", 1.0)
    if intent.asks_rule(text):
        hint("policy", 0.8)  # "can I expense a business class flight?" asks what the rules say
    if _looks_like_math(text):
        hint("calculate", 0.8)
    shapes = frozenset(values.id_shape(s.value) for s in values.ids(text))
    return Query(terms, shapes, _value_kinds(text))


_CUISINES_RAW = (
    "italian|thai|mexican|chinese|indian|japanese|french|greek|korean|vietnamese|spanish|lebanese|"
    "turkish|ethiopian|moroccan|german|american|mediterranean|caribbean|peruvian|sushi|tapas|bbq"
)
_CUISINES = r"\b(?:" + _CUISINES_RAW + r")\b"


_FILE_EXTENSIONS = frozenset(
    "pdf csv xlsx xls docx doc txt json py md png jpg jpeg pptx zip html yaml yml".split()
)
_IDENTIFIER = re.compile(r"(?<![\w@/.])[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)+(?![\w@/])")


def _payload(text: str) -> tuple[str, str]:
    """(the request without its material, the material): quoted text, and the text after a colon
    that ends an instruction ("translate to Spanish: the meeting is cancelled")."""
    quoted = values.quoted(text)
    material = [q.value for q in quoted]
    for q in reversed(quoted):
        text = text[: q.start] + " " + text[q.end :]
    m = re.search(r"^(\D{8,}?[A-Za-z])\s*:\s+(?=\S)", text)  # not "11:00", not "https://"
    if m and len(m.group(1).split()) >= 2:
        material.append(text[m.end() :])
        text = m.group(1)
    return text, " ".join(material)


def _identifiers(text: str) -> tuple[str, list[str]]:
    """Dotted names (tables, files) cut out of the text, which is then read without them (and
    without email addresses; URLs keep their words: "news.site/article/123" says "article")."""
    text = values.EMAIL.sub(" ", text)  # an address is a value, not words about the request
    masked = values.URL.sub(" ", text)
    found = [
        m.group(0) for m in _IDENTIFIER.finditer(masked) if not m.group(0).lower().startswith(("e.g", "i.e"))
    ]
    for ident in found:
        text = text.replace(ident, " ")
    return text, found


_MARKET = re.compile(
    r"\b(?:stocks?|shares?|prices?|ticker|trading|traded|quote|market|nasdaq|nyse|invest\w*)\b|\$[A-Z]{1,5}\b",
    re.I,
)


def _tickers(text: str) -> list[values.Span]:
    """Stock symbols and company names, only in a market context: "Microsoft stock" is a ticker,
    "the CEO of Microsoft" is not, and neither is "EMEA"."""
    if not _MARKET.search(text):
        return []
    return [
        t
        for t in values.tickers(text)
        if t.raw.lower() in tables.TICKERS or t.raw.lower() not in tables.COINS
    ]


def _value_kinds(text: str) -> frozenset[str]:
    """Kinds of typed values in the request, matched against the kinds of tools' parameters."""
    kinds = set()
    if dates.find_whens(text, None):
        kinds |= {"date", "datetime"}
    if _tickers(text):
        kinds.add("ticker")
    if values.coins(text):
        kinds.add("coin")
    found = values.currencies(text)
    if len({c.value for c in found}) >= 2:
        kinds.add("currency")
    if values.emails(text):
        kinds.add("email")
    if values.urls(text):
        kinds.add("url")
    if len(values.units(text)) >= 2:
        kinds.add("unit")
    return frozenset(kinds)


def _looks_like_math(text: str) -> bool:
    spans = [(w.start, w.end) for w in dates.find_whens(text, None)]
    spans += [(i.start, i.end) for i in values.ids(text)]
    for a, b in sorted(spans, reverse=True):  # "2025-12-30" and "INV-2024-0117" are not subtractions
        text = text[:a] + " " * (b - a) + text[b:]
    if re.search(r"\bsplit\b.*\b(?:between|among)\s+(?:\d+|two|three|four|five|six)\b", text, re.I):
        return True
    if re.search(
        r"\d\s*[-+*/x^]\s*\(?\d|\bsquare root\b|\bsqrt\b|\d\s*%\s*(?:of|on|off|tip)\b"
        r"|\bsquared\b|\bfactorial\b",
        text,
        re.I,
    ):
        return True
    return bool(re.search(r"\d+\s+(?:times|plus|minus|divided by|multiplied by)\s+\d", text, re.I))


def _closest(word: str, vocabulary: frozenset[str]) -> str | None:
    """The known word nearest to a probable typo, or None (same first letter, 1-2 edits)."""
    limit = 1 if len(word) <= 6 else 2
    grams = trigrams(word)
    best: tuple[int, float, str] | None = None
    for v in vocabulary:
        if v[0] != word[0] or abs(len(v) - len(word)) > limit:
            continue
        d = edit_distance(word, v, limit + 1)
        if d <= limit:
            key = (d, -dice(grams, trigrams(v)), v)
            best = key if best is None or key < best else best
    return best[2] if best else None
