"""Lexical relevance between a request and the tools on offer, with a threshold for abstaining.

Each tool becomes a small weighted bag of stems: words of its name count most (it is what the
tool *is*), then its description, then parameter names, parameter descriptions and enum values.
A field counts a stem once, and evidence saturates (w / (w + 1)), so a long description cannot win
by repetition. A request stem matches a tool directly, through a related word (lexicon), or after
typo correction; each request stem carries a prior (generic verbs like "find" or "check" count
half). Two scores come out:

- `score`, the absolute evidence, compared to a fixed threshold to decide whether any tool fits.
  It does not depend on how many tools are offered, so abstention is calibrated the same way with
  one tool or forty.
- `rank`, the same sum with each stem discounted by how many offered tools it matches (an
  in-set IDF), used to pick among tools that all fit.

Typed values in the request add evidence too: an email address hints at email tools, two
currencies at conversion, an id shaped like a parameter's example ("SO-10042" vs "e.g. SO-1")
at the tool that takes it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache

from ..base import ToolSpec
from . import dates, intent, lexicon, slots, values
from .schema import param_kinds
from .text import DOC_STOP_WORDS, STOP_WORDS, content_words, dice, edit_distance, split_identifier, stem, trigrams, words

FIELD_WEIGHTS = {"name": 3.0, "prefix": 1.5, "description": 2.0, "param": 1.0, "param_doc": 0.8, "enum": 0.8}
RELATED_FACTOR = 0.7
AMBIGUOUS_FACTOR = 0.55  # for words in several groups ("table": data or restaurants)
MISSING_PENALTY = 0.5
TYPO_FACTOR = 0.6
SHAPE_BONUS = 1.0
DATE_BONUS = 0.1  # a date in the request slightly favours tools that take one
CAPABILITY_PENALTY = 0.4
POLARITY_BONUS = 0.15
THRESHOLD = 0.55
MODIFIER_FACTOR = 0.8  # words in a trailing prepositional phrase ("the email [with my flight details]")
_MODIFIER_PREPS = frozenset("with about for from of on regarding concerning".split())


@dataclass(frozen=True)
class ToolDoc:
    """A tool as a bag of stems with field weights."""

    spec: ToolSpec
    weights: dict[str, float]  # all fields
    head: dict[str, float]  # name, prefix and description only: what the tool is for
    names: frozenset[str]  # stems of the name
    verb: str  # the name's leading verb ("issue" in issue_refund): matched literally, never by relatives
    shapes: frozenset[str]
    catch_all: bool
    takes_date: bool
    raw: frozenset[str]  # unstemmed words, the vocabulary for typo correction


@dataclass(frozen=True)
class Scored:
    """A tool's relevance to a request."""

    tool: ToolSpec
    score: float
    rank: float
    matched: tuple[str, ...]
    strong: bool  # a specific (non-generic) word or an id shape matched

    @property
    def fits(self) -> bool:
        return self.strong and self.score >= THRESHOLD


def properties(spec: ToolSpec) -> dict[str, dict]:
    """The parameter schemas of a tool, tolerant of missing or odd schemas ("type": "dict")."""
    props = (spec.parameters or {}).get("properties") or {}
    return {k: v if isinstance(v, dict) else {} for k, v in props.items()}


def tool_doc(spec: ToolSpec) -> ToolDoc:
    return _tool_doc(spec.name, spec.description or "", json.dumps(spec.parameters or {}, sort_keys=True))


