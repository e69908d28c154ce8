"""Read the bundle (`databricks.yml` + `resources/*.yml`) the way the Databricks CLI does, offline.

The local runner reads the job from these files, so the local pipeline and the scheduled job cannot
drift apart. Only what the runner and the checks need is modelled: includes, targets (mode,
variables and resources overrides), variables resolved with the CLI's precedence, and the jobs'
notebook tasks in `depends_on` order.

    bundle = load_bundle(".", target="dev", overrides={"engine": "hosted"})
    job = bundle.job()                      # the one job
    [task.key for task in job.tasks]        # depends_on order
    bundle.problems()                       # structural rules the CLI schema leaves out

Variable precedence, highest first (as `databricks bundle` resolves them): `--var name=value`,
the environment variable `BUNDLE_VAR_<name>`, the target's `variables`, the variable's `default`.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import BundleError

__all__ = ["MODES", "Bundle", "JobDefinition", "NotebookTask", "load_bundle", "parse_var_flags"]

BUNDLE_FILE = "databricks.yml"
MODES = ("development", "production")
ENV_PREFIX = "BUNDLE_VAR_"
_REF = re.compile(r"\$\{([A-Za-z_][\w.\-]*)\}")
_NOTEBOOK_EXTENSIONS = (".ipynb", ".py", ".sql", ".scala", ".r")


@dataclass(frozen=True)
class NotebookTask:
    """One notebook task of a job; `notebook` is the local file, `parameters` its base_parameters."""

    key: str
    notebook: Path
    depends_on: tuple[str, ...] = ()
    parameters: Mapping[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """How progress lines name the task: the notebook's file name (what a reader looks for)."""
        return self.notebook.stem


@dataclass(frozen=True)
class JobDefinition:
    """A job's parameters (name -> resolved default) and its notebook tasks in `depends_on` order."""

    key: str
    name: str
    parameters: Mapping[str, str]
    tasks: tuple[NotebookTask, ...]

    def task(self, key: str) -> NotebookTask:
        for task in self.tasks:
            if task.key == key:
                return task
        raise BundleError(f"job {self.key!r} has no task {key!r}: its tasks are {self._keys()}")

    def select(self, only: Sequence[str] = (), start: str | None = None) -> tuple[NotebookTask, ...]:
        """Tasks to run: all, those named by `only`, or `start` and every task after it.

        A name is a task key, a notebook file name without extension, or its number prefix ("03").
        """
        chosen = self.tasks
        if start:
            first = self._find(start, "--from")
            chosen = chosen[chosen.index(first):]
        if only:
            wanted = {self._find(name, "--only").key for name in only}
            chosen = tuple(task for task in chosen if task.key in wanted)
        return chosen

    def _find(self, name: str, flag: str) -> NotebookTask:
        name = name.strip()
        for task in self.tasks:
            stem = task.notebook.stem
            if name in (task.key, stem) or stem.split("_", 1)[0] == name:
                return task
        raise BundleError(f"{flag} {name!r} names no task of job {self.key!r}: use a task key, a "
                          f"notebook name or its number; the tasks are {self._keys()}")

    def _keys(self) -> str:
        return ", ".join(f"{t.key} ({t.notebook.name})" for t in self.tasks) or "none yet"


