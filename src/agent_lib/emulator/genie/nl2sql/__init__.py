"""Natural language to SQL for the emulated Genie: deterministic, pure, testable without HTTP.

    ctx = Context.load(execute, examples, tables)   # once per space (reads distinct values)
    t = translate("top 5 products by revenue in 2025", ctx)
    t.sql, t.title, t.description                   # or t.reason and t.suggestions

Curated example questions are tried first (`curated.best_match`), then the parser over the
space's sales tables (`parser.parse` -> `spec.Spec` -> `sqlgen.build`). A question it cannot map
comes back with `sql=None`, the words it did not understand and the curated questions to try.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .curated import Example, best_match
from .lexicon import Lexicon
from .parser import parse
from .semantic import SALES_TABLES, grammar
from .spec import Spec
from .sqlgen import build
from .summary import summarize
from .vocab import DataVocabulary, Execute

__all__ = ["Context", "Example", "Spec", "Translation", "summarize", "translate"]


@dataclass
class Context:
    """What the translator knows about one space: its data's values, its examples, its tables."""

    vocab: DataVocabulary
    examples: tuple[Example, ...] = ()
    tables: tuple[str, ...] = SALES_TABLES
    _lexicon: Lexicon | None = field(default=None, repr=False)

    @classmethod
    def load(cls, execute: Execute, examples: Sequence[Example] = (),
             tables: Sequence[str] = SALES_TABLES) -> Context:
        sales = any(t.lower() in SALES_TABLES for t in tables)
        vocab = DataVocabulary.load(execute) if sales else DataVocabulary()
        return cls(vocab, tuple(examples), tuple(t.lower() for t in tables))

    @property
    def lexicon(self) -> Lexicon:
        if self._lexicon is None:
            self._lexicon = grammar().merged(self.vocab.lexicon())
        return self._lexicon

    @property
    def sales(self) -> bool:
        return "main.sales.orders" in self.tables

    def suggestions(self, n: int = 4) -> tuple[str, ...]:
        return tuple(e.question for e in self.examples[:n])


@dataclass(frozen=True)
class Translation:
    sql: str | None
    title: str = ""
    description: str = ""
    spec: Spec | None = None
    source: str = "parser"  # curated | parser | declined
    unmapped: tuple[str, ...] = ()
    reason: str | None = None
    suggestions: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.sql is not None


def _decline(ctx: Context, reason: str, unmapped: Sequence[str] = ()) -> Translation:
    return Translation(None, source="declined", unmapped=tuple(unmapped), reason=reason,
                       suggestions=ctx.suggestions())


def _parse(question: str, ctx: Context, previous: Spec | None):  # noqa: ANN202 - parser.Parsed
    return parse(question, ctx.lexicon, ctx.vocab.first_date, ctx.vocab.last_date, previous)


def translate(question: str, ctx: Context, previous: Spec | None = None) -> Translation:
    """SQL for a question (curated example first, then the parser), or why it cannot be answered.

    `previous` is the last question's spec in the same conversation; a follow-up such as "what
    about 2024?" is completed from it."""
    text = (question or "").strip()
    if not text:
        return _decline(ctx, "The question is empty.")
    span = (ctx.vocab.first_date, ctx.vocab.last_date)
    match = best_match(text, ctx.examples, ctx.lexicon if ctx.sales else None, span)
    if match is not None:
        ex = match.example
        spec = None
        if ctx.sales:
            parsed = _parse(ex.question, ctx, None)
            spec = parsed.spec if parsed.spec is not None and not parsed.unknown else None
        return Translation(ex.sql, ex.title or ex.question, ex.description or ex.question, spec, "curated")
    if not ctx.sales:
        return _decline(ctx, "I can only answer this space's example questions; none of them matches.")
    parsed = _parse(text, ctx, previous)
    if parsed.write:
        return _decline(ctx, "This space can only read data: "
                             "I cannot change, create or delete anything in it.")
    if parsed.unknown:
        words = ", ".join(f"'{w}'" for w in dict.fromkeys(parsed.unknown))
        return _decline(ctx, f"I could not map {words} to the tables, columns or values of this space "
                             f"(orders, order items, customers, products and regions).", parsed.unknown)
    if parsed.spec is None:
        return _decline(ctx, "I could not find anything to measure or list in the question.")
    last = ctx.vocab.last_date.isoformat()
    if parsed.spec.ranges and all(start > last for start, _ in parsed.spec.ranges):
        return _decline(ctx, f"The data ends on {last}: there is nothing to report for "
                             f"{parsed.spec.time_label}, and this space does not forecast.")
    query = build(parsed.spec)
    return Translation(query.sql, query.title, query.description, parsed.spec, "parser")
