"""`app`: another Databricks App (an agent), called as `apps/<name>` through `DatabricksOpenAI`.

databricks-openai looks the App's URL up with `w.apps.get` and posts a Responses request to
`<url>/responses`; Apps require OAuth, so a PAT-authenticated client is exchanged for an OAuth token
first. Calls need the user's approval (`mcp_approval_request`) unless the App is trusted
(`auto_approve`). Upstream does not support `app` tools on behalf of a user.
"""

from __future__ import annotations

import threading
from typing import Any

from .base import Executor, FunctionTool, ToolFailure, question_schema, require_question
from .naming import app_tool_name


class AppExecutor(Executor):
    requires_approval = True

    def __init__(self, tool: Any, context: Any) -> None:
        super().__init__(tool, context)
        self.name = app_tool_name(tool.ref)
        self._client: Any = None
        self._lock = threading.Lock()

    def functions(self) -> list[FunctionTool]:
        doc = (f"Call it with `question`: one self-contained request in plain language; the App "
               f"{self.tool.ref} answers it in text.")
        return [FunctionTool(self.name, self.describe(doc), question_schema(
            "The request for the App, self-contained (no references to earlier messages)."))]

    def _openai(self) -> Any:
        from .openai_clients import model_client, oauth_workspace_client

        with self._lock:
            if self._client is None:
                self._client = model_client(oauth_workspace_client(self.context.workspace_client),
                                            self.context.timeout_s)
            return self._client

    def call(self, name: str, arguments: dict[str, Any]) -> str:
        question = require_question(arguments)
        client = self._openai()
        try:
            message = {"type": "message", "role": "user", "content": question}
            response = self.context.retry.call(lambda: client.responses.create(
                model=f"apps/{self.tool.ref}", input=[message]))
        except ValueError as exc:  # databricks-openai wraps App errors (lookup, OAuth, status) in ValueError
            raise ToolFailure(str(exc)) from None
        texts = [part.text for item in response.output if item.type == "message"
                 for part in item.content if getattr(part, "text", None)]
        if not texts:
            raise ToolFailure(f"App {self.tool.ref} returned no text")
        return "\n\n".join(texts)


__all__ = ["AppExecutor"]
