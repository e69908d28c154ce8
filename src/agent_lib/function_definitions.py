"""`CREATE [OR REPLACE] FUNCTION` statements (Databricks SQL) read into the SDK's `CreateFunction` fields.

One reader for the two places a UC function is made from its SQL file: notebook 01 (`agent_lib.setup`
creates a function on a workspace that lacks it, and replaces it when the file changed) and the
emulated workspace, whose demo catalog is seeded from the same files. The file is the form a user
would paste into a SQL editor:

    CREATE OR REPLACE FUNCTION main.sales.convert_currency(
      amount DOUBLE COMMENT 'The amount to convert',
      to_currency STRING DEFAULT 'EUR' COMMENT 'ISO code'
    )
    RETURNS DOUBLE
    LANGUAGE PYTHON
    DETERMINISTIC
    COMMENT 'Converts an amount between currencies.'
    AS $$
    return amount * 0.92
    $$

The grammar covered: parameters with types, DEFAULT and COMMENT; RETURNS a type or TABLE (columns);
LANGUAGE SQL | PYTHON; [NOT] DETERMINISTIC; CONTAINS SQL | READS SQL DATA | NO SQL; SQL SECURITY
DEFINER; COMMENT; the body as `RETURN <query or expression>` or `AS $$ ... $$`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .errors import ResourceError

_TOKEN = re.compile(
    r"""(?P<space>\s+|--[^\n]*|/\*.*?\*/)
      | (?P<dollar>\$(?P<tag>[A-Za-z_]*)\$.*?\$(?P=tag)\$)
      | (?P<string>'(?:[^'\\]|\\.|'')*')
      | (?P<quoted>`(?:[^`]|``)+`)
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?)
      | (?P<punct>[(),.;<>:=+\-*/])""",
    re.VERBOSE | re.DOTALL,
)

# Databricks SQL type -> (ColumnTypeName, the type as full_data_type writes it)
_TYPES = {
    "STRING": "STRING", "VARCHAR": "STRING", "CHAR": "CHAR", "INT": "INT", "INTEGER": "INT",
    "BIGINT": "LONG", "LONG": "LONG", "SMALLINT": "SHORT", "SHORT": "SHORT", "TINYINT": "BYTE",
    "BYTE": "BYTE", "DOUBLE": "DOUBLE", "FLOAT": "FLOAT", "REAL": "FLOAT", "BOOLEAN": "BOOLEAN",
    "DATE": "DATE", "TIMESTAMP": "TIMESTAMP", "TIMESTAMP_NTZ": "TIMESTAMP_NTZ", "DECIMAL": "DECIMAL",
    "NUMERIC": "DECIMAL", "BINARY": "BINARY", "ARRAY": "ARRAY", "MAP": "MAP", "STRUCT": "STRUCT",
    "VARIANT": "VARIANT", "INTERVAL": "INTERVAL",
}
_EXAMPLE = ("CREATE OR REPLACE FUNCTION catalog.schema.name(arg STRING COMMENT '...') "
            "RETURNS STRING COMMENT '...' RETURN <expression or query>")


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    start: int
    end: int

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else self.text


class DefinitionError(ResourceError):
    """A definition file that is missing, does not parse, or defines another function."""


def _tokens(text: str, where: str) -> list[_Tok]:
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            line = text.count("\n", 0, pos) + 1
            raise DefinitionError(where, f"line {line}: unexpected character {text[pos]!r}",
                                  f"write the file as one statement like: {_EXAMPLE}")
        if m.lastgroup != "space":
            kind = m.lastgroup if m.lastgroup != "tag" else "dollar"
            out.append(_Tok(kind or "", m.group(kind or 0), m.start(), m.end()))
        pos = m.end()
    return out


class _Reader:
    """A cursor over the tokens; every `expect` failure names the line and what was expected."""

    def __init__(self, text: str, where: str) -> None:
        self.text, self.where = text, where
        self.toks = _tokens(text, where)
        self.i = 0

    def peek(self, ahead: int = 0) -> _Tok | None:
        j = self.i + ahead
        return self.toks[j] if j < len(self.toks) else None

    def at(self, *words: str) -> bool:
        return all((t := self.peek(k)) is not None and t.upper == w for k, w in enumerate(words))

    def take(self) -> _Tok:
        tok = self.peek()
        if tok is None:
            self.fail("the statement ends early")
        self.i += 1
        return tok  # type: ignore[return-value]

    def accept(self, *words: str) -> bool:
        if self.at(*words):
            self.i += len(words)
            return True
        return False

    def expect(self, *words: str) -> None:
        if not self.accept(*words):
            self.fail(f"expected {' '.join(words)}")

    def fail(self, problem: str) -> None:
        tok = self.peek()
        pos = tok.start if tok is not None else len(self.text)
        line = self.text.count("\n", 0, pos) + 1
        near = f" near {tok.text[:30]!r}" if tok is not None else ""
        raise DefinitionError(self.where, f"line {line}{near}: {problem}",
                              f"write the file as one statement like: {_EXAMPLE}")

    def name(self) -> str:
        tok = self.take()
        if tok.kind == "quoted":
            return tok.text[1:-1].replace("``", "`")
        if tok.kind != "word":
            self.i -= 1
            self.fail("expected a name")
        return tok.text

    def string(self) -> str:
        tok = self.take()
        if tok.kind != "string":
            self.i -= 1
            self.fail("expected a quoted string")
        return _unquote(tok.text)


