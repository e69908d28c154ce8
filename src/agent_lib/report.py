"""A result table a notebook displays: setup's tools, the grant plan. Rendered as HTML or text.

    Table("Tools", ("tool", "status"), [("uc_function main.sales.f", "created")])

Notebooks show it as their step's display (Jupyter calls `_repr_html_`); logs and the command line
print `str(table)`. Values are plain strings, so a table never holds a token or a client object.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    @classmethod
    def of(cls, title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> Table:
        return cls(title, tuple(columns), tuple(tuple("" if v is None else str(v) for v in r) for r in rows))

    def to_frame(self):  # pandas is imported only when a frame is wanted
        import pandas

        return pandas.DataFrame(list(self.rows), columns=list(self.columns))

    def _repr_html_(self) -> str:
        head = "".join(f"<th style='text-align:left'>{escape(c)}</th>" for c in self.columns)
        body = "".join("<tr>" + "".join(f"<td style='text-align:left'>{escape(v)}</td>" for v in r) + "</tr>"
                       for r in self.rows)
        return f"<h4>{escape(self.title)}</h4><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def __str__(self) -> str:
        widths = [max([len(c), *(len(r[i]) for r in self.rows)]) for i, c in enumerate(self.columns)]
        line = "  ".join(c.ljust(w) for c, w in zip(self.columns, widths, strict=True))
        out = [self.title, line, "  ".join("-" * w for w in widths)]
        out += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in self.rows]
        return "\n".join(out)


class Shown:
    """A result a notebook displays as its `table()`: HTML in Jupyter, text in logs and terminals.

    Dataclasses using it pass `repr=False`, so their repr is the table too."""

    def table(self) -> Table:
        raise NotImplementedError

    def _repr_html_(self) -> str:
        return self.table()._repr_html_()

    def __str__(self) -> str:
        return str(self.table())

    def __repr__(self) -> str:  # what a notebook's text/plain output shows: the table, not the fields
        return str(self.table())
