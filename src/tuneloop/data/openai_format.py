"""OpenAI's chat fine-tuning line: which message keys the API takes and how one line is written.

Its own module because two steps need it and neither may own it: :mod:`tuneloop.data.export`
writes these lines and checks them with :mod:`tuneloop.data.validate`, and validation checks a
message in the form export would write it (when validation imported export, the two modules
imported each other).
"""

from __future__ import annotations

import json
from typing import Any

from tuneloop.data.records import Example

__all__ = ["OPENAI_MESSAGE_KEYS", "api_message", "openai_line"]

OPENAI_MESSAGE_KEYS = (
    "role",
    "content",
    "name",
    "weight",
    "tool_calls",
    "tool_call_id",
    "function_call",
)


def api_message(message: dict[str, Any]) -> dict[str, Any]:
    """A message as OpenAI's API takes it: only its keys, ``developer`` renamed ``system``."""
    out = {key: message[key] for key in OPENAI_MESSAGE_KEYS if key in message}
    if out.get("role") == "developer":
        out["role"] = "system"
    return out


def openai_line(example: Example) -> str:
    """One line of OpenAI's chat fine-tuning JSONL (without the newline)."""
    line = json.dumps({"messages": [api_message(m) for m in example.messages]}, ensure_ascii=False)
    return line.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
