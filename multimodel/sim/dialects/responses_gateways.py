"""The Responses API (``POST …/responses``) as OpenRouter and DeepSeek serve it, over the shared Responses layer.

OpenRouter (``/api/v1/responses``, beta, stateless): recording r09 and openrouter.ai/docs/api-reference/
responses-api (overview, error-handling; read 2026-11-29). Data-only SSE (no ``event:`` lines) after a leading
``: OPENROUTER PROCESSING`` comment, ``data: [DONE]`` at the end; ids ``gen-<ts>-<rand>`` and temporary item ids
(``rs_tmp_…``, ``msg_tmp_…``; the reasoning item's id in ``response.completed`` is a new one, as in r09); the
message item is added and finished while the reasoning item is still open (r09); reasoning as ``reasoning_text``
for upstreams that show their chain of thought, as summaries otherwise; usage with ``cost``, ``is_byok`` and
``cost_details``; request errors in the Responses beta's own envelope ``{"error": {"code": "invalid_prompt",
"message"}, "metadata"}`` (docs error-handling page; a real body in openai/codex#18307, 2026-04-17: message
"Invalid Responses API request", ``metadata.raw`` the zod issues, pretty-printed).

DeepSeek (``/responses`` on the bare host): recordings r11-r13 and api-docs.deepseek.com/guides/responses_api and
/guides/thinking_mode (read 2026-11-29). ``event:`` lines, no ``[DONE]`` (docs: "there is no data: [DONE]
message"); raw ``reasoning_text`` (the docs' event table lists reasoning_text.delta, no summaries); bare UUID ids;
``phase: "final_answer"`` on the message; ``call_00_…`` call ids; ``reasoning.effort`` none/low/high/max ("none
disables thinking mode"); errors in its OpenAI-style envelope served as ``application/octet-stream`` (r13); a
function call whose output does not follow it before the next item is refused (r13).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import orjson

from ..plan import Ctx, Plan, SimError
from ..rules import ModelRules
from ..shape import type_name
from .base import DONE
from .deepseek import EFFORT_MAP, DeepSeek
from .openrouter import OpenRouter
from .responses import ResponsesAPI, _echo_tool, native

_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"
#: the Responses beta's string codes by HTTP status (docs error-handling table); other statuses keep the numeric
#: envelope of OpenRouter's other endpoints [INFERRED]
OR_CODES = {400: "invalid_prompt", 429: "rate_limit_exceeded", 500: "server_error", 502: "server_error",
            503: "server_error"}
ZOD_TYPES = {"string": "string", "integer": "number", "decimal": "number", "boolean": "boolean", "object": "object",
             "array": "array", "null": "null"}


def _zod_path(path: str) -> list[str | int]:
    """``input[1].content[0].type`` as zod's path list ``["input", 1, "content", 0, "type"]``."""
    out: list[str | int] = []
    for part in path.replace("]", "").replace("[", ".").split("."):
        if part:
            out.append(int(part) if part.isdigit() else part)
    return out


def _zod_expected(expected: Any) -> str:
    kinds = expected if isinstance(expected, tuple) else (expected,)
    return "|".join(dict.fromkeys(ZOD_TYPES.get(k, k) for k in kinds))


