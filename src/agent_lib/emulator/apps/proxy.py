"""The Apps front proxy: each App's URL is a listener of its own on 127.0.0.1, as on Databricks.

On Databricks an App lives at the root of its own origin (`https://<app>-<workspace>.databricksapps.com`)
behind a reverse proxy that only lets OAuth callers through. Here every App gets a port; its URL
is `http://127.0.0.1:<port>`. The proxy:

* answers 401 without a token (or with an unknown one), and **302 to `<host>/login?next=...`
  for a PAT**, which is what Databricks does with PATs;
* checks CAN_USE on the App (403 otherwise);
* relaunches the App's process if it is not running (after a restart, or the demo's lazy App);
* forwards the request without the caller's `Authorization`, adding `x-forwarded-email`,
  `x-forwarded-user`, `x-forwarded-preferred-username`, `x-forwarded-host`, `x-real-ip`,
  `x-request-id`, and `x-forwarded-access-token` (a new OAuth token for the same caller narrowed to
  the App's effective user API scopes) when the App declares `user_api_scopes`;
* streams the response back chunk by chunk (server-sent events pass through).

Listeners start on demand (`ensure_listener`, which rendering an App's `url` calls) and try to
keep the port they had before a restart.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
import uuid
from typing import Any
from urllib.parse import quote

from ..core import latency
from ..core.net import listen_loopback
from ..core.state import WORKSPACE_ID, EmulatorState
from . import runner
from .process import LaunchError, Unavailable, runtime
from .records import APPS

log = logging.getLogger("agent_lib.emulator.apps")

TOKEN_TTL_SECONDS = 3600
_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
        "trailers", "transfer-encoding", "upgrade"}
_STRIP_IN = _HOP | {"host", "authorization", "content-length", "x-real-ip", "x-request-id",
                    "forwarded"}


class Listener:
    """One App's proxy: a uvicorn server on its own socket and thread."""

    def __init__(self, state: EmulatorState, name: str, port_hint: int | None = None) -> None:
        import uvicorn

        self.name = name
        self.sock = _bind(port_hint)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.client: Any = None  # httpx.AsyncClient, created in the server's loop
        config = uvicorn.Config(_asgi(state, name, self), log_level="warning", access_log=False,
                                lifespan="off", timeout_graceful_shutdown=1, server_header=False,
                                date_header=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self._run, daemon=True, name=f"app-proxy-{name}")
        self.thread.start()

    def _run(self) -> None:
        try:
            self.server.run(sockets=[self.sock])
        except Exception:  # pragma: no cover - logged, the listener is simply gone
            log.exception("app %s: proxy stopped", self.name)

    @property
    def running(self) -> bool:
        return self.thread.is_alive() and not self.server.should_exit

    def signal_stop(self) -> None:
        self.server.should_exit = True

    def join(self, timeout: float = 5.0) -> None:
        self.thread.join(timeout)
        try:
            self.sock.close()
        except OSError:
            pass

    def stop(self) -> None:
        self.signal_stop()
        self.join()


def _bind(port_hint: int | None) -> socket.socket:
    for port in ([port_hint] if port_hint else []) + [0]:
        try:
            return listen_loopback(port)
        except OSError:
            continue
    raise OSError("no free port for the App's proxy")


def ensure_listener(state: EmulatorState, name: str) -> str:
    """The App's URL, its listener started if needed (on the port it had before, when free)."""
    rt = runtime(state)
    doc = state.store.get(APPS, name)
    hint = doc.get("_proxy_port") if doc else None
    with rt.lock:
        listener = rt.listeners.get(name)
        if listener is not None and listener.running:
            return listener.url
        listener = Listener(state, name, hint)
        rt.listeners[name] = listener
    if doc is not None and hint != listener.port:
        with state.store.transaction():
            fresh = state.store.get(APPS, name)
            if fresh is not None:
                fresh["_proxy_port"] = listener.port
                state.store.put(APPS, name, fresh)
    return listener.url


def stop_listener(state: EmulatorState, name: str) -> None:
    rt = runtime(state)
    with rt.lock:
        listener = rt.listeners.pop(name, None)
    if listener is not None:
        listener.stop()


# -- the proxy itself -----------------------------------------------------------------------------
def _error(status: int, code: str, message: str) -> Any:
    from starlette.responses import JSONResponse

    return JSONResponse({"error_code": code, "message": message}, status_code=status)


