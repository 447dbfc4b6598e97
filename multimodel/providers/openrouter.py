"""OpenRouter (openrouter.ai/api/v1): a gateway with ``vendor/model`` ids.

Quirks (provider-quirks.md section 6): reasoning is requested with a ``reasoning`` object
(``effort`` or ``max_tokens``, not both) and returned as ``reasoning`` plus ``reasoning_details``, which
must be sent back unmodified on the next turn; cost is reported in ``usage.cost`` (for BYOK keys that is
only OpenRouter's fee, the inference itself is in ``cost_details.upstream_inference_cost``); mid-stream
errors arrive as chunks with ``finish_reason: "error"``.
"""

from __future__ import annotations

from typing import Any

from multimodel.providers.base import Dialect
from multimodel.wire.accumulate import Accumulator


class OpenRouterDialect(Dialect):
    name = "openrouter"

    def apply_reasoning(self, body: dict[str, Any], model_id: str, reasoning: str | int, warn: Any) -> None:
        if reasoning == "none":
            body["reasoning"] = {"effort": "none"}
        elif isinstance(reasoning, int):
            body["reasoning"] = {"max_tokens": reasoning}
        else:
            body["reasoning"] = {"effort": reasoning}

    def cost_from_usage(self, usage: dict[str, Any] | None) -> float | None:
        if not isinstance(usage, dict):
            return None
        cost = usage.get("cost")
        if not isinstance(cost, int | float) or isinstance(cost, bool):
            return None
        total = float(cost)
        if usage.get("is_byok"):
            details = usage.get("cost_details") or {}
            upstream = details.get("upstream_inference_cost") if isinstance(details, dict) else None
            if isinstance(upstream, int | float):
                total += float(upstream)
        return total

    def echo_state(self, acc: Accumulator) -> dict[str, Any] | None:
        if acc.reasoning_details:
            return {"reasoning_details": acc.reasoning_details}
        return None
