"""OpenRouter (quirks section 6, realcorpus s02/s03/s10/t10/u01/e01).

Reproduced: ``vendor/model`` slugs; reasoning in ``reasoning`` + ``reasoning_details`` (readable
``reasoning.text`` for Anthropic/Google/DeepSeek/grok-3-mini upstreams, only ``reasoning.encrypted``
for OpenAI and grok-4 upstreams); the ``reasoning`` request object (effort | max_tokens | exclude |
enabled), legacy ``include_reasoning`` and ``reasoning_effort``; ``usage.cost``, ``is_byok``,
``cost_details``; top-level ``provider`` and per-choice ``native_finish_reason``;
``: OPENROUTER PROCESSING`` comments; usage always in the last chunk, which has ONE choice with an
empty delta; errors ``{"error": {"code": <int>, "message", "metadata"}, "user_id"}``; mid-stream
error chunk with ``finish_reason: "error"``. Inputs follow the upstream model, except PDFs, which
OpenRouter parses for every model; a modality the upstream lacks is a 404 "No endpoints found that
support image input" / "... input audio"; ``n`` is ignored (one choice); seed and logprobs reach
upstreams that honour them and are dropped otherwise; an upstream 400 (gpt-audio without audio) is
relayed as "Provider returned error".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from ..catalogue import CATALOGUE, models_for
from ..plan import Ctx, Plan, SimError
from ..ratelimit import LimitView, retry_after_header
from ..rules import ModelRules
from ..text import Media
from .anthropic import Anthropic
from .base import DONE, Dialect, sse
from .deepseek import DeepSeek
from .gemini import Gemini
from .openai import OpenAI
from .xai import XAI

#: the upstream dialects a gateway model is served by (its tool-call ids and quirks come from there)
UPSTREAMS: tuple[type[Dialect], ...] = (OpenAI, Anthropic, Gemini, XAI, DeepSeek)

USER_ID = "user_2simulatedSIMULATEDsim00"  # fixed: never derived from the key

FORMATS = {"anthropic": "anthropic-claude-v1", "gemini": "google-gemini-v1", "deepseek": "unknown",
           "xai": "unknown", "openai": "openai-responses-v1"}
# native_finish_reason per upstream [INFERRED except openai "completed" (s03, u01) and "tool_calls" (t10)]
NATIVE = {
    "openai": {"stop": "completed", "length": "max_output_tokens", "tool_calls": "tool_calls",
               "content_filter": "content_filter"},
    "anthropic": {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use", "content_filter": "refusal"},
    "gemini": {"stop": "STOP", "length": "MAX_TOKENS", "tool_calls": "STOP", "content_filter": "SAFETY"},
}


class OpenRouter(Dialect):
    name = "openrouter"
    request_id_header = "x-generation-id"
    keepalive = b": OPENROUTER PROCESSING\n\n"
    cache_rule = (128, 1024)  # upstream-dependent; OpenAI's rule used for all [INFERRED]
    models_need_auth = False  # GET /api/v1/models is public
    # OpenRouter documents request caps (free models per minute and per day), no token limit; a tpm a test sets
    # counts all tokens [INFERRED]. Free-model daily caps reset at midnight UTC (openrouter.ai/docs/api-reference/
    # limits) [INFERRED from "per day" and the reset stamps seen in issues].
    token_rule = "after"
    # Body limit: not documented; a production report measured 5 MiB ("Content-Length 5247064 exceeds 5242880 byte
    # limit", hackerai-tech/hackerai#1182, 2026-08-25), the only figure found. The 413 body is the SDK docs' example
    # (openrouter.ai/docs/sdks/python/api-reference/errors/payloadtoolargeresponseerror, read 2026-10).
    max_request_bytes = 5 * 1024 * 1024
    extension_params = frozenset({"reasoning", "include_reasoning"})  # shape.py checks their types

    def __init__(self) -> None:
        super().__init__()
        self._upstreams = {cls.name: cls() for cls in UPSTREAMS}

    def new_response_id(self, ctx: Ctx) -> str:
        return f"gen-{ctx.created}-{self.alnum(20)}"

    def upstream(self, ctx: Ctx) -> str:
        return ctx.model.upstream[0] if ctx.model.upstream else "openai"

    def tool_call_id(self, ctx: Ctx, i: int) -> str:
        # ids come from the upstream verbatim (quirks 6.5)
        return self._upstreams[self.upstream(ctx)].tool_call_id(ctx, i)

    def response_model(self, ctx: Ctx) -> str:
        return ctx.model.id

    # ------------------------------------------------------------------ request semantics
    def validate(self, ctx: Ctx) -> None:
        """n is not in OpenRouter's request schema: ignored, one choice comes back (cosmicoptima/loom#21)."""

    def unsupported_input(self, ctx: Ctx, item: Media) -> SimError | None:
        """404: no endpoint of this model takes the modality (OpenRouter routes by input modality)."""
        # hermes-agent#23411 (image) and the audio guide / live notes (audio); PDFs never get here
        what = "image input" if item.kind == "image" else "input audio"
        return self._err(404, f"No endpoints found that support {what}", "not_found", user=False)

    def audio_required(self, ctx: Ctx) -> SimError:
        """The upstream's 400 relayed as 'Provider returned error' with the raw body in metadata."""
        # the upstream's 400 relayed (truefoundry/models#822)
        raw = self._upstreams["openai"].audio_required(ctx).body.decode()
        return self._err(400, "Provider returned error", "bad_request",
                         {"raw": raw, "provider_name": ctx.model.provider_name})

    def reasoning(self, ctx: Ctx) -> None:
        body = ctx.req.body
        m = ctx.model
        r = body.get("reasoning")
        r = r if isinstance(r, dict) else {}
        inc = body.get("include_reasoning")
        if inc is True and not r:
            r = {"enabled": True}
        elif inc is False and not r:
            r = {"exclude": True}
        eff = r.get("effort") or body.get("reasoning_effort")
        budget = r.get("max_tokens")
        asked = bool(eff) or budget is not None or r.get("enabled") is True
        if eff is None and isinstance(budget, int):
            eff = "low" if budget <= 2048 else ("medium" if budget <= 8192 else "high")
        default = m.reasoning_default
        if not m.reasons:
            on = False
        elif r.get("enabled") is False or eff == "none":
            on = not m.rules.can_disable  # a model that cannot stop reasoning keeps reasoning (rules table)
        elif asked:
            on = True
        else:
            on = default is not None
        ctx.reasoning_on = on
        ctx.effort = eff if eff not in (None, "none") else (default or m.rules.effort_default or "medium")
        if ctx.effort == "none":
            ctx.effort = "medium"
        # exclude: the model reasons, nothing is returned; encrypted upstreams never return text
        ctx.visible = on and m.reasoning_visible and r.get("exclude") is not True

    # ------------------------------------------------------------------ errors
    def _err(self, code: int, message: str, outcome: str, metadata: dict[str, Any] | None = None,
             user: bool = True, headers: dict[str, str] | None = None) -> SimError:
        e: dict[str, Any] = {"message": message, "code": code}
        if metadata is not None:
            e["metadata"] = metadata
        body: dict[str, Any] = {"error": e}
        if user:
            body["user_id"] = USER_ID
        return SimError(code, orjson.dumps(body), outcome, headers)

    def bad_request(self, message: str, param: str | None = None, code: str | None = None) -> SimError:
        return self._err(400, message, "bad_request")

    def auth_missing(self) -> SimError:
        return self._err(401, "No auth credentials found", "auth_error", user=False)

    def auth_invalid(self) -> SimError:
        return self._err(401, "User not found.", "auth_error", user=False)

    def model_not_found(self, model: str) -> SimError:
        return self._err(400, f"{model} is not a valid model ID", "not_found")  # real: HTTP 400

    def model_retired(self, rules: ModelRules) -> SimError:
        return self._err(rules.error_status or 400, rules.error_message or "", "not_found")

    def _provider(self, model: str) -> str:
        m = CATALOGUE.get(("openrouter", model))
        return m.provider_name if m and m.provider_name else "OpenAI"

    def rate_limited(self, model: str, retry_after_s: float, which: str, limit: int | None, fault: bool) -> SimError:
        if fault:  # upstream rate limit, realcorpus e01
            return self._err(429, "Provider returned error", "rate_limit",
                             {"provider_name": self._provider(model),
                              "raw": f"{model} is temporarily rate-limited upstream. Please retry shortly, or add "
                                     "your own key to accumulate your rate limits: "
                                     "https://openrouter.ai/settings/integrations"})
        unit = "tokens" if which == "tokens" else "requests"
        return self._err(429, f"Rate limit exceeded: limit_{unit}_per_min for {model}.", "limited")  # [INFERRED]

    def limited(self, model: str, view: LimitView) -> SimError:
        """429 {"error": {"message": "Rate limit exceeded: free-models-per-min.", "code": 429, "metadata": {"headers":
        {X-RateLimit-*}}}} with the same X-RateLimit-Limit/-Remaining/-Reset (ms epoch) and Retry-After as headers:
        "X-RateLimit-* headers on the error response" (openrouter.ai/docs/api_reference/limits, read 2026-11-29);
        the body as in Gitlawb/openclaude#936 (2026-04-28); "Retry-After ... on 429 and 503" (quirks 6.7)."""
        hit = view.hit
        what = {"requests": "free-models-per-min", "requests-day": "free-models-per-day"}.get(view.which,
                                                                                                 "tokens-per-min")
        message = f"Rate limit exceeded: {what}. "
        if view.which == "requests-day":
            message += "Add 10 credits to unlock 1000 free model requests per day"
        headers = {"X-RateLimit-Limit": str(hit.limit), "X-RateLimit-Remaining": "0",
                   "X-RateLimit-Reset": str(int((view.wall + view.retry_after_s) * 1000))}
        e = self._err(429, message, "limited", {"headers": dict(headers), "provider_name": None})
        e.headers.update(headers)
        e.headers["Retry-After"] = retry_after_header(view.retry_after_s)
        return e

    def server_error(self, status: int) -> SimError:
        status = 502 if status == 500 else status  # 502: model down / invalid upstream response
        return self._err(status, "Provider returned error", "server_error",
                         {"provider_name": "OpenAI", "raw": "Internal server error"})

    def too_large(self) -> SimError:
        return self._err(413, "Request payload too large", "too_large")

    def overloaded(self) -> SimError:
        # "Retry-After header may be sent on 429 and 503" (quirks 6.7)
        return self._err(503, "Provider returned error", "overloaded",
                         {"provider_name": "Anthropic", "raw": "Overloaded"}, headers={"retry-after": "2"})

    def stream_error_event(self, ctx: Ctx) -> bytes:
        # documented mid-stream error chunk (quirks 6.7)
        return sse({"id": ctx.rid, "object": "chat.completion.chunk", "created": ctx.created,
                    "model": ctx.model.id, "provider": ctx.model.provider_name,
                    "error": {"code": "server_error", "message": "Provider disconnected"},
                    "choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": "error",
                                 "native_finish_reason": None}]})

    def stream_error_body(self, ctx: Ctx, plan: Plan) -> tuple[int, bytes] | None:
        # "Non-streaming when some tokens were already produced: embeds error information within the
        # choices array of the final response" (quirks 6.7) [INFERRED shape]
        del plan.content[len(plan.content) // 2:]
        body = self.completion(ctx, plan)
        ch = body["choices"][0]
        ch["finish_reason"] = "error"
        ch["native_finish_reason"] = None
        ch["error"] = {"code": 502, "message": "Provider disconnected",
                       "metadata": {"provider_name": ctx.model.provider_name, "raw": "upstream connection reset"}}
        return 200, orjson.dumps(body)

    # ------------------------------------------------------------------ rendering
    def native(self, ctx: Ctx, f: str) -> str:
        up = self.upstream(ctx)
        if up == "openai" and ctx.model.upstream == ("openai", "gpt-4.1-mini"):
            return f  # chat-completions upstream passes its own reasons through (t10)
        return NATIVE.get(up, {}).get(f, f)

    def finish(self, plan: Plan) -> str:
        return "stop" if plan.finish == "insufficient_system_resource" else plan.finish

    def usage(self, ctx: Ctx, plan: Plan) -> dict[str, Any]:
        out = plan.output_tokens  # reasoning included (quirks 6.3)
        p_cost, c_cost = plan.cost_usd(ctx.model)  # the upstream's price
        return {
            "prompt_tokens": plan.prompt_tokens, "completion_tokens": out, "total_tokens": plan.prompt_tokens + out,
            "cost": round(p_cost + c_cost, 12), "is_byok": False,
            "prompt_tokens_details": {"cached_tokens": plan.cached_tokens, "cache_write_tokens": 0,
                                      "audio_tokens": 0, "video_tokens": 0},
            # upstream_inference_cost is null unless BYOK (s02, s03, t10, u01)
            "cost_details": {"upstream_inference_cost": None, "upstream_inference_prompt_cost": round(p_cost, 12),
                             "upstream_inference_completions_cost": round(c_cost, 12)},
            "completion_tokens_details": {"reasoning_tokens": plan.reasoning_tokens, "image_tokens": 0},
        }

    def _details(self, ctx: Ctx, plan: Plan) -> list[dict[str, Any]]:
        if not ctx.reasoning_on or self._excluded(ctx):
            return []
        fmt = FORMATS.get(self.upstream(ctx), "unknown")
        if ctx.visible:
            d: dict[str, Any] = {"type": "reasoning.text", "text": plan.reasoning_text, "format": fmt, "index": 0}
            if self.upstream(ctx) == "anthropic":
                d["signature"] = self.signature(ctx, plan, 96)
            return [d]
        return [self._encrypted(ctx, plan, fmt)]

    def _encrypted(self, ctx: Ctx, plan: Plan, fmt: str) -> dict[str, Any]:
        blob = "gAAAAAB" + self.signature(ctx, plan, 24 + plan.reasoning_tokens).replace("+", "-").replace("/", "_")
        return {"type": "reasoning.encrypted", "data": blob, "id": "rs_" + f"{ctx.seed_int:016x}" * 3,
                "format": fmt, "index": 0}

    def _excluded(self, ctx: Ctx) -> bool:
        body = ctx.req.body
        r = body.get("reasoning")
        return (isinstance(r, dict) and r.get("exclude") is True) or body.get("include_reasoning") is False

    def completion(self, ctx: Ctx, plan: Plan) -> dict[str, Any]:
        f = self.finish(plan)
        msg: dict[str, Any] = {"role": "assistant", "content": plan.text, "refusal": None,
                               "reasoning": plan.reasoning_text if ctx.visible else None}
        details = self._details(ctx, plan)
        if details:
            msg["reasoning_details"] = details
        if plan.tool_calls:
            msg["tool_calls"] = [{"id": tc.id, "type": "function", "index": k,
                                  "function": {"name": tc.name, "arguments": tc.arguments}}
                                 for k, tc in enumerate(plan.tool_calls)]
        return {"id": ctx.rid, "provider": ctx.model.provider_name, "model": ctx.model.id,
                "object": "chat.completion", "created": ctx.created,
                "choices": [{"logprobs": self.logprobs_of(plan), "finish_reason": f,
                             "native_finish_reason": self.native(ctx, f),
                             "index": 0, "message": msg}],
                "system_fingerprint": None, "usage": self.usage(ctx, plan)}

    def stream(self, ctx: Ctx, plan: Plan) -> Iterator[tuple[int, bytes]]:
        head = (b'data: {"id":"' + ctx.rid.encode() + b'","provider":' + orjson.dumps(ctx.model.provider_name)
                + b',"model":' + orjson.dumps(ctx.model.id) + b',"object":"chat.completion.chunk","created":'
                + str(ctx.created).encode() + b',"choices":[{"index":0,"delta":')
        reasoning_keys = ctx.reasoning_on

        def chunk(delta: dict[str, Any], finish: str | None = None, native: str | None = None,
                  lp: dict[str, Any] | None = None) -> bytes:
            if lp is not None:
                tail = (b',"finish_reason":null,"native_finish_reason":null,"logprobs":'
                        + orjson.dumps({"content": [lp]}) + b"}]}\n\n")
            elif finish is None:
                tail = b',"finish_reason":null,"native_finish_reason":null,"logprobs":null}]}\n\n'
            else:
                tail = (b',"finish_reason":"' + finish.encode() + b'","native_finish_reason":'
                        + orjson.dumps(native) + b',"logprobs":null}]}\n\n')
            return head + orjson.dumps(delta) + tail

        def delta(content: Any = "", reasoning: Any = None, details: list | None = None) -> dict[str, Any]:
            d: dict[str, Any] = {"role": "assistant", "content": content}
            if reasoning_keys:
                d["reasoning"] = reasoning
                d["reasoning_details"] = details or []
            return d

        yield -1, self.keepalive
        fmt = FORMATS.get(self.upstream(ctx), "unknown")
        if ctx.visible and plan.reasoning:
            for p in plan.reasoning:
                yield 1, chunk(delta("", p, [{"type": "reasoning.text", "text": p, "format": fmt, "index": 0}]))
            if self.upstream(ctx) == "anthropic":  # the closing detail carries the signature (s02)
                yield 0, chunk(delta("", None, [{"type": "reasoning.text", "signature": self.signature(ctx, plan, 96),
                                                 "format": fmt, "index": 0}]))
        elif plan.reasoning_tokens:
            yield plan.reasoning_tokens, b""
            if not self._excluded(ctx):
                yield 0, chunk(delta("", None, [self._encrypted(ctx, plan, fmt)]))
        if not plan.content and not plan.tool_calls:
            yield 0, chunk(delta(""))
        lps = plan.logprobs
        for k, p in enumerate(plan.content):
            yield 1, chunk(delta(p), lp=lps[k] if lps is not None else None)
        for k, tc in enumerate(plan.tool_calls):
            yield 1, chunk({"role": "assistant", "content": None,
                            "tool_calls": [{"index": k, "id": tc.id, "type": "function",
                                            "function": {"name": tc.name, "arguments": ""}}]})
            for frag in tc.fragments:
                yield 1, chunk({"role": "assistant", "content": None,
                                "tool_calls": [{"index": k, "function": {"arguments": frag}, "type": "function"}]})
        f = self.finish(plan)
        yield 0, chunk(delta(""), f, self.native(ctx, f))
        # usage is always in the last message (newest usage-accounting docs); one choice, empty delta (s02, t10)
        yield 0, (head + b'{"role":"assistant","content":""},"finish_reason":null,"native_finish_reason":null,'
                  b'"logprobs":null}],"usage":' + orjson.dumps(self.usage(ctx, plan)) + b"}\n\n")
        yield 0, DONE

    def models_list(self) -> dict[str, Any]:
        data = []
        for m in models_for(self.name):
            p_in, p_cached, p_out = m.prices_per_token
            modalities = ["text", *(k for k, i in (("image", "image"), ("audio", "audio"), ("file", "pdf"))
                                    if i in m.inputs)]
            data.append({
                "id": m.id, "canonical_slug": m.id, "name": f"{m.provider_name}: {m.id.split('/', 1)[1]} (simulated)",
                "created": m.created, "description": "Simulated model served by multimodel.sim.",
                "context_length": m.context_window,
                "architecture": {"modality": "+".join(modalities) + "->text", "input_modalities": modalities,
                                 "output_modalities": ["text"], "tokenizer": "Other", "instruct_type": None},
                "pricing": {"prompt": f"{p_in:.10f}".rstrip("0"), "completion": f"{p_out:.10f}".rstrip("0"),
                            "input_cache_read": f"{p_cached:.10f}".rstrip("0"), "request": "0", "image": "0"},
                "top_provider": {"context_length": m.context_window, "max_completion_tokens": 64000,
                                 "is_moderated": m.provider_name in ("OpenAI", "Anthropic")},
                "supported_parameters": ["max_tokens", "temperature", "tools", "tool_choice", "reasoning",
                                         "include_reasoning", "response_format", "stop",
                                         *(["seed"] if m.seed == "supported" else []),
                                         *(["logprobs", "top_logprobs"] if m.logprobs == "supported" else [])],
            })
        return {"data": data}