class OpenRouterResponses(ResponsesAPI, OpenRouter):
    """OpenRouter's /api/v1/responses (beta): the chat dialect's models, upstreams, limits, keys and prices."""

    obfuscates = False  # no ``obfuscation`` pad (r09)
    encrypted_at_added = False  # [INFERRED]: OpenRouter relays the upstream's blob once the item is done
    done_logprobs = True  # output_text.done carries "logprobs": [] (r09)
    part_logprobs = False  # content parts and message content have no logprobs key (r09)
    strict_reasoning_items = False  # stateless (docs: "no conversation state is persisted"): nothing to look up
    refuses_unknown = False  # [INFERRED]: the zod request schema strips members it does not know
    min_output_tokens = None  # [INFERRED]: no floor documented
    event_lines = False  # data-only framing (r09)

    # ------------------------------------------------------------------ ids
    def item_id(self, prefix: str, ctx: Ctx, k: int = 0) -> str:
        """``rs_tmp_2kbe7x16sax``, ``msg_tmp_8cjof4f6zpw`` (r09); function calls ``fc_tmp_…`` [INFERRED]."""
        return f"{prefix}_tmp_" + "".join(_B36[self._ids.randrange(36)] for _ in range(11))

    # ------------------------------------------------------------------ request semantics
    def raw_reasoning(self, ctx: Ctx) -> bool:
        """Upstreams that show their chain of thought give it as reasoning_text (r09: gpt-oss)."""
        return ctx.model.reasoning_visible

    def reasoning(self, ctx: Ctx) -> None:
        """The chat rules (effort, exclude, models that cannot stop); an upstream whose reasoning is encrypted gives
        summaries when ``reasoning.summary`` asks for them (the reasoning item's documented ``summary``) [INFERRED]."""
        OpenRouter.reasoning(self, ctx)
        if ctx.reasoning_on and not ctx.model.reasoning_visible:
            ctx.visible = native(ctx)["summary"] is not None

    # ------------------------------------------------------------------ errors: the Responses beta's envelope
    def _err(self, code: int, message: str, outcome: str, metadata: dict[str, Any] | None = None,
             user: bool = True, headers: dict[str, str] | None = None) -> SimError:
        """``{"error": {"code": "<string>", "message"}, "metadata"}`` for the statuses the docs' table names (400,
        429, 5xx); any other status keeps OpenRouter's numeric envelope [INFERRED]."""
        if code not in OR_CODES:
            return OpenRouter._err(self, code, message, outcome, metadata, user, headers)
        body = {"error": {"code": OR_CODES[code], "message": message}, "metadata": metadata}
        return SimError(code, orjson.dumps(body), outcome, headers)

    def auth_missing(self) -> SimError:  # the key is checked before the Responses handler [INFERRED]
        return OpenRouter._err(self, 401, "No auth credentials found", "auth_error", user=False)

    def auth_invalid(self) -> SimError:
        return OpenRouter._err(self, 401, "User not found.", "auth_error", user=False)

    def zod_error(self, issues: list[dict[str, Any]]) -> SimError:
        """The real body of a request the schema refuses (openai/codex#18307): a fixed message, the issues in
        ``metadata.raw`` as ``JSON.stringify(issues, null, 2)`` prints them."""
        return self._err(400, "Invalid Responses API request", "bad_request",
                         {"raw": json.dumps(issues, indent=2, ensure_ascii=False)})

    def missing_param(self, path: str) -> SimError:
        return self.zod_error([{"expected": "string", "code": "invalid_type", "path": _zod_path(path),
                                "message": "Invalid input: expected string, received undefined"}])

    def invalid_type(self, path: str, expected: Any, value: Any, raw: bytes) -> SimError:
        want = _zod_expected(expected)
        got = ZOD_TYPES.get(type_name(value), type_name(value))
        return self.zod_error([{"expected": want, "code": "invalid_type", "path": _zod_path(path),
                                "message": f"Invalid input: expected {want}, received {got}"}])

    def invalid_value(self, param: str, value: Any, allowed: tuple[str, ...]) -> SimError:
        listed = "|".join(json.dumps(a) for a in allowed)
        return self.zod_error([{"code": "invalid_value", "values": list(allowed), "path": _zod_path(param),
                                "message": f"Invalid option: expected one of {listed}"}])

    def check_range(self, key: str, v: float, top: float) -> None:
        """temperature 0..2, top_p 0..1 as zod's too_small / too_big issues [INFERRED bounds: OpenAI's]."""
        if 0 <= v <= top:
            return
        big = v > top
        issue = {"origin": "number", "code": "too_big" if big else "too_small", "maximum" if big else "minimum":
                 top if big else 0, "inclusive": True, "path": [key],
                 "message": f"Too {'big' if big else 'small'}: expected number to be {'<=' if big else '>='}"
                            f"{top if big else 0}"}
        raise self.zod_error([issue])

    def response_not_found(self, rid: Any) -> SimError:
        # "This API is stateless ... no conversation state is persisted" (docs overview): nothing to continue from;
        # the wording is [INVENTED]
        return self._err(400, "previous_response_id is not supported: this API is stateless; send the whole "
                         "conversation in input", "bad_request")

    def model_not_found(self, model: str) -> SimError:
        return self._err(400, f"{model} is not a valid model ID", "not_found")  # chat's text, this envelope

    def model_retired(self, rules: ModelRules) -> SimError:
        return self._err(rules.error_status or 400, rules.error_message or "", "not_found")

    def stream_error_event(self, ctx: Ctx) -> bytes:
        """The layer's error event and response.failed, then OpenRouter's ``[DONE]`` [INFERRED]."""
        return ResponsesAPI.stream_error_event(self, ctx) + DONE

    def stream_error_body(self, ctx: Ctx, plan: Plan) -> tuple[int, bytes] | None:
        return None  # a failed generation is a 502 server_error before any body [INFERRED]

    # ------------------------------------------------------------------ the answer
    def usage_of(self, ctx: Ctx, plan: Plan) -> dict[str, Any]:
        """OpenAI's usage plus cost, is_byok and cost_details (r09): the upstream's price."""
        p_cost, c_cost = plan.cost_usd(ctx.model)
        return {**super().usage_of(ctx, plan), "cost": round(p_cost + c_cost, 12), "is_byok": False,
                "cost_details": {"upstream_inference_cost": None,
                                 "upstream_inference_input_cost": round(p_cost, 12),
                                 "upstream_inference_output_cost": round(c_cost, 12)}}

    def response_obj(self, ctx: Ctx, status: str, output: list[dict[str, Any]], usage: dict[str, Any] | None,
                     *, incomplete: dict[str, str] | None = None, error: Any = None) -> dict[str, Any]:
        """r09's response object: ``output_text`` always "" (as recorded, even when completed), store false,
        ``reasoning`` null unless asked, no usage key until there is one."""
        n = native(ctx)
        body = n["body"]
        asked = n["effort"] is not None or n["summary"] is not None
        obj: dict[str, Any] = {
            "object": "response", "id": ctx.rid, "created_at": ctx.created, "status": status, "error": error,
            "output_text": "", "output": output, "model": self.response_model(ctx),
            "incomplete_details": incomplete, "max_tool_calls": body.get("max_tool_calls"),
            "tools": [_echo_tool(t) for t in body.get("tools") or ()], "tool_choice": body.get("tool_choice", "auto"),
            "parallel_tool_calls": body.get("parallel_tool_calls", True),
            "max_output_tokens": body.get("max_output_tokens"), "temperature": body.get("temperature"),
            "top_p": body.get("top_p"), "metadata": body.get("metadata") or {}, "background": False,
            "previous_response_id": None, "service_tier": "auto", "truncation": None, "store": False,
            "instructions": body.get("instructions"),
            "reasoning": {"effort": n["effort"], "summary": n["summary"]} if asked else None,
            "safety_identifier": body.get("safety_identifier"), "prompt_cache_key": body.get("prompt_cache_key"),
            "user": body.get("user")}
        if usage is not None:
            obj["usage"] = usage
        return obj

    def completion(self, ctx: Ctx, plan: Plan) -> dict[str, Any]:
        return self._retagged(ctx, super().completion(ctx, plan))

    def _retagged(self, ctx: Ctx, response: dict[str, Any]) -> dict[str, Any]:
        """The finished response names its reasoning item by a new temporary id (r09: rs_tmp_2kbe… streamed,
        rs_tmp_ku4i… in response.completed)."""
        for item in response["output"]:
            if item["type"] == "reasoning":
                item["id"] = self.item_id("rs", ctx)
        return response

    def stream_events(self, ev: Any, ctx: Ctx, plan: Plan) -> Iterator[tuple[int, bytes]]:
        """r09's order: the leading comment, created, in_progress, the reasoning item opened and its text streamed,
        then the message (and calls) added and done while it is open, then the reasoning closed; completed; [DONE]."""
        yield -1, self.keepalive or b""
        yield 0, ev("response.created", response=self.response_obj(ctx, "in_progress", [], None))
        yield 0, ev("response.in_progress", response=self.response_obj(ctx, "in_progress", [], None))
        items = self.plan_items(ctx, plan)
        final = self.final_output(ctx, plan, items)
        calls = iter(plan.tool_calls)
        held: tuple[int, str, dict[str, Any]] | None = None
        for idx, ((kind, iid), done) in enumerate(zip(items, final, strict=True)):
            if kind == "reasoning":
                yield from self.reasoning_open(ev, ctx, plan, idx, iid)
                held = (idx, iid, done)
                continue
            if kind == "message":
                yield from self.stream_message(ev, plan, idx, iid, done)
            else:
                yield from self.stream_call(ev, next(calls), idx, iid)
            yield 0, ev("response.output_item.done", output_index=idx, item=done)
        if held is not None:
            idx, iid, done = held
            yield from self.reasoning_close(ev, ctx, plan, idx, iid)
            yield 0, ev("response.output_item.done", output_index=idx, item=done)
        status, incomplete = self.status_of(plan)
        kind = "response.completed" if status == "completed" else "response.incomplete"
        finished = self._retagged(ctx, {"output": [dict(x) for x in final]})["output"]
        yield 0, ev(kind, response=self.response_obj(ctx, status, finished, self.usage_of(ctx, plan),
                                                     incomplete=incomplete))
        yield 0, DONE


