"""OpenAI Chat Completions: the reference dialect (quirks section 1, realcorpus t03/t04/u02/e03/e05).

Inputs follow the catalogue: images and PDFs on the GPT-5/6 and 4.1 models, audio only on gpt-audio
(which answers 400 without it); other parts are a 400 "Invalid content type. <type> is only supported
by certain models."; seed changes the sampling. Reasoning models follow the rules table
(:mod:`..rules`): the ``reasoning_effort`` values each takes, ``max_tokens`` refused
("Use 'max_completion_tokens' instead."), sampling parameters refused while the model reasons, function
tools refused while reasoning on gpt-5.4 and later, retired ids answered 404 "has been deprecated";
every text verbatim from issue13-facts.md section 7 (#7-#14) unless marked.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import orjson

from ..catalogue import models_for
from ..plan import Ctx, Plan, SimError
from ..ratelimit import LimitView, go_duration, retry_after_header
from ..rules import EFFORT_ORDER, ModelRules
from .base import DONE, Dialect, obfuscation, sse, x_ratelimit

_OBF_B = tuple(obfuscation(i).encode() for i in range(16))

SERVER_MSG = "The server had an error while processing your request. Sorry about that!"
#: the gpt-5.4 family got the first wording of the tools + reasoning refusal (facts 7 #11)
OLD_TOOLS_WORDING = ("gpt-5.4", "gpt-5.4-mini", "gpt-5.4-nano")
VALUE_PARAMS = ("temperature", "top_p")  # refused with "Only the default (1) value is supported."


def _fmt_list(values: tuple[str, ...]) -> str:
    q = [f"'{v}'" for v in values]
    if len(q) < 3:
        return " and ".join(q)
    return ", ".join(q[:-1]) + ", and " + q[-1]


def _quoted(v: Any) -> str:
    """A value as OpenAI's messages show it: strings in single quotes ('none'), other JSON as is."""
    return f"'{v}'" if isinstance(v, str) else orjson.dumps(v).decode()


