"""IT helpdesk agent: a small Databricks App answering from a fixed FAQ in the OpenAI Responses shape.

Routes: `POST /responses` and `POST /invocations` (same body: `{"input": ..., "stream": bool}`),
`GET /health`, `GET /`. Answers are deterministic: the question is matched against the FAQ with
TF-IDF cosine similarity; below a threshold the agent says it does not know.

Run as an App (`app.yaml`: `python app.py`); it binds 127.0.0.1 on `$DATABRICKS_APP_PORT`.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
import uuid
from collections import Counter
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

TEAM = os.environ.get("HELPDESK_TEAM", "IT Service Desk")
MODEL = "agent-lib-helpdesk"
THRESHOLD = 0.12

FAQ: list[dict[str, str]] = [
    {"id": "password-reset", "title": "Password reset",
     "keywords": ("password reset forgot forgotten locked lockout unlock login sign-in expired change "
                  "credentials"),
     "answer": "To reset your password, go to https://password.example.com, choose 'Forgot password' "
               "and follow the link sent to your recovery email. If your account is locked after too "
               "many attempts, wait 15 minutes or call the service desk at extension 4357 to unlock it."},
    {"id": "vpn", "title": "VPN access",
     "keywords": "vpn remote home connect connection tunnel globalprotect offsite network access disconnect",
     "answer": "Install the GlobalProtect VPN client from the Software Center, connect to "
               "vpn.example.com and sign in with your company account and MFA. If it keeps "
               "disconnecting, switch to a wired connection and make sure the client is version 6 or later."},
    {"id": "laptop-replacement", "title": "Laptop replacement",
     "keywords": ("laptop replacement replace broken damaged new computer hardware refresh slow battery "
                  "screen"),
     "answer": "Laptops are refreshed every 3 years. For a broken or damaged laptop, open a hardware "
               "ticket in the IT portal with a photo of the damage; a loaner is available the same day "
               "and the replacement ships within 5 business days."},
    {"id": "mfa", "title": "Multi-factor authentication",
     "keywords": ("mfa multi-factor two-factor 2fa authenticator authentication code phone new device "
                  "otp token"),
     "answer": "Multi-factor authentication uses the Microsoft Authenticator app. To move MFA to a new "
               "phone, sign in at https://mysignins.example.com from a trusted device and add the new "
               "phone; if you lost your old phone, the service desk can issue a temporary access pass."},
    {"id": "printer", "title": "Printers",
     "keywords": "printer print printing paper jam toner queue scan scanner badge follow-me",
     "answer": "All office printers use follow-me printing: send the job to the 'FollowMe' queue and "
               "badge in at any printer to release it. For jams or empty toner, use the QR code on the "
               "printer to open a facilities ticket."},
    {"id": "software-install", "title": "Software installation",
     "keywords": "software install installation application app program license admin rights download tool",
     "answer": "Install approved software yourself from the Software Center. For software not in the "
               "catalog, submit a software request in the IT portal with a business justification; "
               "licensed tools need your manager's approval."},
    {"id": "email-phone", "title": "Email on your phone",
     "keywords": "email mail phone mobile outlook iphone android smartphone calendar sync setup",
     "answer": "To get work email on your phone, install Microsoft Outlook from the app store, sign in "
               "with your company email and approve the MFA prompt. The phone must have a screen lock; "
               "Intune will ask you to enroll the device."},
    {"id": "wifi", "title": "Wi-Fi",
     "keywords": "wifi wi-fi wireless internet network guest ssid corp office signal",
     "answer": "In the office, connect to the 'Corp' Wi-Fi network with your company account. Visitors "
               "use 'Guest' with the daily password shown at reception. If the signal is weak, report "
               "the room number to the service desk."},
    {"id": "access-request", "title": "Access requests",
     "keywords": ("access request permission permissions group shared drive folder system role grant "
                  "application"),
     "answer": "Request access to systems, groups and shared folders in the IT portal under 'Access "
               "request'. Your manager and the system owner approve it; access is usually granted within "
               "one business day."},
    {"id": "onboarding", "title": "Onboarding",
     "keywords": "onboarding new hire joiner first day start starter account setup welcome equipment",
     "answer": "New hires receive their laptop and account details on the first day from the service "
               "desk. Managers should submit the onboarding form in the IT portal at least 5 business days "
               "before the start date so accounts and equipment are ready."},
]

_STOP = set("a an the i my me we our you your to of for on in at is are was be do does how what can "
            "could should would with and or it this that from get got need want please help there "
            "where when why which who its im i'm".split())


def _tokens(text: str) -> list[str]:
    out = []
    for word in re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", text.lower()):
        variants = {word, word.replace("-", "")}
        for w in variants:
            if w in _STOP or len(w) < 2:
                continue
            if len(w) > 4 and w.endswith("ing"):
                w = w[:-3]
            elif len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
                w = w[:-1]
            out.append(w)
    return out


def _build_index() -> tuple[list[dict[str, float]], dict[str, float]]:
    docs = [Counter(_tokens(f"{f['title']} {f['title']} {f['keywords']} {f['keywords']} {f['answer']}"))
            for f in FAQ]
    n = len(docs)
    df = Counter(t for d in docs for t in d)
    idf = {t: math.log((1 + n) / (1 + c)) + 1.0 for t, c in df.items()}
    vectors = []
    for d in docs:
        v = {t: (1 + math.log(c)) * idf[t] for t, c in d.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        vectors.append({t: x / norm for t, x in v.items()})
    return vectors, idf


_VECTORS, _IDF = _build_index()


def answer(question: str) -> tuple[str, str | None, float]:
    """(answer text, FAQ id or None, score): the best FAQ entry by TF-IDF cosine similarity."""
    counts = Counter(t for t in _tokens(question) if t in _IDF)
    if not counts:
        return _unknown(), None, 0.0
    q = {t: (1 + math.log(c)) * _IDF[t] for t, c in counts.items()}
    norm = math.sqrt(sum(x * x for x in q.values())) or 1.0
    scores = [sum(q[t] / norm * v.get(t, 0.0) for t in q) for v in _VECTORS]
    best = max(range(len(scores)), key=lambda i: (scores[i], -i))
    if scores[best] < THRESHOLD:
        return _unknown(), None, scores[best]
    return FAQ[best]["answer"], FAQ[best]["id"], scores[best]


def _unknown() -> str:
    return ("I don't know the answer to that. I can help with password resets, VPN, laptop "
            "replacement, MFA, printers, software installation, email on your phone, Wi-Fi, access "
            f"requests and onboarding; for anything else, open a ticket with the {TEAM}.")


def _question(payload: dict[str, Any]) -> str:
    """The text of the last user message of a Responses `input` (string or list of items)."""
    items = payload.get("input")
    if isinstance(items, str):
        return items
    if not isinstance(items, list):
        return ""
    for item in reversed(items):
        if not isinstance(item, dict) or item.get("role", "user") != "user":
            continue
        content = item.get("content")
        if isinstance(content, str):
            return content
        if isinstance(content, list):
            return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def _build(text: str, topic: str | None) -> tuple[Any, Any]:
    from openai.types.responses import Response, ResponseOutputMessage, ResponseOutputText

    part = ResponseOutputText(type="output_text", text=text, annotations=[])
    message = ResponseOutputMessage(id=f"msg_{uuid.uuid4().hex}", type="message", role="assistant",
                                    status="completed", content=[part])
    response = Response(id=f"resp_{uuid.uuid4().hex}", object="response", created_at=time.time(),
                        model=MODEL, output=[message], parallel_tool_calls=False, tool_choice="auto",
                        tools=[], status="completed",
                        metadata={"faq_topic": topic or "unknown", "team": TEAM})
    return response, message


def _events(text: str, topic: str | None):
    from openai.types.responses import (
        ResponseCompletedEvent,
        ResponseContentPartAddedEvent,
        ResponseContentPartDoneEvent,
        ResponseCreatedEvent,
        ResponseOutputItemAddedEvent,
        ResponseOutputItemDoneEvent,
        ResponseOutputText,
        ResponseTextDeltaEvent,
        ResponseTextDoneEvent,
    )

    response, message = _build(text, topic)
    pending = response.model_copy(update={"status": "in_progress", "output": []})
    in_progress = message.model_copy(update={"status": "in_progress", "content": []})
    empty = ResponseOutputText(type="output_text", text="", annotations=[])
    seq = iter(range(10_000))
    events: list[Any] = [
        ResponseCreatedEvent(type="response.created", sequence_number=next(seq), response=pending),
        ResponseOutputItemAddedEvent(type="response.output_item.added", sequence_number=next(seq),
                                     output_index=0, item=in_progress),
        ResponseContentPartAddedEvent(type="response.content_part.added", sequence_number=next(seq),
                                      item_id=message.id, output_index=0, content_index=0, part=empty),
    ]
    for chunk in re.findall(r"\S+\s*", text):
        events.append(ResponseTextDeltaEvent(type="response.output_text.delta", sequence_number=next(seq),
                                             item_id=message.id, output_index=0, content_index=0,
                                             delta=chunk, logprobs=[]))
    events += [
        ResponseTextDoneEvent(type="response.output_text.done", sequence_number=next(seq), item_id=message.id,
                              output_index=0, content_index=0, text=text, logprobs=[]),
        ResponseContentPartDoneEvent(type="response.content_part.done", sequence_number=next(seq),
                                     item_id=message.id, output_index=0, content_index=0,
                                     part=message.content[0]),
        ResponseOutputItemDoneEvent(type="response.output_item.done", sequence_number=next(seq),
                                    output_index=0, item=message),
        ResponseCompletedEvent(type="response.completed", sequence_number=next(seq), response=response),
    ]
    for event in events:
        yield f"event: {event.type}\ndata: {json.dumps(event.model_dump(mode='json', exclude_none=True))}\n\n"


app = FastAPI(title="IT helpdesk agent", docs_url=None, redoc_url=None, openapi_url=None)


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/")
def index() -> dict[str, Any]:
    return {"app": MODEL, "team": TEAM, "topics": [f["title"] for f in FAQ],
            "endpoints": ["POST /responses", "POST /invocations"]}


async def _respond(request: Request) -> Any:
    try:
        payload = await request.json()
    except ValueError:
        return JSONResponse({"error": {"message": "Request body must be JSON."}}, status_code=400)
    if not isinstance(payload, dict):
        return JSONResponse({"error": {"message": "Request body must be a JSON object."}}, status_code=400)
    question = _question(payload)
    if not question.strip():
        return JSONResponse({"error": {"message": "`input` must contain a user message."}}, status_code=400)
    text, topic, _ = answer(question)
    if payload.get("stream"):
        return StreamingResponse(_events(text, topic), media_type="text/event-stream")
    response, _ = _build(text, topic)
    return JSONResponse(response.model_dump(mode="json", exclude_none=True))


@app.post("/responses")
async def responses(request: Request) -> Any:
    return await _respond(request)


@app.post("/invocations")
async def invocations(request: Request) -> Any:
    return await _respond(request)


if __name__ == "__main__":
    import socket

    import uvicorn

    # Our own socket so TCP_NODELAY is set: without it each response waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("DATABRICKS_APP_PORT", "8000"))))
    sock.listen(128)
    uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])
