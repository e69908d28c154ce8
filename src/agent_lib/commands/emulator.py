"""`agent-lib emulator`: run the emulated workspace; `token` and `model` talk to a running one."""

from __future__ import annotations

import argparse

from .options import port, state_folder


def add_parser(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    emu = commands.add_parser("emulator", help="run the emulated Databricks workspace until stopped")
    emu.add_argument("--port", type=port, default=0, help="port on 127.0.0.1 (0 = a free one)")
    emu.add_argument("--state", default=".agent_lib", help="folder of the SQLite state file")
    emu_sub = emu.add_subparsers(dest="emulator_command", metavar="{token,model}")
    tok = emu_sub.add_parser(
        "token", help="print a token from a running emulated workspace",
        description="Print one token, minted by the running emulated workspace whose DATABRICKS_HOST and "
                    "admin DATABRICKS_TOKEN are in the environment. Default: an OAuth token for the admin "
                    "with the all-apis scope (deployed Apps accept only OAuth). Use it as "
                    "export DATABRICKS_TOKEN=$(agent-lib emulator token --user alice@example.com).")
    tok.add_argument("--user", default="admin@example.com",
                     help="user to act as (demo users: admin@, alice@, bob@example.com)")
    tok.add_argument("--scopes", default="all-apis",
                     help="comma-separated OAuth scopes, e.g. ai-gateway,genie,sql (default all-apis)")
    tok.add_argument("--pat", action="store_true", help="a personal access token instead (no scopes)")
    tok.add_argument("--host", default="", help="the emulated workspace (default: $DATABRICKS_HOST)")
    tok.set_defaults(func=run_token)
    mod = emu_sub.add_parser(
        "model", help="show or choose the model behind a foundation-model endpoint",
        description="Show (no option), replace (--passthrough) or restore (--reference) the model that answers "
                    "a foundation-model endpoint of the running emulated workspace. Passthrough forwards each "
                    "turn to an OpenAI-compatible server (a local LLM, say) as a chat completion.")
    mod.add_argument("endpoint", nargs="?", default="databricks-claude-sonnet-4-5",
                     help="serving endpoint (default: the demo agent's model)")
    mod.add_argument("--passthrough", default="", metavar="URL",
                     help="OpenAI-compatible base URL, e.g. http://127.0.0.1:11434/v1")
    mod.add_argument("--model", default="", help="the upstream model's name (with --passthrough)")
    mod.add_argument("--api-key-env", default="",
                     help="environment variable (of the emulator's process) holding the upstream API key")
    mod.add_argument("--reference", action="store_true", help="back to the deterministic reference model")
    mod.add_argument("--host", default="", help="the emulated workspace (default: $DATABRICKS_HOST)")
    mod.set_defaults(func=run_model)
    return emu


def run(args: argparse.Namespace) -> int:
    from ..emulator.embedded import serve_forever

    serve_forever(state_folder(args.state), port=args.port)
    return 0


def run_token(args: argparse.Namespace) -> int:
    """Ask a running emulated workspace (admin credentials from the environment) for another token."""
    from ..errors import AgentLibError

    scopes = None if args.pat else [s.strip() for s in args.scopes.split(",") if s.strip()]
    if scopes is not None and not scopes:
        raise AgentLibError("--scopes is empty: name at least one scope (e.g. all-apis), or use --pat")
    answer = _ask_running_emulator(args.host, "POST", "/_emulator/tokens",
                                   {"user_name": args.user, "scopes": scopes})
    print(answer["token_value"])
    return 0


def run_model(args: argparse.Namespace) -> int:
    """Choose which model answers a foundation-model endpoint of a running emulated workspace."""
    import json

    from ..errors import AgentLibError

    if args.passthrough:
        if not args.model:
            raise AgentLibError("--passthrough needs --model, the upstream model's name (e.g. llama3.1)")
        body = {"kind": "passthrough", "base_url": args.passthrough, "model": args.model}
        if args.api_key_env:
            body["api_key_env"] = args.api_key_env
        method = "PUT"
    elif args.reference:
        body, method = {}, "DELETE"
    else:
        body, method = {}, "GET"
    answer = _ask_running_emulator(args.host, method, f"/_emulator/models/{args.endpoint}", body or None)
    print(json.dumps(answer))
    return 0


def _ask_running_emulator(host: str, method: str, path: str, body: dict | None) -> dict:
    """One admin call to the emulated workspace whose host and admin token are in the environment."""
    import os

    from ..errors import AgentLibError
    from ..workspace import client_for

    host = host or os.environ.get("DATABRICKS_HOST", "")
    admin = os.environ.get("DATABRICKS_TOKEN", "")
    if not host or not admin:
        raise AgentLibError("needs the running emulated workspace's DATABRICKS_HOST (or --host) and its "
                            "admin DATABRICKS_TOKEN in the environment: export the two lines "
                            "`agent-lib emulator` printed")
    client = client_for(host, admin)
    try:
        return client.api_client.do(method, path, body=body)
    except Exception as exc:  # the SDK's errors carry the emulator's reason; never the token
        raise AgentLibError(f"the emulated workspace refused: {exc}") from None
