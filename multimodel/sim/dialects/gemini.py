"""Gemini's OpenAI compatibility endpoint (quirks section 3, realcorpus t05).

Reasoning follows the rules table (:mod:`..rules`): each model's levels (``MINIMAL`` refused on 3.7/3.8
Flash with Gemini's text), ``reasoning_effort: "none"`` / budget 0 refused where thinking cannot be
switched off (Gemini 3 and 4, 2.5 Pro), ``thinking_level`` refused on the 2.5 budget models.

Reproduced: list-shaped errors ``[{"error": {code, message, status}}]``; thoughts only with
``extra_body.google.thinking_config.include_thoughts`` as ``<thought>…</thought>`` inside content
(stream: thought deltas flagged ``extra_content.google.thought``); thought tokens excluded from
``completion_tokens`` but counted in ``total_tokens``; ``reasoning_effort`` + thinking_level/budget
-> 400; tool calls whole in one chunk without ``index``, ids ``function-call-<digits>``,
finish_reason "stop" even with tool calls, ``thought_signature`` on the first call, and the 400
when a follow-up omits it; images, audio and PDFs read, but an image linked by anything other than
https:// is a 400 "Unsupported file URI type"; ``seed``, ``logprobs`` and ``top_logprobs`` are unknown
fields to its JSON parser (400 "Invalid JSON payload received. Unknown name ...").
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import timedelta, timezone, tzinfo
from typing import Any

import orjson

from ..catalogue import models_for
from ..plan import Ctx, Plan, SimError
from ..ratelimit import LimitView
from ..rules import ModelRules
from ..text import Media
from .base import DONE, Dialect, sse

LEVEL_NAMES = ("minimal", "low", "medium", "high", "xhigh")
LEVEL_UNSUPPORTED = "Thinking level is not supported for this model."  # facts 7 #17
THINKING_ONLY = "Budget 0 is invalid. This model only works in thinking mode."  # facts 7 #16
SKIP_SIGNATURE = "skip_thought_signature_validator"  # documented dummy value for foreign histories


def _thinking_config(body: dict[str, Any]) -> dict[str, Any] | None:
    # Wire JSON is {"extra_body": {"google": {...}}} (the SDK's double-nested extra_body); a flattened
    # {"google": {...}} is accepted too [INFERRED].
    for holder in (body.get("extra_body"), body):
        if isinstance(holder, dict):
            g = holder.get("google")
            if isinstance(g, dict) and isinstance(g.get("thinking_config"), dict):
                return g["thinking_config"]
    return None


def _pacific() -> tzinfo:
    """US Pacific time (fixed UTC-8 when the system has no time-zone database)."""
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("America/Los_Angeles")
    except Exception:  # no tzdata on this system
        return timezone(timedelta(hours=-8))


# (metric, quota id) per limit, as real 429 bodies name them (free-tier spellings in Roo-Code#3883 and
# gke-labs/gemini-for-kubernetes-development#1215, 2025-2026; the paid-tier names drop "free_tier"/"-FreeTier"
# [INFERRED])
_QUOTAS = {
    "requests": ("generate_content_requests", "GenerateRequestsPerMinutePerProjectPerModel"),
    "tokens": ("generate_content_input_token_count", "GenerateContentInputTokensPerModelPerMinute"),
    "requests-day": ("generate_content_requests_per_day", "GenerateRequestsPerDayPerProjectPerModel"),
}


class Gemini(Dialect):
    name = "gemini"
    filter_empties = True  # a blocked prompt yields no content [INFERRED, quirks 3.5]
    # TPM is input tokens: the quota metric is generate_content_input_token_count, quota id
    # GenerateContentInputTokensPerModelPerMinute (a real 429 body in RooCodeInc/Roo-Code#3883, 2025-06-12).
    token_rule = "input"
    # "Requests per day (RPD) quotas reset at midnight Pacific time"
    # (ai.google.dev/gemini-api/docs/rate-limits; not re-read on 2026-11-29, to verify)
    day_zone = _pacific()
    cache_rule = None  # only explicit cached_content; not simulated
    # Inline data "100 MB per request" since 2026-01-12 (ai.google.dev/gemini-api/docs/file-input-methods; blog.google
    # "Increased file size limits", 2026-01); 20 MiB before. Google answers 400 INVALID_ARGUMENT "Request payload size
    # exceeds the limit: 20971520 bytes." (google.api_core InvalidArgument reports, 2024-2025); the number with the
    # new limit is [INFERRED].
    max_request_bytes = 100_000_000

    def new_response_id(self, ctx: Ctx) -> str:
        return self.alnum(22)

    def tool_call_id(self, ctx: Ctx, i: int) -> str:
        return f"function-call-{ctx.rng.randrange(10**18, 10**19)}"

    def response_model(self, ctx: Ctx) -> str:
        return ctx.requested

    # ------------------------------------------------------------------ request semantics
    def reasoning(self, ctx: Ctx) -> None:
        """reasoning_effort or thinking_config (not both), checked against the model's levels (rules table)."""
        body = ctx.req.body
        r = ctx.model.rules
        eff = body.get("reasoning_effort")
        tc = _thinking_config(body)
        level = budget = None
        include = False
        if tc is not None:
            level, budget, include = tc.get("thinking_level"), tc.get("thinking_budget"), tc.get("include_thoughts")
        if eff is not None and (level is not None or budget is not None):
            # "reasoning_effort and thinking_level/thinking_budget overlap ... can't be used at the same time"
            # (facts 3.2) [INFERRED wording]
            raise self.bad_request("reasoning_effort and thinking_config.thinking_level/thinking_budget cannot both "
                                   "be set; they control the same thing.")
        if level is not None:
            if not r.thinking_levels:
                raise self.bad_request(LEVEL_UNSUPPORTED)  # facts 7 #17 (2.5 models)
            level = str(level).lower()
            if level not in r.thinking_levels:
                raise self.level_refused(level)
        if eff == "none" or budget == 0:
            if not r.can_disable:
                raise self.bad_request(THINKING_ONLY)  # facts 7 #16; for effort none [NOT SETTLED wording]
            ctx.reasoning_on, ctx.effort, ctx.visible = False, None, False
            return
        if eff is not None and eff not in r.accepted_efforts:
            raise self.level_refused(eff)
        effort = eff or level
        if effort is None and isinstance(budget, int) and not isinstance(budget, bool) and budget > 0:
            effort = "low" if budget <= 1024 else ("medium" if budget <= 8192 else "high")
        on = r.thinking_default or effort is not None or budget is not None
        ctx.effort = (effort or r.effort_default) if on else None
        if ctx.effort in (None, "none"):
            ctx.effort = "medium"
        ctx.reasoning_on = on
        ctx.visible = on and include is True

    def level_refused(self, value: Any) -> SimError:
        """A thinking level the model does not take: Gemini's text for a known level (facts 7 #15), else a 400."""
        if value in LEVEL_NAMES:
            return self.bad_request(f"Thinking level {str(value).upper()} is not supported for this model. "
                                    "Please retry with other thinking level.")
        return self.bad_request(f"Invalid value at 'reasoning_effort' ({self.json_value(value)}).")  # [INFERRED]

    def param_rejected(self, ctx: Ctx, names: list[str]) -> SimError:
        """seed / logprobs / top_logprobs are unknown fields to the compat layer's JSON parser: one 400 names all."""
        # recorded live 2026-09: 400 'Invalid JSON payload received. Unknown name "seed": Cannot find field.'
        unknown = " ".join(f'Unknown name "{n}": Cannot find field.' for n in names)
        return self.bad_request(f"Invalid JSON payload received. {unknown}")

    def check_input(self, ctx: Ctx, item: Media) -> SimError | None:
        """Linked images must be https:// (the API fetches those); http:// and other schemes are a 400."""
        if item.linked and not (item.ref or "").startswith("https://"):
            # BoundaryML/baml#1548 and a 2026-02 proxy capture: only https:// (and File API / gs://) URIs
            return self.bad_request(f"Unsupported file URI type: {item.ref}")
        return None

    def validate(self, ctx: Ctx) -> None:
        super().validate(ctx)
        msgs = ctx.req.messages
        # Thought signatures: the assistant tool calls of the current turn (after the last user message)
        # must echo extra_content.google.thought_signature on their first call (quirks 3.2).
        last_user = max((i for i, m in enumerate(msgs) if m.get("role") == "user"), default=-1)
        contents_pos = 0
        known_ids: set[str] = set()
        for i, m in enumerate(msgs):
            role = m.get("role")
            if role in ("system", "developer"):
                continue
            contents_pos += 1
            if role == "assistant" and m.get("tool_calls"):
                calls = [c for c in m["tool_calls"] if isinstance(c, dict)]
                for c in calls:
                    known_ids.add(str(c.get("id")))
                if i > last_user and calls:
                    ec = calls[0].get("extra_content")
                    g = ec.get("google") if isinstance(ec, dict) else None
                    sig = g.get("thought_signature") if isinstance(g, dict) else None
                    if not sig:
                        name = (calls[0].get("function") or {}).get("name", "")
                        raise self.bad_request(
                            "Function call is missing a thought_signature in functionCall parts. This is required "
                            "for tools to work correctly, and missing thought_signature may lead to degraded model "
                            f"performance. Additional data, function call `default_api:{name}` , position "
                            f"{contents_pos}. please refer to https://ai.google.dev/gemini-api/docs/thought-signatures "
                            "for more details.")
            elif role == "tool" and not m.get("name") and str(m.get("tool_call_id")) not in known_ids:
                # pydantic-ai#1879: the function_response name is resolved from the matching call id
                raise self.bad_request(f"* GenerateContentRequest.contents[{contents_pos - 1}].parts[0]."
                                       "function_response.name: Name cannot be empty.\n")

    # ------------------------------------------------------------------ errors: list-shaped
    def _err(self, code: int, status: str, message: str, outcome: str, details: list | None = None,
             headers: dict[str, str] | None = None) -> SimError:
        e: dict[str, Any] = {"code": code, "message": message, "status": status}
        if details:
            e["details"] = details
        return SimError(code, orjson.dumps([{"error": e}]), outcome, headers)

    def bad_request(self, message: str, param: str | None = None, code: str | None = None) -> SimError:
        return self._err(400, "INVALID_ARGUMENT", message, "bad_request")

    def auth_missing(self) -> SimError:
        # Google APIs answer a call without any key with 403 PERMISSION_DENIED [INFERRED from the native API]
        return self._err(403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers (callers without "
                         "established identity). Please use API Key or other form of API consumer identity to call "
                         "this API.", "auth_error")

    def auth_invalid(self) -> SimError:
        # a bad key is a 400 INVALID_ARGUMENT, not a 401 (real bodies in continuedev/continue#10748)
        return self._err(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", "auth_error",
                         [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
                           "domain": "googleapis.com",
                           "metadata": {"service": "generativelanguage.googleapis.com"}}])

    def model_not_found(self, model: str) -> SimError:
        return self._err(404, "NOT_FOUND", f"models/{model} is not found for API version v1beta, or is not "
                         "supported for generateContent. Call ListModels to see the list of available models and "
                         "their supported methods.", "not_found")

    def model_retired(self, rules: ModelRules) -> SimError:
        return self._err(rules.error_status or 404, "NOT_FOUND", rules.error_message or "", "not_found")

    def rate_limited(self, model: str, retry_after_s: float, which: str, limit: int | None, fault: bool) -> SimError:
        metric = "input_token_count" if which == "tokens" else "requests"
        return self._err(429, "RESOURCE_EXHAUSTED",
                         "You exceeded your current quota, please check your plan and billing details. Quota "
                         f"exceeded for metric: generativelanguage.googleapis.com/generate_content_{metric}, "
                         f"model: {model}. Please retry in {retry_after_s:.1f}s.",
                         "limited" if not fault else "rate_limit",
                         [{"@type": "type.googleapis.com/google.rpc.RetryInfo",
                           "retryDelay": f"{max(1, round(retry_after_s))}s"}])

    def limited(self, model: str, view: LimitView) -> SimError:
        """429 RESOURCE_EXHAUSTED in a list: QuotaFailure naming the quota, Help, RetryInfo with the delay in whole
        seconds; no rate-limit headers (none documented, quirks 3.7). The body as in Roo-Code#3883 (2025-06-12)."""
        metric, quota_id = _QUOTAS.get(view.which, _QUOTAS["tokens"])
        limit = view.hit.limit
        delay = max(1, math.ceil(view.retry_after_s))
        message = ("You exceeded your current quota, please check your plan and billing details. For more "
                   "information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. To monitor "
                   f"your current usage, head to: https://ai.dev/rate-limit. \n* Quota exceeded for metric: "
                   f"generativelanguage.googleapis.com/{metric}, limit: {limit}, model: {model}\n"
                   f"Please retry in {view.retry_after_s:.3f}s.")
        details = [
            {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{
                "quotaMetric": f"generativelanguage.googleapis.com/{metric}", "quotaId": quota_id,
                "quotaDimensions": {"location": "global", "model": model}, "quotaValue": str(limit)}]},
            {"@type": "type.googleapis.com/google.rpc.Help", "links": [
                {"description": "Learn more about Gemini API quotas",
                 "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}]},
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f"{delay}s"},
        ]
        return self._err(429, "RESOURCE_EXHAUSTED", message, "limited", details)

    def server_error(self, status: int) -> SimError:
        if status == 503:
            return self._err(503, "UNAVAILABLE", "The model is overloaded. Please try again later.", "server_error")
        return self._err(500, "INTERNAL", "An internal error has occurred. Please retry or report in "
                         "https://developers.generativeai.google/guide/troubleshooting", "server_error")

    def too_large(self) -> SimError:
        return self._err(400, "INVALID_ARGUMENT", f"Request payload size exceeds the limit: {self.max_request_bytes} "
                         "bytes.", "too_large")

    def overloaded(self) -> SimError:
        return self._err(503, "UNAVAILABLE", "The model is overloaded. Please try again later.", "overloaded")

    def stream_error_event(self, ctx: Ctx) -> bytes:
        # mid-stream error shape not documented for the compat layer [INFERRED: the list-shaped body as one event]
        return sse([{"error": {"code": 500, "message": "An internal error has occurred. Please retry or report in "
                               "https://developers.generativeai.google/guide/troubleshooting",
                               "status": "INTERNAL"}}])

    # ------------------------------------------------------------------ rendering
    def finish(self, plan: Plan) -> str:
        if plan.finish == "tool_calls":
            return "stop"  # finish_reason is "stop" even when tool calls come back (quirks 3.4)
        return "stop" if plan.finish == "insufficient_system_resource" else plan.finish

    def usage(self, plan: Plan, answer_done: int | None = None, thoughts_done: int | None = None) -> dict[str, Any]:
        comp = len(plan.content) + plan.tool_tokens if answer_done is None else answer_done
        th = plan.reasoning_tokens if thoughts_done is None else thoughts_done
        # thought tokens are NOT in completion_tokens but are in total_tokens (quirks 3.2, realcorpus t05)
        return {"completion_tokens": comp, "prompt_tokens": plan.prompt_tokens,
                "total_tokens": plan.prompt_tokens + comp + th}

    def _calls(self, ctx: Ctx, plan: Plan) -> list[dict[str, Any]]:
        out = []
        for k, tc in enumerate(plan.tool_calls):
            call: dict[str, Any] = {"function": {"arguments": tc.arguments, "name": tc.name}, "id": tc.id,
                                    "type": "function"}
            if k == 0:  # parallel calls: only the first one carries the signature (quirks 3.2)
                call = {"extra_content": {"google": {"thought_signature": self.signature(ctx, plan)}}, **call}
            out.append(call)
        return out

    def completion(self, ctx: Ctx, plan: Plan) -> dict[str, Any]:
        msg: dict[str, Any] = {"role": "assistant"}
        text = plan.text
        if ctx.visible and plan.reasoning:
            text = f"<thought>{plan.reasoning_text}</thought>{text}"
        if text or not plan.tool_calls:
            msg["content"] = text
        if plan.tool_calls:
            msg["tool_calls"] = self._calls(ctx, plan)
        elif ctx.visible:
            msg["extra_content"] = {"google": {"thought_signature": self.signature(ctx, plan)}}
        return {"choices": [{"finish_reason": self.finish(plan), "index": 0, "message": msg}],
                "created": ctx.created, "id": ctx.rid, "model": ctx.requested, "object": "chat.completion",
                "usage": self.usage(plan)}

    def stream(self, ctx: Ctx, plan: Plan) -> Iterator[tuple[int, bytes]]:
        with_usage = ctx.req.include_usage  # then usage rides on every chunk (second-hand probe, quirks 3.5)
        tail = {"created": ctx.created, "id": ctx.rid, "model": ctx.requested, "object": "chat.completion.chunk"}
        done_answer = 0
        done_thought = 0

        def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
            choice: dict[str, Any] = {"delta": delta, "index": 0}
            if finish is not None:
                choice = {"delta": delta, "finish_reason": finish, "index": 0}
            obj: dict[str, Any] = {"choices": [choice], **tail}
            if with_usage:
                obj["usage"] = self.usage(plan, done_answer, done_thought)
            return sse(obj)

        thought = {"google": {"thought": True}}
        if plan.reasoning and ctx.visible:
            for j, p in enumerate(plan.reasoning):
                done_thought += 1
                yield 1, chunk({"content": ("<thought>" + p) if j == 0 else p, "role": "assistant",
                                "extra_content": thought})
        elif plan.reasoning_tokens:
            done_thought = plan.reasoning_tokens
            yield plan.reasoning_tokens, b""
        close = bool(plan.reasoning and ctx.visible)
        for j, p in enumerate(plan.content):
            done_answer += 1
            yield 1, chunk({"content": ("</thought>" + p) if (j == 0 and close) else p, "role": "assistant"})
        if close and not plan.content:
            yield 0, chunk({"content": "</thought>", "role": "assistant"})
        if plan.tool_calls:
            # the whole call(s) in one chunk, no "index" (openai-python#2806) [INFERRED: all calls together]
            done_answer += plan.tool_tokens
            yield plan.tool_tokens, chunk({"role": "assistant", "tool_calls": self._calls(ctx, plan)})
        elif ctx.visible:
            yield 0, chunk({"role": "assistant",
                            "extra_content": {"google": {"thought_signature": self.signature(ctx, plan)}}})
        yield 0, chunk({"role": "assistant"}, self.finish(plan))
        yield 0, DONE

    def models_list(self) -> dict[str, Any]:
        # the compat /models list names models "models/<id>" [INFERRED]
        return {"object": "list", "data": [{"id": f"models/{m.id}", "object": "model", "owned_by": "google"}
                                           for m in models_for(self.name)]}
