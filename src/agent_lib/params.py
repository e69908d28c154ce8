"""The one parameter object of a notebook: ``params = resolve(globals(), NotebookParams)``.

Bundle variables → job parameters → widgets (workspace) or papermill values (CI) → one validated,
frozen object → plain arguments to library calls. Precedence, lowest first: class default, notebook
value (the ``parameters`` cell, as papermill overrode it), Databricks widget or job parameter (only
with a live ``dbutils``). Strings are coerced to the declared types; every failure is a ParamsError.
Credentials are never parameters: they would be saved in notebook outputs.
"""

from __future__ import annotations

import ast
import contextlib
import json
import re
import types
from collections.abc import Mapping
from enum import Enum
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    PrivateAttr,
    SecretBytes,
    SecretStr,
    ValidationError,
    field_validator,
)

from agent_lib.errors import ParamsError

__all__ = ["NotebookParams", "Params", "ParamsError", "Source", "parameters_cell_source", "resolve"]

Source = Literal["default", "notebook", "widget"]
P = TypeVar("P", bound="Params")

_SECRET_WORDS = frozenset({"token", "password", "passwd", "secret", "credential", "credentials", "apikey"})
_NONE_TEXT = frozenset({"", "none", "null"})
_BOOL_TEXT = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
_SEQUENCES = (list, tuple, set, frozenset)
_SCALAR_FORMS = {bool: "true or false", int: "an integer like 3", float: "a number like 0.5", str: "a string"}
_NO_CREDENTIALS = ("no credentials among notebook parameters (they would be saved in notebook outputs): take "
                   "tokens from the environment or a Databricks CLI profile and remove this field")
_MISSING = type("_Missing", (), {"__repr__": lambda self: "<missing>"})()


def _looks_secret(name: str) -> bool:
    """True for names like ``token``, ``access_token``, ``client_secret``, ``db_password``, ``api_key``."""
    lowered = name.lower()
    return any(word in _SECRET_WORDS for word in lowered.split("_")) or "api_key" in lowered


