"""Anthropic's OpenAI SDK compatibility layer (quirks section 2).

Documented behaviour reproduced: no reasoning text ever, ``usage.*_details`` absent, every
system/developer message hoisted into one system prompt (joined with "\\n"), ``n`` must be 1,
temperature > 1 capped, ``reasoning_effort``/``response_format``/``seed``/``logprobs`` ignored,
``input_audio`` and ``file`` parts stripped silently (the answer does not mention them), ``thinking``
extra forwarded, ``request-id`` header, x-ratelimit-* headers, 529 overloaded.

Thinking and sampling follow the rules table (:mod:`..rules`), as the native Messages API enforces them
(whether the compatibility layer forwards all of it is [NOT SETTLED], issue13-facts.md 2.3): adaptive-only
models (Opus 4.7+, Claude 5) refuse ``thinking.type: "enabled"``; Fable 5.x, Opus 5.5 and Sonnet 5.5 refuse
``disabled``, Opus 5 only above effort high; budget models (Sonnet 4.5, Haiku 4.5) refuse ``adaptive``;
Claude 5 thinks when the request says nothing; non-default ``temperature``/``top_p``/``top_k`` are refused
on the adaptive-only models and Haiku 5.5. Texts verbatim from issue13-facts.md section 7 (#1-#6).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..catalogue import models_for
from ..plan import Ctx, Plan, SimError
from ..ratelimit import Dim, LimitView, retry_after_header, rfc3339
from ..rules import EFFORT_ORDER, ModelRules
from ..text import Media
from .base import DONE, Dialect, sse, x_ratelimit

_USE_ADAPTIVE = 'Use "thinking.type.adaptive" and "output_config.effort" to control thinking behavior.'
#: facts 7 #1 (enabled on adaptive-only models) and #3 (disabled on always-on models)
ENABLED_REFUSED = '"thinking.type.enabled" is not supported for this model. ' + _USE_ADAPTIVE
DISABLED_REFUSED = '"thinking.type.disabled" is not supported for this model. ' + _USE_ADAPTIVE
#: facts 7 #3: the one Sonnet 5.5 log (models that take "between_tools")
DISABLED_REFUSED_BETWEEN = ('"thinking.type.disabled" is not supported for this model. Use '
                            '"thinking.type.between_tools" for the lowest thinking setting, or '
                            '"thinking.type.adaptive" and "output_config.effort" to control thinking behavior.')
ADAPTIVE_REFUSED = "adaptive thinking is not supported on this model"  # facts 7 #2
BOTH_SAMPLERS = "`temperature` and `top_p` cannot both be specified for this model. Please use only one."  # 2.4
TOP_P_THINKING = "`top_p` must be greater than or equal to 0.95 or unset when thinking is enabled."  # facts 2.4


class Anthropic(Dialect):
    name = "anthropic"
    request_id_header = "request-id"
    ratelimit_headers = True
    # "Rate limits follow the native /v1/messages limits" (compat page, quirks 2.7): input and output tokens per
    # minute are separate (ITPM, OTPM); "OTPM rate limits are estimated based on max_tokens at the beginning of each
    # request and adjusted at the end of the request to reflect the actual number of output tokens used"
    # (docs.anthropic.com/en/api/rate-limits; wording not re-read on 2026-11-29, to verify).
    # A plain tpm limit counts as ITPM.
    token_rule = "split"
    hoists_system = True
    honours_response_format = False  # response_format: Ignored
    cache_rule = None  # "Prompt caching is not supported via this layer"
    # "32 MB for standard endpoints, including the Messages API" and "413 request_too_large error from
    # Cloudflare" (platform.claude.com/docs/en/api/overview#request-size-limits, read 2026-10; a maintainer
    # confirmed 32 MB in anthropic-sdk-python#938 on 2026-08-05). Cloudflare answers before the API, whatever path.
    max_request_bytes = 32_000_000
    extension_params = frozenset({"thinking", "output_config"})  # its extras: shape.py checks their types
    # of the parameters the compat page lists as "Ignored" (quirks 2.6), those the simulator would type-check
    ignored_params = frozenset({"logprobs", "top_logprobs", "seed", "reasoning_effort", "response_format"})

    def new_request_id(self) -> str:
        return "req_011C" + self.alnum(20)

    def new_response_id(self, ctx: Ctx) -> str:
        return "msg_01" + self.alnum(22)

    def tool_call_id(self, ctx: Ctx, i: int) -> str:
        return "toolu_01" + self.alnum(22, ctx.rng)  # native id style [INFERRED, quirks 2.4]

    def tool_preamble(self, ctx: Ctx) -> bool:
        return True  # Claude usually says a sentence before calling tools [INFERRED]

    def response_model(self, ctx: Ctx) -> str:
        return ctx.model.id

    # ------------------------------------------------------------------ request semantics
    def reasoning(self, ctx: Ctx) -> None:
        # reasoning_effort: Ignored. Thinking through the `thinking` extra (and the native output_config.effort,
        # [NOT SETTLED] through this layer); never returned as text.
        r = ctx.model.rules
        body = ctx.req.body
        th = body.get("thinking")
        kind = th.get("type") if isinstance(th, dict) else None
        oc = body.get("output_config")
        effort = oc.get("effort") if isinstance(oc, dict) else None
        ctx.visible = False
        if r.effort_param is None:
            effort = None  # no effort levels on this model: what it does with one is not settled, so ignored
        if effort is not None and effort not in r.accepted_efforts:
            allowed = " or ".join(f"'{e}'" for e in r.accepted_efforts) or "absent"
            raise self.bad_request(f"output_config.effort: Input should be {allowed}")  # [INFERRED wording]
        if kind is None:
            ctx.reasoning_on = r.thinking_default  # on by default on Claude 5 (compat page, facts 2.3)
            ctx.effort = effort or r.effort_default
            return
        if kind not in r.thinking_types:
            raise self.thinking_refused(r, kind)
        if kind == "disabled":
            cap = r.disable_max_effort
            if cap and effort and EFFORT_ORDER.index(effort) > EFFORT_ORDER.index(cap):
                raise self.bad_request(  # facts 7 #4 (Opus 5)
                    f'"thinking.type" value "disabled" is not supported with "output_config.effort" value "{effort}" '
                    "for this model")
            ctx.reasoning_on = False
            ctx.effort = None
            return
        ctx.reasoning_on = True
        if kind == "enabled":
            ctx.effort = self._budget_effort(ctx, th.get("budget_tokens"))
        else:  # adaptive (and Sonnet 5.5's between_tools, the lowest setting)
            ctx.effort = "low" if kind == "between_tools" else (effort or r.effort_default or "high")

    def _budget_effort(self, ctx: Ctx, budget: Any) -> str:
        """Check a fixed thinking budget (at least 1024, below max_tokens); the effort it amounts to."""
        if not isinstance(budget, int) or isinstance(budget, bool) or budget < 1024:
            raise self.bad_request("thinking.enabled.budget_tokens: Input should be greater than or equal "
                                   "to 1024", param="thinking.budget_tokens")
        cap = ctx.req.cap
        if cap is not None and cap <= budget:
            raise self.bad_request(
                "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our "
                "documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
                "#max-tokens-and-context-window-size", param="max_tokens")
        return "low" if budget <= 2048 else ("medium" if budget <= 8192 else "high")

    def thinking_refused(self, r: ModelRules, kind: Any) -> SimError:
        """The 400 for a thinking.type the model does not take (facts 7 #1-#3)."""
        if kind == "enabled" and r.adaptive_only:
            return self.bad_request(ENABLED_REFUSED)
        if kind == "disabled":
            text = DISABLED_REFUSED_BETWEEN if "between_tools" in r.thinking_types else DISABLED_REFUSED
            return self.bad_request(text)
        if kind == "adaptive":
            return self.bad_request(ADAPTIVE_REFUSED)
        tags = ", ".join(f"'{t}'" for t in sorted(r.thinking_types))  # an unknown tag [INFERRED wording]
        return self.bad_request(f"thinking: Input tag {self.json_value(kind)} found using 'type' does not match "
                                f"any of the expected tags: {tags}")

    def unsupported_input(self, ctx: Ctx, item: Media) -> SimError | None:
        """None: audio and file parts are stripped silently, as the compatibility layer documents."""
        # "Audio input is not supported; it will simply be ignored and stripped from input"; `file` parts:
        # "Ignored" in the compatibility layer's request table. Dropped without a word.
        return None

    def validate(self, ctx: Ctx) -> None:
        if ctx.req.n != 1:  # "n: Must be exactly 1"
            raise self.bad_request("n: only n=1 is supported", param="n")
        # temperature > 1 is capped at 1, not rejected, on the models that take temperature.
        body = ctx.req.body
        for k in self.refused_sampling(ctx):
            # facts 7 #5: "`temperature` is deprecated for this model." (top_p / top_k by analogy [INFERRED])
            raise self.bad_request(f"`{k}` is deprecated for this model.")
        rules = ctx.model.rules.sampling_rules
        if "temperature_xor_top_p" in rules and body.get("temperature") is not None and body.get("top_p") is not None:
            raise self.bad_request(BOTH_SAMPLERS)
        top_p = body.get("top_p")
        if ("top_p_min_0.95_with_thinking" in rules and ctx.reasoning_on and isinstance(top_p, int | float)
                and top_p < 0.95):
            raise self.bad_request(TOP_P_THINKING)

    # ------------------------------------------------------------------ errors
    # OpenAI-shaped envelopes carrying the native Anthropic error types [INFERRED: the page only says
    # "consistent error formats with the OpenAI API"; messages are the native API's, which name no param].
    def _err(self, status: int, type_: str, message: str, outcome: str, headers: dict[str, str] | None = None,
             param: str | None = None) -> SimError:
        return self.error(status, message, type_=type_, code=type_, param=param, outcome=outcome, headers=headers)

    def bad_request(self, message: str, param: str | None = None, code: str | None = None) -> SimError:
        return self._err(400, "invalid_request_error", message, "bad_request", param=param)

    def auth_missing(self) -> SimError:
        return self._err(401, "authentication_error", "x-api-key header is required", "auth_error")

    def auth_invalid(self) -> SimError:
        return self._err(401, "authentication_error", "invalid x-api-key", "auth_error")

    def model_not_found(self, model: str) -> SimError:
        return self._err(404, "not_found_error", f"model: {model}", "not_found")  # native message, facts 7 #6

    def model_retired(self, rules: ModelRules) -> SimError:
        return self._err(rules.error_status or 404, "not_found_error", rules.error_message or "", "not_found")

    def limit_headers(self, view: LimitView) -> dict[str, str]:
        """Both families: the compat page lists x-ratelimit-{limit,remaining,reset}-{requests,tokens} as "fully
        supported" (quirks 2.7, page fetched 2026-09-26; reset spelled as OpenAI's durations [INFERRED]); the native
        anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,reset} with RFC 3339
        resets (quirks section 0, 2026-11-29; docs.anthropic.com/en/api/rate-limits). "tokens" is the most
        restrictive of the token limits in effect."""
        req, tok = view.dims["requests"], view.tokens()
        out = x_ratelimit(view)
        dims: dict[str, Dim] = {"requests": req, "tokens": tok, "input-tokens": view.dims.get("input-tokens", tok),
                                "output-tokens": view.dims.get("output-tokens", tok)}
        for name, d in dims.items():
            out[f"anthropic-ratelimit-{name}-limit"] = str(d.limit)
            out[f"anthropic-ratelimit-{name}-remaining"] = str(d.remaining)
            out[f"anthropic-ratelimit-{name}-reset"] = rfc3339(view.wall + d.reset_s)
        return out

    def limited(self, model: str, view: LimitView) -> SimError:
        """429 rate_limit_error naming the limit, both header families and retry-after in seconds (native rate-limits
        page: "a retry-after header indicating how long to wait")."""
        which = "requests" if view.which.startswith("requests") else view.which
        e = self.rate_limited(model, view.retry_after_s, which, view.hit.limit, fault=False)
        e.headers.update(self.limit_headers(view))
        e.headers["retry-after"] = retry_after_header(view.retry_after_s)
        return e

    def rate_limited(self, model: str, retry_after_s: float, which: str, limit: int | None, fault: bool) -> SimError:
        unit = {"requests": "requests", "output-tokens": "output tokens"}.get(which, "input tokens")
        lim = f"of {limit} {unit} per minute " if limit else ""
        return self._err(429, "rate_limit_error",
                         f"This request would exceed the rate limit for your organization {lim}for {model}. "
                         "Please reduce the prompt length or the maximum tokens requested, or try again later.",
                         "limited" if not fault else "rate_limit")

    def server_error(self, status: int) -> SimError:
        return self._err(status, "api_error", "Internal server error", "server_error")

    def invalid_schema(self, what: str, problem: str, param: str, tool: int | None) -> SimError:
        """The native API's refusal of a tool's input schema (quoted in many real 400s, e.g. Claude Code's)."""
        return self.bad_request(f"tools.{tool}.custom.input_schema: JSON schema is invalid. It must match JSON Schema "
                                "draft 2020-12")

    def too_large(self) -> SimError:
        """Cloudflare's JSON 413, the body verbatim from anthropic-sdk-python#938 (2025-04-14)."""
        return SimError(413, b'{"error":{"type":"request_too_large","message":"Request exceeds the maximum size"}}',
                        "too_large")

    def overloaded(self) -> SimError:
        e = self._err(529, "overloaded_error", "Overloaded", "overloaded")
        e.reason = "Site Overloaded"
        return e

    def stream_error_event(self, ctx: Ctx) -> bytes:
        # real body from anthropic-sdk-typescript#711: type/code look swapped relative to OpenAI conventions
        return sse({"error": {"code": "api_error", "message": "Internal server error", "param": None,
                              "type": "invalid_request_error"}})

    # ------------------------------------------------------------------ rendering
    def finish(self, plan: Plan) -> str:
        # end_turn->stop, max_tokens->length, tool_use->tool_calls; refusal->content_filter [INFERRED]
        return "stop" if plan.finish == "insufficient_system_resource" else plan.finish

    def usage(self, ctx: Ctx, plan: Plan) -> dict[str, Any]:
        out = plan.output_tokens  # thinking tokens are output tokens natively
        # "usage.*_details: Always empty" -> omitted
        return {"prompt_tokens": plan.prompt_tokens, "completion_tokens": out,
                "total_tokens": plan.prompt_tokens + out}

    def completion(self, ctx: Ctx, plan: Plan) -> dict[str, Any]:
        msg: dict[str, Any] = {"role": "assistant", "content": plan.text}
        if plan.tool_calls:
            msg["tool_calls"] = [{"id": tc.id, "type": "function",
                                  "function": {"name": tc.name, "arguments": tc.arguments}} for tc in plan.tool_calls]
        return {"id": ctx.rid, "object": "chat.completion", "created": ctx.created, "model": ctx.model.id,
                "choices": [{"index": 0, "message": msg, "finish_reason": self.finish(plan)}],
                "usage": self.usage(ctx, plan)}

    def stream(self, ctx: Ctx, plan: Plan) -> Iterator[tuple[int, bytes]]:
        # chunk shape follows the sanitized gateway fixture realcorpus t09 [INFERRED for the real layer]
        base = {"id": ctx.rid, "object": "chat.completion.chunk", "created": ctx.created, "model": ctx.model.id}

        def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
            return sse({**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})

        if plan.reasoning_tokens:
            yield plan.reasoning_tokens, b""
        yield 0, chunk({"role": "assistant"})
        for p in plan.content:
            yield 1, chunk({"content": p})
        # tool-call index is the native content-block index: 1 when a text block came first (t09)
        first = 1 if plan.content else 0
        for k, tc in enumerate(plan.tool_calls):
            idx = first + k
            yield 1, chunk({"tool_calls": [{"index": idx, "id": tc.id, "type": "function",
                                            "function": {"name": tc.name, "arguments": ""}}]})
            for frag in tc.fragments:
                yield 1, chunk({"tool_calls": [{"index": idx, "function": {"arguments": frag}}]})
        yield 0, chunk({}, self.finish(plan))
        if ctx.req.include_usage:
            yield 0, sse({**base, "choices": [], "usage": self.usage(ctx, plan)})
        yield 0, DONE

    def success_headers(self, ctx: Ctx) -> dict[str, str]:
        return {"openai-version": "2020-10-01", "openai-processing-ms": ""}

    def models_list(self) -> dict[str, Any]:
        # the native /v1/models list shape [INFERRED: the compat page does not cover /models]
        data = [{"type": "model", "id": m.id, "display_name": m.id.replace("-", " ").title(),
                 "created_at": "2026-01-01T00:00:00Z"} for m in models_for(self.name)]
        return {"data": data, "has_more": False, "first_id": data[0]["id"], "last_id": data[-1]["id"]}
