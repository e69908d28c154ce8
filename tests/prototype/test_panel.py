"""The chat panel driven as a person uses it: set widget values, click buttons, read what it shows.

The agent is the repository's agent.yml over the emulated workspace with its reference model, so
every tool call below really runs (Genie, UC functions, the ticketing MCP server, the helpdesk App).
"""

from __future__ import annotations

import json
import time

import pytest

from agent_lib.errors import AgentLibError


def until(condition, what: str, timeout: float = 120.0) -> None:
    """Wait for `condition()` (a turn runs on the panel's worker thread)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def ask(panel, text: str):
    """Type `text`, click Send, wait for the turn; the newest turn's widgets."""
    panel.text.value = text
    panel.send.click()
    panel.wait()
    return panel.turn_widgets[-1]


def test_the_answer_streams_in_and_the_tool_call_is_listed(panel_for):
    panel = panel_for()
    shown: list[str] = []
    panel.transcript.observe(lambda change: [
        box.children[3].observe(lambda c: shown.append(c["new"]), names="value")
        for box in change["new"][len(change["old"]):]], names="children")
    turn = ask(panel, "What is the status of order SO-10042?")

    assert panel.text.value == "" and not panel.send.disabled
    assert "What is the status of order SO-10042?" in turn.question.value
    assert len(shown) > 5, shown  # one update per streamed delta, not one at the end
    assert [len(v) for v in shown[:3]] == sorted(len(v) for v in shown[:3])  # it grows
    assert "delivered" in turn.answer.value and shown[-1] == turn.answer.value
    assert turn.calls.titles[0].startswith("✓ main__sales__get_order_status · ")
    assert turn.calls.titles[0].endswith(" s")  # its duration
    body = turn.calls.children[0].value
    assert "SO-10042" in body and "delivered" in body and "<b>duration</b>" in body
    assert turn.error.layout.display == "none"
    trace_id = turn.view.trace_id
    assert trace_id and trace_id in turn.trace.value


def test_the_answer_is_linked_to_its_trace_with_tool_spans_and_no_token(panel_for, emulator):
    import mlflow

    turn = ask(panel_for(), "What is the status of order SO-10042?")
    trace = mlflow.get_trace(turn.view.trace_id, flush=True)
    kinds = {(s.name, s.span_type) for s in trace.data.spans}
    assert ("main__sales__get_order_status", "TOOL") in kinds
    assert any(kind == "CHAT_MODEL" for _, kind in kinds)
    assert emulator.token not in json.dumps(trace.to_dict(), default=str)


def test_the_panel_stays_responsive_while_a_turn_runs(panel_for, emulator, monkeypatch):
    monkeypatch.setattr(emulator.state.config, "tool_latency_ms", 1500)
    panel = panel_for()
    panel.text.value = "What is the status of order SO-10042?"
    panel.send.click()  # returns at once: the turn runs on a worker thread
    until(lambda: panel.turn_widgets and panel.turn_widgets[-1].calls.titles, "the tool call to show")
    turn = panel.turn_widgets[-1]
    assert panel.busy and panel.send.disabled
    assert "running" in turn.calls.titles[0] and turn.answer.value == ""  # the call is shown before its output
    panel.text.value = "another question"
    panel.submit()  # a second Send while the turn runs is refused, saying why
    assert "still running" in panel.status.value and len(panel.turn_widgets) == 1
    panel.tools[0].value = False  # settings still respond; they apply to the next turn
    assert panel.session.tools[0] != panel.tools[0].description
    panel.wait()
    assert "delivered" in turn.answer.value and not panel.busy and not panel.send.disabled


def test_approve_runs_the_ticketing_tool(panel_for):
    panel = panel_for()
    turn = ask(panel, "Which support tickets mention refunds?")
    (request,) = turn.view.approvals
    assert (request.name, request.server_label) == ("search_tickets", "ticketing")
    assert "search_tickets" in turn.approvals.children[0].children[0].value
    assert turn.calls.titles == ("? search_tickets · awaiting approval",)
    assert turn.answer.value == "" and "Approve or deny" in panel.status.value

    panel.text.value = "something else"
    panel.submit()  # nothing is sent while the approval waits
    assert len(panel.turn_widgets) == 1 and "search_tickets" in panel.status.value

    approve, deny = turn.approval_buttons[request.id]
    approve.click()
    panel.wait()
    assert approve.disabled and deny.disabled and approve.description == "Approved"
    assert turn.calls.titles == ("→ search_tickets · approved, see the next turn",)
    follow = panel.turn_widgets[-1]
    assert follow is not turn and "approved search_tickets on ticketing" in follow.question.value
    assert follow.calls.titles[0].startswith("✓ search_tickets")
    assert "TCK-1008" in follow.answer.value and follow.error.layout.display == "none"
    assert panel.session.pending == []


def test_deny_the_helpdesk_app_and_the_agent_answers_without_it(panel_for):
    panel = panel_for()
    turn = ask(panel, "How do I reset my VPN password? Ask the IT helpdesk")
    (request,) = turn.view.approvals
    assert request.server_label == "agent-lib-helpdesk"
    turn.approval_buttons[request.id][1].click()  # Deny
    panel.wait()
    follow = panel.turn_widgets[-1]
    assert "denied app_agent_lib_helpdesk on agent-lib-helpdesk" in follow.question.value
    (call,) = follow.view.tool_calls
    assert call.status == "failed" and "denied this call" in call.error
    assert follow.calls.titles[0].startswith("✗ app_agent_lib_helpdesk")
    assert "password.example.com" not in follow.answer.value  # the App never ran
    assert follow.answer.value  # the model still answered


