"""Google Gemini through its OpenAI compatibility endpoint (generativelanguage.googleapis.com/v1beta/openai).

Quirks (provider-quirks.md section 3): reasoning text only comes back with
``extra_body.google.thinking_config.include_thoughts`` and arrives as ``<thought>…</thought>`` inside the
content; ``reasoning_effort`` and ``thinking_config`` cannot be sent together (400), so we always send
the thinking_config; tool calls carry ``extra_content.google.thought_signature`` that must be echoed on
the next turn; tool results need ``name``; thought tokens sit outside completion_tokens (folded by the
usage normalizer); ``developer`` is mapped to ``system``.
"""

from __future__ import annotations

import re
from typing import Any

from multimodel.providers.base import EFFORT_BUDGET, Dialect, developer_to_system
from multimodel.wire.accumulate import Accumulator

# Gemini 2.5 takes a token budget; Gemini 3+ takes a level (docs' reasoning_effort mapping table).
_BUDGET_25 = {"minimal": 1024, "low": 1024, "medium": 8192, "high": 24576, "xhigh": 24576}
_LEVEL_3 = {"minimal": "minimal", "low": "low", "medium": "medium", "high": "high", "xhigh": "high"}
# Google's documented placeholder for a history whose calls were not made by Gemini.
DUMMY_SIGNATURE = "skip_thought_signature_validator"


def _is_gemini_25(model_id: str) -> bool:
    return bool(re.search(r"gemini-2\.", model_id))


class GeminiDialect(Dialect):
    name = "gemini"

    def shape_messages(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, options: dict[str, Any], warn: Any
    ) -> list[dict[str, Any]]:
        messages = developer_to_system(messages)
        names: dict[str, str] = {}
        out: list[dict[str, Any]] = []
        for m in messages:
            if m.get("role") == "assistant" and m.get("tool_calls"):
                calls = []
                for i, tc in enumerate(m["tool_calls"]):
                    fn = tc.get("function") or {}
                    names[tc.get("id", "")] = fn.get("name", "")
                    if i == 0 and not (tc.get("extra_content") or {}).get("google", {}).get("thought_signature"):
                        # the first call of a turn must carry a signature or Gemini 3 answers 400
                        tc = {**tc, "extra_content": {"google": {"thought_signature": DUMMY_SIGNATURE}}}
                    calls.append(tc)
                m = {**m, "tool_calls": calls}
            elif m.get("role") == "tool" and not m.get("name"):
                name = names.get(m.get("tool_call_id", ""))
                if name:
                    m = {**m, "name": name}  # Gemini resolves function_response.name from it
            out.append(m)
        return out

    def apply_reasoning(self, body: dict[str, Any], model_id: str, reasoning: str | int, warn: Any) -> None:
        if reasoning == "none":
            body["reasoning_effort"] = "none"
            return
        config: dict[str, Any] = {"include_thoughts": True}
        if _is_gemini_25(model_id):
            config["thinking_budget"] = reasoning if isinstance(reasoning, int) else _BUDGET_25[reasoning]
        elif isinstance(reasoning, int):
            level = min(EFFORT_BUDGET, key=lambda k: abs(EFFORT_BUDGET[k] - reasoning))
            config["thinking_level"] = _LEVEL_3[level]
        else:
            config["thinking_level"] = _LEVEL_3[reasoning]
        body.pop("reasoning_effort", None)  # never both (400 from Gemini)
        extra = body.setdefault("extra_body", {})
        extra.setdefault("google", {})["thinking_config"] = config

    def echo_state(self, acc: Accumulator) -> dict[str, Any] | None:
        """Only the thought signature goes back: per-delta flags such as ``thought: true`` describe the
        stream, and echoing them would mark the whole answer as a thought."""
        google = (acc.extra_content or {}).get("google")
        signature = google.get("thought_signature") if isinstance(google, dict) else None
        if signature:
            return {"extra_content": {"google": {"thought_signature": signature}}}
        return None
