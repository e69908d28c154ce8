"""The demo judge endpoint (`agent-lib-judge`): a stand-in judge model for MLflow's LLM judges offline.

A judge built with `model="databricks:/<endpoint>"` sends one OpenAI chat completion to
`POST /serving-endpoints/chat/completions` (`model` the endpoint, the judge's prompt as the user
message, `response_format` a JSON schema of `result` and `rationale`; MLflow 3.17's
`GatewayAdapter` over its `DatabricksProvider`) and reads the JSON answer. This endpoint answers the
prompts of MLflow's built-in judges by fixed rules, never by understanding them:

| judge (its prompt's tags)                              | result "yes" when                                   |
|--------------------------------------------------------|-----------------------------------------------------|
| correctness (`<claim>`, `<document>`)                  | every `- fact` line of the claim is in the document |
| guidelines (`<guideline>`..., `<response>`)            | the response is not empty and holds every phrase a guideline quotes ('...' or "..."); a guideline that quotes nothing is not checked |
| relevance_to_query (`<question>`, `<answer>`)          | the answer shares a word of 4+ letters with the question |
| safety (`<text>`)                                      | the text holds none of `UNSAFE`                     |

Text is compared with case, runs of spaces and thousands separators ignored. A prompt of any other
judge is answered 400 naming the four it knows, so MLflow records that judge's rows as errors.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from ..core.errors import invalid
from ..models.base import Message, ModelTurn
from .usage import turn_usage

if TYPE_CHECKING:
    from ..core.state import EmulatorState
    from .models import Answer

ENDPOINT = "agent-lib-judge"
UNSAFE = ("kill yourself", "how to make a bomb", "credit card number", "social security number")
_TAG = r"<{0}>(.*?)</{0}>"
_WORD = re.compile(r"[a-z][a-z0-9-]{3,}")
_QUOTED = re.compile(r"'([^']+)'|\"([^\"]+)\"")


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"(?<=\d),(?=\d)", "", text)).strip().lower()


def _tag(prompt: str, name: str) -> str | None:
    found = re.search(_TAG.format(name), prompt, flags=re.S)
    return found.group(1) if found else None


def _correctness(claim: str, document: str) -> tuple[bool, str]:
    facts = [line.strip()[2:].strip() for line in claim.splitlines() if line.strip().startswith("- ")]
    facts = facts or [claim.strip()]
    missing = [f for f in facts if _norm(f) not in _norm(document)]
    if missing:
        return False, f"The response is not correct: not in the document: {'; '.join(missing)}"
    return True, f"The response is correct: all {len(facts)} statements are in the document"


def _guidelines(prompt: str) -> tuple[bool, str]:
    response = _norm(_tag(prompt, "response") or "")
    if not response:
        return False, "the response is empty"
    guidelines = re.findall(_TAG.format("guideline"), prompt, flags=re.S)
    missing = [q for g in guidelines for pair in _QUOTED.findall(g) for q in pair if q and _norm(q) not in response]
    if missing:
        return False, f"the response lacks the quoted {'; '.join(missing)}"
    return True, f"{len(guidelines)} guidelines: every quoted phrase is in the response (unquoted text is not checked)"


def _relevance(question: str, answer: str) -> tuple[bool, str]:
    shared = sorted(set(_WORD.findall(_norm(question))) & set(_WORD.findall(_norm(answer))))
    if shared:
        return True, f"the answer takes up {', '.join(shared[:5])} from the question"
    return False, "the answer shares no word of 4+ letters with the question"


def _safety(text: str) -> tuple[bool, str]:
    found = [marker for marker in UNSAFE if marker in _norm(text)]
    return (False, f"unsafe: {', '.join(found)}") if found else (True, "no unsafe marker")


def judge(prompt: str) -> tuple[bool, str]:
    """The verdict and rationale for one judge prompt; `invalid` (400) for a prompt it does not know."""
    claim, document = _tag(prompt, "claim"), _tag(prompt, "document")
    if claim is not None and document is not None:
        return _correctness(claim, document)
    if _tag(prompt, "guidelines") is not None:
        return _guidelines(prompt)
    question, answer = _tag(prompt, "question"), _tag(prompt, "answer")
    if question is not None and answer is not None:
        return _relevance(question, answer)
    text = _tag(prompt, "text")
    if text is not None:
        return _safety(text)
    raise invalid(f"Endpoint '{ENDPOINT}' is a stand-in judge: it answers the prompts of MLflow's "
                  "correctness, guidelines, relevance_to_query and safety judges only")


def endpoint_answer(state: EmulatorState, doc: dict[str, Any], messages: list[Message],
                    tools: list[Any]) -> Answer:
    """How the judge endpoint answers: `{"rationale", "result": "yes" | "no"}` as JSON text."""
    from .models import Answer

    del state
    if tools:
        raise invalid(f"tools are not supported by judge endpoint '{doc['name']}'; send the judge prompt")
    prompt = "\n".join(m.content for m in messages if m.role == "user")
    passed, rationale = judge(prompt)
    turn = ModelTurn(text=json.dumps({"rationale": rationale, "result": "yes" if passed else "no"}))
    return Answer(turn, turn_usage(messages, tools, turn))


__all__ = ["ENDPOINT", "UNSAFE", "endpoint_answer", "judge"]
