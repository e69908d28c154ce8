"""Keep credentials out of error messages: tokens and `Authorization` values become `***`."""

from __future__ import annotations

import re

_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[^\s,'\"]+"),
    re.compile(r"\bdapi[0-9a-f]{16,}(-\d+)?\b"),
    re.compile(r"\bdose[0-9a-f]{16,}\b"),
    re.compile(r"\beyJ[\w-]{16,}(\.[\w-]+)*"),
)


_SDK_DEBUG = re.compile(r"\.?\s*(?:Config: [a-z_]+=|Env: DATABRICKS_)[\s\S]*$")


def without_sdk_debug(text: str) -> str:
    """The message without the SDK's configuration dump (`Config: host=..., Env: DATABRICKS_...`),
    which it appends to some errors: the cause is what a user needs, not the client's settings."""
    return _SDK_DEBUG.sub("", text)


def redact(text: str, *secrets: str | None) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.re is _PATTERNS[0] else "") + "***", text)
    return text


__all__ = ["redact", "without_sdk_debug"]
