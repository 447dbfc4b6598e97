"""OpenAI's Responses API (``POST /v1/responses``) as OpenAI and xAI serve it.

The request is checked the way OpenAI checks it (unknown parameters, item shapes, function_call_output that
answers no call, reasoning items and their ``encrypted_content``, ``reasoning.effort`` per model, the minimum of
``max_output_tokens``), then read into Chat Completions form for the shared pipeline. The answer is written as a
Responses object, or as its event stream (``event:`` lines, ``sequence_number`` from 0, ``response.completed``
with usage, no ``[DONE]``). Reasoning summaries are visible when ``reasoning.summary`` is set, which Chat
Completions never gives.

Shapes follow the real recordings in ``tests/corpus_native`` (r01-r08 OpenAI, r10 xAI); each rule names its
source, read 2026-11-29. Opaque reasoning (``encrypted_content``) is a Fernet-like blob this simulator seals with
an HMAC: a blob it did not issue is refused on the next turn, as OpenAI refuses one it cannot verify.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import orjson

from ..plan import Ctx, Plan, SimError
from ..rules import EFFORT_ORDER
from ..shape import ARR, BOOL, INT, NUM, OBJ, STR, fits, schema_problem
from ..text import Media
from .base import Dialect, obfuscation
from .openai import OpenAI, _fmt_list, _quoted
from .xai import XAI

NATIVE = "_responses"  # the key of the chat-form body that carries what only the Responses answer needs
# "Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16, but got 1 instead." code
# integer_below_min_value (earendil-works/pi#6265, 2026-07; vectorize-io/hindsight#58, 2025-12; read 2026-11-29)
MIN_OUTPUT_TOKENS = 16
SUMMARIES = ("auto", "concise", "detailed")
INCLUDABLE = ("reasoning.encrypted_content", "message.output_text.logprobs", "message.input_image.image_url",
              "computer_call_output.output.image_url", "file_search_call.results", "web_search_call.results",
              "web_search_call.action.sources", "code_interpreter_call.outputs")
# the request body's documented members (Responses API reference "Create a model response"; openai-openapi-types
# CreateResponse, read 2026-11-29); anything else is OpenAI's "Unknown parameter" 400
KNOWN = frozenset({
    "model", "input", "instructions", "stream", "stream_options", "background", "conversation", "include",
    "max_output_tokens", "max_tool_calls", "metadata", "parallel_tool_calls", "previous_response_id", "prompt",
    "prompt_cache_key", "prompt_cache_retention", "reasoning", "safety_identifier", "service_tier", "store",
    "temperature", "text", "tool_choice", "tools", "top_logprobs", "top_p", "truncation", "user",
    "context_management",
})
ROLES = ("user", "assistant", "system", "developer")
USER_PARTS = ("input_text", "input_image", "input_file", "input_audio")
ASSISTANT_PARTS = ("output_text", "refusal")
ITEM_TYPES = ("message", "function_call", "function_call_output", "reasoning")
PART_NAMES = {"image_url": "input_image", "file": "input_file", "input_audio": "input_audio"}
MAX_STORED_IDS = 50_000


def native(ctx: Ctx) -> dict[str, Any]:
    """What the Responses request said that the chat form has no field for (summary, include, store, echoes)."""
    return ctx.req.body[NATIVE]


def _b64url(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).decode()


class ResponsesAPI:
    """The Responses API over a provider's chat dialect: mixed in before the provider's class (``Dialect``)."""

    api = "responses"
    obfuscates = True  # "*.delta" events carry an ``obfuscation`` pad (OpenAI only: r01-r03; not r09-r12)
    encrypted_at_added = True  # encrypted_content already in output_item.added (OpenAI r01, r06; xAI r10: not)
    reasoning_status = False  # reasoning items carry "status" (xAI r10; OpenAI r01/r02 do not)
    done_logprobs = True  # output_text.done repeats "logprobs" (OpenAI r03; xAI r10 does not)
    strict_reasoning_items = True  # reasoning items must be verifiable and followed by their output item

    # ------------------------------------------------------------------ the pieces each provider words
    def _d(self) -> Dialect:
        assert isinstance(self, Dialect)
        return self

    def item_id(self, prefix: str, ctx: Ctx, k: int = 0) -> str:
        """An output item's id (``k``: which function call): OpenAI's ``rs_``/``msg_``/``fc_`` + 48 hex (r02)."""
        return f"{prefix}_{self._d()._ids.getrandbits(192):048x}"

    def blob_key(self) -> bytes:
        """The HMAC key of this provider's encrypted_content (fixed: a restarted simulator still reads old blobs)."""
        return hashlib.blake2b(f"multimodel.sim|{self._d().name}|responses".encode(), digest_size=32).digest()

    # ------------------------------------------------------------------ encrypted reasoning
    def seal(self, item_id: str, ctx: Ctx, plan: Plan) -> str:
        """A Fernet-shaped token (0x80, timestamp, IV, ciphertext, HMAC-SHA256), base64url: OpenAI's blobs start
        with ``gAAAAAB`` (r01, r05, r06). Each call draws a new IV, so the blob in output_item.added differs
        from the one in output_item.done, as in r06."""
        d = self._d()
        iv = d._ids.randbytes(16)
        payload = orjson.dumps({"id": item_id, "m": ctx.model.id, "n": plan.reasoning_tokens,
                                "s": plan.signature})
        stream = hashlib.shake_256(self.blob_key() + iv).digest(len(payload))
        head = b"\x80" + int(time.time()).to_bytes(8, "big") + iv + bytes(a ^ b for a, b in zip(payload, stream,
                                                                                            strict=True))
        return _b64url(head + hmac.new(self.blob_key(), head, hashlib.sha256).digest())

    def verified(self, blob: str) -> bool:
        """Whether ``blob`` is an encrypted_content this provider's simulator issued, unaltered."""
        try:
            raw = base64.urlsafe_b64decode(blob.encode() + b"=" * (-len(blob) % 4))
        except (ValueError, UnicodeEncodeError):
            return False
        if len(raw) < 1 + 8 + 16 + 32 or raw[0] != 0x80:
            return False
        mac = hmac.new(self.blob_key(), raw[:-32], hashlib.sha256).digest()
        return hmac.compare_digest(mac, raw[-32:])

    def remember(self, item_id: str) -> None:
        """Keep a reasoning item id issued with store on (bounded), so a later turn may send the bare id."""
        ids: OrderedDict[str, None] = self.__dict__.setdefault("_stored_ids", OrderedDict())
        ids[item_id] = None
        while len(ids) > MAX_STORED_IDS:
            ids.popitem(last=False)

    def stored(self, item_id: Any) -> bool:
        return isinstance(item_id, str) and item_id in self.__dict__.get("_stored_ids", {})

    # ------------------------------------------------------------------ errors in OpenAI's words
    def unknown_param(self, name: str) -> SimError:
        # "Unknown parameter: 'reasoning.max_tokens'." code unknown_parameter (bestruirui/octopus#31, 2025-12);
        # 'stop' on /v1/responses answered "Unknown parameter: 'stop'..." (openJiuwen-ai/agent-core#768, 2026-08)
        return self._d().bad_request(f"Unknown parameter: '{name}'.", param=name, code="unknown_parameter")

    def invalid_value(self, param: str, value: Any, allowed: tuple[str, ...]) -> SimError:
        return self._d().bad_request(f"Invalid value: {_quoted(value)}. Supported values are: {_fmt_list(allowed)}.",
                                     param=param, code="invalid_value")

    def orphan_output(self, call_id: Any) -> SimError:
        # real body: {"message": "No tool call found for function call output with call_id call_….",
        # "type": "invalid_request_error", "param": "input", "code": null} (continuedev/continue#10092, 2026-02;
        # microsoft/vscode#320060, 2026-06)
        return self._d().bad_request(f"No tool call found for function call output with call_id {call_id}.",
                                     param="input")

    def unverified(self, item_id: Any, blob: str) -> SimError:
        # "The encrypted content for item rs_… could not be verified. Reason: Encrypted content could not be
        # decrypted or parsed." code invalid_encrypted_content, param null (smallmain/vscode-unify-chat-provider
        # #178, 2026-05); without an item id the older "The encrypted content gAAA...DQ== could not be verified."
        # (openai/codex#8145, 2025-12)
        if isinstance(item_id, str):
            msg = (f"The encrypted content for item {item_id} could not be verified. Reason: Encrypted content "
                   "could not be decrypted or parsed.")
        else:
            msg = f"The encrypted content {blob[:4]}...{blob[-4:]} could not be verified."
        return self._d().bad_request(msg, code="invalid_encrypted_content")

    def not_persisted(self, item_id: Any, store: bool) -> SimError:
        # 404 "Item with id 'rs_…' not found. Items are not persisted when `store` is set to false. Try again with
        # `store` set to true, or remove this item from your input." (can1357/oh-my-pi#41, 2026-02); with store on,
        # the first sentence alone for an id this simulator never issued [INFERRED]; param/code [INFERRED]
        msg = f"Item with id '{item_id}' not found."
        if not store:
            msg += (" Items are not persisted when `store` is set to false. Try again with `store` set to true, or "
                    "remove this item from your input.")
        return self._d().error(404, msg, type_="invalid_request_error", param="input", outcome="bad_request")

    def lone_reasoning(self, item_id: Any) -> SimError:
        # "Item 'rs_…' of type 'reasoning' was provided without its required following item." param input, code
        # null (continuedev/continue#8933, 2025-11; #9628, 2026-01)
        return self._d().bad_request(f"Item '{item_id}' of type 'reasoning' was provided without its required "
                                     "following item.", param="input")

    def response_not_found(self, rid: Any) -> SimError:
        # 404 "Previous response with id 'resp_…' not found." code previous_response_not_found [INFERRED wording]:
        # this simulator keeps no responses, so a stored conversation cannot be continued (send the items back)
        return self._d().error(404, f"Previous response with id {_quoted(rid)} not found.",
                               type_="invalid_request_error", param="previous_response_id",
                               code="previous_response_not_found", outcome="bad_request")

    # ------------------------------------------------------------------ the request, checked and read
    def to_chat(self, body: dict[str, Any], headers: Any) -> dict[str, Any]:
        """Check the Responses body as OpenAI does, then give it in Chat Completions form (with the rest under
        ``NATIVE``) for the shared pipeline."""
        d = self._d()
        for k in body:
            if k not in KNOWN:
                raise self.unknown_param(k)
        if body.get("model") is None:
            raise d.missing_param("model")
        _check_types(d, body, TOP_TYPES, "")
        for key in ("previous_response_id", "conversation"):
            if body.get(key) is not None:
                raise self.response_not_found(body[key])
        messages, where = self.read_input(body)
        chat: dict[str, Any] = {"model": body["model"], "messages": messages, "stream": body.get("stream") is True}
        cap = body.get("max_output_tokens")
        if cap is not None:
            if cap < MIN_OUTPUT_TOKENS:
                raise d.bad_request(f"Invalid 'max_output_tokens': integer below minimum value. Expected a value >= "
                                    f"{MIN_OUTPUT_TOKENS}, but got {cap} instead.", param="max_output_tokens",
                                    code="integer_below_min_value")
            chat["max_completion_tokens"] = cap
        for key, top in (("temperature", 2), ("top_p", 1)):
            v = body.get(key)
            if v is not None:
                self.check_range(key, v, top)
                chat[key] = v
        top_lp = body.get("top_logprobs")
        if top_lp:
            chat["logprobs"], chat["top_logprobs"] = True, top_lp
        if body.get("tools"):
            chat["tools"] = self.read_tools(body["tools"])
        if body.get("tool_choice") is not None:
            chat["tool_choice"] = self.read_tool_choice(body["tool_choice"])
        if body.get("parallel_tool_calls") is not None:
            chat["parallel_tool_calls"] = body["parallel_tool_calls"]
        fmt = self.read_text_format(body.get("text"))
        if fmt is not None:
            chat["response_format"] = fmt
        effort, summary = self.read_reasoning(body.get("reasoning"))
        if effort is not None:
            chat["reasoning_effort"] = effort  # read back by the provider's reasoning() rules
        chat[NATIVE] = {"effort": effort, "summary": summary, "where": where,
                        "include": self.read_include(body.get("include")), "store": body.get("store") is not False,
                        "obfuscate": _obfuscation_on(d, body.get("stream_options")), "body": body}
        return chat

    def check_range(self, key: str, v: float, top: float) -> None:
        """temperature 0..2, top_p 0..1: r07's real 400 ("decimal below minimum value"), its mirror above."""
        if v < 0:
            raise self._d().bad_request(f"Invalid '{key}': decimal below minimum value. Expected a value >= 0, but "
                                        f"got {v} instead.", param=key, code="decimal_below_min_value")
        if v > top:
            raise self._d().bad_request(f"Invalid '{key}': decimal above maximum value. Expected a value <= {top}, "
                                        f"but got {v} instead.", param=key, code="decimal_above_max_value")

    def read_input(self, body: dict[str, Any]) -> tuple[list[dict[str, Any]], list[int]]:
        """The items as chat messages, and for each message the index of the input item it came from (-1 for
        ``instructions``): function_call items become an assistant's tool_calls, their outputs tool messages,
        reasoning items are checked and left out (chat has no place for them)."""
        d = self._d()
        msgs: list[dict[str, Any]] = []
        where: list[int] = []
        instructions = body.get("instructions")
        if instructions:
            msgs.append({"role": "system", "content": instructions})
            where.append(-1)
        inp = body.get("input")
        if inp is None:
            raise d.missing_param("input")  # [INFERRED]: without previous_response_id or prompt there is nothing
        if isinstance(inp, str):
            return [*msgs, {"role": "user", "content": inp}], [*where, 0]
        if not inp:  # the wording of OpenAI's empty-array 400s [INFERRED for 'input']
            raise d.bad_request("Invalid 'input': empty array. Expected an array with minimum length 1, but got an "
                                "empty array instead.", param="input", code="empty_array")
        calls: set[str] = set()
        store = body.get("store") is not False
        for i, item in enumerate(inp):
            if not isinstance(item, dict):
                raise d.invalid_type(f"input[{i}]", "object", item, b"")
            kind = item.get("type", "message" if "role" in item else None)
            if kind == "message":
                msgs.append(self.read_message(item, i))
                where.append(i)
            elif kind == "function_call":
                call = self.read_call(item, i)
                calls.add(call["id"])
                last = msgs[-1] if msgs and where[-1] == i - 1 else None
                if last is not None and last["role"] == "assistant":
                    last.setdefault("tool_calls", []).append(call)
                else:
                    msgs.append({"role": "assistant", "content": None, "tool_calls": [call]})
                    where.append(i)
            elif kind == "function_call_output":
                msgs.append(self.read_output(item, i, calls))
                where.append(i)
            elif kind == "reasoning":
                self.check_reasoning_item(inp, i, store)
            elif kind is None:
                raise d.missing_param(f"input[{i}].role")  # [INFERRED]
            else:
                raise self.invalid_value(f"input[{i}].type", kind, ITEM_TYPES)  # the list is shortened [INFERRED]
        return msgs, where

    def read_message(self, item: dict[str, Any], i: int) -> dict[str, Any]:
        """One message item: its role and content parts, checked, in chat form."""
        d = self._d()
        role = item.get("role")
        if role not in ROLES:
            raise self.invalid_value(f"input[{i}].role", role, ROLES)
        content = item.get("content")
        if content is None:
            raise d.missing_param(f"input[{i}].content")
        if isinstance(content, str):
            return {"role": role, "content": content}
        if not isinstance(content, list):
            raise d.invalid_type(f"input[{i}].content", ("string", "array"), content, b"")
        allowed = ASSISTANT_PARTS if role == "assistant" else USER_PARTS
        parts: list[dict[str, Any]] = []
        for j, part in enumerate(content):
            where = f"input[{i}].content[{j}]"
            if not isinstance(part, dict):
                raise d.invalid_type(where, "object", part, b"")
            kind = part.get("type")
            if kind not in allowed:
                # "Invalid value: 'input_text'. Supported values are: 'output_text' and 'refusal'." for an assistant
                # message (a widely reported real 400); the user side's list by analogy [INFERRED]
                raise self.invalid_value(f"{where}.type", kind, allowed)
            parts.append(_chat_part(d, part, where))
        if role == "assistant":
            return {"role": role, "content": "".join(p.get("text", "") for p in parts)}
        return {"role": role, "content": parts}

    def read_call(self, item: dict[str, Any], i: int) -> dict[str, Any]:
        """A function_call item: call_id, name and arguments, all strings (the item id is optional)."""
        for key in ("call_id", "name", "arguments"):
            if item.get(key) is None:
                raise self._d().missing_param(f"input[{i}].{key}")
            if not isinstance(item[key], str):
                raise self._d().invalid_type(f"input[{i}].{key}", "string", item[key], b"")
        return {"id": item["call_id"], "type": "function",
                "function": {"name": item["name"], "arguments": item["arguments"]}}

    def read_output(self, item: dict[str, Any], i: int, calls: set[str]) -> dict[str, Any]:
        """A function_call_output: it must answer a function_call earlier in the input."""
        d = self._d()
        for key in ("call_id", "output"):
            if item.get(key) is None:
                raise d.missing_param(f"input[{i}].{key}")
        if item["call_id"] not in calls:
            raise self.orphan_output(item["call_id"])
        out = item["output"]
        if isinstance(out, list):  # output content parts (input_text, input_image...): their text
            out = "".join(p.get("text", "") for p in out if isinstance(p, dict))
        elif not isinstance(out, str):
            raise d.invalid_type(f"input[{i}].output", ("string", "array"), out, b"")
        return {"role": "tool", "tool_call_id": item["call_id"], "content": out}

    def check_reasoning_item(self, items: list[Any], i: int, store: bool) -> None:
        """A reasoning item sent back: its summary, its encrypted_content (issued by this simulator, unaltered)
        or, with store on, an id this simulator stored; and the output item that must follow it."""
        d = self._d()
        item = items[i]
        rid = item.get("id")
        if self.strict_reasoning_items and not isinstance(item.get("summary"), list):
            if item.get("summary") is None:
                raise d.missing_param(f"input[{i}].summary")
            raise d.invalid_type(f"input[{i}].summary", "array", item.get("summary"), b"")
        blob = item.get("encrypted_content")
        if blob is not None:
            if not isinstance(blob, str) or not self.verified(blob):
                raise self.unverified(rid, blob if isinstance(blob, str) else "")
        elif self.strict_reasoning_items:
            if rid is None:
                raise d.missing_param(f"input[{i}].encrypted_content")  # [INFERRED]
            if not (store and self.stored(rid)):
                raise self.not_persisted(rid, store)
        if not self.strict_reasoning_items:
            return  # xAI: "nothing fails: the API returns 200" (docs.x.ai troubleshooting-reasoning, 2026-11-29)
        nxt = items[i + 1] if i + 1 < len(items) else None
        follows = isinstance(nxt, dict) and (nxt.get("type") == "function_call" or (
            nxt.get("type", "message") == "message" and nxt.get("role") == "assistant"))
        if not follows:
            raise self.lone_reasoning(rid)

    def read_tools(self, tools: list[Any]) -> list[dict[str, Any]]:
        """Responses tools are flat ({type, name, parameters}); a Chat-shaped one is refused as OpenAI does
        ("Missing required parameter: 'tools[0].name'.", widely reported). Built-in tools are kept, never called."""
        d = self._d()
        out: list[dict[str, Any]] = []
        for i, tool in enumerate(tools):
            if not isinstance(tool, dict):
                raise d.invalid_type(f"tools[{i}]", "object", tool, b"")
            if tool.get("type") is None:
                raise d.missing_param(f"tools[{i}].type")
            if tool["type"] != "function":
                out.append(tool)
                continue
            if tool.get("name") is None:
                raise d.missing_param(f"tools[{i}].name")
            _check_types(d, tool, TOOL_TYPES, f"tools[{i}].")
            problem = schema_problem(tool.get("parameters"))
            if problem is not None:
                raise d.invalid_schema(f"function '{tool['name']}'", problem, f"tools[{i}].parameters", i)
            fn = {k: tool[k] for k in ("name", "description", "parameters", "strict") if tool.get(k) is not None}
            out.append({"type": "function", "function": fn})
        return out

    def read_tool_choice(self, choice: Any) -> Any:
        """'auto' | 'none' | 'required' | {type: function, name}: in chat form."""
        if isinstance(choice, str):
            if choice not in ("none", "auto", "required"):
                raise self.invalid_value("tool_choice", choice, ("none", "auto", "required"))
            return choice
        if choice.get("type") == "function":
            if not isinstance(choice.get("name"), str):
                raise self._d().missing_param("tool_choice.name")
            return {"type": "function", "function": {"name": choice["name"]}}
        return "auto"  # a built-in tool forced: nothing the simulator runs

    def read_text_format(self, text: Any) -> dict[str, Any] | None:
        """``text.format`` (text | json_object | json_schema {name, schema, strict}) as chat's response_format."""
        d = self._d()
        if text is None:
            return None
        if not isinstance(text, dict):
            raise d.invalid_type("text", "object", text, b"")
        fmt = text.get("format")
        if fmt is None:
            return None
        if not isinstance(fmt, dict):
            raise d.invalid_type("text.format", "object", fmt, b"")
        kind = fmt.get("type")
        if kind not in ("text", "json_object", "json_schema"):
            raise self.invalid_value("text.format.type", kind, ("text", "json_object", "json_schema"))
        if kind == "text":
            return None
        if kind == "json_object":
            return {"type": "json_object"}
        for key in ("name", "schema"):
            if fmt.get(key) is None:
                raise d.missing_param(f"text.format.{key}")
        problem = schema_problem(fmt["schema"])
        if problem is not None:
            raise d.invalid_schema(f"response_format '{fmt['name']}'", problem, "text.format.schema", None)
        return {"type": "json_schema", "json_schema": {k: fmt[k] for k in ("name", "schema", "strict") if k in fmt}}

    def read_reasoning(self, reasoning: Any) -> tuple[str | None, str | None]:
        """``reasoning`` {effort, summary} (the 2025-03 ``generate_summary`` too, r04): checked values; whether the
        model takes them is the provider's reasoning() rule."""
        if reasoning is None:
            return None, None
        if not isinstance(reasoning, dict):
            raise self._d().invalid_type("reasoning", "object", reasoning, b"")
        for k in reasoning:
            if k not in ("effort", "summary", "generate_summary"):
                raise self.unknown_param(f"reasoning.{k}")  # 'reasoning.max_tokens' (octopus#31, real)
        effort = reasoning.get("effort")
        if effort is not None and effort not in EFFORT_ORDER:
            raise self.invalid_value("reasoning.effort", effort, EFFORT_ORDER)
        summary = reasoning.get("summary", reasoning.get("generate_summary"))
        if summary is not None and summary not in SUMMARIES:
            raise self.invalid_value("reasoning.summary", summary, SUMMARIES)
        return effort, summary

    def read_include(self, include: Any) -> list[str]:
        if include is None:
            return []
        for i, v in enumerate(include):
            if v not in INCLUDABLE:
                raise self.invalid_value(f"include[{i}]", v, INCLUDABLE)  # [INFERRED wording]
        return list(include)

    # ------------------------------------------------------------------ the answer
    def status_of(self, plan: Plan) -> tuple[str, dict[str, str] | None]:
        """(status, incomplete_details): a cap hit is "incomplete" with reason max_output_tokens (reasoning guide:
        "status of incomplete and incomplete_details with reason set to max_output_tokens")."""
        if plan.finish == "length":
            return "incomplete", {"reason": "max_output_tokens"}
        if plan.finish == "content_filter":
            return "incomplete", {"reason": "content_filter"}
        return "completed", None

    def usage_of(self, ctx: Ctx, plan: Plan) -> dict[str, Any]:
        """input_tokens (cached included), output_tokens (reasoning included), as in r01-r03."""
        out = plan.output_tokens
        return {"input_tokens": plan.prompt_tokens, "input_tokens_details": {"cached_tokens": plan.cached_tokens},
                "output_tokens": out, "output_tokens_details": {"reasoning_tokens": plan.reasoning_tokens},
                "total_tokens": plan.prompt_tokens + out}

    def summary_parts(self, ctx: Ctx, plan: Plan) -> list[list[str]]:
        """The visible reasoning as summary parts: one, or up to three for "detailed" (r05 has 5, r01 1)."""
        pieces = plan.reasoning
        if not (ctx.visible and pieces):
            return []
        k = 3 if native(ctx)["summary"] == "detailed" and len(pieces) >= 24 else 1
        size = -(-len(pieces) // k)
        return [pieces[i:i + size] for i in range(0, len(pieces), size)]

    def reasoning_item(self, ctx: Ctx, plan: Plan, rid: str, *, final: bool) -> dict[str, Any]:
        item: dict[str, Any] = {"id": rid, "type": "reasoning"}
        if "reasoning.encrypted_content" in native(ctx)["include"] and (final or self.encrypted_at_added):
            item["encrypted_content"] = self.seal(rid, ctx, plan)
        parts = self.summary_parts(ctx, plan) if final else []
        item["summary"] = [{"type": "summary_text", "text": "".join(p)} for p in parts]
        if self.reasoning_status:
            item["status"] = "completed" if final else "in_progress"
        return item

    def message_item(self, ctx: Ctx, plan: Plan, mid: str, status: str) -> dict[str, Any]:
        lps = plan.logprobs[:len(plan.content)] if plan.logprobs is not None else []
        part = {"type": "output_text", "annotations": [], "logprobs": lps, "text": plan.text}
        return {"id": mid, "type": "message", "status": status, "content": [part], "role": "assistant"}

    def call_item(self, tc: Any, fid: str, status: str) -> dict[str, Any]:
        return {"id": fid, "type": "function_call", "status": status,
                "arguments": tc.arguments if status == "completed" else "", "call_id": tc.id, "name": tc.name}

    def plan_items(self, ctx: Ctx, plan: Plan) -> list[tuple[str, str]]:
        """(kind, item id) of each output item in order: reasoning, the message, the function calls."""
        items: list[tuple[str, str]] = []
        if ctx.reasoning_on and plan.reasoning_tokens:
            items.append(("reasoning", self.item_id("rs", ctx)))
        if plan.content or (not plan.tool_calls and plan.finish != "length"):
            items.append(("message", self.item_id("msg", ctx)))
        items += [("function_call", self.item_id("fc", ctx, k + 1)) for k in range(len(plan.tool_calls))]
        if ctx.reasoning_on and plan.reasoning_tokens and native(ctx)["store"]:
            self.remember(items[0][1])
        return items

    def final_output(self, ctx: Ctx, plan: Plan, items: list[tuple[str, str]]) -> list[dict[str, Any]]:
        status = "incomplete" if plan.finish == "length" else "completed"
        out: list[dict[str, Any]] = []
        calls = iter(plan.tool_calls)
        for kind, iid in items:
            if kind == "reasoning":
                out.append(self.reasoning_item(ctx, plan, iid, final=True))
            elif kind == "message":
                out.append(self.message_item(ctx, plan, iid, status))
            else:
                out.append(self.call_item(next(calls), iid, "completed"))
        return out

    def response_obj(self, ctx: Ctx, status: str, output: list[dict[str, Any]], usage: dict[str, Any] | None,
                     *, incomplete: dict[str, str] | None = None, error: Any = None) -> dict[str, Any]:
        """The response object of OpenAI's recordings (r01-r03, r05), its fields in their order."""
        n = native(ctx)
        body = n["body"]
        text = body.get("text") if isinstance(body.get("text"), dict) else {}
        return {
            "id": ctx.rid, "object": "response", "created_at": ctx.created, "status": status, "background": False,
            "error": error, "incomplete_details": incomplete, "instructions": body.get("instructions"),
            "max_output_tokens": body.get("max_output_tokens"), "max_tool_calls": body.get("max_tool_calls"),
            "model": self._d().response_model(ctx), "output": output,
            "parallel_tool_calls": body.get("parallel_tool_calls", True), "previous_response_id": None,
            "prompt_cache_key": body.get("prompt_cache_key"), "prompt_cache_retention": None,
            "reasoning": {"effort": ctx.effort if ctx.model.rules.reasons else None, "summary": n["summary"]},
            "safety_identifier": body.get("safety_identifier"),
            "service_tier": "auto" if status == "in_progress" else "default", "store": n["store"],
            "temperature": body.get("temperature", 1.0), "text": {"format": text.get("format") or {"type": "text"},
                                                                  "verbosity": text.get("verbosity", "medium")},
            "tool_choice": body.get("tool_choice", "auto"), "tools": [_echo_tool(t) for t in body.get("tools") or ()],
            "top_logprobs": body.get("top_logprobs", 0), "top_p": body.get("top_p", 1.0),
            "truncation": body.get("truncation", "disabled"), "usage": usage, "user": body.get("user"),
            "metadata": body.get("metadata") or {},
        }

    def completion(self, ctx: Ctx, plan: Plan) -> dict[str, Any]:
        status, incomplete = self.status_of(plan)
        output = self.final_output(ctx, plan, self.plan_items(ctx, plan))
        return self.response_obj(ctx, status, output, self.usage_of(ctx, plan), incomplete=incomplete)

    def stream(self, ctx: Ctx, plan: Plan) -> Iterator[tuple[int, bytes]]:
        """The event sequence of r01-r03/r06: created, in_progress, each item added ... done, then completed (or
        incomplete), no [DONE]. Kept findable while it runs, so a mid-stream error continues its numbering."""
        ev = Events(self.event_lines, self.obfuscates and native(ctx)["obfuscate"])
        live: dict[int, Events] = self.__dict__.setdefault("_live", {})
        live[id(ctx)] = ev
        try:
            for n, data in self.stream_events(ev, ctx, plan):
                ev.pending = bool(data)  # handed over, not yet sent: an error injected now takes its place
                yield n, data
        finally:
            live.pop(id(ctx), None)

    def stream_events(self, ev: Events, ctx: Ctx, plan: Plan) -> Iterator[tuple[int, bytes]]:
        yield 0, ev("response.created", response=self.response_obj(ctx, "in_progress", [], None))
        yield 0, ev("response.in_progress", response=self.response_obj(ctx, "in_progress", [], None))
        items = self.plan_items(ctx, plan)
        final = self.final_output(ctx, plan, items)
        calls = iter(plan.tool_calls)
        for idx, ((kind, iid), done) in enumerate(zip(items, final, strict=True)):
            if kind == "reasoning":
                yield from self.stream_reasoning(ev, ctx, plan, idx, iid)
            elif kind == "message":
                yield from self.stream_message(ev, plan, idx, iid, done)
            else:
                yield from self.stream_call(ev, next(calls), idx, iid)
            yield 0, ev("response.output_item.done", output_index=idx, item=done)
        status, incomplete = self.status_of(plan)
        kind = "response.completed" if status == "completed" else "response.incomplete"
        yield 0, ev(kind, response=self.response_obj(ctx, status, final, self.usage_of(ctx, plan),
                                                     incomplete=incomplete))
        yield from self.stream_end()

    def stream_end(self) -> Iterator[tuple[int, bytes]]:
        return iter(())  # OpenAI: the stream ends after response.completed (r02, no [DONE])

    def stream_reasoning(self, ev: Events, ctx: Ctx, plan: Plan, idx: int, rid: str) -> Iterator[tuple[int, bytes]]:
        """A reasoning item: its summary parts streamed when visible (r01), else hidden time only (r02, r06)."""
        yield 0, ev("response.output_item.added", output_index=idx,
                    item=self.reasoning_item(ctx, plan, rid, final=False))
        parts = self.summary_parts(ctx, plan)
        if not parts:
            yield plan.reasoning_tokens, b""  # hidden reasoning: time passes, nothing is sent
        for si, part in enumerate(parts):
            yield 0, ev("response.reasoning_summary_part.added", item_id=rid, output_index=idx, summary_index=si,
                        part={"type": "summary_text", "text": ""})
            for piece in part:
                yield 1, ev("response.reasoning_summary_text.delta", item_id=rid, output_index=idx,
                            summary_index=si, delta=piece)
            text = "".join(part)
            yield 0, ev("response.reasoning_summary_text.done", item_id=rid, output_index=idx, summary_index=si,
                        text=text)
            yield 0, ev("response.reasoning_summary_part.done", item_id=rid, output_index=idx, summary_index=si,
                        part={"type": "summary_text", "text": text})

    def stream_message(self, ev: Events, plan: Plan, idx: int, mid: str,
                       done: dict[str, Any]) -> Iterator[tuple[int, bytes]]:
        """The message item: content_part.added, output_text.delta per piece, text done, part done (r03)."""
        yield 0, ev("response.output_item.added", output_index=idx,
                    item={"id": mid, "type": "message", "status": "in_progress", "content": [], "role": "assistant"})
        yield 0, ev("response.content_part.added", item_id=mid, output_index=idx, content_index=0,
                    part={"type": "output_text", "annotations": [], "logprobs": [], "text": ""})
        lps = plan.logprobs
        for k, piece in enumerate(plan.content):
            yield 1, ev("response.output_text.delta", item_id=mid, output_index=idx, content_index=0, delta=piece,
                        logprobs=[lps[k]] if lps is not None else [])
        part = done["content"][0]
        extra = {"logprobs": part["logprobs"]} if self.done_logprobs else {}
        yield 0, ev("response.output_text.done", item_id=mid, output_index=idx, content_index=0, text=part["text"],
                    **extra)
        yield 0, ev("response.content_part.done", item_id=mid, output_index=idx, content_index=0, part=part)

    def stream_call(self, ev: Events, tc: Any, idx: int, fid: str) -> Iterator[tuple[int, bytes]]:
        """A function_call item: announced with empty arguments, fragments as deltas, the whole string in done (r02)."""
        yield 1, ev("response.output_item.added", output_index=idx, item=self.call_item(tc, fid, "in_progress"))
        for frag in tc.fragments:
            yield 1, ev("response.function_call_arguments.delta", item_id=fid, output_index=idx, delta=frag)
        yield 0, ev("response.function_call_arguments.done", item_id=fid, output_index=idx, arguments=tc.arguments)

    event_lines = True  # "event: <type>" before each data line (OpenAI r02, r06)

    def stream_error_event(self, ctx: Ctx) -> bytes:
        """A mid-stream failure as r08: an ``error`` event, then ``response.failed`` with the error and no usage.
        The error's type and code for a server fault are "server_error" [INFERRED; r08 shows insufficient_quota]."""
        ev = self.__dict__.get("_live", {}).get(id(ctx)) or Events(self.event_lines, False)
        if ev.pending:  # the event the fault replaced was numbered but never sent
            ev.seq -= 1
            ev.pending = False
        msg = "The server had an error while processing your request. Sorry about that!"
        err = ev("error", error={"type": "server_error", "code": "server_error", "message": msg, "param": None})
        failed = ev("response.failed", response=self.response_obj(ctx, "failed", [], None,
                                                                   error={"code": "server_error", "message": msg}))
        return err + failed


class Events:
    """Numbers and frames a stream's events: ``sequence_number`` from 0 across the stream (r01, r02)."""

    def __init__(self, event_lines: bool, obfuscate: bool) -> None:
        self.seq = 0
        self.pending = False
        self.event_lines = event_lines
        self.obfuscate = obfuscate

    def __call__(self, type_: str, **fields: Any) -> bytes:
        obj = {"type": type_, "sequence_number": self.seq, **fields}
        self.seq += 1
        if self.obfuscate and type_.endswith(".delta"):
            obj["obfuscation"] = obfuscation(self.seq)
        data = b"data: " + orjson.dumps(obj) + b"\n\n"
        return b"event: " + type_.encode() + b"\n" + data if self.event_lines else data


# ---------------------------------------------------------------------------------------------- request helpers
TOP_TYPES: dict[str, Any] = {
    "model": STR, "input": (STR, ARR), "instructions": STR, "stream": BOOL, "stream_options": OBJ, "include": ARR,
    "max_output_tokens": INT, "max_tool_calls": INT, "metadata": OBJ, "parallel_tool_calls": BOOL,
    "previous_response_id": STR, "reasoning": OBJ, "store": BOOL, "temperature": NUM, "text": OBJ,
    "tool_choice": (STR, OBJ), "tools": ARR, "top_logprobs": INT, "top_p": NUM, "truncation": STR, "user": STR,
    "service_tier": STR, "background": BOOL, "prompt_cache_key": STR, "safety_identifier": STR,
}
TOOL_TYPES: dict[str, Any] = {"name": STR, "description": STR, "parameters": OBJ, "strict": BOOL}


def _check_types(d: Dialect, obj: dict[str, Any], spec: dict[str, Any], prefix: str) -> None:
    """The JSON type of each member ``spec`` names (null is "not set"), in OpenAI's invalid_type words."""
    for key, kind in spec.items():
        v = obj.get(key)
        if v is not None and not fits(v, kind):
            raise d.invalid_type(f"{prefix}{key}", kind, v, b"")


def _obfuscation_on(d: Dialect, options: Any) -> bool:
    """``stream_options.include_obfuscation`` (default true) turns the delta padding off when false."""
    if options is None:
        return True
    for k in options:
        if k != "include_obfuscation":
            raise d.bad_request(f"Unknown parameter: 'stream_options.{k}'.", param=f"stream_options.{k}",
                                code="unknown_parameter")
    return options.get("include_obfuscation") is not False


def _chat_part(d: Dialect, part: dict[str, Any], where: str) -> dict[str, Any]:
    """A Responses content part as the chat part the engine measures (text, image_url, file, input_audio)."""
    kind = part["type"]
    if kind in ("input_text", "output_text"):
        if not isinstance(part.get("text"), str):
            raise d.missing_param(f"{where}.text") if part.get("text") is None else \
                d.invalid_type(f"{where}.text", STR, part["text"], b"")
        return {"type": "text", "text": part["text"]}
    if kind == "refusal":
        return {"type": "text", "text": str(part.get("refusal", ""))}
    if kind == "input_image":
        url = part.get("image_url")
        if url is None and part.get("file_id") is None:
            raise d.missing_param(f"{where}.image_url")
        img = {"url": url if isinstance(url, str) else f"file id {part.get('file_id')}"}
        if part.get("detail") is not None:
            img["detail"] = part["detail"]
        return {"type": "image_url", "image_url": img}
    if kind == "input_file":
        f = {k: part[k] for k in ("file_data", "file_id", "filename") if isinstance(part.get(k), str)}
        if isinstance(part.get("file_url"), str) and "file_id" not in f:
            f["file_id"] = part["file_url"]
        return {"type": "file", "file": f}
    return {"type": "input_audio", "input_audio": part.get("input_audio") or {}}


def _echo_tool(tool: Any) -> Any:
    """A function tool as the response echoes it (strict defaults to true on Responses; r01, r02)."""
    if not isinstance(tool, dict) or tool.get("type") != "function":
        return tool
    return {"type": "function", "description": tool.get("description"), "name": tool.get("name"),
            "parameters": tool.get("parameters"), "strict": tool.get("strict", True)}


# ---------------------------------------------------------------------------------------------- the providers
class OpenAIResponses(ResponsesAPI, OpenAI):
    """OpenAI's /v1/responses: the chat dialect's models, limits, keys and errors; Responses' request and answer."""

    def new_response_id(self, ctx: Ctx) -> str:
        return f"resp_{self._ids.getrandbits(192):048x}"  # resp_ + 48 hex (r02)

    def reasoning(self, ctx: Ctx) -> None:
        """``reasoning.effort`` per model (the chat rules table: the same values, 'max' where Responses takes it);
        a model that does not reason refuses reasoning like chat refuses reasoning_effort; the summary is the
        visible reasoning (reasoning guide: "reasoning summaries ... set the summary parameter")."""
        r = ctx.model.rules
        n = native(ctx)
        eff, summary = n["effort"], n["summary"]
        ctx.visible = False
        if not r.reasons:
            for key, v in (("reasoning.effort", eff), ("reasoning.summary", summary)):
                if v is not None:  # chat's real wording with the Responses path (summary's [INFERRED])
                    raise self.bad_request(f"Unsupported parameter: '{key}' is not supported with this model.",
                                           param=key, code="unsupported_parameter")
            return
        if eff is not None and eff not in r.accepted_efforts:
            supported = tuple(e for e in EFFORT_ORDER if e in r.accepted_efforts)
            raise self.bad_request(  # chat's facts 7 #9 wording with the Responses path
                f"Unsupported value: 'reasoning.effort' does not support {_quoted(eff)} with this model. "
                f"Supported values are: {_fmt_list(supported)}.", param="reasoning.effort", code="unsupported_value")
        ctx.effort = eff or r.effort_default
        ctx.reasoning_on = ctx.effort != "none"
        ctx.visible = ctx.reasoning_on and summary is not None

    def validate(self, ctx: Ctx) -> None:
        """Sampling parameters a reasoning model refuses, in the words /v1/responses uses ("Unsupported parameter:
        'temperature' is not supported with this model.", code null: danielmiessler/Fabric#1678, 2025-08). Function
        tools with reasoning are fine here: chat's refusal points callers to this endpoint."""
        Dialect.validate(self, ctx)
        for k in self.refused_sampling(ctx):
            name = "top_logprobs" if k == "logprobs" else k
            raise self.bad_request(f"Unsupported parameter: '{name}' is not supported with this model.", param=name)

    def unsupported_input(self, ctx: Ctx, item: Media) -> SimError | None:
        """Chat's refusal of a kind the model does not read, with the Responses part type and path [INFERRED]."""
        where = native(ctx)["where"]
        idx = where[item.msg] if item.msg < len(where) else item.msg
        kind = PART_NAMES.get(item.part_type, item.part_type)
        return self.bad_request(f"Invalid content type. {kind} is only supported by certain models.",
                                param=f"input[{idx}].content[{item.part}].type", code="invalid_value")


class XAIResponses(ResponsesAPI, XAI):
    """xAI's /v1/responses (r10): UUID ids shared by the items, a reasoning summary streamed for every reasoning
    model, encrypted_content only in output_item.done and response.completed, no obfuscation, xAI's usage extras
    and its string-error envelope."""

    obfuscates = False
    encrypted_at_added = False
    reasoning_status = True
    done_logprobs = False
    strict_reasoning_items = False  # "nothing fails: the API returns 200" (docs.x.ai troubleshooting-reasoning)

    def item_id(self, prefix: str, ctx: Ctx, k: int = 0) -> str:
        """``rs_<response uuid>``, ``msg_<response uuid>`` (r10); function calls add their number [INFERRED]."""
        return f"{prefix}_{ctx.rid}" + (f"-{k}" if k else "")

    def tool_call_id(self, ctx: Ctx, i: int) -> str:
        return f"call-{ctx.rng.getrandbits(32):08x}-{i}"  # "call-5faadddf-0" (docs.x.ai troubleshooting-reasoning)

    def reasoning(self, ctx: Ctx) -> None:
        """xAI's chat rules for the effort (its own 400 texts); the summary comes with any reasoning (r10 streamed
        one with ``reasoning.summary`` null)."""
        XAI.reasoning(self, ctx)
        ctx.visible = ctx.reasoning_on

    def usage_of(self, ctx: Ctx, plan: Plan) -> dict[str, Any]:
        return {**super().usage_of(ctx, plan), "num_sources_used": 0, "num_server_side_tools_used": 0}  # r10

    def response_obj(self, ctx: Ctx, status: str, output: list[dict[str, Any]], usage: dict[str, Any] | None,
                     *, incomplete: dict[str, str] | None = None, error: Any = None) -> dict[str, Any]:
        """r10's fields: fewer than OpenAI's; usage only once there is one."""
        body = native(ctx)["body"]
        obj = {"created_at": ctx.created, "id": ctx.rid, "max_output_tokens": body.get("max_output_tokens"),
               "model": self.response_model(ctx), "object": "response", "output": output,
               "parallel_tool_calls": body.get("parallel_tool_calls", True), "previous_response_id": None,
               "reasoning": {"effort": native(ctx)["effort"], "summary": native(ctx)["summary"]},
               "temperature": body.get("temperature"), "text": {"format": {"type": "text"}},
               "tool_choice": body.get("tool_choice", "auto"),
               "tools": [_echo_tool(t) for t in body.get("tools") or ()], "top_p": body.get("top_p"),
               "user": body.get("user"), "incomplete_details": incomplete,
               "status": status, "store": native(ctx)["store"], "metadata": body.get("metadata") or {}}
        if usage is not None:
            obj["usage"] = usage
        if error is not None:
            obj["error"] = error
        return obj
