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

Typed values in the request add evidence too (`query.py`), an id shaped like a parameter's
example ("SO-10042" vs "e.g. SO-1") points at the tool that takes it, and `intent.py` checks that
a tool can do what the request's verb asks. What a description says a tool is *not* for ("not for
company policies") is no evidence for it. A tool that looks up one record by a required id ranks
lower when the request gives no id and speaks of no such record ("total revenue in 2025" is no
order lookup, "has my order shipped?" is), and questions over many records or about rules prefer
tools that aggregate or answer over tools that act (`intent.py`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache, lru_cache

from ..base import ToolSpec
from . import intent, kinds, lexicon, values
from .data import hint, word_set
from .query import analyze
from .schema import ID_SUFFIXES, param_kinds, tokens
from .schema import properties as schema_properties
from .text import DOC_STOP_WORDS, content_words, split_identifier, split_negated, stem, words

FIELD_WEIGHTS = {"name": 3.0, "prefix": 1.5, "description": 2.0, "param": 1.0, "param_doc": 0.8, "enum": 0.8}
RELATED_FACTOR = 0.7
AMBIGUOUS_FACTOR = 0.55  # for words in several groups ("table": data or restaurants)
MORPHOLOGY_FACTOR = 0.5  # one stem a prefix of the other
MISSING_PENALTY = 0.5
SHAPE_BONUS = 1.0
KIND_BONUS = {"date": 0.1, "datetime": 0.1}  # per kind of value the request has and a parameter takes
KIND_BONUS_DEFAULT = 0.3
CAPABILITY_PENALTY = 0.4
POLARITY_BONUS = 0.15
ACTION_BONUS = 0.6
NEGATED_PENALTY = 0.3
ID_MISSING_FACTOR = 0.5
AGGREGATE_BONUS = 0.3
QUESTION_WRITE_FACTOR = 0.6
THRESHOLD = 0.55


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
    kinds: frozenset[str]  # kinds of its parameters (ticker, currency, date, ...)
    raw: frozenset[str]  # unstemmed words, the vocabulary for typo correction
    negated: frozenset[str] = frozenset()  # what the description says the tool is not for


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
    """The parameter schemas of a tool, tolerant of missing or odd schemas ("type": "dict"), an
    optional value's `anyOf [..., null]` read as its non-null branch."""
    return schema_properties(spec.parameters)


def tool_doc(spec: ToolSpec) -> ToolDoc:
    return _tool_doc(spec.name, spec.description or "", json.dumps(spec.parameters or {}, sort_keys=True))


@lru_cache(maxsize=1024)
def _tool_doc(name: str, description: str, params_json: str) -> ToolDoc:
    spec = ToolSpec(name, description, json.loads(params_json))
    segments = re.split(r"\.|__|/", name)
    purpose_text, not_for = split_negated(description)
    fields: dict[str, list[str]] = {
        "name": _doc_words(split_identifier(segments[-1])),
        "prefix": _doc_words(" ".join(split_identifier(s) for s in segments[:-1])),
        "description": _doc_words(purpose_text),
        "param": [],
        "param_doc": [],
        "enum": [],
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
    catch_all = bool(purpose & word_set(hint("catch_all", "web"))) and bool(
        purpose & word_set(hint("catch_all", "search"))
    )
    raw = {w for w in words(" ".join([split_identifier(name), description, params_json])) if w.isalpha()}
    names = frozenset(fields["name"]) | frozenset(fields["prefix"])
    leading = split_identifier(segments[-1]).split()[:1]
    verb = stem(leading[0]) if leading and leading[0] in _literal_name_verbs() else ""
    kinds = frozenset(param_kinds(spec).values())
    negated = frozenset(_doc_words(not_for)) - set(head)
    return ToolDoc(
        spec, weights, head, names, verb, frozenset(shapes), catch_all, kinds, frozenset(raw), negated
    )


@cache
def _literal_name_verbs() -> frozenset[str]:
    """Leading verbs of tool names matched literally, never by relatives (exception literal_name_verbs)."""
    return word_set(hint("exceptions", "literal_name_verbs", "words"))


def _doc_words(text: str) -> list[str]:
    return content_words(text, extra_stop=DOC_STOP_WORDS)


def score_tools(text: str, tools: list[ToolSpec], context: tuple[str, ...] = ()) -> list[Scored]:
    """All offered tools scored against the request, best first (ties broken by name). `context`
    is other text the call's values may come from (the whole message, earlier user turns)."""
    docs = [tool_doc(t) for t in tools]
    vocabulary = lexicon.words().union(*(d.raw for d in docs))
    query = analyze(text, vocabulary)
    terms = query.terms
    evidence = {t: [_evidence(t, d) for d in docs] for t in terms}
    family = intent.request_capability(text)
    polarity = intent.request_polarity(text)
    verb = intent.main_verb(text)
    aggregate = intent.request_aggregate(text)
    rule = intent.asks_rule(text)
    specific_verb = stem(verb) if verb in intent.action_verbs() else ""
    results = []
    for i, doc in enumerate(docs):
        score = rank = 0.0
        matched, strong = [], False
        for t, prior in terms.items():
            e, e_head = evidence[t][i]
            if e <= 0:
                continue
            generic = t in lexicon.generic()
            if prior == 0.5 and t in lexicon.generic_nouns() and t in doc.names:
                prior, generic = 1.0, False  # "time" is vague in a request, but not when the tool is a clock
            best = max(row[0] for row in evidence[t])
            rivals = sum(1 for row in evidence[t] if row[0] >= 0.8 * best)
            disc = 1.0 / (1.0 + 0.5 * max(0, rivals - 1))
            score += prior * e
            rank += prior * e * disc
            matched.append(t)
            strong = strong or (not generic and prior * e_head >= 0.3)
        for t, prior in terms.items():
            if t in doc.negated:  # "not for company policies": the description itself rules it out
                rank -= NEGATED_PENALTY * prior
        if query.shapes & doc.shapes:
            score += SHAPE_BONUS
            rank += SHAPE_BONUS
            strong = True
        bonus = min(0.6, sum(KIND_BONUS.get(k, KIND_BONUS_DEFAULT) for k in query.kinds & doc.kinds))
        score, rank = score + bonus, rank + bonus  # "TSLA" fits a tool that takes a ticker
        if family and not intent.tool_can(tools[i], family):
            score, rank, strong = score * CAPABILITY_PENALTY, rank * CAPABILITY_PENALTY, False
        if _missing_typed(tools[i], text):
            score, rank = score * MISSING_PENALTY, rank * MISSING_PENALTY
        lacks_id = _lacks_id(tools[i], (text, *context))
        if lacks_id:
            rank *= ID_MISSING_FACTOR  # "total revenue": an order lookup with no order to look up
        if aggregate and intent.tool_aggregates(tools[i], "query" in doc.kinds) and not lacks_id:
            rank += AGGREGATE_BONUS  # "how many customers": a tool that counts, not one that fetches
        if specific_verb and specific_verb in doc.names:
            rank += ACTION_BONUS  # "email their contact ...": the imperative names the tool's action
        tool_pol = intent.tool_polarity(tools[i])
        if tool_pol == "write" and (rule or (aggregate and polarity == "read")):
            rank *= QUESTION_WRITE_FACTOR  # "can I expense a flight?", "how many tickets are open?": ask, not act
        if polarity and tool_pol:
            rank += POLARITY_BONUS if polarity == tool_pol else -POLARITY_BONUS
        results.append(Scored(tools[i], round(score, 4), round(rank, 4), tuple(matched), strong))
    return sorted(results, key=lambda r: (-r.rank, -r.score, r.tool.name))


_TYPED = {"currency": values.currencies, "language": values.languages, "unit": values.units}


def _missing_typed(tool: ToolSpec, text: str) -> bool:
    """Whether the tool requires a kind of value (currency, language, unit) the request lacks: a
    currency converter does not fit "convert 10 miles to km". (A missing email address is not a
    mismatch: people name recipients, and the address may come from another tool.)"""
    required = set((tool.parameters or {}).get("required") or [])
    for name, k in param_kinds(tool).items():
        if name in required and k in _TYPED and not _TYPED[k](text):
            return True
    return False


def _lacks_id(tool: ToolSpec, texts: tuple[str, ...]) -> bool:
    """Whether the tool requires a record id (`order_id`, `ticket_id`) that none of the texts gives,
    and the request does not speak of one such record either ("my order", "the ticket"): it looks
    up one record, and the request is about none ("total revenue", "how many orders")."""
    props = properties(tool)
    pkinds = param_kinds(tool)
    required = [n for n in (tool.parameters or {}).get("required") or [] if pkinds.get(n) == "id"]
    n_ids = sum(1 for k in pkinds.values() if k == "id")
    for name in required:
        others = {
            values.id_shape(s.value)
            for o in props
            if o != name
            for s in values.ids(str(props[o].get("description", "")))
        }
        if any(kinds.fill_id(name, props[name], kinds.Found(t, None), n_ids, others) for t in texts if t):
            continue
        nouns = sorted(tokens(name) - ID_SUFFIXES)
        if not nouns or not re.search(_ONE_RECORD.format("|".join(map(re.escape, nouns))), texts[0], re.I):
            return True
    return False


# One record spoken of: "my order", "the last ticket", "this invoice"; not "orders", "order counts".
_ONE_RECORD = (
    r"\b(?:my|the|this|that|our|your|his|her|their|an?|one)\s+(?:[a-z]+\s+)?(?:{0})\b"
    r"(?!['-]?s\b)(?!\s+(?:counts?|totals?|volumes?|numbers?|values?|history|trends?|data)\b)"
)


def _evidence(term: str, doc: ToolDoc) -> tuple[float, float]:
    """(evidence over all fields, evidence from name and description only)."""
    out = []
    factor = RELATED_FACTOR if lexicon.senses(term) <= 1 else AMBIGUOUS_FACTOR
    for weights in (doc.weights, doc.head):
        direct = _sat(weights.get(term, 0.0))
        rel = max((_sat(weights.get(s, 0.0)) for s in lexicon.related(term) if s != doc.verb), default=0.0)
        best = max(direct, factor * rel)
        if best == 0.0 and len(term) >= 5:  # morphology the stemmer missed: "crypto" ~ "cryptocurrency"
            best = MORPHOLOGY_FACTOR * max(
                (
                    _sat(w)
                    for t, w in weights.items()
                    if len(t) >= 5 and (t.startswith(term) or term.startswith(t))
                ),
                default=0.0,
            )
        out.append(best)
    return out[0], out[1]


def _sat(w: float) -> float:
    return w / (w + 1.0) if w > 0 else 0.0
