"""`ToolFailure`: the one error every executor and the MCP helpers raise for the model to hear.

Apart from `base` so that the MCP helpers (which `base.ToolContext` builds on) can raise it without
importing `base` back.
"""


class ToolFailure(Exception):
    """A tool call failed in a way the model should hear about (the message becomes the output)."""


__all__ = ["ToolFailure"]