@lru_cache(maxsize=1024)
def _tool_doc(name: str, description: str, params_json: str) -> ToolDoc:
    spec = ToolSpec(name, description, json.loads(params_json))
    segments = re.split(r"\.|__|/", name)
    fields: dict[str, list[str]] = {
        "name": _doc_words(split_identifier(segments[-1])),
        "prefix": _doc_words(" ".join(split_identifier(s) for s in segments[:-1])),
        "description": _doc_words(description),
        "param": [], "param_doc": [], "enum": [],
    }
    shapes = {values.id_shape(s.value) for s in values.ids(description)}
    for pname, schema in properties(spec).items():
        fields["param"] += _doc_words(split_identifier(pname))
        doc = str(schema.get("description", "")) + " " + str(schema.get("title", ""))
        fields["param_doc"] += _doc_words(doc)
        shapes |= {values.id_shape(s.value) for s in values.ids(doc)}
        for e in schema.get("enum") or (schema.get("items") or {}).get("enum") or []:
            fields["enum"] += _doc_words(split_identifier(str(e)))
    weights: dict[str, float] = {}
    head: dict[str, float] = {}
    for field, stems in fields.items():
        for s in set(stems):
            weights[s] = weights.get(s, 0.0) + FIELD_WEIGHTS[field]
            if field in ("name", "prefix", "description"):
                head[s] = head.get(s, 0.0) + FIELD_WEIGHTS[field]
    purpose = set(head)
    catch_all = bool(purpose & {"web", "internet", "onlin", "googl"}) and bool(purpose & {"search", "lookup", "find", "googl"})
    raw = {w for w in words(" ".join([split_identifier(name), description, params_json])) if w.isalpha()}
    names = frozenset(fields["name"]) | frozenset(fields["prefix"])
    leading = split_identifier(segments[-1]).split()[:1]
    verb = stem(leading[0]) if leading and leading[0] in _NAME_VERBS else ""
    takes_date = any(k in ("date", "datetime") for k in param_kinds(spec).values())
    return ToolDoc(spec, weights, head, names, verb, frozenset(shapes), catch_all, takes_date, frozenset(raw))


_NAME_VERBS = frozenset({"issue"})


def _doc_words(text: str) -> list[str]:
    return content_words(text, extra_stop=DOC_STOP_WORDS)


@dataclass(frozen=True)
class Query:
    """A request as weighted stems plus the id shapes it mentions."""

    terms: dict[str, float]
    shapes: frozenset[str]
    has_date: bool = False


def analyze(text: str, vocabulary: frozenset[str] = frozenset()) -> Query:
    """Stems of the request with priors, plus hints derived from typed values.

    Words unknown to both the lexicon and the offered tools are corrected to a close known word
    ("wether" -> "weather", "convrt" -> "convert") and count a little less.
    """
    terms: dict[str, float] = {}
    seen_head = modifier = False
    for w in words(text):
        if w in _MODIFIER_PREPS and seen_head:
            modifier = True
        if w in STOP_WORDS or not w[0].isalpha():
            continue
        prior = MODIFIER_FACTOR if modifier else 1.0
        seen_head = seen_head or stem(w) not in lexicon.GENERIC
        if vocabulary and len(w) >= 5 and w.isalpha() and w not in vocabulary and not lexicon.known(stem(w)):
            fixed = _closest(w, vocabulary)
            if fixed:
                w, prior = fixed, prior * TYPO_FACTOR
        s = stem(w)
        terms[s] = max(terms.get(s, 0.0), prior * (0.5 if s in lexicon.GENERIC else 1.0))

    def hint(word: str, weight: float) -> None:
        key = stem(word)
        terms[key] = max(terms.get(key, 0.0), weight)

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
    if values.languages(text) and re.search(r"\b(?:in|into|to|from)\s+(?:\w+\s+)?(?:" + "|".join(lexicon.LANGUAGES) + r")\b", text, re.I):
        hint("language", 0.8)
    if len(values.units(text)) >= 2:
        hint("measurement", 0.6)
    found_tickers = values.tickers(text)
    if any(s.raw.lower() in lexicon.TICKERS for s in found_tickers):
        hint("stock", 0.5)
    elif any(s.raw.isupper() and s.raw.lower() not in lexicon.COINS for s in found_tickers):
        hint("ticker", 0.8)
    if re.search(r"\d\s*(?:°|degrees?\b)", text, re.I):
        hint("temperature", 0.8)
    if re.search(_CUISINES, text, re.I) and not re.search(r"\b(?:in|into)\s+(?:" + _CUISINES_RAW + r")\b", text, re.I):
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
    if _looks_like_math(text):
        hint("calculate", 0.8)
    shapes = frozenset(values.id_shape(s.value) for s in values.ids(text))
    return Query(terms, shapes, bool(dates.find_whens(text, None)))


_CUISINES_RAW = (
    "italian|thai|mexican|chinese|indian|japanese|french|greek|korean|vietnamese|spanish|lebanese|"
    "turkish|ethiopian|moroccan|german|american|mediterranean|caribbean|peruvian|sushi|tapas|bbq"
)
_CUISINES = r"\b(?:" + _CUISINES_RAW + r")\b"


