"""Result, ToolCall and ResultError: the one normalized shape every provider's answer becomes.

The attribute names are also the DataFrame column names (DESIGN.md section 1), so a Result,
a row of ``cmp.df`` and a row of ``ev.df`` all read the same way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

import orjson

FINISH_REASONS = ("stop", "length", "tool_calls", "content_filter", "error")
ERROR_KINDS = (
    "rate_limit",
    "overloaded",
    "server",
    "timeout",
    "connection",
    "auth",
    "bad_request",
    "not_found",
    "billing",
    "content_filter",
    "stream",
    "unsupported",
)
# Kinds a retry can fix; the rest (bad_request, auth, billing, not_found, content_filter, unsupported:
# the model cannot take an input, so the request was never sent) fail fast.
RETRYABLE_KINDS = frozenset({"rate_limit", "overloaded", "server", "timeout", "connection", "stream"})


@dataclass(slots=True)
class ToolCall:
    """One function call the model asked for; ``arguments`` is None when the JSON did not parse."""

    id: str
    name: str
    arguments: dict[str, Any] | None
    arguments_raw: str
    # Opaque per-call state that must be echoed back next turn (Gemini thought_signature).
    extra: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "arguments": self.arguments,
            "arguments_raw": self.arguments_raw,
        }
        if self.extra:
            d["extra"] = self.extra
        return d

    def as_openai(self) -> dict[str, Any]:
        """The call in the OpenAI ``tool_calls`` wire shape, provider extras included."""
        d: dict[str, Any] = {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments_raw or "{}"},
        }
        if self.extra:
            d.update(self.extra)
        return d


@dataclass(slots=True)
class ResultError:
    """A provider or network failure, normalized; it becomes ``error_*`` columns instead of an exception."""

    kind: str
    message: str
    status: int | None = None
    retry_after_s: float | None = None
    provider_code: str | None = None

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE_KINDS

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "status": self.status,
            "message": self.message,
            "retry_after_s": self.retry_after_s,
            "provider_code": self.provider_code,
        }

    def __str__(self) -> str:
        status = f" {self.status}" if self.status is not None else ""
        return f"{self.kind}{status}: {self.message}"


_NAN = float("nan")


@dataclass(slots=True)
class Result:
    """One model's answer to one request, with its reasoning, tool calls, usage, cost and timings."""

    model: str
    provider: str
    response_model: str | None = None
    content: str = ""
    reasoning: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str | None = None
    native_finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    reasoning_tokens: int | None = None
    cached_tokens: int | None = None
    cost_usd: float = _NAN
    cost_source: str | None = None
    ttft_s: float | None = None
    ttfat_s: float | None = None
    e2e_s: float | None = None
    error: ResultError | None = None
    attempts: int = 1
    cached: bool = False
    simulated: bool = False
    stream: bool = False
    request_id: str | None = None
    created_at: float | None = None
    fallback_from: str | None = None  # the model that was asked first, when a fallback answered
    # Capabilities the model could not take, removed before sending (on_unsupported="warn") or the reason
    # the request was skipped (on_unsupported="skip"): e.g. ["audio_input", "seed"]. Empty: nothing lost.
    dropped_inputs: list[str] = field(default_factory=list)
    # Inputs the model's capability table does not settle (status "unknown"): sent as given, with a warning.
    unverified_inputs: list[str] = field(default_factory=list)
    route_reason: str | None = None  # why a router chose this model (route(), models="auto:N")
    logprobs: list[dict[str, Any]] | None = None  # per answer token, when logprobs=True was honoured
    # Opaque state the provider needs echoed back on the next assistant turn
    # (DeepSeek reasoning_content, OpenRouter reasoning_details, Gemini extra_content).
    provider_state: dict[str, Any] | None = None
    raw: Any = None

    # ---- derived metrics (DESIGN.md section 2) ----
    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def itl_s(self) -> float | None:
        """Mean inter-token latency from provider token counts, not chunk counts."""
        if self.e2e_s is None or self.ttft_s is None or not self.completion_tokens:
            return None
        if self.completion_tokens < 2:
            return None
        return (self.e2e_s - self.ttft_s) / (self.completion_tokens - 1)

    @property
    def output_tps(self) -> float | None:
        """Output tokens per second after the first token arrived."""
        if self.e2e_s is None or self.ttft_s is None or not self.completion_tokens:
            return None
        span = self.e2e_s - self.ttft_s
        if span <= 0:
            return None
        return self.completion_tokens / span

    def as_message(self) -> dict[str, Any]:
        """The assistant message to append to the conversation, with the echo-back state each provider needs."""
        msg: dict[str, Any] = {"role": "assistant", "content": self.content or None}
        if self.tool_calls:
            msg["tool_calls"] = [tc.as_openai() for tc in self.tool_calls]
        if self.provider_state:
            msg.update(self.provider_state)
        if msg["content"] is None and not self.tool_calls:
            msg["content"] = ""
        return msg

    def to_dict(self) -> dict[str, Any]:
        """A flat dict with the DataFrame column names; error fields are spread into ``error_*``."""
        err = self.error
        return {
            "model": self.model,
            "provider": self.provider,
            "response_model": self.response_model,
            "content": self.content,
            "reasoning": self.reasoning,
            "tool_calls": [tc.to_dict() for tc in self.tool_calls],
            "finish_reason": self.finish_reason,
            "native_finish_reason": self.native_finish_reason,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "reasoning_tokens": self.reasoning_tokens,
            "cached_tokens": self.cached_tokens,
            "cost_usd": self.cost_usd,
            "cost_source": self.cost_source,
            "ttft_s": self.ttft_s,
            "ttfat_s": self.ttfat_s,
            "e2e_s": self.e2e_s,
            "itl_s": self.itl_s,
            "output_tps": self.output_tps,
            "error": str(err) if err else None,
            "error_kind": err.kind if err else None,
            "error_status": err.status if err else None,
            "error_message": err.message if err else None,
            "error_retry_after_s": err.retry_after_s if err else None,
            "error_provider_code": err.provider_code if err else None,
            "attempts": self.attempts,
            "cached": self.cached,
            "simulated": self.simulated,
            "stream": self.stream,
            "request_id": self.request_id,
            "created_at": self.created_at,
            "fallback_from": self.fallback_from,
            "dropped_inputs": list(self.dropped_inputs),
            "unverified_inputs": list(self.unverified_inputs),
            "route_reason": self.route_reason,
            "logprobs": self.logprobs,
        }

    def to_frame(self) -> Any:
        """A one-row pandas DataFrame with the same columns as ``cmp.df`` / ``ev.df``."""
        from multimodel.frames import results_to_frame

        return results_to_frame([self])

    # ---- serialization for the cache / store ----
    def to_json(self) -> bytes:
        """Every stored field (derived metrics excluded), for the cache; NaN cost is stored as null."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["tool_calls"] = [tc.to_dict() for tc in self.tool_calls]
        d["error"] = self.error.to_dict() if self.error else None
        if math.isnan(self.cost_usd):
            d["cost_usd"] = None
        return orjson.dumps(d)

    @classmethod
    def from_json(cls, data: bytes | str) -> Result:
        d = orjson.loads(data)
        err = d.pop("error", None)
        calls = d.pop("tool_calls", None) or []
        cost = d.pop("cost_usd", None)
        return cls(
            **d,
            error=ResultError(**err) if err else None,
            tool_calls=[ToolCall(**c) for c in calls],
            cost_usd=_NAN if cost is None else float(cost),
        )

    def _repr_html_(self) -> str:
        from multimodel.notebook.html import result_html

        return result_html(self)

    def __repr__(self) -> str:
        tag = " simulated" if self.simulated else ""
        head = f"<Result {self.model}{tag}"
        if self.error:
            return f"{head} error={self.error}>"
        cost = "n/a" if math.isnan(self.cost_usd) else f"${self.cost_usd:.6f}"
        ttft = "n/a" if self.ttft_s is None else f"{self.ttft_s * 1000:.0f}ms"
        text = (self.content or "").replace("\n", " ")
        if len(text) > 60:
            text = text[:57] + "..."
        calls = f" tool_calls={len(self.tool_calls)}" if self.tool_calls else ""
        return (
            f"{head} finish={self.finish_reason} tokens={self.prompt_tokens}/{self.completion_tokens}"
            f" cost={cost} ttft={ttft}{calls} content={text!r}>"
        )