class Params(BaseModel):
    """Base of notebook parameter classes: frozen, no unknown fields, strings coerced to field types.

    Give each field an offline-safe default and a docstring (the parameters cell's help comment).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    _sources: dict[str, Source] = PrivateAttr(default_factory=dict)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        for name, field in cls.model_fields.items():
            if _looks_secret(name) or field.annotation in (SecretStr, SecretBytes):
                raise ParamsError(name, f"{cls.__name__}.{name}", _NO_CREDENTIALS)

    def __init__(self, **data: Any) -> None:
        cls = type(self)
        coerced = {k: _coerce(k, v, cls.model_fields[k].annotation) if k in cls.model_fields else v
                   for k, v in data.items()}
        try:
            super().__init__(**coerced)
        except ValidationError as exc:
            raise _to_params_error(cls, exc, data) from None
        self._sources = {name: "notebook" if name in data else "default" for name in cls.model_fields}

    def __eq__(self, other: object) -> bool:
        """Equal when of the same class with the same values; where they came from does not count."""
        if not isinstance(other, BaseModel):
            return NotImplemented
        return type(other) is type(self) and self.__dict__ == other.__dict__

    def sources(self) -> Mapping[str, Source]:
        """Where each value came from: ``default``, ``notebook`` (cell, papermill or code) or ``widget``."""
        return types.MappingProxyType(dict(self._sources))

    def as_table(self) -> list[tuple[str, str, Source]]:
        """Rows of (name, value, source) for display; secret-looking values are masked."""
        return [(name, _display(name, value), self._sources.get(name, "default")) for name, value in self]

    def __str__(self) -> str:
        width = max((len(name) for name in type(self).model_fields), default=0)
        return "\n".join(f"{name:<{width}} = {value}  ({source})" for name, value, source in self.as_table())


class NotebookParams(Params):
    """The parameters every notebook shares. The defaults select the offline emulated workspace."""

    workspace: str = "emulated"
    """Where to work: emulated (local, offline), profile:<name>, notebook (this workspace) or host."""
    host: str = ""
    """Workspace URL used when workspace is 'host'; its token comes from the environment."""
    spec_path: str = "agent.yml"
    """Path of the agent spec (YAML)."""
    state_dir: str = ".agent_lib"
    """Directory where the emulated workspace keeps its SQLite state."""
    experiment_name: str = "/Shared/agent-lib"
    """MLflow experiment that runs, traces and evaluations are logged to."""
    engine: Literal["", "hosted", "client"] = ""
    """Agent loop: '' takes it from the spec, 'hosted' (Supervisor API) or 'client' (loop in this process)."""
    model: str = ""
    """Serving endpoint that plays the model ('' takes the spec's)."""
    authorization: Literal["", "app", "user"] = ""
    """Who calls the tools from the App: '' takes the spec's, 'app' (its service principal) or 'user' (on behalf of)."""
    catalog_name: str = ""
    """Unity Catalog catalog of the UC function tools ('' keeps the spec's); notebook 01 creates them there."""
    schema_name: str = ""
    """Schema of the UC function tools ('' keeps each function's own); notebook 01 creates them there."""
    dry_run: bool = False
    """Show the plan of changes without applying any."""

    def spec_overrides(self) -> dict[str, str]:
        """What these parameters change in the agent spec (`load_spec(path, overrides=...)`); empty
        values keep the spec's, so the spec stays the source of truth unless a job parameter says otherwise."""
        return {"engine": self.engine, "model": self.model, "authorization": self.authorization,
                "catalog_name": self.catalog_name, "schema_name": self.schema_name}

    @field_validator("workspace")
    @classmethod
    def _check_workspace(cls, value: str) -> str:
        if value in ("emulated", "notebook", "host") or re.fullmatch(r"profile:[\w.@-]+", value):
            return value
        raise ValueError("one of 'emulated', 'notebook', 'host' or 'profile:<name>'")


def resolve(namespace: Mapping[str, object], params_cls: type[P] = NotebookParams,  # type: ignore[assignment]
            *, dbutils: object | None = None) -> P:
    """Build ``params_cls`` from the names it declares in ``namespace`` (the notebook's globals).

    With a live ``dbutils`` (the argument, else ``namespace["dbutils"]``) each parameter is first
    declared as a widget showing its current value, then read back: a job parameter or a user's edit
    wins; a widget that cannot be read keeps the notebook value. Raises ParamsError.
    """
    if not (isinstance(params_cls, type) and issubclass(params_cls, Params)):
        raise TypeError(f"resolve() needs a subclass of agent_lib.params.Params, got {params_cls!r}")
    fields = params_cls.model_fields
    values = {name: namespace[name] for name in fields if name in namespace}
    sources: dict[str, Source] = {name: "notebook" if name in values else "default" for name in fields}
    widgets = getattr(dbutils if dbutils is not None else namespace.get("dbutils"), "widgets", None)
    if dbutils is not None and widgets is None:
        raise TypeError(f"dbutils={dbutils!r} has no .widgets; pass the notebook's dbutils or nothing")
    if widgets is not None:
        for name, field in fields.items():
            default = "" if field.is_required() else field.get_default(call_default_factory=True)
            shown = _widget_text(values.get(name, default))
            choices = list(_options(field.annotation))
            if choices and shown in choices:
                widgets.dropdown(name, shown, choices, name)
            else:
                widgets.text(name, shown, name)
            try:
                text = widgets.get(name)
            except Exception:  # noqa: BLE001 - undefined widgets raise py4j/JVM errors of no fixed type
                continue
            if text != shown:
                values[name], sources[name] = text, "widget"
    params = params_cls(**values)
    params._sources = sources
    return params


def parameters_cell_source(params_cls: type[Params], values: Mapping[str, object] | None = None) -> str:
    """The notebook's ``parameters`` cell, one ``name = literal  # description`` line per field.

    ``values`` overrides defaults and supplies required fields; the result is validated, so it resolves.
    """
    chosen = dict(values or {})
    lines = []
    for name, field in params_cls.model_fields.items():
        if name not in chosen:
            if field.is_required():
                raise ParamsError(name, _MISSING, f"a default in {params_cls.__name__} or an entry in values")
            chosen[name] = field.get_default(call_default_factory=True)
        value = chosen[name]
        literal = json.dumps(value, ensure_ascii=False) if isinstance(value, str) else repr(
            value.value if isinstance(value, Enum) else value)
        try:
            ast.literal_eval(literal)
        except (ValueError, SyntaxError):
            raise ParamsError(name, value, "a value that can be written as a Python literal") from None
        help_text = " ".join((field.description or "").strip().split("\n\n")[0].split())
        lines.append(f"{name} = {literal}" + (f"  # {help_text}" if help_text else ""))
    params_cls(**chosen)  # fails here, naming the field, rather than in the notebook
    return "\n".join(lines) + "\n"


def _display(name: str, value: object) -> str:
    if _looks_secret(name) or isinstance(value, (SecretStr, SecretBytes)):
        return "****"
    return repr(value.value if isinstance(value, Enum) else value)


def _widget_text(value: object) -> str:
    if value is None or isinstance(value, bool):
        return "" if value is None else str(value).lower()
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, (*_SEQUENCES, dict)):
        return json.dumps(list(value) if isinstance(value, (set, frozenset)) else value, default=str)
    return str(value)