def test_an_in_stream_error_is_shown_as_an_error_not_an_answer(panel_for):
    panel = panel_for(max_turns=1)  # the model needs a second call to answer: the stream ends in error
    turn = ask(panel, "What is the status of order SO-10042?")
    assert turn.error.layout.display == "" and "max_turns=1" in turn.error.value
    assert "agent-error" in turn.error._dom_classes
    assert turn.answer.value == ""  # never shown as an answer
    assert "failed" in panel.status.value and not panel.send.disabled
    panel.session.configure()  # the conversation goes on without the failed turn
    assert panel.session._last is None


def test_multi_turn_sends_the_whole_history_and_the_engine_toggle_switches(panel_for):
    panel = panel_for()
    first = ask(panel, "What is the status of order SO-10042?")
    panel.engine.value = "hosted"
    second = ask(panel, "How many days do I have to return a laptop?")
    result = second.view.result
    assert first.view.result.engine == "client" and result.engine == "hosted"
    messages = [i for i in result.input if i.get("type") == "message"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert "SO-10042" in json.dumps(result.input)  # the first turn's call and output are in it
    assert "15 days" in second.answer.value


def test_reset_clears_the_transcript_and_the_history(panel_for):
    panel = panel_for()
    ask(panel, "What is the status of order SO-10042?")
    panel.reset.click()
    assert panel.transcript.children == () and panel.turn_widgets == []
    assert "New conversation" in panel.status.value
    turn = ask(panel, "How many days do I have to return a laptop?")
    assert [i["type"] for i in turn.view.result.input] == ["message"]


def test_model_dropdown_and_tool_checkboxes_choose_what_the_next_turn_uses(panel_for, admin):
    panel = panel_for()
    chat = sorted(e.name for e in admin.serving_endpoints.list() if e.task == "llm/v1/chat")
    assert sorted(panel.model.options) == chat and panel.model.value == "databricks-claude-sonnet-4-5"
    assert "ka-8c765842-endpoint" not in panel.model.options  # an agent endpoint cannot play the model
    assert [b.description for b in panel.tools] == panel.session.tool_labels and all(b.value for b in panel.tools)

    panel.model.value = "databricks-gpt-5-2"
    for box in panel.tools:
        box.value = box.description == "uc_function main.sales.get_order_status"
    turn = ask(panel, "What was our total revenue in 2025?")
    assert turn.view.result.model == "databricks-gpt-5-2"
    assert [t.label for t in panel.session.supervisor().spec.tools] == ["uc_function main.sales.get_order_status"]
    assert all(not c.name.startswith("genie") for c in turn.view.tool_calls)


def test_empty_questions_and_bad_settings_are_refused_with_a_reason(panel_for):
    panel = panel_for()
    panel.text.value = "   "
    panel.send.click()
    assert "Type a question" in panel.status.value and panel.turn_widgets == []
    with pytest.raises(AgentLibError, match="tool 'genie_space nope' is not in the agent spec"):
        panel.session.configure(tools=["genie_space nope"])
    with pytest.raises(AgentLibError, match="engine 'local' is unknown"):
        panel.session.configure(engine="local")


def test_approval_on_the_hosted_engine_goes_through_the_supervisor_api(panel_for):
    panel = panel_for()
    panel.engine.value = "hosted"
    turn = ask(panel, "Which support tickets mention refunds?")
    (request,) = turn.view.approvals
    assert turn.view.result.engine == "hosted" and request.name == "search_tickets"
    turn.approval_buttons[request.id][0].click()
    panel.wait()
    follow = panel.turn_widgets[-1]
    assert follow.view.result.engine == "hosted" and "TCK-1008" in follow.answer.value
    (call,) = follow.view.tool_calls
    assert call.name == "search_tickets" and call.status == "done" and call.duration_s is not None


def test_trace_links_open_the_trace_in_the_experiments_traces_tab(admin):
    from agent_lib.prototype import trace_links
    from agent_lib.tracking import ExperimentInfo
    from agent_lib.workspace import Workspace

    info = ExperimentInfo("/Shared/agent-lib", "42", "databricks", f"{admin.config.host}/ml/experiments/42")
    url = trace_links(Workspace(admin, "profile:DEFAULT"), info)("tr-1")
    assert url == f"{admin.config.host}/ml/experiments/42/traces?selectedEvaluationId=tr-1&traceId=tr-1"
    assert ExperimentInfo("/Shared/x", "7", "databricks").trace_url("tr-1") is None  # no UI known


def test_the_emulated_workspaces_trace_link_lands_on_its_tracking_servers_ui(workspace_experiment, emulator):
    import httpx

    url = workspace_experiment.trace_url("tr-abc")
    resp = httpx.get(url, follow_redirects=False, timeout=120)  # a browser: no bearer token
    assert resp.status_code == 302
    location = resp.headers["location"]
    assert location.startswith("http://127.0.0.1:") and not location.startswith(emulator.host)
    assert location.endswith(f"/#/experiments/{workspace_experiment.experiment_id}/traces"
                             "?selectedEvaluationId=tr-abc&traceId=tr-abc")
