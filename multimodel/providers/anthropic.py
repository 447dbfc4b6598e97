"""Anthropic through its OpenAI SDK compatibility layer (api.anthropic.com/v1).

Quirks (provider-quirks.md section 2): every system/developer message is hoisted into one system prompt
at the top (option ``mid_system="user"`` sends later ones as framed user messages instead, so they stay
in place); ``n`` must be 1; temperature is capped at 1; ``reasoning_effort`` is ignored, thinking is
requested with ``thinking: {type: enabled, budget_tokens}`` and its text is never returned;
``strict``, ``response_format``, ``logprobs``, ``seed`` and penalties are silently ignored.
"""

from __future__ import annotations

from typing import Any

from multimodel.providers.base import EFFORT_BUDGET, Dialect, drop, strip_strict

_IGNORED = ("logprobs", "top_logprobs", "presence_penalty", "frequency_penalty", "seed", "response_format")


class AnthropicDialect(Dialect):
    name = "anthropic"

    def shape_messages(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, options: dict[str, Any], warn: Any
    ) -> list[dict[str, Any]]:
        if options.get("mid_system", "hoist") != "user":
            return messages
        out: list[dict[str, Any]] = []
        seen_turn = False
        for m in messages:
            role = m.get("role")
            if role in ("system", "developer") and seen_turn:
                text = m.get("content")
                if isinstance(text, list):
                    text = " ".join(p.get("text", "") for p in text if isinstance(p, dict))
                out.append({"role": "user", "content": f"[System instruction]\n{text}"})
                continue
            if role not in ("system", "developer"):
                seen_turn = True
            out.append(m)
        return out

    def shape_tools(self, tools: list[dict[str, Any]], warn: Any) -> list[dict[str, Any]]:
        return strip_strict(tools, warn, "Anthropic's compatibility layer ignores strict (no schema guarantee)")

    def apply_reasoning(self, body: dict[str, Any], model_id: str, reasoning: str | int, warn: Any) -> None:
        if reasoning == "none":
            return
        budget = reasoning if isinstance(reasoning, int) else EFFORT_BUDGET[reasoning]
        budget = max(1024, budget)  # Anthropic's minimum thinking budget
        body["thinking"] = {"type": "enabled", "budget_tokens": budget}
        limit = body.get("max_tokens") or body.get("max_completion_tokens")
        if limit is not None and limit <= budget:
            key = "max_tokens" if body.get("max_tokens") else "max_completion_tokens"
            body[key] = budget + limit
            warn(f"raised {key} to {budget + limit}: it must exceed the thinking budget ({budget})")

    def adjust_params(self, body: dict[str, Any], model_id: str, warn: Any) -> None:
        n = body.get("n")
        if n is not None and n != 1:
            body.pop("n")
            warn(f"dropped n={n}: Anthropic's compatibility layer only accepts n=1")
        temp = body.get("temperature")
        if isinstance(temp, int | float) and temp > 1:
            body["temperature"] = 1.0
            warn(f"capped temperature {temp} at 1.0: Anthropic's range is 0..1")
        drop(body, _IGNORED, warn, "Anthropic's compatibility layer ignores them")
