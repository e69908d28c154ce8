"""Deploy the agent App: the SDK path (this module) and the bundle path (README, `databricks bundle`).

    result = deploy_app(ws, DeployOptions(spec_path="agent.yml"))
    result.url, result.state, result.smoke_answer

The SDK path, as Databricks documents it (app-templates.md §4.4): create the App if it is missing
(with the resources and user API scopes the spec implies), upload the source folder through the
Workspace API, deploy a SNAPSHOT with `app.yaml`'s command and env, wait for it, check `/health`
through the App's URL, and ask one smoke question through `DatabricksOpenAI(...).responses.create(
model="apps/<name>")`. Apps accept only OAuth callers, so both checks use an OAuth client
(`oauth_client`). On the emulated workspace the App really runs, as a local process behind the
emulator's front proxy.

The source is `app/` (app.yaml) plus what `source_files` adds: this package as a wheel, a
`requirements.txt` naming it (its dependencies come from PyPI, no private index) and the spec.
`prepare_source` writes those into the folder for the bundle path (`databricks bundle deploy`).
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from .errors import AgentLibError, WorkspaceError
from .params import NotebookParams

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

    from .workspace import Workspace

DEFAULT_SOURCE = Path(__file__).resolve().parents[2] / "app"
SMOKE_QUESTION = "What can you help me with?"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
PAT_TOKEN_TYPE = "urn:databricks:params:oauth:token-type:personal-access-token"


class DeployError(AgentLibError):
    """The deployment failed; the message names the step and what to do."""


@dataclass(frozen=True)
class DeployOptions:
    """What to deploy and how long to wait."""

    spec_path: str | Path = "agent.yml"
    source_dir: str | Path = DEFAULT_SOURCE
    """The App's source folder (holds `app.yaml`)."""
    app_name: str | None = None
    """Default: the spec's `name`."""
    workspace_path: str | None = None
    """Where the source is uploaded; default `/Workspace/Users/<me>/apps/<name>`."""
    smoke_question: str = SMOKE_QUESTION
    timeout_s: float = 600.0
    spec_overrides: dict[str, str] = field(default_factory=dict)
    """What the notebook's parameters change in the spec (`NotebookParams.spec_overrides`): the App
    is created, and its `agent.yml` written, as the spec reads with them."""


@dataclass
class DeployResult:
    """What a deployment produced: where the App lives, its state, and the smoke test's answer."""

    name: str
    url: str
    source_code_path: str
    deployment_id: str
    deployment_state: str
    app_state: str
    compute_state: str
    health: dict[str, Any] = field(default_factory=dict)
    smoke_question: str = ""
    smoke_answer: str = ""

    def link(self) -> Any:
        """The App's URL as a link (what notebook 05 shows): it opens the chat page."""
        from html import escape

        from IPython.display import HTML

        url = escape(self.url, quote=True)
        return HTML(f'<a href="{url}" target="_blank" rel="noopener">{url}</a> (chat page; '
                    "/invocations and /responses for clients)")

    def smoke(self) -> dict[str, str]:
        return {"question": self.smoke_question, "answer": self.smoke_answer}

    def summary(self) -> dict[str, Any]:
        """What a notebook displays (no token)."""
        return {"app": self.name, "url": self.url, "deployment": self.deployment_id,
                "deployment_state": self.deployment_state, "app_state": self.app_state,
                "compute_state": self.compute_state, "health": self.health}


class DeployParams(NotebookParams):
    """Notebook 05's parameters (cwd = notebooks/, so paths start at the repository with ../)."""

    spec_path: str = "../agent.yml"
    """Path of the agent spec (YAML)."""
    state_dir: str = "../.agent_lib"
    """Directory where the emulated workspace keeps its SQLite state."""
    source_dir: str = "../app"
    """The App's source folder (holds app.yaml)."""
    app_name: str = ""
    """The App's name; empty takes the spec's name."""
    smoke_question: str = "What is the status of order SO-10042?"
    """The one question the deployed App is asked through apps/<name>."""
    timeout_s: float = 600.0
    """How long to wait for the App and its deployment."""

    def options(self) -> DeployOptions:
        return DeployOptions(spec_path=self.spec_path, source_dir=self.source_dir,
                             app_name=self.app_name or None, smoke_question=self.smoke_question,
                             timeout_s=self.timeout_s, spec_overrides=self.spec_overrides())


# -- the source ------------------------------------------------------------------------------------
def read_app_yaml(source_dir: str | Path) -> dict[str, Any]:
    path = Path(source_dir) / "app.yaml"
    if not path.is_file():
        raise DeployError(f"the App's source folder {source_dir} has no app.yaml; pass source_dir= the "
                          "folder holding it (the repository's app/)")
    data = yaml.safe_load(path.read_text()) or {}
    if not isinstance(data.get("command"), list):
        raise DeployError(f"{path}: `command` must be a list, e.g. [\"python\", \"-m\", \"agent_lib.app\"]")
    return data


