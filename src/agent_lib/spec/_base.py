"""The base every spec model shares: frozen, strict about keys, and raising SpecError only.

Validation rules live on the models themselves so that `AgentSpec(...)` from Python and `agent.yml`
from disk go through the same checks. Rules report problems as pydantic custom errors of type
`spec` carrying `problem`, `fix` and an optional `sub` path; `_errors.to_spec_error` turns the first
error into a `SpecError`, and the constructors below make sure no raw `ValidationError` escapes.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Annotated, Any, ClassVar, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from agent_lib.spec._errors import to_spec_error


def spec_problem(problem: str, fix: str, sub: str = "") -> PydanticCustomError:
    """A validation error that `to_spec_error` turns into `SpecError(<loc><sub>, problem, fix)`."""
    return PydanticCustomError("spec", "{problem}", {"problem": problem, "fix": fix, "sub": sub})


def _non_empty(value: str) -> str:
    if not value:
        raise PydanticCustomError("empty", "is empty or only whitespace")
    return value


def _no_whitespace(value: str) -> str:
    if any(ch.isspace() for ch in value):
        raise PydanticCustomError("whitespace", "contains whitespace ({value})", {"value": repr(value)})
    return value


NonEmpty = Annotated[str, AfterValidator(_non_empty)]
"""Text that must say something: the Supervisor API rejects empty strings where this is used."""

Identifier = Annotated[str, AfterValidator(_non_empty), AfterValidator(_no_whitespace)]
"""A resource name or id: non-empty and without spaces."""


_depth: ContextVar[int] = ContextVar("agent_lib_spec_depth", default=0)
"""How deep we are in spec construction: only the outermost call converts errors.

Pydantic runs a custom `__init__` for nested models too; an inner call must let its
`ValidationError` through so pydantic can prefix the outer location (`tools[2]...`)."""


def _convert_outermost(cls: type[SpecModel], build: Any) -> Any:
    depth = _depth.get()
    token = _depth.set(depth + 1)
    try:
        return build()
    except ValidationError as exc:
        if depth:
            raise
        raise to_spec_error(exc, prefix=cls.spec_path) from None
    finally:
        _depth.reset(token)


class SpecModel(BaseModel):
    """Frozen, unknown keys rejected by name, whitespace stripped, errors raised as `SpecError`."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    spec_path: ClassVar[str] = ""
    """Where instances sit in a spec (e.g. `uc_function`), to prefix fields when built alone."""

    renamed_keys: ClassVar[dict[str, str]] = {}
    """Keys of earlier API shapes mapped to the fix that names their current replacement."""

    def __init__(self, /, **data: Any) -> None:
        _convert_outermost(type(self), lambda: super(SpecModel, self).__init__(**data))

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Self:  # noqa: D102 - as pydantic's
        return _convert_outermost(cls, lambda: super(SpecModel, cls).model_validate(obj, *args, **kwargs))

    @model_validator(mode="before")
    @classmethod
    def _known_keys_only(cls, data: Any) -> Any:
        """Name an unknown key and list the allowed ones (pydantic's own message says neither)."""
        if isinstance(data, dict):
            allowed = list(cls.model_fields)
            for key in data:
                if key in allowed:
                    continue
                if key in cls.renamed_keys:
                    raise spec_problem(
                        f"'{key}' is a key of a retired Supervisor API shape", cls.renamed_keys[key], f".{key}"
                    )
                raise spec_problem(
                    f"unknown key '{key}'", f"use only the allowed keys: {', '.join(allowed)}", f".{key}"
                )
        return data