def _options(annotation: Any) -> dict[str, Any]:
    """Text → value of a Literal or Enum type (the dropdown choices); empty for other types."""
    if get_origin(annotation) is Literal:
        return {_widget_text(choice): choice for choice in get_args(annotation)}
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return {_widget_text(member): member for member in annotation}
    return {}


def _coerce(name: str, value: object, annotation: Any) -> object:
    """Turn a widget or job string into the declared type; other values go to pydantic unchanged."""
    if not isinstance(value, str):
        return value
    target, text = annotation, value.strip()
    if get_origin(target) in (Union, types.UnionType):
        rest = [arg for arg in get_args(target) if arg is not type(None)]
        if len(rest) < len(get_args(target)) and text.lower() in _NONE_TEXT:
            return None
        if len(rest) > 1:
            return value  # pydantic tries each member
        target = rest[0]
    origin = get_origin(target)
    try:
        if target is bool:
            return _BOOL_TEXT[text.lower()]
        elif target in (int, float):
            return target(text)
        elif options := _options(target):
            return options[text]
        elif origin in _SEQUENCES or target in _SEQUENCES:
            return _parse_list(text)
        elif origin is dict or target is dict:
            parsed = json.loads(text)
            if isinstance(parsed, dict):
                return parsed
        else:
            return value
    except (ValueError, KeyError):
        pass
    raise ParamsError(name, value, _expected(annotation))


def _parse_list(text: str) -> list[Any]:
    """JSON (``["a", "b"]``), a YAML-ish flow list (``[a, b]``), comma- or line-separated items."""
    if text.startswith("["):
        with contextlib.suppress(ValueError):
            return list(json.loads(text))
        text = text[1:-1] if text.endswith("]") else text[1:]
    items = [item.strip() for item in text.split("\n" if "\n" in text else ",")]
    items = [item[2:].strip() if item.startswith("- ") else item for item in items]
    quoted = [len(item) > 1 and item[0] == item[-1] and item[0] in "'\"" for item in items]
    items = [item[1:-1] if strip else item for item, strip in zip(items, quoted, strict=True)]
    return [item for item in items if item]


def _expected(annotation: Any) -> str:
    """The expected form of a value, in the words an error message needs."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (Union, types.UnionType):
        rest = [arg for arg in args if arg is not type(None)]
        text = " or ".join(_expected(arg) for arg in rest)
        return text + (", or none ('' or none)" if len(rest) < len(args) else "")
    if isinstance(annotation, type) and annotation in _SCALAR_FORMS:
        return _SCALAR_FORMS[annotation]
    if choices := list(_options(annotation)):
        return "one of " + ", ".join(repr(choice) for choice in choices)
    if origin in _SEQUENCES or annotation in _SEQUENCES:
        if args and args[0] is not str:
            return f"a list whose items are each {_expected(args[0])}, as JSON or comma-separated"
        return 'a list, as JSON like ["a", "b"] or comma-separated like a, b'
    if origin is dict or annotation is dict:
        return 'a JSON object like {"key": "value"}'
    return f"a {getattr(annotation, '__name__', annotation)}"


def _to_params_error(cls: type[Params], exc: ValidationError, raw: Mapping[str, object]) -> ParamsError:
    """The first problem pydantic found, as a ParamsError with our wording."""
    error = exc.errors()[0]
    name = str(error["loc"][0]) if error["loc"] else cls.__name__
    field = cls.model_fields.get(name)
    if error["type"] == "extra_forbidden":
        declared = ", ".join(cls.model_fields)
        return ParamsError(name, raw.get(name), f"one of the parameters {cls.__name__} declares: {declared}")
    if error["type"] == "value_error" or field is None:  # a validator's ValueError says what it expects
        expected = str(error.get("ctx", {}).get("error", error["msg"]))
        return ParamsError(name, raw.get(name, error["input"]), expected)
    if error["type"] == "missing":
        return ParamsError(name, _MISSING, f"{_expected(field.annotation)}, set in the parameters cell")
    return ParamsError(name, raw.get(name, error["input"]), _expected(field.annotation))
