"""The main job, run locally: each step is one library call, and a failure names its step.

Until the notebooks and the bundle job land, `agent-lib run` runs the steps that exist, in the order
the job will: select the workspace (the embedded emulated one by default), load the agent spec,
derive what the agent needs (Supervisor request, user scopes, grants), and ask the agent the demo
questions with the spec's engine.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import AgentLibError

DEMO_QUESTIONS = (
    "What was our total revenue in 2025?",
    "What is the status of order SO-10042?",
    "How many days do I have to return a laptop?",
)


class StepFailed(AgentLibError):
    """A pipeline step failed; the message names the step first."""

    def __init__(self, step: str, cause: BaseException) -> None:
        self.step = step
        super().__init__(f"step '{step}' failed: {type(cause).__name__}: {cause}")


@dataclass
class RunOptions:
    """What `agent-lib run` takes; defaults run offline on the embedded emulated workspace."""

    workspace: str = "emulated"
    host: str = ""
    spec_path: str = "agent.yml"
    state_dir: str = ".agent_lib"
    questions: tuple[str, ...] = DEMO_QUESTIONS


@dataclass
class StepResult:
    name: str
    seconds: float
    summary: dict[str, Any] = field(default_factory=dict)


@contextmanager
def _step(name: str, results: list[StepResult], echo: Callable[[str], None]) -> Iterator[dict[str, Any]]:
    summary: dict[str, Any] = {}
    echo(f"==> {name}")
    start = time.perf_counter()
    try:
        yield summary
    except Exception as exc:
        raise StepFailed(name, exc) from exc
    results.append(StepResult(name, time.perf_counter() - start, summary))
    for key, value in summary.items():
        shown = value if isinstance(value, str) else json.dumps(value, default=str)
        echo(f"    {key}: {shown}")


def run_pipeline(options: RunOptions, echo: Callable[[str], None] = print) -> list[StepResult]:
    """Run every step in order; raises StepFailed naming the first step that fails."""
    from .spec import load_spec, required_permissions, supervisor_request, user_scopes
    from .workspace import connect

    results: list[StepResult] = []
    with _step("select workspace", results, echo) as out:
        ws = connect(options.workspace, host=options.host, state_dir=Path(options.state_dir))
        out.update(ws.describe())
    try:
        with _step("load agent spec", results, echo) as out:
            spec = load_spec(options.spec_path)
            out.update(agent=spec.name, model=spec.model, engine=spec.engine,
                       tools=[t.label for t in spec.tools])
        with _step("derive tool grants and scopes", results, echo) as out:
            request = supervisor_request(spec, options.questions[0])
            out["supervisor request tools"] = len(request.get("tools", []))
            out["user scopes"] = user_scopes(spec)
            out["grants"] = [f"{p.level} on {p.resource_type} {p.resource}"
                             for p in required_permissions(spec)]
        with _step("ask the agent", results, echo) as out:
            out.update(_ask(spec, ws, options))
    finally:
        ws.close()
    return results


def _ask(spec: Any, ws: Any, options: RunOptions) -> dict[str, str]:
    """One Supervisor turn per demo question, traced to the run's own MLflow store."""
    import mlflow

    from .supervisor import Supervisor

    state = Path(options.state_dir).resolve()
    state.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(f"sqlite:///{state / 'mlflow.db'}")
    supervisor = Supervisor(spec, ws.client)
    answers = {}
    for question in options.questions:
        result = supervisor.respond(question)
        tools = ", ".join(call.name for call in result.tool_calls) or "no tool"
        text = " ".join(result.text.split())  # one line per answer in the log
        answers[question] = f"[{tools}] {text[:400]}"
    return answers