def _unquote(literal: str) -> str:
    body = literal[1:-1]
    return re.sub(r"''|\\(.)", lambda m: "'" if m.group(0) == "''" else m.group(1), body)


def _read_type(r: _Reader) -> tuple[str, str]:
    """(ColumnTypeName, type text) of `DOUBLE`, `DECIMAL(10, 2)`, `ARRAY<STRING>`, ..."""
    start = r.take()
    written = start.upper
    if start.kind != "word" or written not in _TYPES:
        r.i -= 1
        r.fail(f"expected a SQL type ({', '.join(sorted(set(_TYPES)))})")
    end = start.end
    depth = 0
    while (tok := r.peek()) is not None and (depth or tok.text in ("(", "<")):
        if tok.text in ("(", "<"):
            depth += 1
        elif tok.text in (")", ">"):
            depth -= 1
        end = r.take().end
    return _TYPES[written], " ".join(r.text[start.start:end].split()).upper()


def _param(r: _Reader, position: int, *, inputs: bool) -> dict[str, Any]:
    name = r.name()
    type_name, type_text = _read_type(r)
    param: dict[str, Any] = {"name": name, "type_name": type_name, "type_text": type_text.lower(),
                             "position": position, "parameter_mode": "IN", "parameter_type": "PARAM"}
    if inputs and r.accept("DEFAULT"):
        first = r.take()
        last = first
        while (tok := r.peek()) is not None and tok.upper not in ("COMMENT", ",", ")"):
            last = r.take()
        param["parameter_default"] = r.text[first.start:last.end].strip()
    if r.accept("COMMENT"):
        param["comment"] = r.string()
    return param


def _params(r: _Reader, *, inputs: bool) -> list[dict[str, Any]]:
    r.expect("(")
    params: list[dict[str, Any]] = []
    if r.accept(")"):
        return params
    while True:
        params.append(_param(r, len(params), inputs=inputs))
        if r.accept(")"):
            return params
        r.expect(",")


