"""OpenAI (api.openai.com/v1): the reference dialect, plus the reasoning-model parameter rules.

Reasoning models (o-series, gpt-5 family) reject ``max_tokens`` (use ``max_completion_tokens``) and any
non-default temperature/top_p/penalties with a 400 (provider-quirks.md section 1.2). No reasoning text is
returned on Chat Completions; only ``completion_tokens_details.reasoning_tokens``.
"""

from __future__ import annotations

import re
from typing import Any

from multimodel.providers.base import Dialect, budget_to_effort, drop

_REASONING_MODEL = re.compile(r"^(o\d|gpt-5)")


def is_reasoning_model(model_id: str) -> bool:
    mid = model_id.split("/")[-1].lower()
    return bool(_REASONING_MODEL.match(mid)) and "chat" not in mid


class OpenAIDialect(Dialect):
    name = "openai"

    def apply_reasoning(self, body: dict[str, Any], model_id: str, reasoning: str | int, warn: Any) -> None:
        mid = model_id.split("/")[-1].lower()
        if mid.startswith(("gpt-4", "gpt-3.5", "chatgpt")):
            warn(f"{model_id} is not a reasoning model: reasoning={reasoning!r} ignored")
            return
        effort = reasoning if isinstance(reasoning, str) else budget_to_effort(reasoning)
        body["reasoning_effort"] = effort

    def adjust_params(self, body: dict[str, Any], model_id: str, warn: Any) -> None:
        if not is_reasoning_model(model_id):
            return
        if body.get("max_tokens") is not None:
            body.setdefault("max_completion_tokens", body.pop("max_tokens"))
            warn("renamed max_tokens to max_completion_tokens: OpenAI reasoning models reject max_tokens")
        else:
            body.pop("max_tokens", None)
        if body.get("temperature") not in (None, 1, 1.0):
            drop(body, ("temperature",), warn, f"{model_id} only supports the default temperature")
        drop(
            body,
            ("top_p", "presence_penalty", "frequency_penalty", "logprobs", "top_logprobs"),
            warn,
            f"{model_id} is a reasoning model and rejects sampling parameters",
        )
