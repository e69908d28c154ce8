"""Conversation history as the Supervisor API sees it: the checks it makes, and what the model is shown.

Input is the whole conversation every turn (no `previous_response_id`): user messages, the
assistant's messages, executed calls (`function_call` + `function_call_output`), approval requests
and their answers. The model is shown messages and call pairs only; an answered approval that has
not run yet is handed back to the loop to carry out.
"""

from __future__ import annotations

from typing import Any

from ..errors import SupervisorError
from .result import InputItems

_TEXT_PARTS = ("input_text", "output_text", "text")


def check_history(items: InputItems) -> None:
    """Reject histories upstream rejects: orphan calls/outputs, approval responses without a request."""
    calls = {i.get("call_id") for i in items if i.get("type") == "function_call"}
    outputs = {i.get("call_id") for i in items if i.get("type") == "function_call_output"}
    requests = {i.get("id") for i in items if i.get("type") == "mcp_approval_request"}
    for i, item in enumerate(items):
        kind = item.get("type")
        if kind == "function_call" and item.get("call_id") not in outputs:
            raise SupervisorError(f"No tool output found for function call {item.get('call_id')} "
                                  f"(input[{i}]); append its function_call_output", cause="request")
        if kind == "function_call_output" and item.get("call_id") not in calls:
            raise SupervisorError(f"No tool call found for function call output with call_id "
                                  f"{item.get('call_id')} (input[{i}])", cause="request")
        if kind == "mcp_approval_response" and item.get("approval_request_id") not in requests:
            raise SupervisorError(f"No approval request found for approval_request_id "
                                  f"{item.get('approval_request_id')} (input[{i}]); echo the "
                                  "mcp_approval_request item before its response", cause="request")


def _content(content: Any) -> Any:
    """Message content for the model: text parts joined to a string, other content untouched."""
    texts = isinstance(content, list) and all(isinstance(p, dict) and p.get("type") in _TEXT_PARTS
                                              for p in content)
    if texts:
        return "".join(str(p.get("text", "")) for p in content)
    return content


def model_history(items: InputItems) -> tuple[InputItems, list[tuple[dict[str, Any], dict[str, Any]]]]:
    """(what the model sees, approvals answered in `items` but not yet carried out).

    Messages and function call pairs pass (minimal fields); approval requests and responses are
    not model input: an answered one becomes a call + output pair once it has run (its `call_id`
    is the request id, which is how a later turn knows it already ran).
    """
    done = {i.get("call_id") for i in items if i.get("type") == "function_call_output"}
    requests = {i["id"]: i for i in items if i.get("type") == "mcp_approval_request" and "id" in i}
    history: InputItems = []
    pending: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for item in items:
        kind = item.get("type")
        if kind == "message":
            history.append({"type": "message", "role": item.get("role", "user"),
                            "content": _content(item.get("content", ""))})
        elif kind == "function_call":
            history.append({"type": "function_call", "call_id": item["call_id"], "name": item["name"],
                            "arguments": item.get("arguments") or "{}"})
        elif kind == "function_call_output":
            history.append({"type": "function_call_output", "call_id": item["call_id"],
                            "output": item.get("output", "")})
        elif kind == "mcp_approval_response":
            request = requests.get(item.get("approval_request_id", ""))
            if request is not None and request["id"] not in done:
                pending.append((request, item))
                done.add(request["id"])
    return history, pending


__all__ = ["check_history", "model_history"]
