"""DeepSeek (api.deepseek.com).

Quirks (provider-quirks.md section 5): the ``developer`` role is rejected (serde "unknown variant"), so
it is sent as ``system``; thinking is toggled with ``thinking: {type}`` and its effort with
``reasoning_effort`` low|high|max; reasoning comes back in ``reasoning_content``, which must be echoed on
every earlier assistant turn when tools are in play (400 otherwise) and is best left out otherwise
(older R1 rejected it); cache hits in ``prompt_cache_hit_tokens``.
"""

from __future__ import annotations

from typing import Any

from multimodel.providers.base import Dialect, budget_to_effort, developer_to_system
from multimodel.wire.accumulate import Accumulator

_EFFORT = {"minimal": "low", "low": "low", "medium": "high", "high": "high", "xhigh": "max"}


class DeepSeekDialect(Dialect):
    name = "deepseek"

    def shape_messages(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, options: dict[str, Any], warn: Any
    ) -> list[dict[str, Any]]:
        messages = developer_to_system(messages)
        out = []
        for m in messages:
            if m.get("role") == "assistant":
                if tools and m.get("tool_calls") and not m.get("reasoning_content"):
                    # With tools every earlier assistant turn must carry reasoning_content; a placeholder
                    # is accepted when the turn came from elsewhere (LiteLLM does the same).
                    m = {**m, "reasoning_content": " "}
                elif not tools and "reasoning_content" in m:
                    m = {k: v for k, v in m.items() if k != "reasoning_content"}
            out.append(m)
        return out

    def apply_reasoning(self, body: dict[str, Any], model_id: str, reasoning: str | int, warn: Any) -> None:
        if reasoning == "none":
            body["thinking"] = {"type": "disabled"}
            return
        effort = reasoning if isinstance(reasoning, str) else budget_to_effort(reasoning)
        body["thinking"] = {"type": "enabled"}
        body["reasoning_effort"] = _EFFORT.get(effort, "high")

    def echo_state(self, acc: Accumulator) -> dict[str, Any] | None:
        text = acc.reasoning_text()
        if text:
            return {"reasoning_content": text}
        return None