@dataclass
class Bundle:
    """A loaded bundle for one target: resolved variables and the merged, resolved document."""

    root: Path
    target: str
    variables: dict[str, str]
    document: dict[str, Any]
    raw: dict[str, Any]
    sources: dict[tuple[str, str], Path]
    """(resource kind, key) -> folder of the file that declared it (relative paths start there)."""

    @property
    def name(self) -> str:
        return str(self.document["bundle"]["name"])

    @property
    def mode(self) -> str:
        return str(self.raw.get("targets", {}).get(self.target, {}).get("mode", ""))

    def resources(self, kind: str) -> dict[str, dict[str, Any]]:
        return dict(self.document.get("resources", {}).get(kind) or {})

    def job(self, key: str | None = None) -> JobDefinition:
        """The job named `key`, or the bundle's only job."""
        jobs = self.resources("jobs")
        if key is None:
            if len(jobs) != 1:
                raise BundleError(f"the bundle has {len(jobs)} jobs ({', '.join(jobs) or 'none'}); "
                                  "name the one to run")
            key = next(iter(jobs))
        if key not in jobs:
            raise BundleError(f"the bundle has no job {key!r}: its jobs are {', '.join(jobs) or 'none'}")
        return self._job(key, jobs[key])

    def _job(self, key: str, spec: dict[str, Any]) -> JobDefinition:
        base = self.sources.get(("jobs", key), self.root)
        tasks = []
        for i, task in enumerate(spec.get("tasks") or []):
            where = f"resources.jobs.{key}.tasks[{i}]"
            notebook = (task.get("notebook_task") or {}).get("notebook_path")
            if not task.get("task_key") or not notebook:
                raise BundleError(f"{where}: the runner runs notebook tasks; give it a task_key and "
                                  "notebook_task.notebook_path")
            tasks.append(NotebookTask(
                key=str(task["task_key"]),
                notebook=(base / str(notebook)).resolve(),
                depends_on=tuple(str(d["task_key"]) for d in task.get("depends_on") or []),
                parameters={str(k): _text(v) for k, v in
                            (task["notebook_task"].get("base_parameters") or {}).items()},
            ))
        parameters = {str(p["name"]): _text(p.get("default", "")) for p in spec.get("parameters") or []}
        return JobDefinition(key, str(spec.get("name", key)), parameters, _ordered(key, tasks))

    def problems(self) -> list[str]:
        """The structural rules the CLI's JSON schema leaves out; empty when the bundle is sound."""
        found: list[str] = []
        targets = self.raw.get("targets") or {}
        for name, target in targets.items():
            mode = (target or {}).get("mode")
            if mode is not None and mode not in MODES:
                found.append(f"targets.{name}.mode is {mode!r}: expected one of {', '.join(MODES)}")
            if mode == "production" and not ((target or {}).get("workspace") or {}).get("root_path"):
                found.append(f"targets.{name} is a production target without workspace.root_path")
        if sum(bool((t or {}).get("default")) for t in targets.values()) != 1:
            found.append("exactly one target should be the default (default: true)")
        text = "\n".join(path.read_text() for path in self.files())
        for name in self.raw.get("variables") or {}:
            if not re.search(r"\$\{var\." + re.escape(name) + r"\}", text):
                found.append(f"variable {name!r} is declared but never used: use it as ${{var.{name}}} "
                             "or remove it")
            if not (self.raw["variables"][name] or {}).get("description"):
                found.append(f"variable {name!r} has no description")
        for key, spec in self.resources("jobs").items():
            found.extend(_job_problems(key, spec))
            try:
                job = self.job(key)
            except BundleError as exc:
                found.append(str(exc))
                continue
            for task in job.tasks:
                if task.notebook.suffix not in _NOTEBOOK_EXTENSIONS:
                    found.append(f"job {key} task {task.key}: notebook path {task.notebook.name!r} needs "
                                 f"its extension ({', '.join(_NOTEBOOK_EXTENSIONS)})")
                elif not task.notebook.is_file():
                    found.append(f"job {key} task {task.key}: notebook {task.notebook} does not exist")
        return found

    def files(self) -> list[Path]:
        """databricks.yml and the files its `include` globs name, in the order the CLI reads them."""
        return [self.root / BUNDLE_FILE, *_included(self.root, self.raw)]


def load_bundle(root: str | Path = ".", *, target: str | None = None,
                overrides: Mapping[str, str] | None = None,
                environ: Mapping[str, str] | None = None) -> Bundle:
    """Load the bundle under `root` for `target` (the default target when None); raises BundleError."""
    import yaml

    root = Path(root).resolve()
    path = root / BUNDLE_FILE
    if not path.is_file():
        raise BundleError(f"no {BUNDLE_FILE} in {root}: run from the project folder or pass its path")
    raw = _load_yaml(yaml, path)
    sources: dict[tuple[str, str], Path] = {}
    for kind, items in (raw.get("resources") or {}).items():
        sources.update({(kind, key): root for key in items or {}})
    for included in _included(root, raw):
        part = _load_yaml(yaml, included)
        for kind, items in (part.get("resources") or {}).items():
            sources.update({(kind, key): included.parent for key in items or {}})
        _merge(raw, part)
    target = target or _default_target(raw)
    targets = raw.get("targets") or {}
    if target not in targets:
        raise BundleError(f"no target {target!r} in {BUNDLE_FILE}: expected one of {', '.join(targets)}")
    document = copy.deepcopy({k: v for k, v in raw.items() if k != "targets"})
    chosen = targets[target] or {}
    _merge(document, {k: v for k, v in chosen.items() if k in ("resources", "workspace", "permissions",
                                                               "run_as", "presets", "artifacts")})
    document.setdefault("bundle", {})["target"] = target
    if "name" not in document["bundle"]:
        raise BundleError(f"{BUNDLE_FILE}: bundle.name is required")
    variables = _variables(raw, chosen, dict(overrides or {}), os.environ if environ is None else environ)
    context = {"bundle.name": str(document["bundle"]["name"]), "bundle.target": target,
               **{f"var.{k}": v for k, v in variables.items()}}
    return Bundle(root, target, variables, _resolve(document, context), raw, sources)


def parse_var_flags(flags: Sequence[str]) -> dict[str, str]:
    """`--var name=value` flags (each may hold several, comma-separated, as the CLI accepts)."""
    values: dict[str, str] = {}
    for flag in flags:
        for item in flag.split(","):
            name, sep, value = item.partition("=")
            if not sep or not name.strip():
                raise BundleError(f"--var {item!r}: expected name=value, e.g. --var engine=hosted")
            values[name.strip()] = value
    return values