def _looks_like_math(text: str) -> bool:
    if re.search(r"\bsplit\b.*\b(?:between|among)\s+(?:\d+|two|three|four|five|six)\b", text, re.I):
        return True
    if re.search(r"\d\s*[-+*/x^]\s*\(?\d|\bsquare root\b|\bsqrt\b|\d\s*%\s*of\b|\bsquared\b|\bfactorial\b", text, re.I):
        return True
    return bool(re.search(r"\d+\s+(?:times|plus|minus|divided by|multiplied by)\s+\d", text, re.I))


def score_tools(text: str, tools: list[ToolSpec]) -> list[Scored]:
    """All offered tools scored against the request, best first (ties broken by name)."""
    docs = [tool_doc(t) for t in tools]
    vocabulary = _lexicon_words().union(*(d.raw for d in docs))
    query = analyze(text, vocabulary)
    terms = query.terms
    evidence = {t: [_evidence(t, d) for d in docs] for t in terms}
    family = intent.request_capability(text)
    polarity = intent.request_polarity(text)
    results = []
    for i, doc in enumerate(docs):
        score = rank = 0.0
        matched, strong = [], False
        for t, prior in terms.items():
            e, e_head = evidence[t][i]
            if e <= 0:
                continue
            generic = t in lexicon.GENERIC
            if prior == 0.5 and t in lexicon.GENERIC_NOUNS and t in doc.names:
                prior, generic = 1.0, False  # "time" is vague in a request, but not when the tool is a clock
            best = max(row[0] for row in evidence[t])
            rivals = sum(1 for row in evidence[t] if row[0] >= 0.8 * best)
            disc = 1.0 / (1.0 + 0.5 * max(0, rivals - 1))
            score += prior * e
            rank += prior * e * disc
            matched.append(t)
            strong = strong or (not generic and prior * e_head >= 0.3)
        if query.shapes & doc.shapes:
            score += SHAPE_BONUS
            rank += SHAPE_BONUS
            strong = True
        if query.has_date and doc.takes_date:
            score += DATE_BONUS
            rank += DATE_BONUS
        if family and not intent.tool_can(tools[i], family):
            score, rank, strong = score * CAPABILITY_PENALTY, rank * CAPABILITY_PENALTY, False
        if _missing_typed(tools[i], text):
            score, rank = score * MISSING_PENALTY, rank * MISSING_PENALTY
        tool_pol = intent.tool_polarity(tools[i])
        if polarity and tool_pol:
            rank += POLARITY_BONUS if polarity == tool_pol else -POLARITY_BONUS
        results.append(Scored(tools[i], round(score, 4), round(rank, 4), tuple(matched), strong))
    return sorted(results, key=lambda r: (-r.rank, -r.score, r.tool.name))


_TYPED = {"currency": values.currencies, "language": values.languages, "unit": values.units,
          "email": values.emails, "url": values.urls}


def _missing_typed(tool: ToolSpec, text: str) -> bool:
    """Whether the tool requires a typed value (currency, language, unit, email, URL) the request lacks:
    a currency converter does not fit "convert 10 miles to km"."""
    required = set((tool.parameters or {}).get("required") or [])
    for name, k in param_kinds(tool).items():
        if name in required and k in _TYPED and not _TYPED[k](text):
            return True
    return False


def _evidence(term: str, doc: ToolDoc) -> tuple[float, float]:
    """(evidence over all fields, evidence from name and description only)."""
    out = []
    factor = RELATED_FACTOR if lexicon.senses(term) <= 1 else AMBIGUOUS_FACTOR
    for weights in (doc.weights, doc.head):
        direct = _sat(weights.get(term, 0.0))
        rel = max((_sat(weights.get(s, 0.0)) for s in lexicon.related(term) if s != doc.verb), default=0.0)
        out.append(max(direct, factor * rel))
    return out[0], out[1]


def _sat(w: float) -> float:
    return w / (w + 1.0) if w > 0 else 0.0


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


@lru_cache(maxsize=1)
def _lexicon_words() -> frozenset[str]:
    return frozenset(w for group in lexicon.GROUPS for w in group.split())
