"""Small, literal-aware helpers for reading SQL text (no parser: just enough to find names and calls).

`mask(sql)` returns a copy of the statement of the same length in which the contents of string
literals and comments are blanked, so regular expressions over the mask never match inside them
and every position in the mask is the same position in the original text.
"""

from __future__ import annotations

import re
from typing import Any

IDENT = r"[A-Za-z_][A-Za-z0-9_]*|`[^`]+`"
# A (possibly dotted, possibly backticked) name followed by an opening parenthesis: a routine call.
CALL = re.compile(rf"(?<![\w.`:$@])((?:{IDENT})(?:\s*\.\s*(?:{IDENT})){{0,2}})\s*\(")
BARE = re.compile(r"(?<![\w.`:$@\"'])([A-Za-z_][A-Za-z0-9_]*)(?![\w`])")
PARAM = re.compile(r"(?<![:\w]):([A-Za-z_][A-Za-z0-9_]*)")


def mask(sql: str) -> str:
    """Blank string literals ('...' and "..."), comments and backticked names' insides (kept as `a`)."""
    out = list(sql)
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        if c in ("'", '"'):
            j = i + 1
            while j < n:
                if sql[j] == c:
                    if j + 1 < n and sql[j + 1] == c:  # doubled quote: an escaped quote
                        j += 2
                        continue
                    break
                j += 1
            for k in range(i + 1, min(j, n)):
                out[k] = " "
            i = j + 1
        elif c == "`":
            j = sql.find("`", i + 1)
            j = n if j < 0 else j
            for k in range(i + 1, j):
                out[k] = "a"
            i = j + 1
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            j = n if j < 0 else j
            for k in range(i, j):
                out[k] = " "
            i = j
        elif sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            j = n if j < 0 else j + 2
            for k in range(i, j):
                out[k] = " " if sql[k] != "\n" else "\n"
            i = j
        else:
            i += 1
    return "".join(out)


def closing_paren(masked: str, open_index: int) -> int:
    """Index of the `)` matching the `(` at `open_index`, or -1."""
    depth = 0
    for i in range(open_index, len(masked)):
        if masked[i] == "(":
            depth += 1
        elif masked[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    return -1


def split_top_level(text: str) -> list[str]:
    """Split an argument list on commas that are not inside parentheses or literals."""
    m = mask(text)
    parts, depth, last = [], 0, 0
    for i, c in enumerate(m):
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(text[last:i])
            last = i + 1
    parts.append(text[last:])
    if len(parts) == 1 and not parts[0].strip():
        return []
    return [p.strip() for p in parts]


def name_parts(dotted: str) -> list[str]:
    """`main . sales.`Fn`` -> ['main', 'sales', 'fn'] (UC names are case-insensitive)."""
    return [p.strip().strip("`").lower() for p in dotted.split(".")]


def previous_word(masked: str, index: int) -> str:
    """The word just before `index` (skipping spaces), upper-cased: `FROM`, `JOIN`, ..."""
    m = re.search(r"([A-Za-z_]+)\s*$", masked[:index])
    return m.group(1).upper() if m else ""


def literal(value: Any) -> str:
    """A Python value as a SQLite literal (strings quoted with doubled quotes)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return "NULL"
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def unquote_literal(text: str) -> Any:
    """A SQL default such as `'USD'`, `10`, `2.5`, `NULL`, `true` as a Python value (text otherwise)."""
    t = text.strip()
    if not t or t.upper() == "NULL":
        return None
    if len(t) >= 2 and t[0] == t[-1] and t[0] in ("'", '"'):
        return t[1:-1].replace(t[0] * 2, t[0])
    if t.upper() in ("TRUE", "FALSE"):
        return t.upper() == "TRUE"
    try:
        return int(t)
    except ValueError:
        pass
    try:
        return float(t)
    except ValueError:
        return t


def statement_params(masked: str) -> list[str]:
    """Names of the `:name` parameter markers in a (masked) statement, in order of appearance."""
    return [m.group(1) for m in PARAM.finditer(masked)]
