"""xAI Grok (quirks section 4, realcorpus s08/t14).

Reproduced: only grok-3-mini returns ``reasoning_content``; ``completion_tokens`` excludes reasoning
while ``total_tokens`` includes it; ``usage.cost_in_usd_ticks`` (USD x 1e10) and ``num_sources_used``;
tool calls whole in one chunk; stop/penalties rejected on reasoning models even at 0; ``reasoning_effort``
values per model from the rules table (:mod:`..rules`; grok-4.20 refuses the parameter); retired May-15
slugs answered 404 [NOT SETTLED: docs vs redirect email]; errors ``{"code": str, "error": str}`` with the
newer codes (``invalid-argument``, ``not-found``) and HTTP 400 for a bad key; aliases answered with the
full id; cumulative usage on every streamed chunk (the docs' example); jpg/png
images on the grok-4 family only, other image types, audio and file parts a 400 in xAI's shape
("The model does not support content elements of type image."); seed and logprobs honoured.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from ..plan import Ctx, Plan, SimError
from ..rules import ModelRules
from ..text import Media
from .base import DONE, Dialect, sse

CAMEL = {"stop": "stop", "presence_penalty": "presencePenalty", "frequency_penalty": "frequencyPenalty"}
# live bodies since 2026-08 (facts 7 #18-#20); earlier bodies said "Client specified an invalid argument"
INVALID_ARG = "invalid-argument"
IMAGE_TYPES = ("image/jpeg", "image/jpg", "image/png")  # "Supported image file types: jpg/jpeg or png."
ELEMENT = {"image_url": "image", "input_audio": "audio", "file": "file"}


class XAI(Dialect):
    name = "xai"
    cache_rule = (64, 64)  # xAI caches prompt prefixes automatically (s08: 306 of 307 cached) [INFERRED sizes]
    # "All tokens count toward TPM: prompt (text, image, audio), completion, reasoning and cached prompt tokens";
    # requests per second are the per-minute budget / 60 (docs.x.ai/developers/rate-limits.md, read 2026-11-29).
    # No rate-limit headers are documented there or in quirks 4.7, so the 429 carries none (base.limited).
    token_rule = "after"
    # Body limit: not documented (images: "Maximum image size: 20MiB" each, docs.x.ai images page); 100 MB assumed
    # like OpenAI's. The 413's status and text are [INFERRED]; the envelope is xAI's string error.
    max_request_bytes = 100_000_000

    def new_response_id(self, ctx: Ctx) -> str:
        return self.uuid()

    def tool_call_id(self, ctx: Ctx, i: int) -> str:
        return f"call_{ctx.rng.randrange(10**7, 10**8)}"  # realcorpus s08/t14: call_79382389

    def response_model(self, ctx: Ctx) -> str:
        return ctx.model.response_model or ctx.requested  # aliases answer with the full id (facts 4.2)

    # ------------------------------------------------------------------ request semantics
    def reasoning(self, ctx: Ctx) -> None:
        """reasoning_effort checked against the model's values (rules table; texts facts 7 #19, #20)."""
        m = ctx.model
        r = m.rules
        eff = ctx.req.body.get("reasoning_effort")
        if eff is not None:
            if r.effort_param is None:
                raise self.bad_request(f"Model {ctx.requested} does not support parameter reasoningEffort.")
            if eff not in r.accepted_efforts:
                v = eff if isinstance(eff, str) else self.json_value(eff)
                raise self.bad_request(f"This model does not support `reasoning_effort` value `{v}`.")
        ctx.effort = eff or r.effort_default
        ctx.reasoning_on = r.reasons and ctx.effort != "none"
        ctx.visible = m.reasoning_visible and ctx.reasoning_on

    def check_input(self, ctx: Ctx, item: Media) -> SimError | None:
        """Vision models take jpg/jpeg and png only ('Supported image file types: jpg/jpeg or png')."""
        if item.kind == "image" and not item.linked and item.mime not in IMAGE_TYPES:
            return self.bad_request(f"Unsupported image type {item.mime}: use jpg/jpeg or png")  # [INFERRED]
        return None

    def unsupported_input(self, ctx: Ctx, item: Media) -> SimError | None:
        """A 400 naming the content element type the model does not take (image, audio or file)."""
        # real body for images on a text model (vercel/ai#3667); audio/file by analogy [INFERRED]
        return self.bad_request(f"The model does not support content elements of type {ELEMENT[item.part_type]}.")

    def validate(self, ctx: Ctx) -> None:
        super().validate(ctx)
        for k in self.refused_sampling(ctx):
            # refused even at 0 (paladin audit); verbatim form facts 7 #18
            raise self.bad_request(f"Model {ctx.requested} does not support parameter {CAMEL[k]}.")

    # ------------------------------------------------------------------ errors: {"code": str, "error": str}
    def _err(self, status: int, code: str, message: str, outcome: str,
             headers: dict[str, str] | None = None) -> SimError:
        return SimError(status, orjson.dumps({"code": code, "error": message}), outcome, headers)

    def bad_request(self, message: str, param: str | None = None, code: str | None = None) -> SimError:
        return self._err(400, INVALID_ARG, message, "bad_request")

    # codes and texts of xAI's newer error bodies: a third-party test's fixture of api.x.ai answers (id 70625637778)
    def auth_missing(self) -> SimError:
        return self._err(401, "unauthenticated:no-credentials", "No credentials presented.", "auth_error")

    def auth_invalid(self) -> SimError:
        # HTTP 400, string error (beeai-framework#447; newer wording without the masked key)
        return self._err(400, INVALID_ARG, "Incorrect API key provided. You can obtain an API key from "
                         "https://console.x.ai.", "auth_error")

    def model_not_found(self, model: str) -> SimError:
        return self._err(404, "not-found", f"The model {model} does not exist or your team does not have access "
                         "to it.", "not_found")

    def model_retired(self, rules: ModelRules) -> SimError:
        # the docs' "requests will no longer work" [NOT SETTLED: xAI's email says they redirect to grok-4.3]
        return self._err(rules.error_status or 404, "not-found", rules.error_message or "", "not_found")

    def rate_limited(self, model: str, retry_after_s: float, which: str, limit: int | None, fault: bool) -> SimError:
        unit = "tokens" if which == "tokens" else "requests"
        lim = f" ({limit} {unit} per minute)" if limit else ""
        return self._err(429, "resource-exhausted",
                         f"Your team has reached its rate limit{lim} for {model}. Please retry later.",
                         "limited" if not fault else "rate_limit")

    def server_error(self, status: int) -> SimError:
        if status == 503:
            return self._err(503, "unavailable", "Service temporarily unavailable.", "server_error")
        return self._err(status, "internal", "An internal error occurred.", "server_error")  # [INFERRED]

    def too_large(self) -> SimError:
        return self._err(413, INVALID_ARG, "Request Entity Too Large", "too_large")

    def overloaded(self) -> SimError:
        return self._err(503, "unavailable", "The model is overloaded. Please try again later.", "overloaded")

    def stream_error_event(self, ctx: Ctx) -> bytes:
        return sse({"code": "internal", "error": "An internal error occurred."})  # [INFERRED]

    # ------------------------------------------------------------------ rendering
    def finish(self, ctx: Ctx, plan: Plan) -> str:
        f = plan.finish
        if f == "tool_calls" and ctx.model.id != "grok-3-mini":
            # "XAI API returns empty string for finish_reason when using tools" (LiteLLM rewrites "" ->
            # tool_calls); grok-3-mini recordings (s08/t14) say "tool_calls", so only the grok-4 family does it.
            return ""
        return "stop" if f == "insufficient_system_resource" else f

    def usage(self, ctx: Ctx, plan: Plan) -> dict[str, Any]:
        comp = len(plan.content) + plan.tool_tokens  # reasoning EXCLUDED from completion_tokens
        p_cost, c_cost = plan.cost_usd(ctx.model)
        return {
            "prompt_tokens": plan.prompt_tokens, "completion_tokens": comp,
            "total_tokens": plan.prompt_tokens + comp + plan.reasoning_tokens,
            "prompt_tokens_details": {"text_tokens": plan.prompt_tokens, "audio_tokens": 0,
                                      "image_tokens": ctx.info.media_tokens("image") if ctx.info else 0,
                                      "cached_tokens": plan.cached_tokens},
            "completion_tokens_details": {"reasoning_tokens": plan.reasoning_tokens, "audio_tokens": 0,
                                          "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
            "num_sources_used": 0,
            "cost_in_usd_ticks": round((p_cost + c_cost) * 1e10),
        }

    def completion(self, ctx: Ctx, plan: Plan) -> dict[str, Any]:
        msg: dict[str, Any] = {"role": "assistant", "content": plan.text}
        if ctx.visible and plan.reasoning:
            msg["reasoning_content"] = plan.reasoning_text
        if plan.tool_calls:
            msg["tool_calls"] = [{"id": tc.id, "function": {"name": tc.name, "arguments": tc.arguments},
                                  "type": "function"} for tc in plan.tool_calls]
        msg["refusal"] = None
        choice: dict[str, Any] = {"index": 0, "message": msg, "finish_reason": self.finish(ctx, plan)}
        if plan.logprobs is not None:
            choice["logprobs"] = self.logprobs_of(plan)
        return {"id": ctx.rid, "object": "chat.completion", "created": ctx.created,
                "model": self.response_model(ctx), "choices": [choice],
                "usage": self.usage(ctx, plan), "system_fingerprint": "fp_2a885414fb"}

    def stream(self, ctx: Ctx, plan: Plan) -> Iterator[tuple[int, bytes]]:
        head = (b'data: {"id":"' + ctx.rid.encode() + b'","object":"chat.completion.chunk","created":'
                + str(ctx.created).encode() + b',"model":' + orjson.dumps(self.response_model(ctx)) + b',"choices":[')
        tail_fp = b',"system_fingerprint":"fp_2a885414fb"}\n\n'
        pt = plan.prompt_tokens
        details = {"text_tokens": pt, "audio_tokens": 0,
                   "image_tokens": ctx.info.media_tokens("image") if ctx.info else 0,
                   "cached_tokens": plan.cached_tokens}
        comp = 0
        reas = 0

        def chunk(delta: dict[str, Any], lp: dict[str, Any] | None = None) -> bytes:
            # cumulative usage on every chunk, as in the docs' streaming example
            usage = {"prompt_tokens": pt, "completion_tokens": comp, "total_tokens": pt + comp + reas,
                     "prompt_tokens_details": details,
                     "completion_tokens_details": {"reasoning_tokens": reas}}
            lps = b"" if lp is None else b',"logprobs":' + orjson.dumps({"content": [lp]})
            return (head + b'{"index":0,"delta":' + orjson.dumps(delta) + lps + b'}],"usage":'
                    + orjson.dumps(usage) + tail_fp)

        role = True
        if ctx.visible and plan.reasoning:
            for p in plan.reasoning:
                reas += 1
                d = {"reasoning_content": p, "role": "assistant"} if role else {"reasoning_content": p}
                role = False
                yield 1, chunk(d)
        elif plan.reasoning_tokens:
            reas = plan.reasoning_tokens
            yield plan.reasoning_tokens, b""
        lps = plan.logprobs
        for k, p in enumerate(plan.content):
            comp += 1
            d = {"content": p, "role": "assistant"} if role else {"content": p}
            role = False
            yield 1, chunk(d, lps[k] if lps is not None else None)
        for k, tc in enumerate(plan.tool_calls):
            comp += tc.tokens
            # "the function call is returned in whole in a single chunk" (key order as in s08)
            call = {"id": tc.id, "function": {"name": tc.name, "arguments": tc.arguments}, "index": k,
                    "type": "function"}
            d = {"tool_calls": [call], "role": "assistant"} if role else {"tool_calls": [call]}
            role = False
            yield tc.tokens, chunk(d)
        full = self.usage(ctx, plan)
        fin = {"id": ctx.rid, "object": "chat.completion.chunk", "created": ctx.created,
               "model": self.response_model(ctx),
               "choices": [{"index": 0, "delta": {}, "finish_reason": self.finish(ctx, plan)}], "usage": full,
               "system_fingerprint": "fp_2a885414fb"}
        yield 0, sse(fin)
        if ctx.req.include_usage:
            yield 0, sse({"id": ctx.rid, "object": "chat.completion.chunk", "created": ctx.created,
                          "model": self.response_model(ctx), "choices": [], "usage": full,
                          "system_fingerprint": "fp_2a885414fb"})
        yield 0, DONE

    def models_list(self) -> dict[str, Any]:
        from ..catalogue import models_for

        return {"data": [{"id": m.id, "created": m.created, "object": "model", "owned_by": "xai"}
                         for m in models_for(self.name)], "object": "list"}
