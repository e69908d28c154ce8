"""Genie spaces as MCP tools: `/api/2.0/mcp/genie/{space_id}`.

`query_space_<id>` asks and `poll_response_<id>` reads an answer, over the Genie service (CAN_RUN
on the space; a missing space is 403, as Genie answers). The tool result is the answer as JSON
(ids, status, text, SQL, the first result rows), with `isError` when the answer FAILED.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..core.identity import Principal
from ..core.state import EmulatorState
from ..genie import conversations
from ..genie import models as space_models
from .protocol import ToolFailure, text_result

GENIE_SCOPES = ("genie", "dashboards.genie")
GENIE_MAX_ROWS = 100  # rows of a query result shown to the model


def genie_answer(conversation_id: str, message_id: str, status: str, *, text: str | None = None,
                 sql: str | None = None, description: str | None = None,
                 statement_response: dict[str, Any] | None = None, suggested: list[str] | None = None,
                 error: str | None = None) -> dict[str, Any]:
    """What a Genie tool returns: ids, status, the answer text, the SQL and the first result rows."""
    out: dict[str, Any] = {"conversation_id": conversation_id, "message_id": message_id, "status": status}
    if text:
        out["text"] = text
    if description:
        out["description"] = description
    if sql:
        out["sql"] = sql
    if statement_response:
        manifest = statement_response.get("manifest", {})
        rows = (statement_response.get("result") or {}).get("data_array") or []
        columns = [c["name"] for c in manifest.get("schema", {}).get("columns", [])]
        out["result"] = {"columns": columns, "rows": rows[:GENIE_MAX_ROWS],
                         "row_count": manifest.get("total_row_count", len(rows))}
        if len(rows) > GENIE_MAX_ROWS or manifest.get("truncated"):
            out["result"]["truncated"] = True
    if suggested:
        out["suggested_questions"] = suggested
    if error:
        out["error"] = error
    return out


@dataclass
class GenieServer:
    """A Genie space as MCP tools: `query_space_<id>` asks, `poll_response_<id>` reads an answer.

    The emulated Genie answers at once, so `query_space` returns the finished answer (status
    COMPLETED or FAILED); `poll_response` reads any message of the caller's conversations again.
    CAN_RUN on the space is required (a missing space is 403, as Genie answers).
    """

    state: EmulatorState
    caller: Principal
    space_id: str

    @property
    def name(self) -> str:
        return f"genie-{self.space_id}"

    @property
    def instructions(self) -> str | None:
        doc = space_models.get(self.state, self.space_id)
        return doc.get("description") or None

    def check(self) -> None:
        space_models.require(self.state, self.caller, self.space_id, "CAN_RUN")

    def list_tools(self) -> list[dict[str, Any]]:
        doc = space_models.get(self.state, self.space_id)
        about = f"Genie space '{doc.get('title', self.space_id)}'"
        if doc.get("description"):
            about += f": {doc['description'].strip()}"
        sid = self.space_id
        return [
            {"name": f"query_space_{sid}",
             "description": f"Ask a question in natural language about the data of the {about}. "
                            "Genie writes and runs the SQL and returns the answer with the query and "
                            "its result rows. Pass conversation_id to ask a follow-up question.",
             "inputSchema": {"type": "object", "properties": {
                 "query": {"type": "string", "description": "The question, in natural language."},
                 "conversation_id": {"type": "string", "description": "The conversation of an earlier "
                                     "answer, to ask a follow-up question in it (optional)."}},
                 "required": ["query"]}},
            {"name": f"poll_response_{sid}",
             "description": f"Get the answer to a question asked earlier of the {about}, by the "
                            "conversation_id and message_id that query_space returned.",
             "inputSchema": {"type": "object", "properties": {
                 "conversation_id": {"type": "string", "description": "The conversation id."},
                 "message_id": {"type": "string", "description": "The message id."}},
                 "required": ["conversation_id", "message_id"]}},
        ]

    def call_tool(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        sid = self.space_id
        if name == f"query_space_{sid}":
            query = arguments.get("query")
            if not isinstance(query, str) or not query.strip():
                raise ToolFailure("Missing required argument: query (the question to ask).")
            a = conversations.ask(self.state, self.caller, sid, query,
                                  conversation_id=arguments.get("conversation_id") or None)
            answer = genie_answer(a["conversation_id"], a["message_id"], a["status"], text=a.get("text"),
                                  sql=a.get("sql"), description=a.get("description"),
                                  statement_response=a.get("statement_response"),
                                  suggested=a.get("suggested_questions"), error=a.get("error"))
        elif name == f"poll_response_{sid}":
            cid, mid = arguments.get("conversation_id"), arguments.get("message_id")
            if not isinstance(cid, str) or not isinstance(mid, str) or not cid or not mid:
                raise ToolFailure("Missing required arguments: conversation_id and message_id.")
            answer = self._poll(conversations, cid, mid)
        else:
            raise ToolFailure(f"Unknown tool: {name}. This server's tools are query_space_{sid} "
                              f"and poll_response_{sid}.")
        return text_result(json.dumps(answer, default=str), structured=answer,
                           error=answer["status"] == "FAILED")

    def _poll(self, conversations: Any, cid: str, mid: str) -> dict[str, Any]:
        msg = conversations.get_message(self.state, self.caller, self.space_id, cid, mid)
        status = msg["status"]
        attachments = msg.get("attachments") or []
        text = " ".join(a["text"]["content"] for a in attachments if "text" in a) or None
        query = next((a["query"] for a in attachments if "query" in a), None)
        suggested = next((a["suggested_questions"]["questions"] for a in attachments
                          if "suggested_questions" in a), None)
        statement = None
        if query and status == "COMPLETED":
            statement = conversations.query_result(self.state, self.caller, self.space_id, cid,
                                                   mid)["statement_response"]
        return genie_answer(cid, mid, status, text=text, sql=query.get("query") if query else None,
                            description=query.get("description") if query else None,
                            statement_response=statement, suggested=suggested,
                            error=(msg.get("error") or {}).get("error"))
