"""Which model answers each foundation-model endpoint, and the one call the serving routes make.

Config per endpoint (a JSON object), first match wins:

1. set at runtime: `set_config(state, endpoint, {...})`, or over HTTP
   `PUT /_emulator/models/{endpoint}` (admins) — kept in the store, so a reset forgets it;
2. `state.config.models[endpoint]` (the `EmulatorConfig` the workspace was started with);
3. `{"kind": "reference"}`.

Kinds:

    {"kind": "reference"}                                   the emulator's deterministic agent model
    {"kind": "scripted", "turns": [...]}                    see `models.scripted`
    {"kind": "passthrough", "base_url": "http://127.0.0.1:11434/v1", "model": "llama3.1",
     "api_key_env": "OPENAI_API_KEY"}                       a real OpenAI-compatible server
    {"kind": "echo"}                                        repeats the last user message

`install(state, endpoint, model)` puts any Python object with `respond(messages, tools)` behind an
endpoint (tests). `respond(state, endpoint, messages, tools)` is what routes call: it injects
`state.config.model_latency_ms` and turns model failures into Databricks errors (a script
mismatch is a 400 `INVALID_PARAMETER_VALUE`, never a 500).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..core.errors import ApiError, invalid
from .base import Message, Model, ModelTurn, ToolSpec

if TYPE_CHECKING:
    from ..core.state import EmulatorState

log = logging.getLogger("agent_lib.emulator.models")

DEFAULT: dict[str, Any] = {"kind": "reference"}
_STORE_KIND = "model-config"
_RUNTIME_KEY = "models"
_lock = threading.RLock()


class EchoModel:
    """Answers with the last user message: the stand-in when no reference model is available."""

    def respond(self, messages: list[Message], tools: list[ToolSpec]) -> ModelTurn:
        last = next((m.content for m in reversed(messages) if m.role == "user"), "")
        return ModelTurn(text=f"Echo: {last}" if last else "Echo.")


# -- the kinds of model ---------------------------------------------------------------------------

def _check_scripted(config: dict[str, Any]) -> None:
    from .scripted import parse_turn

    turns = config.get("turns")
    if not isinstance(turns, list):
        raise ValueError("turns must be a list of scripted turns")
    for i, t in enumerate(turns):
        parse_turn(t, i)


def _check_passthrough(config: dict[str, Any]) -> None:
    for key in ("base_url", "model"):
        if not isinstance(config.get(key), str) or not config[key]:
            raise ValueError(f"{key} is required for kind 'passthrough'")
    if "://" not in config["base_url"]:
        raise ValueError("base_url must be an http(s) URL")
    env = config.get("api_key_env")
    if env is not None and (not isinstance(env, str) or not env.replace("_", "").isalnum()):
        raise ValueError("api_key_env must be the NAME of an environment variable (never the key)")


def _scripted(config: dict[str, Any], endpoint: str) -> Model:
    from .scripted import ScriptedModel

    return ScriptedModel(config.get("turns", []), label=f"scripted model on endpoint '{endpoint}'")


def _passthrough(config: dict[str, Any], endpoint: str) -> Model:
    from .passthrough import PassthroughModel

    return PassthroughModel(config["base_url"], config["model"], api_key_env=config.get("api_key_env"),
                            timeout_seconds=float(config.get("timeout_seconds", 120.0)),
                            extra_body=config.get("extra_body"))


def _reference(config: dict[str, Any], endpoint: str) -> Model:
    from .reference import ReferenceModel

    return ReferenceModel()


@dataclass(frozen=True)
class ModelKind:
    """One kind of model an endpoint can serve: its config fields, their check, and how it is built."""

    fields: frozenset[str]
    build: Callable[[dict[str, Any], str], Model]
    check: Callable[[dict[str, Any]], None] | None = None


REGISTRY: dict[str, ModelKind] = {
    "reference": ModelKind(frozenset({"kind"}), _reference),
    "scripted": ModelKind(frozenset({"kind", "turns"}), _scripted, _check_scripted),
    "passthrough": ModelKind(frozenset({"kind", "base_url", "model", "api_key_env", "timeout_seconds",
                                        "extra_body"}), _passthrough, _check_passthrough),
    "echo": ModelKind(frozenset({"kind"}), lambda config, endpoint: EchoModel()),
}
"""The model kinds by name (`{"kind": ...}` configs): a new kind is one entry here."""
KINDS = tuple(REGISTRY)


# -- config -------------------------------------------------------------------------------------

def validate_config(config: Any) -> dict[str, Any]:
    """A normalized config, or ValueError naming the bad field."""
    if not isinstance(config, dict):
        raise ValueError("a model config is an object with a 'kind'")
    kind = config.get("kind")
    if kind not in REGISTRY:
        raise ValueError(f"kind must be one of {', '.join(KINDS)} (got {kind!r})")
    allowed = REGISTRY[kind].fields
    unknown = sorted(set(config) - allowed)
    if unknown:
        raise ValueError(f"unknown field {unknown[0]!r} for kind {kind!r} "
                         f"(allowed: {', '.join(sorted(allowed))})")
    check = REGISTRY[kind].check
    if check is not None:
        check(config)
    return json.loads(json.dumps(config))


def config_for(state: EmulatorState, endpoint: str) -> dict[str, Any]:
    stored = state.store.get(_STORE_KIND, endpoint)
    if stored is not None:
        return stored
    configured = (state.config.models or {}).get(endpoint)
    return dict(configured) if configured else dict(DEFAULT)


def set_config(state: EmulatorState, endpoint: str, config: dict[str, Any]) -> dict[str, Any]:
    """Put a model config behind an endpoint from now on (a fresh model: scripts restart)."""
    clean = validate_config(config)
    with _lock:
        state.store.put(_STORE_KIND, endpoint, clean)
        _cache(state).pop(endpoint, None)
    return clean


def clear_config(state: EmulatorState, endpoint: str) -> None:
    """Back to the configured default (and drop an `install`ed model)."""
    with _lock:
        state.store.delete(_STORE_KIND, endpoint)
        _cache(state).pop(endpoint, None)


def install(state: EmulatorState, endpoint: str, model: Model) -> None:
    """Serve an endpoint with a Python model object until `clear_config` or a reset."""
    with _lock:
        _cache(state)[endpoint] = ("installed", model)


# -- models -------------------------------------------------------------------------------------

def _cache(state: EmulatorState) -> dict[str, tuple[str, Any]]:
    return state.runtime.setdefault(_RUNTIME_KEY, {})


def _fingerprint(config: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()


def build(config: dict[str, Any], endpoint: str = "") -> Model:
    """A model instance from a (validated) config."""
    return REGISTRY.get(config.get("kind", "reference"), REGISTRY["reference"]).build(config, endpoint)


def model_for(state: EmulatorState, endpoint: str) -> Model:
    """The model instance behind an endpoint (kept across requests, so scripts advance)."""
    with _lock:
        cache = _cache(state)
        cached = cache.get(endpoint)
        if cached is not None and cached[0] == "installed":
            return cached[1]
        config = config_for(state, endpoint)
        fp = _fingerprint(config)
        if cached is not None and cached[0] == fp:
            return cached[1]
        try:
            model = build(validate_config(config), endpoint)
        except ValueError as exc:
            raise invalid(f"model config for endpoint '{endpoint}' is invalid: {exc}") from exc
        cache[endpoint] = (fp, model)
        return model


def status(state: EmulatorState, endpoint: str) -> dict[str, Any]:
    """What serves an endpoint now; scripted models also report turns used and left."""
    with _lock:
        cached = _cache(state).get(endpoint)
        installed = cached is not None and cached[0] == "installed"
    config = {"kind": "installed"} if installed else config_for(state, endpoint)
    out: dict[str, Any] = {"endpoint": endpoint, "kind": config.get("kind")}
    if config.get("kind") == "passthrough":
        out.update({k: config[k] for k in ("base_url", "model", "api_key_env") if k in config})
    model = model_for(state, endpoint)
    if hasattr(model, "status"):
        out.update(model.status())
    return out


def respond(state: EmulatorState, endpoint: str, messages: list[Message], tools: list[ToolSpec]) -> ModelTurn:
    """One model turn for a serving request, with latency injection and Databricks errors."""
    from .passthrough import PassthroughError
    from .scripted import ScriptError

    model = model_for(state, endpoint)
    delay = float(state.config.model_latency_ms or 0) / 1000.0
    if delay > 0:
        time.sleep(delay)
    try:
        turn = model.respond(messages, tools)
    except ApiError:
        raise
    except ScriptError as exc:
        raise invalid(str(exc)) from exc
    except PassthroughError as exc:
        if exc.status is not None and 400 <= exc.status < 500:
            raise ApiError(400, "BAD_REQUEST", str(exc)) from exc
        raise ApiError(502, "TEMPORARILY_UNAVAILABLE", str(exc)) from exc
    except Exception as exc:
        log.exception("model behind endpoint %s failed", endpoint)
        raise ApiError(500, "INTERNAL_ERROR",
                       f"the model behind endpoint '{endpoint}' failed: {type(exc).__name__}: {exc}") from exc
    if not isinstance(turn, ModelTurn):
        raise ApiError(500, "INTERNAL_ERROR", f"the model behind endpoint '{endpoint}' returned "
                       f"{type(turn).__name__}, not a ModelTurn")
    return turn


__all__ = ["DEFAULT", "KINDS", "REGISTRY", "EchoModel", "ModelKind", "build", "clear_config", "config_for", "install", "model_for",
           "respond", "set_config", "status", "validate_config"]
