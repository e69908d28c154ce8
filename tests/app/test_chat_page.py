"""The chat page in real headless Chromium: type a question and see the streamed answer and the tool
call; approve an MCP call; deny one and read plain words; see an in-stream error as an error; keep
the conversation; the trace id shown; the same at phone size. Screenshots go to the test's tmp folder."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow

ANSWER = "Order SO-10042 was delivered on 22 January."
TICKET = {"name": "create_ticket", "arguments": {"title": "Printer broken", "description": "Floor 2 printer",
                                                 "requester_email": "alice@example.com"}}


@pytest.fixture
def chat_url(serve_app, spec_file, app_kit):
    return serve_app(spec_file([app_kit.ORDER_TOOL, app_kit.TICKETING_TOOL]))


def _ask(page, text):
    page.fill("#question", text)
    page.press("#question", "Enter")


def _idle(page):
    page.wait_for_function("() => !document.getElementById('send').disabled", timeout=60_000)


def test_chat_streams_answers_tool_calls_approvals_and_errors(browser, chat_url, scripted, app_kit, tmp_path):
    scripted([{"tool_calls": [app_kit.ORDER_CALL]}, ANSWER,
              {"tool_calls": [TICKET]}, {"text": "I created the ticket.", "expect": "TCK-"},
              {"tool_calls": [TICKET]}, {"text": "I did not create it.", "expect": "denied"}])
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(chat_url)
    assert page.title() == "agent-test"

    _ask(page, "Where is order SO-10042?")
    _idle(page)
    assert page.locator(".msg.user").last.inner_text() == "Where is order SO-10042?"
    card = page.locator(".msg.tool").first
    assert "main__sales__get_order_status" in card.inner_text()
    assert "SO-10042" in card.locator("pre.arguments").inner_text()
    assert "delivered" in card.locator("pre.output").inner_text()
    assert page.locator(".msg.assistant").last.inner_text() == ANSWER
    assert page.locator(".trace").count() == 1 and page.locator(".trace").inner_text().startswith("trace tr-")

    _ask(page, "Open a ticket: the printer on floor 2 is broken")
    _idle(page)
    approval = page.locator(".approval").last
    assert "create_ticket" in approval.inner_text() and "ticketing" in approval.inner_text().lower()
    approval.get_by_role("button", name="Approve").click()
    _idle(page)
    assert "Approved" in approval.inner_text()
    ran = page.locator(".msg.tool:not(.approval)").last
    assert "create_ticket" in ran.inner_text() and "TCK-" in ran.locator("pre.output").inner_text()
    assert page.locator(".msg.assistant").last.inner_text() == "I created the ticket."

    _ask(page, "Open another one")
    _idle(page)
    page.locator(".approval").last.get_by_role("button", name="Deny").click()
    _idle(page)
    denied = page.locator(".msg.tool:not(.approval)").last.locator("pre.output").inner_text()
    assert denied == "You denied this call, so it did not run."
    assert page.locator(".msg.assistant").last.inner_text() == "I did not create it."

    _ask(page, "And one more thing?")  # the scripted model has no turn left: the stream fails
    _idle(page)
    error = page.locator(".msg.error").last
    assert error.is_visible() and error.inner_text()
    page.screenshot(path=str(tmp_path / "chat-desktop.png"), full_page=True)
    assert (tmp_path / "chat-desktop.png").stat().st_size > 10_000

    page.reload()  # the conversation is kept
    assert page.locator(".msg.user").count() == 4
    assert ANSWER in page.locator("#log").inner_text()
    page.close()


def test_chat_works_at_phone_size(browser, chat_url, scripted, app_kit, tmp_path):
    scripted([{"tool_calls": [app_kit.ORDER_CALL]}, ANSWER])
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  device_scale_factor=2)
    page = context.new_page()
    page.goto(chat_url)
    _ask(page, "Where is order SO-10042?")
    _idle(page)
    assert page.locator(".msg.assistant").last.inner_text() == ANSWER
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390  # nothing sideways
    send = page.locator("#send").bounding_box()
    assert send and send["x"] + send["width"] <= 390 and send["y"] + send["height"] <= 844
    page.screenshot(path=str(tmp_path / "chat-phone.png"))
    assert (tmp_path / "chat-phone.png").stat().st_size > 5_000
    context.close()