def _load_yaml(yaml: Any, path: Path) -> dict[str, Any]:
    try:
        doc = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise BundleError(f"{path.name} is not valid YAML: {exc}") from None
    if not isinstance(doc, dict):
        raise BundleError(f"{path.name}: expected a mapping at the top level")
    return doc


def _included(root: Path, raw: Mapping[str, Any]) -> list[Path]:
    found: list[Path] = []
    for pattern in raw.get("include") or []:
        found.extend(p for p in sorted(root.glob(str(pattern))) if p not in found)
    return found


def _default_target(raw: Mapping[str, Any]) -> str:
    targets = raw.get("targets") or {}
    defaults = [name for name, t in targets.items() if (t or {}).get("default")]
    if len(defaults) == 1:
        return defaults[0]
    if len(targets) == 1:
        return next(iter(targets))
    raise BundleError(f"{BUNDLE_FILE} has no single default target: pass --target "
                      f"({', '.join(targets) or 'none declared'})")


def _variables(raw: Mapping[str, Any], target: Mapping[str, Any], flags: dict[str, str],
               environ: Mapping[str, str]) -> dict[str, str]:
    declared = raw.get("variables") or {}
    for name in flags:
        if name not in declared:
            raise BundleError(f"--var {name}: no such variable in {BUNDLE_FILE}; declared: "
                              f"{', '.join(declared)}")
    values: dict[str, str] = {}
    for name, spec in declared.items():
        spec = spec or {}
        by_target = (target.get("variables") or {}).get(name)
        if isinstance(by_target, dict):
            by_target = by_target.get("default")
        if name in flags:
            values[name] = flags[name]
        elif ENV_PREFIX + name in environ:
            values[name] = environ[ENV_PREFIX + name]
        elif by_target is not None:
            values[name] = _text(by_target)
        elif "default" in spec:
            values[name] = _text(spec["default"])
        else:
            raise BundleError(f"variable {name!r} has no value: give it a default in {BUNDLE_FILE}, "
                              f"or pass --var {name}=<value> or set {ENV_PREFIX}{name}")
    return values


def _resolve(value: Any, context: Mapping[str, str]) -> Any:
    """Substitute `${var.x}` / `${bundle.name}` / `${bundle.target}`; other references stay as written."""
    if isinstance(value, dict):
        return {k: _resolve(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, context) for v in value]
    if isinstance(value, str):
        for _ in range(10):  # variables may refer to variables
            new = _REF.sub(lambda m: context.get(m.group(1), m.group(0)), value)
            if new == value:
                break
            value = new
    return value


def _merge(into: dict[str, Any], other: Mapping[str, Any]) -> None:
    """Deep-merge `other` into `into`; job task lists merge by task_key, as target overrides do."""
    for key, value in other.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        elif key == "tasks" and isinstance(value, list) and isinstance(into.get(key), list):
            by_key = {t.get("task_key"): t for t in into[key]}
            for task in value:
                if task.get("task_key") in by_key:
                    _merge(by_key[task["task_key"]], task)
                else:
                    into[key].append(copy.deepcopy(task))
        else:
            into[key] = copy.deepcopy(value)


def _ordered(job: str, tasks: list[NotebookTask]) -> tuple[NotebookTask, ...]:
    """Tasks in dependency order, file order among equals; raises on unknown keys and cycles."""
    by_key = {task.key: task for task in tasks}
    if len(by_key) != len(tasks):
        raise BundleError(f"job {job}: task keys must be unique")
    for task in tasks:
        for dep in task.depends_on:
            if dep not in by_key:
                raise BundleError(f"job {job} task {task.key}: depends_on names {dep!r}, which is not a "
                                  f"task of the job ({', '.join(by_key)})")
    done: list[NotebookTask] = []
    pending = list(tasks)
    while pending:
        ready = [t for t in pending if all(d in {x.key for x in done} for d in t.depends_on)]
        if not ready:
            raise BundleError(f"job {job}: depends_on forms a cycle among "
                              f"{', '.join(t.key for t in pending)}")
        done.append(ready[0])
        pending.remove(ready[0])
    return tuple(done)


def _job_problems(key: str, spec: Mapping[str, Any]) -> list[str]:
    found = []
    schedule = spec.get("schedule") or spec.get("trigger")
    if schedule and schedule.get("pause_status") != "PAUSED":
        found.append(f"job {key}: its schedule should be paused by default (pause_status: PAUSED)")
    for param in spec.get("parameters") or []:
        if not re.fullmatch(r"[\w.\-]+", str(param.get("name", ""))):
            found.append(f"job {key}: parameter name {param.get('name')!r} may hold only letters, "
                         "digits, _, - and .")
    return found


def _text(value: Any) -> str:
    """Parameter values reach notebooks as strings, as widgets deliver them."""
    if isinstance(value, bool):
        return str(value).lower()
    return "" if value is None else str(value)
