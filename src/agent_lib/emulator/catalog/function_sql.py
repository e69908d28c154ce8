"""SQL function bodies (`routine_body: SQL`): parameters bound, the body run on the warehouse.

A body references its parameters by bare name or as `<function>.<param>`. As on Databricks, a
bare name that is also a column of a table the body reads means the column; the qualified form
always means the parameter. Scalar bodies are an expression or a one-row query; table bodies
(`data_type: TABLE_TYPE`) are a query whose columns are named by `return_params`. Calls of other
UC functions inside a body run through `functions`, like calls inside a statement (running a body
is there too: bodies call functions, which run bodies).
"""

from __future__ import annotations

import re
from typing import Any

from ..core.state import EmulatorState
from . import sqltext
from .function_args import params

QUERY_START = re.compile(r"^[\s(]*(select|with|values)\b", re.IGNORECASE)
_CHAIN = re.compile(r"(?<![\w.`:$@])([A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*)*)(?![\w`])")


def _referenced_columns(state: EmulatorState, masked: str, catalog: str, schema: str) -> set[str]:
    cols: set[str] = set()
    wh = state.warehouse
    for m in _CHAIN.finditer(masked):
        parts = sqltext.name_parts(m.group(1))
        candidates = {3: [parts], 2: [[catalog, *parts]], 1: [[catalog, schema, *parts]]}
        for cand in candidates.get(len(parts), []):
            name = ".".join(cand)
            if wh.has_table(name):
                cols.update(c.name.lower() for c in wh.columns(name))
    return cols


def bind_body_parameters(state: EmulatorState, doc: dict[str, Any], body: str) -> tuple[str, dict[str, str]]:
    """Rewrite parameter references in a SQL body to `:__pN` markers -> (sql, {name: marker})."""
    declared = params(doc)
    markers = {p["name"].lower(): f"__p{i}" for i, p in enumerate(declared)}
    if not markers:
        return body, {}
    masked = sqltext.mask(body)
    fn = doc["name"].lower()
    columns = _referenced_columns(state, masked, doc["catalog_name"], doc["schema_name"])
    out, last = [], 0
    for m in _CHAIN.finditer(masked):
        parts = sqltext.name_parts(m.group(1))
        target = None
        if len(parts) == 2 and parts[0] == fn and parts[1] in markers:
            target = markers[parts[1]]
        elif len(parts) == 1 and parts[0] in markers and parts[0] not in columns:
            before = sqltext.previous_word(masked, m.start())
            after = masked[m.end():].lstrip()[:1]
            if before != "AS" and after not in ("(", "."):
                target = markers[parts[0]]
        if target is not None:
            out.append(body[last:m.start()])
            out.append(":" + target)
            last = m.end()
    out.append(body[last:])
    return "".join(out), {p["name"]: markers[p["name"].lower()] for p in declared}
