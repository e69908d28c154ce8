"""One exception tree for everything agent_lib raises on purpose.

Every message says what is wrong, where (the field, parameter or resource), and what to do about
it, so a notebook cell or a CI log is enough to fix the problem without reading our source.

    AgentLibError
    ├── SpecError          an agent spec (agent.yml / notebook overrides) is invalid
    ├── ParamsError        a notebook parameter has a bad value
    ├── WorkspaceError     no workspace could be selected or reached
    ├── EmulatorError      the embedded emulated workspace failed to start or stop
    ├── ResourceError      a tool's resource, a grant or a definition file is wrong (setup, grants)
    ├── SupervisorError    an agent turn failed (service error, stream error, failed response)
    ├── BundleError        databricks.yml / resources/*.yml cannot be read or resolved
    └── TaskFailed         a notebook task of `agent-lib run` failed (names notebook, cell, error)
"""

from __future__ import annotations


class AgentLibError(Exception):
    """Root of the errors agent_lib raises deliberately."""


class SpecError(AgentLibError, ValueError):
    """The agent spec is invalid; the message names the field and the fix."""

    def __init__(self, field: str, problem: str, fix: str) -> None:
        self.field = field
        self.problem = problem
        self.fix = fix
        super().__init__(f"agent spec field '{field}': {problem}. Fix: {fix}")


class ParamsError(AgentLibError, ValueError):
    """A notebook parameter is invalid; the message names it, its value and the expected form."""

    def __init__(self, name: str, value: object, expected: str) -> None:
        self.name = name
        self.value = value
        self.expected = expected
        super().__init__(f"notebook parameter '{name}' = {value!r} is invalid: expected {expected}")


class WorkspaceError(AgentLibError):
    """No workspace client could be built or reached."""


class EmulatorError(AgentLibError):
    """The embedded emulated workspace could not start or stop."""


class ResourceError(AgentLibError):
    """A workspace resource (a tool's, a grant's principal, a definition file) is not as expected."""

    def __init__(self, resource: str, problem: str, fix: str) -> None:
        self.resource = resource
        self.problem = problem
        self.fix = fix
        super().__init__(f"{resource}: {problem}. Fix: {fix}")


class SupervisorError(AgentLibError):
    """An agent turn failed; `cause` says which layer (http, stream, response, tool).

    `status` is the HTTP status the failing service answered, `dependency` names that service (a
    model endpoint, a tool, the Supervisor API) and `retry_after_s` is its `Retry-After`, when it
    gave one: what an App needs to answer with a status that says which upstream failed."""

    def __init__(self, message: str, *, cause: str = "response", status: int | None = None,
                 dependency: str | None = None, retry_after_s: float | None = None) -> None:
        self.cause = cause
        self.status = status
        self.dependency = dependency
        self.retry_after_s = retry_after_s
        super().__init__(message)


class BundleError(AgentLibError, ValueError):
    """The bundle cannot be loaded or resolved; the message names the file, key or variable."""


class TaskFailed(AgentLibError):
    """A notebook task failed: which task and notebook, which cell (and its step), and the error."""

    def __init__(self, task: str, notebook: str, cell: str, error: str, output: str = "") -> None:
        self.task = task
        self.notebook = notebook
        self.cell = cell
        self.error = error
        self.output = output
        where = f"notebook {notebook} (task {task})" + (f", {cell}" if cell else "")
        super().__init__(f"{where} failed: {error}")