def parse_definition(text: str, where: str = "definition") -> dict[str, Any]:
    """The `CreateFunction` fields (as a dict) of one `CREATE [OR REPLACE] FUNCTION` statement."""
    r = _Reader(text, where)
    r.expect("CREATE")
    r.accept("OR", "REPLACE")
    if r.at("TEMPORARY") or r.at("TEMP"):
        r.fail("a TEMPORARY function lives in one session only; Unity Catalog needs a permanent one")
    r.expect("FUNCTION")
    r.accept("IF", "NOT", "EXISTS")
    parts = [r.name()]
    while r.accept("."):
        parts.append(r.name())
    if len(parts) != 3:
        r.fail(f"'{'.'.join(parts)}' is not a three-part name catalog.schema.function")
    inputs = _params(r, inputs=True)
    r.expect("RETURNS")
    returns: list[dict[str, Any]] = []
    if r.accept("TABLE"):
        returns = _params(r, inputs=False)
        data_type = "TABLE_TYPE"
        full_type = "TABLE (" + ", ".join(f"{p['name']} {p['type_text'].upper()}" for p in returns) + ")"
    else:
        data_type, full_type = _read_type(r)
    info: dict[str, Any] = {
        "catalog_name": parts[0].lower(), "schema_name": parts[1].lower(), "name": parts[2].lower(),
        "input_params": {"parameters": inputs}, "data_type": data_type, "full_data_type": full_type,
        "parameter_style": "S", "is_null_call": False, "security_type": "DEFINER",
        "specific_name": parts[2].lower(),
    }
    language, deterministic, access, body = "SQL", None, None, None
    while body is None:
        if r.accept("LANGUAGE"):
            language = r.name().upper()
            if language not in ("SQL", "PYTHON"):
                r.i -= 1
                r.fail("expected LANGUAGE SQL or LANGUAGE PYTHON")
        elif r.accept("NOT", "DETERMINISTIC"):
            deterministic = False
        elif r.accept("DETERMINISTIC"):
            deterministic = True
        elif r.accept("COMMENT"):
            info["comment"] = r.string()
        elif r.accept("CONTAINS", "SQL"):
            access = "CONTAINS_SQL"
        elif r.accept("READS", "SQL", "DATA"):
            access = "READS_SQL_DATA"
        elif r.accept("NO", "SQL"):
            access = "NO_SQL"
        elif r.accept("SQL", "SECURITY"):
            r.expect("DEFINER")
        elif r.accept("RETURN"):
            body = _rest(r)
        elif r.accept("AS"):
            tok = r.take()
            if tok.kind != "dollar":
                r.i -= 1
                r.fail("expected the body between $$ and $$ after AS")
            body = re.sub(r"^\$[A-Za-z_]*\$|\$[A-Za-z_]*\$$", "", tok.text).strip("\n")
            r.accept(";")
            if r.peek() is not None:
                r.fail("expected the end of the file after the body (one statement per file)")
        else:
            r.fail("expected LANGUAGE, [NOT] DETERMINISTIC, COMMENT, RETURN or AS $$ ... $$")
    if language == "PYTHON":
        info.update(routine_body="EXTERNAL", external_language="Python")
        if data_type == "TABLE_TYPE":
            r.fail("a Python function returns one value; RETURNS TABLE needs LANGUAGE SQL")
    else:
        info["routine_body"] = "SQL"
    info["routine_definition"] = body
    info["is_deterministic"] = deterministic if deterministic is not None else language == "PYTHON"
    info["sql_data_access"] = access or (
        "NO_SQL" if language == "PYTHON" else
        "READS_SQL_DATA" if re.search(r"\bFROM\b", body, re.IGNORECASE) else "CONTAINS_SQL")
    if returns:
        info["return_params"] = {"parameters": returns}
    return info


def _rest(r: _Reader) -> str:
    """The text after RETURN up to an optional final `;`, as written."""
    first = r.peek()
    if first is None:
        r.fail("expected an expression or a query after RETURN")
    toks = r.toks[r.i:]
    if toks and toks[-1].text == ";":
        toks = toks[:-1]
    if any(t.text == ";" for t in toks):
        r.i += [t.text for t in toks].index(";")
        r.fail("one statement per file: remove what follows the ';'")
    r.i = len(r.toks)
    return r.text[toks[0].start:toks[-1].end].strip()


__all__ = ["DefinitionError", "parse_definition"]
