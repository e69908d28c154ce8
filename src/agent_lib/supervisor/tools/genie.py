"""`genie_space`: ask the space through the Genie Conversation API (databricks-sdk `w.genie`).

One call starts a conversation with the question and waits for Genie's answer; the output is JSON
with Genie's text answer, the SQL it ran and the result table (first `MAX_ROWS` rows):

    {"answer": "...", "sql": "SELECT ...", "columns": ["region", "revenue"], "rows": [["West", "1200.0"]]}
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from .base import Executor, FunctionTool, ToolFailure, question_schema, require_question
from .naming import genie_tool_name

MAX_ROWS = 50

_DOC = ("Call it with `question`: one self-contained data question in plain language (metrics, filters, "
        "time range). Genie writes and runs the SQL and returns its answer, the SQL and the result table.")


class GenieExecutor(Executor):
    def __init__(self, tool: Any, context: Any, *, name_length: int = 8) -> None:
        super().__init__(tool, context)
        self.name = genie_tool_name(tool.ref, name_length)

    def functions(self) -> list[FunctionTool]:
        return [FunctionTool(self.name, self.describe(_DOC), question_schema(
            "The data question for this Genie space, self-contained: say which metric, filters and "
            "time range."))]

    def call(self, name: str, arguments: dict[str, Any]) -> str:
        from databricks.sdk.errors import OperationFailed

        question = require_question(arguments)
        w = self.context.workspace_client
        space_id = self.tool.ref
        # Only starting is repeated on 429/503: repeating the whole wait would ask the question twice.
        wait = self.context.retry.call(lambda: w.genie.start_conversation(space_id, question))
        polled: list[Any] = []
        try:
            message = wait.result(timeout=timedelta(seconds=self.context.timeout_s), callback=polled.append)
        except OperationFailed:
            error = getattr(polled[-1].error, "error", None) if polled and polled[-1].error else None
            raise ToolFailure(f"Genie space {space_id} could not answer: its message ended FAILED"
                              + (f": {error}" if error else "")) from None
        except TimeoutError:
            raise ToolFailure(f"Genie space {space_id} did not answer within "
                              f"{self.context.timeout_s:g} s") from None
        if message.error is not None and getattr(message.error, "error", None):
            raise ToolFailure(f"Genie space {space_id} failed: {message.error.error}")
        result: dict[str, Any] = {}
        texts: list[str] = []
        for attachment in message.attachments or []:
            if attachment.text is not None and attachment.text.content:
                texts.append(attachment.text.content)
            if attachment.query is not None:
                query = attachment.query
                if query.description:
                    texts.append(query.description)
                if query.query:
                    result["sql"] = query.query
                if attachment.attachment_id:
                    result.update(self._table(space_id, message.conversation_id, message.message_id,
                                              attachment.attachment_id))
        result = {"answer": "\n\n".join(texts), **result}
        return json.dumps(result, default=str)

    def _table(self, space_id: str, conversation_id: str, message_id: str,
               attachment_id: str) -> dict[str, Any]:
        w = self.context.workspace_client
        got = self.context.retry.call(lambda: w.genie.get_message_attachment_query_result(
            space_id, conversation_id, message_id, attachment_id))
        statement = got.statement_response
        if statement is None:
            return {}
        columns = [c.name for c in (statement.manifest.schema.columns or [])] if (
            statement.manifest and statement.manifest.schema) else []
        rows = (statement.result.data_array or []) if statement.result else []
        table: dict[str, Any] = {"columns": columns, "rows": rows[:MAX_ROWS]}
        total = statement.manifest.total_row_count if statement.manifest else None
        if len(rows) > MAX_ROWS or (total is not None and total > MAX_ROWS):
            table["truncated"] = True
            table["row_count"] = total if total is not None else len(rows)
        return table


__all__ = ["GenieExecutor"]