class OpenAI(Dialect):
    name = "openai"
    request_id_header = "x-request-id"
    ratelimit_headers = True
    # TPM counts "the maximum of max_tokens and the estimated number of tokens based on the character count of
    # your request" (platform.openai.com/docs/guides/rate-limits; wording not re-read on 2026-11-29, to verify):
    # prompt + max_tokens is charged up front and not given back.
    token_rule = "reserve"
    cache_rule = (128, 1024)  # prompts >= 1024 tokens cache in 128-token steps
    error_content_type = "application/json; charset=utf-8"  # realcorpus e05
    # Body limit of Chat Completions: not documented. Bounded below by the 400 "Total image size ... exceeds the
    # allowed limit of 50MB" measured 2026-09 (a ~67 MB base64 body got through to the API), above by the 413
    # for 300 MB seen in issue 14; 100 MB assumed. The answer is nginx's own page (community.openai.com/t/1254364,
    # 2025-05, "413 Request Entity Too Large ... nginx").
    max_request_bytes = 100_000_000

    # ------------------------------------------------------------------ request semantics
    def reasoning(self, ctx: Ctx) -> None:
        r = ctx.model.rules
        eff = ctx.req.body.get("reasoning_effort")
        ctx.visible = False  # Chat Completions never returns reasoning text (quirks 1.2)
        if not r.reasons:
            if eff is not None:
                raise self.bad_request("Unsupported parameter: 'reasoning_effort' is not supported with this model.",
                                       param="reasoning_effort", code="unsupported_parameter")
            return
        if eff is not None and eff not in r.accepted_efforts:
            supported = tuple(e for e in EFFORT_ORDER if e in r.accepted_efforts)
            raise self.bad_request(  # facts 7 #9
                f"Unsupported value: 'reasoning_effort' does not support {_quoted(eff)} with this model. "
                f"Supported values are: {_fmt_list(supported)}.", param="reasoning_effort", code="unsupported_value")
        ctx.effort = eff or r.effort_default
        ctx.reasoning_on = ctx.effort != "none"

    def validate(self, ctx: Ctx) -> None:
        super().validate(ctx)
        r = ctx.model.rules
        if r.max_tokens_param == "max_completion_tokens" and ctx.req.body.get("max_tokens") is not None:
            raise self.bad_request(  # facts 7 #7
                "Unsupported parameter: 'max_tokens' is not supported with this model. "
                "Use 'max_completion_tokens' instead.", param="max_tokens", code="unsupported_parameter")
        for k in self.refused_sampling(ctx):
            if k in VALUE_PARAMS:  # facts 7 #8 (temperature; top_p's wording by analogy [INFERRED])
                raise self.bad_request(
                    f"Unsupported value: '{k}' does not support {self.json_value(ctx.req.body[k])} with this model. "
                    "Only the default (1) value is supported.", param=k, code="unsupported_value")
            raise self.bad_request(f"Unsupported parameter: '{k}' is not supported with this model.",  # facts 7 #14
                                   param=k, code="unsupported_parameter")
        if ctx.reasoning_on and ctx.req.tools and not r.tools_with_reasoning:
            raise self.tools_refused(ctx, r)

    def tools_refused(self, ctx: Ctx, r: ModelRules) -> SimError:
        """Function tools while reasoning on gpt-5.4+ / GPT-6 (facts 7 #11; that body has no "code" key)."""
        head = f"Function tools with reasoning_effort are not supported for {ctx.requested} in /v1/chat/completions."
        tail = (" Please use /v1/responses instead." if r.id in OLD_TOOLS_WORDING
                else " To use function tools, use /v1/responses or set reasoning_effort to 'none'.")
        body = {"error": {"message": head + tail, "type": "invalid_request_error", "param": "reasoning_effort"}}
        return SimError(400, orjson.dumps(body), "bad_request")

    # ------------------------------------------------------------------ errors
    def auth_missing(self) -> SimError:
        return self.error(401, "You didn't provide an API key. You need to provide your API key in an Authorization "
                               "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). You can obtain an "
                               "API key from https://platform.openai.com/account/api-keys.",
                          type_="invalid_request_error", outcome="auth_error")

    def auth_invalid(self) -> SimError:
        # the real message shows a masked key; the simulator never echoes any part of it
        return self.error(401, "Incorrect API key provided: ********. You can find your API key at "
                               "https://platform.openai.com/account/api-keys.",
                          type_="invalid_request_error", code="invalid_api_key", outcome="auth_error")

    def model_not_found(self, model: str) -> SimError:
        return self.error(404, f"The model `{model}` does not exist or you do not have access to it.",  # facts 7 #12
                          type_="invalid_request_error", code="model_not_found", outcome="not_found")

    def model_retired(self, rules: ModelRules) -> SimError:
        # "The model `<id>` has been deprecated, learn more here: ..." (facts 7 #13)
        return self.error(rules.error_status or 404, rules.error_message or "", type_="invalid_request_error",
                          code="model_not_found", outcome="not_found")

    def rate_limited(self, model: str, retry_after_s: float, which: str, limit: int | None, fault: bool) -> SimError:
        unit = "tokens per min (TPM)" if which == "tokens" else "requests per min (RPM)"
        lim = f"Limit {limit}, " if limit else ""
        msg = (f"Rate limit reached for {model} in organization org-simulated on {unit}: {lim}"
               f"please try again in {retry_after_s:.3g}s. Visit https://platform.openai.com/account/rate-limits "
               "to learn more.")
        return self.error(429, msg, type_="tokens" if which == "tokens" else "requests", code="rate_limit_exceeded",
                          outcome="limited" if not fault else "rate_limit")

    def limit_headers(self, view: LimitView) -> dict[str, str]:
        """x-ratelimit-{limit,remaining,reset}-{requests,tokens}, resets as Go durations ('6m0s', '1s', '250ms'):
        real headers in realcorpus t04 and quirks 1.6 (community.openai.com thread, 2025-05)."""
        return x_ratelimit(view)

    def limited(self, model: str, view: LimitView) -> SimError:
        """429 rate_limit_exceeded with type "requests"/"tokens", the x-ratelimit-* headers, retry-after and the
        retry-after-ms the SDK reads first (openai-python _base_client._parse_retry_after_header; not re-read
        on 2026-11-29)."""
        if view.which == "requests-day":  # RPD: same code, the day named in the message (OpenAI rate-limits guide)
            hit = view.hit
            e = self.error(429, f"Rate limit reached for {model} in organization org-simulated on requests per day "
                           f"(RPD): Limit {hit.limit}, Used {hit.limit}, Requested 1. Please try again in "
                           f"{go_duration(view.retry_after_s)}. Visit https://platform.openai.com/account/rate-limits "
                           "to learn more.", type_="requests", code="rate_limit_exceeded", outcome="limited")
        else:
            e = super().limited(model, view)
        e.headers.update(self.limit_headers(view))
        e.headers["retry-after"] = retry_after_header(view.retry_after_s)
        e.headers["retry-after-ms"] = str(max(1, math.ceil(view.retry_after_s * 1000)))
        return e

    def server_error(self, status: int) -> SimError:
        if status == 503:
            return self.error(503, "The server is overloaded or not ready yet.", type_="server_error",
                              outcome="server_error")
        return self.error(status, SERVER_MSG, type_="server_error", outcome="server_error")

    def too_large(self) -> SimError:
        return self.html_413("nginx")

    def overloaded(self) -> SimError:
        return self.error(503, "The engine is currently overloaded, please try again later.", type_="server_error",
                          outcome="overloaded")

    # ------------------------------------------------------------------ rendering
    def finish(self, ctx: Ctx, plan: Plan) -> str:
        f = plan.finish
        if f == "tool_calls" and isinstance(ctx.req.tool_choice, dict):
            return "stop"  # a forced named function comes back with "stop" (quirks 1.4, GoModel#124)
        return "stop" if f == "insufficient_system_resource" else f

    def fingerprint(self, ctx: Ctx) -> str | None:
        return None if ctx.model.id.startswith(("gpt-5", "gpt-6")) else "fp_3f58d112f7"

    def usage(self, ctx: Ctx, plan: Plan) -> dict[str, Any]:
        out = plan.output_tokens  # reasoning included in completion_tokens (quirks 1.2)
        return {
            "prompt_tokens": plan.prompt_tokens,
            "completion_tokens": out,
            "total_tokens": plan.prompt_tokens + out,
            "prompt_tokens_details": {"cached_tokens": plan.cached_tokens,
                                      "audio_tokens": ctx.info.media_tokens("audio") if ctx.info else 0},
            "completion_tokens_details": {"reasoning_tokens": plan.reasoning_tokens, "audio_tokens": 0,
                                          "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
        }

    def completion(self, ctx: Ctx, plan: Plan) -> dict[str, Any]:
        msg: dict[str, Any] = {"role": "assistant", "content": plan.text if (plan.content or not plan.tool_calls)
                               else None}
        if plan.tool_calls:
            msg["tool_calls"] = [{"id": tc.id, "type": "function",
                                  "function": {"name": tc.name, "arguments": tc.arguments}} for tc in plan.tool_calls]
        msg["refusal"] = None
        msg["annotations"] = []
        return {
            "id": ctx.rid, "object": "chat.completion", "created": ctx.created, "model": self.response_model(ctx),
            "choices": [{"index": 0, "message": msg, "logprobs": self.logprobs_of(plan),
                         "finish_reason": self.finish(ctx, plan)}],
            "usage": self.usage(ctx, plan), "service_tier": "default", "system_fingerprint": self.fingerprint(ctx),
        }

    def stream(self, ctx: Ctx, plan: Plan) -> Iterator[tuple[int, bytes]]:
        head = (b'data: {"id":"' + ctx.rid.encode() + b'","object":"chat.completion.chunk","created":'
                + str(ctx.created).encode() + b',"model":' + orjson.dumps(self.response_model(ctx))
                + b',"service_tier":"default","system_fingerprint":' + orjson.dumps(self.fingerprint(ctx))
                + (b',"usage":null' if ctx.req.include_usage else b"") + b',"choices":[{"index":0,"delta":')
        i = 0

        def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
            nonlocal i
            i += 1
            return (head + orjson.dumps(delta) + b',"logprobs":null,"finish_reason":'
                    + (b"null" if finish is None else b'"' + finish.encode() + b'"')
                    + b'}],"obfuscation":"' + obfuscation(i).encode() + b'"}\n\n')

        if plan.reasoning_tokens:
            yield plan.reasoning_tokens, b""  # hidden reasoning: time passes, nothing is sent
        if plan.tool_calls and not plan.content:
            yield 0, chunk({"role": "assistant", "content": None})
        else:
            yield 0, chunk({"role": "assistant", "content": "", "refusal": None})
            pre = head + b'{"content":'
            post = b'},"logprobs":null,"finish_reason":null}],"obfuscation":"'
            dumps = orjson.dumps
            if plan.logprobs is None:
                for p in plan.content:  # hot path: no dict per token
                    i += 1
                    yield 1, pre + dumps(p) + post + _OBF_B[i & 15] + b'"}\n\n'
            else:  # each content chunk carries the logprobs of its own pieces
                for p, lp in zip(plan.content, plan.logprobs, strict=False):
                    i += 1
                    yield 1, (pre + dumps(p) + b'},"logprobs":' + dumps({"content": [lp], "refusal": None})
                              + b',"finish_reason":null}],"obfuscation":"' + _OBF_B[i & 15] + b'"}\n\n')
        for k, tc in enumerate(plan.tool_calls):
            yield 1, chunk({"tool_calls": [{"index": k, "id": tc.id, "type": "function",
                                            "function": {"name": tc.name, "arguments": ""}}]})
            for frag in tc.fragments:
                yield 1, chunk({"tool_calls": [{"index": k, "function": {"arguments": frag}}]})
        yield 0, chunk({}, self.finish(ctx, plan))
        if ctx.req.include_usage:
            obj = {"id": ctx.rid, "object": "chat.completion.chunk", "created": ctx.created,
                   "model": self.response_model(ctx), "service_tier": "default",
                   "system_fingerprint": self.fingerprint(ctx), "choices": [], "usage": self.usage(ctx, plan),
                   "obfuscation": obfuscation(i + 1)}
            yield 0, sse(obj)
        yield 0, DONE

    def models_list(self) -> dict[str, Any]:
        # "check each model's optional shutdown_date field ... YYYY-MM-DD string, or null" (deprecations page)
        return {"object": "list", "data": [
            {"id": m.id, "object": "model", "created": m.created, "owned_by": self.name,
             "shutdown_date": m.rules.shutdown} for m in models_for(self.name)]}

    def success_headers(self, ctx: Ctx) -> dict[str, str]:
        return {"openai-version": "2020-10-01", "openai-processing-ms": str(40 + ctx.seed_int % 400)}
