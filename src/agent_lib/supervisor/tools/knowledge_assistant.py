"""`knowledge_assistant`: ask an Agent Bricks Knowledge Assistant through its serving endpoint.

The assistant's endpoint comes from `w.knowledge_assistants.get_knowledge_assistant` (its
`endpoint_name`); the question goes to that endpoint as a Responses request through
`DatabricksOpenAI`. The output is the assistant's answer, then its sources when it cites any:

    {"answer": "Refunds are accepted within 30 days ...", "sources": [{"title": "refund-policy.md", ...}]}
"""

from __future__ import annotations

import json
import threading
from typing import Any

from .base import Executor, FunctionTool, ToolFailure, question_schema, require_question
from .naming import knowledge_assistant_tool_name

_DOC = ("Call it with `question`: one self-contained question in plain language. The Knowledge Assistant "
        "answers from its documents and cites the sources it used.")


class KnowledgeAssistantExecutor(Executor):
    def __init__(self, tool: Any, context: Any, *, name_length: int = 8) -> None:
        super().__init__(tool, context)
        self.name = knowledge_assistant_tool_name(tool.ref, name_length)
        self._endpoint: str | None = None
        self._lock = threading.Lock()

    def functions(self) -> list[FunctionTool]:
        return [FunctionTool(self.name, self.describe(_DOC), question_schema(
            "The question for the Knowledge Assistant, self-contained (no references to earlier messages)."))]

    def endpoint(self) -> str:
        """The assistant's serving endpoint name (looked up once)."""
        with self._lock:
            if self._endpoint is None:
                w = self.context.workspace_client
                name = f"knowledge-assistants/{self.tool.ref}"
                ka = self.context.retry.call(lambda: w.knowledge_assistants.get_knowledge_assistant(name))
                if not ka.endpoint_name:
                    state = getattr(ka.state, "value", ka.state)
                    raise ToolFailure(f"Knowledge Assistant {self.tool.ref} has no serving endpoint yet "
                                      f"(state {state}); wait until it is ACTIVE")
                self._endpoint = ka.endpoint_name
            return self._endpoint

    def call(self, name: str, arguments: dict[str, Any]) -> str:
        from .openai_clients import model_client

        question = require_question(arguments)
        endpoint = self.endpoint()
        client = model_client(self.context.workspace_client, self.context.timeout_s)
        # a question has no side effects: an answer that broke off is asked again
        response = self.context.retry.call(lambda: client.responses.create(
            model=endpoint, input=[{"type": "message", "role": "user", "content": question}]), broken=True)
        answer, sources = [], []
        for item in response.output:
            if item.type != "message":
                continue
            for part in item.content:
                if getattr(part, "text", None):
                    answer.append(part.text)
                for note in getattr(part, "annotations", None) or []:
                    source = {k: v for k, v in note.model_dump(mode="json", warnings=False).items()
                              if k in ("title", "url", "filename", "file_id") and v}
                    if source and source not in sources:
                        sources.append(source)
        if not answer:
            raise ToolFailure(f"Knowledge Assistant endpoint {endpoint} returned no answer")
        result: dict[str, Any] = {"answer": "\n\n".join(answer)}
        if sources:
            result["sources"] = sources
        return json.dumps(result)


__all__ = ["KnowledgeAssistantExecutor"]