def _forwarded_token(state: EmulatorState, principal: Any, app: dict[str, Any]) -> str | None:
    """A fresh OAuth token for the caller, limited to the App's effective user API scopes (cached)."""
    scopes = app.get("effective_user_api_scopes") or app.get("user_api_scopes")
    if not scopes:
        return None
    if principal.scopes is not None and "all-apis" not in principal.scopes:
        scopes = [s for s in scopes if s in principal.scopes]
    rt = runtime(state)
    key = (principal.id, app["name"], tuple(scopes))
    cached = rt.tokens.get(key)
    now = time.time()
    if cached and cached[1] - now > 300:
        return cached[0]
    token = state.identities.issue(principal.id, scopes=list(scopes), kind="oauth",
                                   ttl_seconds=TOKEN_TTL_SECONDS,
                                   extra={"app": app["name"], "user_authorization": True})
    rt.tokens[key] = (token, now + TOKEN_TTL_SECONDS)
    return token


def _asgi(state: EmulatorState, name: str, listener: Listener) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http":
            return
        from starlette.requests import Request

        request = Request(scope, receive)
        try:
            response = await _handle(state, name, listener, request)
        except Exception as exc:  # never a bare 500 without a body
            log.exception("app %s: proxy error", name)
            response = _error(502, "BAD_GATEWAY", f"The App's proxy failed: {exc}")
        await response(scope, receive, send)

    return latency.wrap_app_proxy(state, app)  # benchmarks: App calls get the injected tool latency


async def _handle(state: EmulatorState, name: str, listener: Listener, request: Any) -> Any:
    import anyio
    import httpx
    from starlette.background import BackgroundTask
    from starlette.responses import RedirectResponse, StreamingResponse

    auth = request.headers.get("authorization")
    if not auth:
        return _error(401, "UNAUTHENTICATED",
                      "Unauthorized: calling a Databricks App needs an OAuth access token "
                      "(Authorization: Bearer <token>).")
    scheme, _, token = auth.partition(" ")
    principal = state.identities.resolve(token.strip()) if scheme.lower() == "bearer" else None
    if principal is None:
        return _error(401, "UNAUTHENTICATED", "Invalid access token.")
    if not principal.token_kind.startswith("oauth"):
        # Databricks Apps do not accept PATs: the browser-style answer is a redirect to log in.
        nxt = quote(str(request.url), safe="")
        return RedirectResponse(f"{state.host}/login?next={nxt}", status_code=302)
    app = state.store.get(APPS, name)
    if app is None:
        return _error(404, "RESOURCE_DOES_NOT_EXIST", f"App with name {name} does not exist or is deleted.")
    if not state.acls.allows(principal, "apps", name, "CAN_USE"):
        return _error(403, "PERMISSION_DENIED",
                      f"User {principal.name} does not have CAN_USE permission on app {name}.")
    try:
        port = await anyio.to_thread.run_sync(runner.ensure_running, state, name)
    except Unavailable as exc:
        return _error(503, "TEMPORARILY_UNAVAILABLE", f"App Not Available: {exc}")
    except LaunchError as exc:
        return _error(502, "BAD_GATEWAY", f"App Not Available: the App failed to start. {exc}")

    headers = [(k, v) for k, v in request.headers.items()
               if k.lower() not in _STRIP_IN and not k.lower().startswith("x-forwarded-")]
    client_ip = request.client.host if request.client else "127.0.0.1"
    headers += [
        ("x-forwarded-host", request.headers.get("host", listener.url.split("://", 1)[1])),
        ("x-forwarded-proto", request.url.scheme),
        ("x-forwarded-for", client_ip),
        ("x-real-ip", client_ip),
        ("x-forwarded-user", f"{principal.id}@{WORKSPACE_ID}"),
        ("x-forwarded-email", principal.name),
        ("x-forwarded-preferred-username", principal.name),
        ("x-request-id", str(uuid.uuid4())),
    ]
    obo = await anyio.to_thread.run_sync(_forwarded_token, state, principal, app)
    if obo:
        headers.append(("x-forwarded-access-token", obo))
    body = await request.body()
    if listener.client is None:
        listener.client = httpx.AsyncClient(timeout=httpx.Timeout(10.0, read=None, write=60.0),
                                            follow_redirects=False, trust_env=False)
    target = f"http://127.0.0.1:{port}{request.url.path}"
    if request.url.query:
        target += f"?{request.url.query}"
    upstream_req = listener.client.build_request(request.method, target, headers=headers, content=body)
    try:
        upstream = await listener.client.send(upstream_req, stream=True)
    except httpx.HTTPError as exc:
        return _error(502, "BAD_GATEWAY", f"App Not Available: the App did not answer ({exc}).")
    response = StreamingResponse(upstream.aiter_raw(), status_code=upstream.status_code,
                                 background=BackgroundTask(upstream.aclose))
    response.raw_headers = [(k.encode("latin-1"), v.encode("latin-1"))
                            for k, v in upstream.headers.multi_items() if k.lower() not in _HOP]
    return response