def build_wheel() -> tuple[str, bytes]:
    """(file name, bytes) of this package as a pure-Python wheel, from the installed package and its
    metadata (what `uv build --wheel` makes, without a build backend or a network)."""
    from importlib import metadata

    import agent_lib

    dist = metadata.distribution("agent-lib")
    version = dist.version
    info = f"agent_lib-{version}.dist-info"
    root = Path(agent_lib.__file__).resolve().parent
    files: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"):
            files[f"agent_lib/{path.relative_to(root).as_posix()}"] = path.read_bytes()
    files[f"{info}/METADATA"] = (dist.read_text("METADATA") or "").encode()
    files[f"{info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: agent_lib.deploy\nRoot-Is-Purelib: true\n" \
                             b"Tag: py3-none-any\n"
    entry_points = dist.read_text("entry_points.txt")
    if entry_points:
        files[f"{info}/entry_points.txt"] = entry_points.encode()
    record = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as wheel:
        for name, data in files.items():
            info_ = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info_.compress_type = zipfile.ZIP_DEFLATED
            wheel.writestr(info_, data)
    return f"agent_lib-{version}-py3-none-any.whl", buffer.getvalue()


def source_files(spec_path: str | Path, source_dir: str | Path = DEFAULT_SOURCE,
                 spec_overrides: Mapping[str, str] | None = None) -> dict[str, bytes]:
    """Every file of the App's source: the folder's own (app.yaml, README), the wheel, the
    requirements line naming it, and the spec as `agent.yml` (rewritten when overrides change it)."""
    from .spec import load_spec

    read_app_yaml(source_dir)
    spec = load_spec(spec_path, overrides=spec_overrides)  # an invalid spec fails here, not in the App
    folder = Path(source_dir)
    files = {p.name: p.read_bytes() for p in sorted(folder.iterdir())
             if p.is_file() and not p.name.startswith(".") and p.suffix != ".whl"
             and p.name not in ("requirements.txt", "agent.yml")}
    wheel_name, wheel = build_wheel()
    files[wheel_name] = wheel
    files["requirements.txt"] = f"./{wheel_name}\n".encode()
    as_written = Path(spec_path).read_bytes()
    files["agent.yml"] = as_written if spec == load_spec(spec_path) else spec.to_yaml().encode()
    return files


def prepare_source(spec_path: str | Path = "agent.yml", source_dir: str | Path = DEFAULT_SOURCE) -> list[str]:
    """Write the generated files into `source_dir` (for `databricks bundle deploy`); their names."""
    written = []
    for name, data in source_files(spec_path, source_dir).items():
        target = Path(source_dir) / name
        if not target.exists() or target.read_bytes() != data:
            target.write_bytes(data)
        written.append(name)
    return written


# -- OAuth -----------------------------------------------------------------------------------------
def oauth_client(client: WorkspaceClient) -> WorkspaceClient:
    """A client of the same identity whose auth is OAuth, which Databricks Apps demand (a PAT is
    redirected to login). An OAuth client is returned as is; a PAT is exchanged for an OAuth token
    at the workspace's `/oidc/v1/token` where the workspace allows it."""
    from urllib.parse import urlencode

    from databricks.sdk import WorkspaceClient
    from databricks.sdk.credentials_provider import OAuthCredentialsProvider, OauthCredentialsStrategy
    from databricks.sdk.oauth import Token

    if _is_oauth(client):
        return client
    scheme, _, subject = client.config.authenticate().get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not subject:
        raise WorkspaceError("calling a Databricks App needs OAuth credentials: log in with "
                             "`databricks auth login --host <workspace>` and use workspace='profile:<name>'")
    try:
        answer = client.api_client.do(
            "POST", "/oidc/v1/token", headers={"Content-Type": "application/x-www-form-urlencoded"},
            data=urlencode({"grant_type": TOKEN_EXCHANGE, "subject_token": subject,
                            "subject_token_type": PAT_TOKEN_TYPE, "scope": "all-apis"}))
    except Exception as exc:  # noqa: BLE001 - the reason is re-raised in words
        raise WorkspaceError(
            f"calling a Databricks App needs OAuth, and {client.config.host} would not exchange this "
            f"token for one ({str(exc).splitlines()[0][:200]}): log in with `databricks auth login "
            "--host <workspace>` and use workspace='profile:<name>'") from None
    access = str(answer["access_token"])

    def provider(_config: Any) -> OAuthCredentialsProvider:
        return OAuthCredentialsProvider(lambda: {"Authorization": f"Bearer {access}"},
                                        lambda: Token(access_token=access, token_type="Bearer"))

    return WorkspaceClient(host=client.config.host,
                           credentials_strategy=OauthCredentialsStrategy("oauth-exchange", provider))


def _is_oauth(client: WorkspaceClient) -> bool:
    try:
        client.config.oauth_token()
    except Exception:  # noqa: BLE001 - any failure means: not an OAuth client
        return False
    return True


# -- the SDK path ----------------------------------------------------------------------------------
def deploy_app(ws: Workspace, options: DeployOptions | None = None) -> DeployResult:
    """Create (if missing), upload, deploy a SNAPSHOT, wait, check /health, ask the smoke question."""
    from databricks.sdk.errors import NotFound
    from databricks.sdk.service.apps import (
        App,
        AppDeployment,
        AppDeploymentMode,
        AppResource,
        ComputeState,
        EnvVar,
    )
    from databricks.sdk.service.workspace import ImportFormat

    from .app.auth import user_api_scopes
    from .spec import bundle_app_resources, load_spec

    options = options or DeployOptions()
    w = ws.client
    spec = load_spec(options.spec_path, overrides=options.spec_overrides)
    name = options.app_name or spec.name
    wait = timedelta(seconds=options.timeout_s)
    files = source_files(options.spec_path, options.source_dir, options.spec_overrides)
    run = read_app_yaml(options.source_dir)

    me = w.current_user.me().user_name
    path = options.workspace_path or f"/Workspace/Users/{me}/apps/{name}"
    w.workspace.mkdirs(path)
    for file_name, data in files.items():
        w.workspace.upload(f"{path}/{file_name}", data, format=ImportFormat.AUTO, overwrite=True)

    scopes = user_api_scopes(spec) if spec.authorization == "user" else None
    resources = [AppResource.from_dict(r) for r in bundle_app_resources(spec)]
    try:
        app = w.apps.get(name)
    except NotFound:
        app = w.apps.create_and_wait(App(name=name, description=f"The {spec.name} agent (agent_lib).",
                                         resources=resources, user_api_scopes=scopes), timeout=wait)
    if app.compute_status is not None and app.compute_status.state == ComputeState.STOPPED:
        app = w.apps.start_and_wait(name, timeout=wait)
    env = [EnvVar(name=e["name"], value=e.get("value"), value_from=e.get("valueFrom", e.get("value_from")))
           for e in run.get("env") or []]
    deployment = w.apps.deploy_and_wait(
        name, AppDeployment(source_code_path=path, mode=AppDeploymentMode.SNAPSHOT,
                            command=list(run["command"]), env_vars=env), timeout=wait)
    app = w.apps.get(name)
    dep_state = deployment.status.state.value if deployment.status and deployment.status.state else ""
    if dep_state != "SUCCEEDED":
        message = deployment.status.message if deployment.status else ""
        raise DeployError(f"deployment {deployment.deployment_id} of App {name} ended {dep_state}: {message}")
    result = DeployResult(
        name=name, url=app.url or "", source_code_path=path, deployment_id=deployment.deployment_id or "",
        deployment_state=dep_state,
        app_state=app.app_status.state.value if app.app_status and app.app_status.state else "",
        compute_state=app.compute_status.state.value if app.compute_status and app.compute_status.state else "")
    caller = oauth_client(w)
    result.health = check_health(caller, result.url)
    result.smoke_question = options.smoke_question
    result.smoke_answer = smoke_test(caller, name, options.smoke_question)
    return result


def app_state(ws: Workspace, name: str) -> dict[str, Any]:
    """The App as `apps.get` reports it: URL, states and messages, active deployment, scopes."""
    app = ws.client.apps.get(name)
    active = app.active_deployment
    return {"name": app.name, "url": app.url,
            "app_status": app.app_status.as_dict() if app.app_status else None,
            "compute_status": app.compute_status.as_dict() if app.compute_status else None,
            "active_deployment": active.deployment_id if active else None,
            "service_principal": app.service_principal_client_id,
            "user_api_scopes": app.effective_user_api_scopes or app.user_api_scopes or []}


def check_health(caller: WorkspaceClient, url: str) -> dict[str, Any]:
    """`GET <url>/health` as an OAuth caller; DeployError naming the status otherwise."""
    import httpx

    response = httpx.get(f"{url.rstrip('/')}/health", headers=caller.config.authenticate(), timeout=60,
                         follow_redirects=False)
    if response.status_code != 200:
        hint = " (302: the token is not OAuth)" if response.status_code == 302 else ""
        raise DeployError(f"the App's /health at {url} answered {response.status_code}{hint}: "
                          f"{response.text[:300]}")
    return response.json()


def smoke_test(caller: WorkspaceClient, name: str, question: str) -> str:
    """One question through `DatabricksOpenAI(...).responses.create(model="apps/<name>")`."""
    from databricks_openai import DatabricksOpenAI

    client = DatabricksOpenAI(workspace_client=caller)
    try:
        response = client.responses.create(model=f"apps/{name}",
                                           input=[{"role": "user", "content": question}])
    except Exception as exc:  # noqa: BLE001 - re-raised with the step named
        raise DeployError(f"the smoke question to apps/{name} failed: {exc}") from None
    return response.output_text


def _main() -> int:
    """`python -m agent_lib.deploy [spec]`: prepare `app/` for the bundle path."""
    import sys

    spec = sys.argv[1] if len(sys.argv) > 1 else "agent.yml"
    for name in prepare_source(spec):
        print(f"app/{name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())

__all__ = ["DeployError", "DeployOptions", "DeployParams", "DeployResult", "app_state", "build_wheel", "check_health", "deploy_app",
           "oauth_client", "prepare_source", "smoke_test", "source_files"]
