"""UC function definition files next to agent.yml: read one for its spec entry, and say what differs.

A user keeps each function's definition in the repository next to `agent.yml` (the spec entry's
`definition:` names the file), so notebook 01 can create the function on a workspace that lacks it
and replace it when the file changed. `agent_lib.function_definitions` reads the statement into the
SDK's `CreateFunction` fields (one REST call creates it, with no warehouse needed); the same fields
are what "changed?" (`differences`) compares against `functions.get`.

The spec says where a function lives: the file's `catalog.schema` is its home as written, and the
function is created under the spec's `uc_function.name`, which the `catalog_name` / `schema_name`
notebook parameters (bundle variables `catalog`, `schema`) may move. The function's own name must
be the same in both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..function_definitions import DefinitionError, parse_definition


def read_definition(path: Path, expected_name: str, where: str) -> dict[str, Any]:
    """The definition in `path`, checked to define the function `expected_name` (the spec's three-part
    name) names, placed in the spec's catalog and schema."""
    if not path.is_file():
        raise DefinitionError(where, f"the definition file {path} does not exist",
                              f"create it with a CREATE OR REPLACE FUNCTION {expected_name}(...) statement, "
                              "or correct the definition path (relative to agent.yml)")
    info = parse_definition(path.read_text(encoding="utf-8"), where)
    catalog, schema, name = expected_name.lower().split(".")
    if info["name"] != name:
        defined = f"{info['catalog_name']}.{info['schema_name']}.{info['name']}"
        raise DefinitionError(where, f"the file defines {defined}, but the spec names {expected_name}",
                              "make the CREATE FUNCTION name and the spec's uc_function.name the same")
    return {**info, "catalog_name": catalog, "schema_name": schema}


_COMPARED = ("input_params", "data_type", "full_data_type", "return_params", "routine_body",
             "routine_definition", "external_language", "is_deterministic", "sql_data_access", "comment")
_PARAM_KEYS = ("name", "type_name", "type_text", "position", "parameter_default", "comment")


def _norm_params(block: Any) -> list[dict[str, Any]]:
    params = (block or {}).get("parameters") or []
    return [{k: (str(p[k]).lower() if k in ("type_text", "name") else p[k])
             for k in _PARAM_KEYS if p.get(k) is not None} for p in params]


def differences(desired: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """Names of the fields where the workspace's function (`FunctionInfo.as_dict()`) differs."""
    changed = []
    for key in _COMPARED:
        want, have = desired.get(key), current.get(key)
        if key.endswith("_params"):
            want, have = _norm_params(want), _norm_params(have)
        elif key == "routine_definition":
            want, have = (want or "").strip(), (have or "").strip()
        elif key == "external_language":
            want, have = (want or "").lower(), (have or "").lower()
        if want != have:
            changed.append(key)
    return changed
