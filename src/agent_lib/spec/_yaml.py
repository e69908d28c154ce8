"""agent.yml's text form: block style, long lines kept whole, multi-line text as `|` blocks.

Apart from `load` so that `AgentSpec.to_yaml` (in `model`) and `load` both use it without importing
each other.
"""

from __future__ import annotations

from typing import Any

import yaml


class _Dumper(yaml.SafeDumper):
    """Block style, long lines kept whole, multi-line text as `|` blocks; private, so no global state."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump_yaml(data: dict[str, Any]) -> str:
    """YAML text for plain spec data, keys in their given order."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
