"""DeepSeek (quirks section 5, realcorpus s01/s11/t01).

Reproduced: ``reasoning_content`` (deepseek-reasoner, or deepseek-chat with ``thinking`` enabled);
usage with ``prompt_cache_hit_tokens``/``prompt_cache_miss_tokens`` mirrored in
``prompt_tokens_details.cached_tokens`` (deterministic 64-token prefix cache); ``call_00_…`` tool ids
with ``index``; the ``developer`` role rejected with the real serde message (HTTP 400, as in
earendil-works/pi#1048 and BenedictKing/ccx#149 in 2026; a 2025 report saw 422); with tools,
earlier assistant tool-call turns must carry ``reasoning_content`` on thinking models;
``: keep-alive`` comments while thinking; blank lines before non-stream bodies; UUID ids;
``insufficient_system_resource`` only through the fault of that name.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import orjson

from ..engine import Ctx, Plan, SimError
from .base import DONE, Dialect, sse

ROLES = "expected one of `system`, `user`, `assistant`, `tool`, `latest_reminder`"
EFFORT_MAP = {"minimal": "low", "low": "low", "medium": "high", "high": "high", "xhigh": "high", "max": "max",
              "ultra": "max"}
FP = "fp_8b330d02d0_prod0820_fp8_kvcache"


class DeepSeek(Dialect):
    name = "deepseek"
    request_id_header = "x-ds-trace-id"
    keepalive = b": keep-alive\n\n"
    nonstream_prefix = b"\n"  # "Non-streaming requests: Continuously return empty lines" (quirks 5.5)
    cache_rule = (64, 64)  # context caching on disk in 64-token units

    def new_request_id(self) -> str:
        return f"{self._ids.getrandbits(128):032x}"

    def new_response_id(self, ctx: Ctx) -> str:
        return self.uuid()

    def tool_call_id(self, ctx: Ctx, i: int) -> str:
        return f"call_{i:02d}_" + self.alnum(24, ctx.rng)

    def dump_args(self, args: dict[str, Any]) -> str:
        return json.dumps(args, ensure_ascii=False)  # '{"location": "Hangzhou"}' as in the docs sample

    def tool_preamble(self, ctx: Ctx) -> bool:
        return ctx.reasoning_on  # t01: thinking turns say a sentence before the calls

    def response_model(self, ctx: Ctx) -> str:
        return ctx.requested

    # ------------------------------------------------------------------ request semantics
    def reasoning(self, ctx: Ctx) -> None:
        body = ctx.req.body
        eff = body.get("reasoning_effort")
        if eff is not None and eff not in EFFORT_MAP:
            raise self.bad_request(f"Invalid reasoning_effort {self.json_value(eff)}")  # [INFERRED message]
        th = body.get("thinking")
        th_type = th.get("type") if isinstance(th, dict) else None
        m = ctx.model
        # deepseek-reasoner always thinks; deepseek-chat only with the thinking toggle (newest docs, quirks 5.2)
        on = True if m.id == "deepseek-reasoner" else th_type == "enabled"
        ctx.reasoning_on = on
        ctx.visible = on
        ctx.effort = EFFORT_MAP.get(eff, "high") if on else None
        if ctx.effort == "high":
            ctx.effort = "medium"  # the catalogue's reasoning_tokens is calibrated for DeepSeek's default

    def _serde_error(self, ctx: Ctx, what: str, needle: bytes) -> SimError:
        col = ctx.req.raw.find(needle)
        col = col + len(needle) if col >= 0 else len(ctx.req.raw)
        return self.bad_request(f"Failed to deserialize the JSON body into the target type: {what} at line 1 "
                                f"column {col}")

    def validate(self, ctx: Ctx) -> None:
        super().validate(ctx)
        msgs = ctx.req.messages
        for i, m in enumerate(msgs):
            role = m.get("role")
            if role == "developer":
                raise self._serde_error(ctx, f"messages[{i}].role: unknown variant `developer`, {ROLES}",
                                        b'"developer"')
            content = m.get("content")
            if isinstance(content, list):
                for p in content:
                    t = p.get("type") if isinstance(p, dict) else None
                    if t != "text":
                        # text-only API: non-text parts fail deserialization [INFERRED wording, quirks 5.8]
                        raise self._serde_error(ctx, f"messages[{i}]: unknown variant `{t}`, expected `text`",
                                                f'"{t}"'.encode())
        if ctx.reasoning_on and ctx.req.tools:
            for m in msgs:
                if m.get("role") == "assistant" and m.get("tool_calls") and m.get("reasoning_content") is None:
                    # quirks 5.2 (LiteLLM docstring quoting the API)
                    raise self.bad_request("The reasoning_content in the thinking mode must be passed back to "
                                           "the API.")

    # ------------------------------------------------------------------ errors: OpenAI-shaped, odd type/code
    def _err(self, status: int, message: str, type_: str, outcome: str) -> SimError:
        return self.error(status, message, type_=type_, code="invalid_request_error", outcome=outcome)

    def bad_request(self, message: str, param: str | None = None, code: str | None = None) -> SimError:
        return self._err(400, message, "invalid_request_error", "bad_request")

    def auth_missing(self) -> SimError:
        return self._err(401, "Authentication Fails, Your api key: **** is invalid", "authentication_error",
                         "auth_error")

    def auth_invalid(self) -> SimError:
        return self._err(401, "Authentication Fails, Your api key: **** is invalid", "authentication_error",
                         "auth_error")

    def model_not_found(self, model: str) -> SimError:
        return self._err(400, "Model Not Exist", "invalid_request_error", "not_found")  # real: HTTP 400

    def rate_limited(self, model: str, retry_after_s: float, which: str, limit: int | None, fault: bool) -> SimError:
        return self._err(429, "Rate Limit Reached", "rate_limit_error", "limited" if not fault else "rate_limit")

    def server_error(self, status: int) -> SimError:
        if status == 503:
            return self._err(503, "Server Overloaded", "unknown_error", "server_error")
        return self._err(status, "Server Error", "unknown_error", "server_error")

    def overloaded(self) -> SimError:
        return self._err(503, "Server Overloaded", "unknown_error", "overloaded")

    def stream_error_event(self, ctx: Ctx) -> bytes:
        return sse({"error": {"message": "Server Error", "type": "unknown_error", "param": None,
                              "code": "invalid_request_error"}})  # [INFERRED]

    # ------------------------------------------------------------------ rendering
    def usage(self, ctx: Ctx, plan: Plan) -> dict[str, Any]:
        out = plan.output_tokens
        u: dict[str, Any] = {"prompt_tokens": plan.prompt_tokens, "completion_tokens": out,
                             "total_tokens": plan.prompt_tokens + out,
                             "prompt_tokens_details": {"cached_tokens": plan.cached_tokens}}
        if ctx.reasoning_on:
            u["completion_tokens_details"] = {"reasoning_tokens": plan.reasoning_tokens}
        u["prompt_cache_hit_tokens"] = plan.cached_tokens
        u["prompt_cache_miss_tokens"] = plan.prompt_tokens - plan.cached_tokens
        return u

    def completion(self, ctx: Ctx, plan: Plan) -> dict[str, Any]:
        msg: dict[str, Any] = {"role": "assistant", "content": plan.text}
        if ctx.reasoning_on:
            msg["reasoning_content"] = plan.reasoning_text
        if plan.tool_calls:
            msg["tool_calls"] = [{"index": k, "id": tc.id, "type": "function",
                                  "function": {"name": tc.name, "arguments": tc.arguments}}
                                 for k, tc in enumerate(plan.tool_calls)]
        return {"id": ctx.rid, "object": "chat.completion", "created": ctx.created, "model": ctx.requested,
                "choices": [{"index": 0, "message": msg, "logprobs": None, "finish_reason": plan.finish}],
                "usage": self.usage(ctx, plan), "system_fingerprint": FP}

    def stream(self, ctx: Ctx, plan: Plan) -> Iterator[tuple[int, bytes]]:
        head = (b'data: {"id":"' + ctx.rid.encode() + b'","object":"chat.completion.chunk","created":'
                + str(ctx.created).encode() + b',"model":' + orjson.dumps(ctx.requested)
                + b',"system_fingerprint":"' + FP.encode() + b'","choices":[{"index":0,"delta":')
        think = ctx.reasoning_on

        def chunk(delta: dict[str, Any]) -> bytes:
            return head + orjson.dumps(delta) + b',"logprobs":null,"finish_reason":null}],"usage":null}\n\n'

        yield -1, self.keepalive
        yield 0, chunk({"role": "assistant", "content": None, "reasoning_content": ""} if think
                       else {"role": "assistant", "content": ""})
        for p in plan.reasoning:
            yield 1, chunk({"content": None, "reasoning_content": p})
        for p in plan.content:
            yield 1, chunk({"content": p, "reasoning_content": None} if think else {"content": p})
        for k, tc in enumerate(plan.tool_calls):
            yield 1, chunk({"tool_calls": [{"index": k, "id": tc.id, "type": "function",
                                            "function": {"name": tc.name, "arguments": ""}}]})
            for frag in tc.fragments:
                yield 1, chunk({"tool_calls": [{"index": k, "function": {"arguments": frag}}]})
        # the last chunk carries finish_reason and usage together (s01, s11)
        last = {"id": ctx.rid, "object": "chat.completion.chunk", "created": ctx.created, "model": ctx.requested,
                "system_fingerprint": FP,
                "choices": [{"index": 0, "delta": {"content": "", "reasoning_content": None} if think
                             else {"content": ""}, "logprobs": None, "finish_reason": plan.finish}],
                "usage": self.usage(ctx, plan) if ctx.req.include_usage else None}
        yield 0, sse(last)
        yield 0, DONE

    def models_list(self) -> dict[str, Any]:
        from ..catalogue import models_for

        return {"object": "list", "data": [{"id": m.id, "object": "model", "owned_by": "deepseek"}
                                           for m in models_for(self.name)]}
