"""DeepSeek (quirks section 5, realcorpus s01/s11/t01).

Reproduced: ``reasoning_content`` (the V4 models think by default; ``thinking: {"type": "disabled"}``
turns it off); the retired deepseek-chat / deepseek-reasoner answered 400 "Model Not Exist" (rules table);
the legacy name deepseek-v4-flash answered by deepseek-flash;
usage with ``prompt_cache_hit_tokens``/``prompt_cache_miss_tokens`` mirrored in
``prompt_tokens_details.cached_tokens`` (deterministic 64-token prefix cache); ``call_00_…`` tool ids
with ``index``; the ``developer`` role rejected with the real serde message (HTTP 400, as in
earendil-works/pi#1048 and BenedictKing/ccx#149 in 2026; a 2025 report saw 422); with tools,
earlier assistant tool-call turns must carry ``reasoning_content`` on thinking models;
``: keep-alive`` comments while thinking; blank lines before non-stream bodies; UUID ids;
``insufficient_system_resource`` only through the fault of that name. Images only on the Flash vision
model; other parts fail deserialization (serde "unknown variant", HTTP 400, 422 for ``input_audio``),
an OpenAI-shaped PDF part on the vision model is a 400 "This model does not support file type ...";
``response_format`` json_schema is a 400; seed is ignored.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import orjson

from ..plan import Ctx, Plan, SimError
from ..rules import ModelRules
from ..shape import type_name
from ..text import Media
from .base import DONE, Dialect, sse

# serde_json's names for what it found and what the target type wanted
SERDE_GOT = {"null": "null", "boolean": "boolean", "integer": "integer", "decimal": "floating point",
             "string": "string", "array": "sequence", "object": "map"}
SERDE_EXPECTED = {"string": "a string", "integer": "u32", "decimal": "f32", "boolean": "a boolean",
                  "object": "a map", "array": "a sequence"}

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
    # Limits are dynamic and undocumented (api-docs.deepseek.com/quick_start/rate_limit; quirks 5.7); when a test
    # sets one, all tokens count [INFERRED]. "No x-ratelimit-* headers observed" (quirks 5.7: Langertha's docs list
    # DeepSeek as returning none), so the 429 "Rate Limit Reached" carries no headers (base.limited).
    token_rule = "after"
    # "48 MiB request body" (api-docs.deepseek.com/guides/vision, as in the client's capability table, 2026); the
    # answer beyond is openresty's own 413 page (Doriandarko/deepseek-engineer#18, 2025-08-13).
    max_request_bytes = 48 * 1024 * 1024
    extension_params = frozenset({"thinking"})  # thinking on/off (shape.py checks their types)

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

    # ------------------------------------------------------------------ request semantics
    def reasoning(self, ctx: Ctx) -> None:
        """thinking {type: enabled|disabled} (on by default on V4) and reasoning_effort (rules table)."""
        body = ctx.req.body
        r = ctx.model.rules
        eff = body.get("reasoning_effort")
        if eff is not None and eff not in EFFORT_MAP:
            raise self.bad_request(f"Invalid reasoning_effort {self.json_value(eff)}")  # [INFERRED message]
        th = body.get("thinking")
        th_type = th.get("type") if isinstance(th, dict) else None
        if th_type is not None and th_type not in r.thinking_types:
            # serde's refusal of an unknown enum variant, as for roles [INFERRED for this field]
            raise self._serde_error(ctx, f"thinking.type: unknown variant `{th_type}`, expected "
                                    + " or ".join(f"`{t}`" for t in r.thinking_types), f'"{th_type}"'.encode())
        on = r.thinking_default if th_type is None else th_type == "enabled"
        ctx.reasoning_on = on
        ctx.visible = on
        ctx.effort = EFFORT_MAP.get(eff, r.effort_default or "high") if on else None
        if ctx.effort == "high":
            ctx.effort = "medium"  # the catalogue's reasoning_tokens is calibrated for DeepSeek's default

    def _serde_error(self, ctx: Ctx, what: str, needle: bytes, status: int = 400) -> SimError:
        col = ctx.req.raw.find(needle)
        col = col + len(needle) if col >= 0 else len(ctx.req.raw)
        e = self.bad_request(f"Failed to deserialize the JSON body into the target type: {what} at line 1 "
                             f"column {col}")
        e.status = status
        return e

    def invalid_type(self, path: str, expected: Any, value: Any, raw: bytes) -> SimError:
        """serde's words for a field of the wrong type, like its other refusals [INFERRED wording and column]."""
        got = SERDE_GOT.get(type_name(value), "map")
        if type_name(value) in ("boolean", "integer", "decimal"):
            got = f"{got} `{self.json_value(value)}`"
        elif isinstance(value, str):
            got = f"{got} {self.json_value(value)}"
        kinds = expected if isinstance(expected, tuple) else (expected,)
        want = " or ".join(SERDE_EXPECTED.get(k, k) for k in kinds)
        needle = f'"{path.rsplit(".", 1)[-1].split("[")[0]}"'.encode()
        col = raw.find(needle)
        col = col + len(needle) if col >= 0 else len(raw)
        return self.bad_request(f"Failed to deserialize the JSON body into the target type: {path}: invalid type: "
                                f"{got}, expected {want} at line 1 column {col}")

    def admit(self, ctx: Ctx) -> None:
        """Roles and unknown part variants first (serde reads the messages before anything else), then the rest."""
        # serde reads the messages (roles, part variants) before anything else is looked at
        for i, m in enumerate(ctx.req.messages):
            if m.get("role") == "developer":
                raise self._serde_error(ctx, f"messages[{i}].role: unknown variant `developer`, {ROLES}",
                                        b'"developer"')
            content = m.get("content")
            if isinstance(content, list):
                for p in content:
                    t = p.get("type") if isinstance(p, dict) else None
                    if t not in ("text", "image_url", "input_audio", "file"):
                        raise self._serde_error(ctx, f"messages[{i}]: unknown variant `{t}`, {self._variants(ctx)}",
                                                f'"{t}"'.encode())
        super().admit(ctx)

    @staticmethod
    def _variants(ctx: Ctx) -> str:
        """The content-part variants serde lists: only `text` on the text models."""
        return "expected one of `text`, `image_url`, `file`" if ctx.model.inputs else "expected `text`"

    def unsupported_input(self, ctx: Ctx, item: Media) -> SimError | None:
        """serde's 'unknown variant' (422 for audio), or the vision model's refusal of a PDF file part."""
        if item.kind == "pdf" and ctx.model.inputs:
            # the vision model's `file` variant takes images only [INFERRED wording from the 2026-10 probe notes]
            return self.bad_request(f"This model does not support file type {item.mime or 'application/pdf'}")
        # input_audio: 422 in a 2026-10 probe of deepseek-flash; image_url / file on text models: 400 (2026-07)
        what = f"messages[{item.msg}]: unknown variant `{item.part_type}`, {self._variants(ctx)}"
        return self._serde_error(ctx, what, f'"{item.part_type}"'.encode(), 422 if item.kind == "audio" else 400)

    def param_rejected(self, ctx: Ctx, names: list[str]) -> SimError:
        """deepseek-reasoner's 400 for logprobs / top_logprobs."""
        # deepseek-reasoner: "Setting logprobs、top_logprobs will trigger an error" (exact body not found)
        return self.bad_request(f"{ctx.requested} does not support the parameter {names[0]}")  # [INFERRED]

    def validate(self, ctx: Ctx) -> None:
        super().validate(ctx)
        msgs = ctx.req.messages
        rf = ctx.req.response_format
        if isinstance(rf, dict) and rf.get("type") == "json_schema":
            # inspect_ai#4916 (2026-08, deepseek-v4-flash) and llm-exe#662: real body
            raise self.bad_request("This response_format type is unavailable now")
        if ctx.reasoning_on and ctx.req.tools:
            for m in msgs:
                if m.get("role") == "assistant" and m.get("tool_calls") and m.get("reasoning_content") is None:
                    # quirks 5.2 (LiteLLM docstring quoting the API)
                    raise self.bad_request("The reasoning_content in the thinking mode must be passed back to "
                                           "the API.")

    # ------------------------------------------------------------------ errors: OpenAI-shaped, odd type/code
    def response_model(self, ctx: Ctx) -> str:
        return ctx.model.response_model or ctx.requested  # deepseek-v4-flash is served by deepseek-flash

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
        # real: HTTP 400, only message and type (facts 7 #22)
        body = {"error": {"message": "Model Not Exist", "type": "invalid_request_error"}}
        return SimError(400, orjson.dumps(body), "not_found")

    def model_retired(self, rules: ModelRules) -> SimError:
        # deepseek-chat / deepseek-reasoner since 2026-07-24 [NOT SETTLED: one report of a hang instead]
        body = {"error": {"message": rules.error_message or "Model Not Exist", "type": "invalid_request_error"}}
        return SimError(rules.error_status or 400, orjson.dumps(body), "not_found")

    def rate_limited(self, model: str, retry_after_s: float, which: str, limit: int | None, fault: bool) -> SimError:
        return self._err(429, "Rate Limit Reached", "rate_limit_error", "limited" if not fault else "rate_limit")

    def server_error(self, status: int) -> SimError:
        if status == 503:
            return self._err(503, "Server Overloaded", "unknown_error", "server_error")
        return self._err(status, "Server Error", "unknown_error", "server_error")

    def too_large(self) -> SimError:
        return self.html_413("openresty")

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
        return {"id": ctx.rid, "object": "chat.completion", "created": ctx.created, "model": self.response_model(ctx),
                "choices": [{"index": 0, "message": msg, "logprobs": self.logprobs_of(plan),
                             "finish_reason": plan.finish}],
                "usage": self.usage(ctx, plan), "system_fingerprint": FP}

    def stream(self, ctx: Ctx, plan: Plan) -> Iterator[tuple[int, bytes]]:
        head = (b'data: {"id":"' + ctx.rid.encode() + b'","object":"chat.completion.chunk","created":'
                + str(ctx.created).encode() + b',"model":' + orjson.dumps(self.response_model(ctx))
                + b',"system_fingerprint":"' + FP.encode() + b'","choices":[{"index":0,"delta":')
        think = ctx.reasoning_on

        def chunk(delta: dict[str, Any], lp: dict[str, Any] | None = None) -> bytes:
            lps = b"null" if lp is None else orjson.dumps({"content": [lp]})
            return head + orjson.dumps(delta) + b',"logprobs":' + lps + b',"finish_reason":null}],"usage":null}\n\n'

        yield -1, self.keepalive
        yield 0, chunk({"role": "assistant", "content": None, "reasoning_content": ""} if think
                       else {"role": "assistant", "content": ""})
        for p in plan.reasoning:
            yield 1, chunk({"content": None, "reasoning_content": p})
        lps = plan.logprobs
        for k, p in enumerate(plan.content):
            yield 1, chunk({"content": p, "reasoning_content": None} if think else {"content": p},
                           lps[k] if lps is not None else None)
        for k, tc in enumerate(plan.tool_calls):
            yield 1, chunk({"tool_calls": [{"index": k, "id": tc.id, "type": "function",
                                            "function": {"name": tc.name, "arguments": ""}}]})
            for frag in tc.fragments:
                yield 1, chunk({"tool_calls": [{"index": k, "function": {"arguments": frag}}]})
        # the last chunk carries finish_reason and usage together (s01, s11)
        last = {"id": ctx.rid, "object": "chat.completion.chunk", "created": ctx.created,
                "model": self.response_model(ctx), "system_fingerprint": FP,
                "choices": [{"index": 0, "delta": {"content": "", "reasoning_content": None} if think
                             else {"content": ""}, "logprobs": None, "finish_reason": plan.finish}],
                "usage": self.usage(ctx, plan) if ctx.req.include_usage else None}
        yield 0, sse(last)
        yield 0, DONE

    def models_list(self) -> dict[str, Any]:
        from ..catalogue import models_for

        return {"object": "list", "data": [{"id": m.id, "object": "model", "owned_by": "deepseek"}
                                           for m in models_for(self.name)]}