class DeepSeekResponses(ResponsesAPI, DeepSeek):
    """DeepSeek's /responses: the chat dialect's models, serde errors, limits and keys; raw reasoning text."""

    api_paths = ("",)  # https://api.deepseek.com/responses (r11-r13; api-docs.deepseek.com/guides/responses_api)

    obfuscates = False  # r11, r12
    encrypted_at_added = False
    reasoning_status = True  # reasoning items carry "status" (r11)
    content_at_added = True  # {"content": [], "summary": []} at output_item.added (r11)
    done_logprobs = True  # output_text.done has "logprobs": [] (r11)
    message_phase = "final_answer"  # r11
    strict_reasoning_items = False  # stateless (no store, docs via openai-interface; store false echoed, r11)
    verifies_blobs = False  # [INFERRED]: no encrypted_content in its docs or r11/r12: none issued, none checked
    refuses_unknown = False  # [INFERRED]: like its chat endpoint, members it does not read are ignored
    min_output_tokens = None  # [INFERRED]: no floor documented
    event_lines = True  # "event: <type>" lines (r11)
    error_content_type = "application/octet-stream"  # r13 (every error of this endpoint [INFERRED])

    def item_id(self, prefix: str, ctx: Ctx, k: int = 0) -> str:
        return self.uuid()  # bare UUIDs for every item (r11, r12)

    def raw_reasoning(self, ctx: Ctx) -> bool:
        return True  # reasoning_text.delta "思维链文本增量" (the docs' event table); r11, r12

    def tool_preamble(self, ctx: Ctx) -> bool:
        return False  # r12: reasoning, then the function call, no message

    def response_model(self, ctx: Ctx) -> str:
        return ctx.requested  # r11: deepseek-v4-flash echoed as asked

    def reasoning_carried(self, item: dict[str, Any]) -> str | None:
        """The reasoning_text of a reasoning item sent back: the chat rule that thinking turns with tool calls must
        carry their reasoning (quirks 5.2) reads it from here [INFERRED for this API]."""
        content = item.get("content")
        parts = content if isinstance(content, list) else ()
        return "".join(p.get("text", "") for p in parts if isinstance(p, dict) and p.get("type") == "reasoning_text")

    def read_reasoning(self, reasoning: Any) -> tuple[str | None, str | None]:
        """``reasoning.effort`` none/low/high/max and the names DeepSeek maps (thinking_mode docs' table); a summary
        asked for is ignored (only raw reasoning is served) [INFERRED]."""
        if reasoning is None:
            return None, None
        if not isinstance(reasoning, dict):
            raise self.invalid_type("reasoning", "object", reasoning, b"")
        effort = reasoning.get("effort")
        if effort is not None and effort != "none" and effort not in EFFORT_MAP:
            raise self.bad_request(f"Invalid reasoning.effort {self.json_value(effort)}")  # [INFERRED message]
        return effort, reasoning.get("summary")

    def response_not_found(self, rid: Any) -> SimError:
        # stateless: "store, previous_response_id and retrieval are not supported" (openai-interface docs on
        # DeepSeek's guide, read 2026-11-29); the wording is [INVENTED]
        return self.bad_request("previous_response_id is not supported")

    def to_chat(self, body: dict[str, Any], headers: Any) -> dict[str, Any]:
        """The interleaving rule of r13 first, then the shared reading; ``effort: none`` turns thinking off; the
        developer role (Codex sends it) reaches the model as system [INFERRED: DeepSeek is "adapted for Codex"]."""
        self.check_call_outputs(body.get("input"))
        chat = super().to_chat(body, headers)
        if chat.get("reasoning_effort") == "none":
            del chat["reasoning_effort"]
            chat["thinking"] = {"type": "disabled"}
        for m in chat["messages"]:
            if m.get("role") == "developer":
                m["role"] = "system"
        return chat

    def check_call_outputs(self, items: Any) -> None:
        """Each function call's output must come before any other item (a message, reasoning, or a call after
        some outputs): r13 refused an assistant message between two calls with "No tool output found for tool
        call call-a."; a call left unanswered at the end is refused alike [INFERRED]."""
        if not isinstance(items, list):
            return
        pending: list[Any] = []
        prev = None
        for item in items:
            kind = item.get("type", "message" if "role" in item else None) if isinstance(item, dict) else None
            if kind == "function_call":
                if pending and prev == "function_call_output":
                    break
                pending.append(item.get("call_id"))
            elif kind == "function_call_output":
                if item.get("call_id") in pending:
                    pending.remove(item.get("call_id"))
            elif pending:
                break
            prev = kind
        if pending:
            raise self.bad_request(f"No tool output found for tool call {pending[0]}.")

    def response_obj(self, ctx: Ctx, status: str, output: list[dict[str, Any]], usage: dict[str, Any] | None,
                     *, incomplete: dict[str, str] | None = None, error: Any = None) -> dict[str, Any]:
        """r11's response object: completed_at, content_filters, moderation, the penalties, store false, the
        reasoning asked for echoed (null when not sent, though thinking is on by default)."""
        n = native(ctx)
        body = n["body"]
        text = body.get("text") if isinstance(body.get("text"), dict) else {}
        done = status in ("completed", "incomplete", "failed")
        return {
            "id": ctx.rid, "object": "response", "created_at": ctx.created, "status": status, "background": False,
            "completed_at": ctx.created if done else None, "content_filters": None, "error": error,
            "frequency_penalty": 0.0, "incomplete_details": incomplete, "instructions": body.get("instructions"),
            "max_output_tokens": body.get("max_output_tokens"), "max_tool_calls": body.get("max_tool_calls"),
            "model": self.response_model(ctx), "moderation": None, "output": output,
            "parallel_tool_calls": body.get("parallel_tool_calls", True), "presence_penalty": 0.0,
            "previous_response_id": None, "prompt_cache_key": body.get("prompt_cache_key"),
            "prompt_cache_retention": None, "reasoning": {"effort": n["effort"], "summary": n["summary"]},
            "safety_identifier": body.get("safety_identifier"), "service_tier": "default", "store": False,
            "temperature": body.get("temperature", 1.0),
            "text": {"format": text.get("format") or {"type": "text"}, "verbosity": text.get("verbosity")},
            "tool_choice": body.get("tool_choice", "auto"), "tools": [_echo_tool(t) for t in body.get("tools") or ()],
            "top_logprobs": body.get("top_logprobs", 0), "top_p": body.get("top_p", 1.0), "truncation": "disabled",
            "usage": usage, "user": body.get("user"), "metadata": body.get("metadata") or {},
        }


__all__ = ["DeepSeekResponses", "OpenRouterResponses"]
