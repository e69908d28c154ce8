"""The Apps front proxy: OAuth only (PAT -> 302, none -> 401), CAN_USE, forwarded identity headers,
the narrowed user token, streaming, the App's own OAuth M2M identity, and `apps/<name>` through
DatabricksOpenAI."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from databricks.sdk.service.apps import App, AppAccessControlRequest, AppDeployment, AppPermissionLevel
from databricks.sdk.service.workspace import ImportFormat

from agent_lib.emulator.core import demo_ids

pytestmark = pytest.mark.slow

WAIT = timedelta(seconds=30)
SCOPES = ["serving.serving-endpoints", "sql"]

# Echoes what reached it; /sse streams three events 0.3 s apart; /me is the App's own identity.
ECHO_APP = r'''
import json, os, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def _json(self, body, status=200):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/health":
            return self._json({"status": "ok"})
        if self.path == "/sse":
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            for i in range(3):
                self.wfile.write(f"event: tick\ndata: {i}\n\n".encode())
                self.wfile.flush()
                time.sleep(0.3)
            return
        if self.path == "/me":
            from databricks.sdk import WorkspaceClient
            w = WorkspaceClient()
            try:
                me = w.current_user.me()
                return self._json({"auth_type": w.config.auth_type, "user_name": me.user_name})
            except Exception as exc:
                return self._json({"auth_type": w.config.auth_type, "error": str(exc)}, 500)
        return self._json({"method": "GET", "path": self.path, "headers": dict(self.headers.items())})

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode()
        self._json({"method": "POST", "path": self.path, "body": body,
                    "headers": dict(self.headers.items())}, status=201)


ThreadingHTTPServer(("127.0.0.1", int(os.environ["DATABRICKS_APP_PORT"])), H).serve_forever()
'''


def _deploy(admin, name: str, **app_fields) -> App:
    folder = f"/Users/admin@example.com/{name}"
    admin.workspace.mkdirs(folder)
    admin.workspace.upload(f"{folder}/app.py", ECHO_APP.encode(), format=ImportFormat.AUTO, overwrite=True)
    admin.apps.create_and_wait(App(name=name, **app_fields), timeout=WAIT)
    admin.apps.deploy_and_wait(name, AppDeployment(source_code_path=folder), timeout=WAIT)
    return admin.apps.get(name)


@pytest.fixture(scope="module")
def echo(emulator, admin):
    app = _deploy(admin, f"t-echo-{uuid.uuid4().hex[:8]}", user_api_scopes=SCOPES)
    yield app
    admin.apps.delete(app.name)


def _oauth(emulator, user: str = "admin@example.com", scopes=("all-apis",)) -> str:
    doc = emulator.state.identities.find("user", user) or emulator.state.identities.add_user(user)
    return emulator.state.identities.issue(doc["id"], kind="oauth", scopes=list(scopes))


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def oauth_client(host: str, token: str):
    """A WorkspaceClient whose auth is OAuth (what DatabricksOpenAI demands for `apps/<name>`)."""
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.credentials_provider import OAuthCredentialsProvider, OauthCredentialsStrategy
    from databricks.sdk.oauth import Token

    def provider(_cfg):
        return OAuthCredentialsProvider(lambda: {"Authorization": f"Bearer {token}"},
                                        lambda: Token(access_token=token, token_type="Bearer"))

    return WorkspaceClient(host=host, credentials_strategy=OauthCredentialsStrategy("oauth-test", provider))


# -- who may call ---------------------------------------------------------------------------------------
def test_no_token_is_401_and_unknown_token_is_401(echo):
    r = httpx.get(f"{echo.url}/anything")
    assert r.status_code == 401 and r.json()["error_code"] == "UNAUTHENTICATED"
    assert httpx.get(f"{echo.url}/", headers=_h("eyJnotatoken")).status_code == 401


def test_pat_is_redirected_to_login(emulator, echo):
    r = httpx.get(f"{echo.url}/some/page?x=1", headers=_h(emulator.token))
    assert r.status_code == 302
    loc = urlparse(r.headers["location"])
    assert f"{loc.scheme}://{loc.netloc}" == emulator.host and loc.path == "/login"
    assert parse_qs(loc.query)["next"] == [f"{echo.url}/some/page?x=1"]
    followed = httpx.get(f"{echo.url}/", headers=_h(emulator.token), follow_redirects=True)
    assert followed.status_code == 200 and "OAuth" in followed.text  # a sign-in page, not the App


def test_can_use_is_required(emulator, admin, echo):
    bob = "bob@example.com"
    r = httpx.get(f"{echo.url}/", headers=_h(_oauth(emulator, bob)))
    assert r.status_code == 403 and "CAN_USE" in r.json()["message"]
    admin.apps.update_permissions(echo.name, access_control_list=[AppAccessControlRequest(
        user_name=bob, permission_level=AppPermissionLevel.CAN_USE)])
    r = httpx.get(f"{echo.url}/", headers=_h(_oauth(emulator, bob)))
    assert r.status_code == 200
    assert {k.lower(): v for k, v in r.json()["headers"].items()}["x-forwarded-email"] == bob


# -- what the App receives ------------------------------------------------------------------------------
def test_forwarded_headers_and_narrowed_user_token(emulator, echo):
    token = _oauth(emulator)
    r = httpx.post(f"{echo.url}/invocations?q=1", headers={**_h(token), "X-Forwarded-Email": "evil@x.com",
                                                          "X-Custom": "kept"},
                   json={"input": [{"role": "user", "content": "hi"}]})
    assert r.status_code == 201
    got = r.json()
    assert got["path"] == "/invocations?q=1" and '"hi"' in got["body"]
    headers = {k.lower(): v for k, v in got["headers"].items()}
    assert "authorization" not in headers  # Databricks does not forward the caller's token
    assert headers["x-forwarded-email"] == "admin@example.com"
    assert headers["x-forwarded-preferred-username"] == "admin@example.com"
    admin_id = emulator.state.identities.find("user", "admin@example.com")["id"]
    assert headers["x-forwarded-user"].startswith(f"{admin_id}@")
    assert headers["x-custom"] == "kept" and uuid.UUID(headers["x-request-id"])
    forwarded = headers["x-forwarded-access-token"]
    assert forwarded != token
    principal = emulator.state.identities.resolve(forwarded)
    assert principal.name == "admin@example.com" and principal.token_kind == "oauth"
    assert set(principal.scopes) == set(echo.effective_user_api_scopes)
    assert set(SCOPES) <= set(principal.scopes) and "all-apis" not in principal.scopes
    # the forwarded token is really narrowed: outside its scopes the workspace refuses it
    r = httpx.get(f"{emulator.host}/api/2.0/apps", headers=_h(forwarded))
    assert r.status_code == 403


def test_no_user_api_scopes_no_forwarded_token(emulator, admin):
    app = _deploy(admin, f"t-noobo-{uuid.uuid4().hex[:6]}")
    try:
        headers = httpx.get(f"{app.url}/", headers=_h(_oauth(emulator))).json()["headers"]
        assert "x-forwarded-access-token" not in {k.lower() for k in headers}
        assert {k.lower() for k in headers} >= {"x-forwarded-email", "x-request-id"}
    finally:
        admin.apps.delete(app.name)


def test_server_sent_events_stream_through(emulator, echo):
    arrivals = []
    t0 = time.monotonic()
    with httpx.stream("GET", f"{echo.url}/sse", headers=_h(_oauth(emulator)), timeout=10) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            if line.startswith("data:"):
                arrivals.append((line, time.monotonic() - t0))
    assert [a[0] for a in arrivals] == ["data: 0", "data: 1", "data: 2"]
    assert arrivals[-1][1] - arrivals[0][1] > 0.45  # chunk by chunk, not buffered to the end


def test_the_apps_own_client_is_its_service_principal(emulator, echo):
    r = httpx.get(f"{echo.url}/me", headers=_h(_oauth(emulator)), timeout=30)
    body = r.json()
    assert body["auth_type"] == "oauth-m2m", body
    assert r.status_code == 200, body
    assert body["user_name"] == echo.service_principal_client_id


# -- the demo helpdesk App through DatabricksOpenAI -------------------------------------------------------
@pytest.fixture(scope="module")
def openai_client(emulator):
    from databricks_openai import DatabricksOpenAI  # slow import: once per module

    w = oauth_client(emulator.host, _oauth(emulator))
    return DatabricksOpenAI(workspace_client=w, max_retries=0)


def test_helpdesk_answers_through_databricks_openai(openai_client):
    model = f"apps/{demo_ids.HELPDESK_APP}"
    resp = openai_client.responses.create(model=model, input="How do I reset my password?")
    assert "password.example.com" in resp.output_text
    resp = openai_client.responses.create(model=model, input=[
        {"role": "user", "content": "My VPN keeps disconnecting when I work from home"}])
    assert "GlobalProtect" in resp.output_text
    resp = openai_client.responses.create(model=model, input="What is the capital of France?")
    assert resp.output_text.startswith("I don't know")
    stream = openai_client.responses.create(model=model, input="How do I set up MFA on a new phone?",
                                            stream=True)
    events = list(stream)
    assert events[0].type == "response.created" and events[-1].type == "response.completed"
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert "Authenticator" in text and text == events[-1].response.output_text


def test_databricks_openai_refuses_pat_for_apps(emulator):
    from databricks_openai import DatabricksOpenAI

    client = DatabricksOpenAI(workspace_client=emulator.client(), max_retries=0)
    with pytest.raises(ValueError, match="OAuth"):
        client.responses.create(model=f"apps/{demo_ids.HELPDESK_APP}", input="hi")
