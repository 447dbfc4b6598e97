"""Anthropic's Messages API (``POST /v1/messages``) in the simulator, as Anthropic and DeepSeek serve it.

:class:`MessagesAPI` reads a native Messages request strictly (the provider's own checks and error texts), turns it
into a Chat Completions body for the shared pipeline (limits, faults, the answer's plan) and writes the answer as a
Messages body or as the native event stream. :class:`AnthropicMessages` and :class:`DeepSeekMessages` put it on
top of the provider's chat dialect, so models, rules, limits and counters stay shared; what differs between the two
endpoints is a few class attributes and the error wording.

Wire shapes follow the real recordings in tests/corpus_native/ (INDEX.md "Wire facts"): ``event:`` line before
every ``data:`` line, no ``[DONE]``; ``message_start`` with the usage keys, blocks one after the other
(``content_block_start`` / ``_delta`` / ``_stop``), thinking as ``thinking_delta``s then exactly one
``signature_delta``, tool input as ``input_json_delta`` fragments (a single ``""`` for an empty input), a ``ping``
after the first block start, ``message_delta`` with the final cumulative usage, then ``message_stop`` (m01, m05,
m07), on claude-opus-4-6 with adaptive thinking a ``"\\n\\n"`` text block before the thinking block (m02);
non-stream bodies with the same usage keys (m09, m14); errors ``{"type":"error","error":{type,message},
"request_id"}`` (m11, m12).

Thinking is visible through this API (the OpenAI compatibility layer hides it). A thinking block's signature is an
HMAC of the model and the thinking text under a secret of this simulator, so a block sent back unchanged verifies
and an edited, forged or foreign one is refused as Anthropic refuses it ("Signatures don't expire; the check fails
when a thinking/redacted_thinking block reaching the API differs in any way from what was originally returned",
anthropic-sdk-python#1598, Anthropic staff, 2026-08-05).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterator
from dataclasses import replace
from typing import Any, ClassVar

import orjson

from ..catalogue import PDF, resolve
from ..engine import analyze
from ..plan import Ctx, Plan, SimError
from ..ratelimit import LimitView
from ..rules import RULES
from ..shape import type_name
from ..text import estimate_tokens
from .anthropic import Anthropic
from .deepseek import DeepSeek

THINKING_DOCS = "https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
# "anthropic-version" values Anthropic documents (platform.claude.com/docs/en/api/versioning, read 2026-11-29)
VERSIONS = ("2023-06-01", "2023-01-01")
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")  # Anthropic vision docs, read 2026-11-29
#: pydantic's words for the JSON kinds of shape.py (Anthropic validates bodies with pydantic-style messages, e.g.
#: "temperature: Input should be less than or equal to 1", "max_tokens: Field required": real 400 bodies quoted in
#: many repositories, see the report of issue 18)
PYDANTIC = {"string": "a valid string", "integer": "a valid integer", "decimal": "a valid number",
            "boolean": "a valid boolean", "object": "a valid dictionary", "array": "a valid list"}
THINKING_BLOCKS = ("thinking", "redacted_thinking")

# ---------------------------------------------------------------------- the request schema Anthropic enforces
# Anthropic validates the body with extra inputs forbidden: an unknown key is a 400 "<path>: Extra inputs are not
# permitted" (real bodies: Aider-AI/aider#3367, 2025-02-25, "extra_body: …"; amrit110/oli#7, 2025-03-17,
# "response_format: …"; NousResearch/hermes-agent#64942, 2026-07-15, live probes: "unknown keys 400 with 'Extra
# inputs are not permitted'. Accepted: metadata, thinking. Rejected: any unknown key, the OpenAI-shaped reasoning").
EXTRA_INPUT = "{}: Extra inputs are not permitted"
#: The body parameters of Create a Message (platform.claude.com/docs/en/api/messages/create, read 2026-11-29, as
#: served in its generated variants platform.claude.com/docs/en/api/cli/messages/create and anthropic-sdk-python
#: src/anthropic/types/message_create_params.py, both generated from the same OpenAPI spec). ``user_profile_id``
#: is not among them: it travels as the ``anthropic-user-profile-id`` header.
MESSAGE_FIELDS = frozenset({
    "max_tokens", "messages", "model", "cache_control", "container", "inference_geo", "metadata", "output_config",
    "service_tier", "stop_sequences", "stream", "system", "temperature", "thinking", "tool_choice", "tools", "top_k",
    "top_p"})
#: What only the beta Create a Message takes (platform.claude.com/docs/en/api/beta/messages/create, read 2026-11-29):
#: accepted when the request carries an ``anthropic-beta`` header, whichever beta it names [INFERRED: which beta
#: unlocks which field is not simulated].
BETA_MESSAGE_FIELDS = frozenset({"context_management", "diagnostics", "fallback_credit_token", "fallbacks",
                                 "mcp_servers", "output_format", "speed"})
#: ``metadata`` takes ``user_id`` only (the reference's Metadata object; anthropic-sdk-python metadata_param.py,
#: generated from the same spec).
METADATA_FIELDS = frozenset({"user_id"})
#: The tool union's tags, as a real 400 lists them for OpenAI's "function" (dirac-run/dirac#57, 2026-04-30: "tools.0:
#: Input tag 'function' found using 'type' does not match any of the expected tags: 'bash_20250124', …, 'custom',
#: …, 'web_fetch_20260209', " cut there). The tail of that list was not seen: any other dated name (web_search_20250305
#: …) is taken as a server tool too [INFERRED].
TOOL_TAGS = frozenset({
    "bash_20250124", "code_execution_20250522", "code_execution_20250825", "code_execution_20260120", "custom",
    "memory_20250818", "text_editor_20250124", "text_editor_20250429", "text_editor_20250728", "tool_search_tool_bm25",
    "tool_search_tool_bm25_20251119", "tool_search_tool_regex", "tool_search_tool_regex_20251119",
    "web_fetch_20250910", "web_fetch_20260209", "web_search_20250305"})
SERVER_TOOL = re.compile(r"^[a-z][a-z_]*_\d{8}$")
#: A client tool (``Tool``, type absent or "custom"): the reference's fields (rubydoc Anthropic::Models::Tool, generated
#: from the same spec, read 2026-11-29). Server tools (typed ``web_search_20250305`` …) are not checked here.
TOOL_FIELDS = frozenset({"name", "input_schema", "description", "cache_control", "type", "strict", "allowed_callers",
                         "defer_loading", "eager_input_streaming", "input_examples"})

# ---------------------------------------------------------------------- thinking and sampling (Anthropic only)
# Extended-thinking docs, "Feature compatibility": "Thinking isn't compatible with temperature or top_k modifications
# as well as forced tool use" (platform.claude.com/docs/en/build-with-claude/extended-thinking#feature-compatibility,
# as quoted 2026-01-20 in anthropics/claude-code#19414; the page itself was not in the search index on 2026-11-29).
#: the current wording (real body on claude-opus-4-8 with adaptive thinking, mnfst/modelparams.dev#214, 2026-08-09;
#: the same sentence on Sonnet 4.6, dotCipher/opencode-claude-bridge#1, 2026-03-23; the 2025 wording ended at
#: "thinking is enabled" and linked docs.anthropic.com, MartialBE/one-hub#529)
TEMPERATURE_WITH_THINKING = ("`temperature` may only be set to 1 when thinking is enabled or in adaptive mode. Please "
                             "consult our documentation at https://platform.claude.com/docs/en/build-with-claude/"
                             "extended-thinking")
#: real body on claude-opus-4-1 (quarkiverse/quarkus-langchain4j#1812, 2025-09-25); no newer wording found
TOP_K_WITH_THINKING = ("`top_k` must be unset when thinking is enabled. Please consult our documentation at "
                       f"{THINKING_DOCS}#important-considerations-when-using-extended-thinking")
#: tool_choice any or tool (both, same text; auto is accepted): mastra-ai/mastra#7507 (2025-09-05), can1357/
#: oh-my-pi#341 (2026-03-09), live probe on claude-haiku-4-5 in workglow-dev/libs#746 (2026-08-13)
FORCED_TOOL_WITH_THINKING = "Thinking may not be enabled when tool_choice forces tool use."


def event(kind: str, obj: Any) -> tuple[bytes, bytes]:
    """One SSE event as its ``event:`` line and its ``data:`` line (sent as two items so the server's
    malformed-chunk fault can cut a data line, which it recognises by its ``data: {`` start)."""
    return b"event: " + kind.encode() + b"\n", b"data: " + orjson.dumps(obj) + b"\n\n"


PING = (b"event: ping\n", b'data: {"type": "ping"}\n\n')  # m01/m03: the ping's own spacing


class MessagesAPI:
    """The Messages API on top of a provider's chat dialect (mixed in before it: ``class X(MessagesAPI, Chat)``)."""

    api: ClassVar[str] = "messages"
    name: ClassVar[str]
    requires_version: ClassVar[bool] = True  # the anthropic-version header must be present and known
    temperature_max: ClassVar[float] = 1.0
    verifies_signatures: ClassVar[bool] = True
    tool_choice_any: ClassVar[str] = "required"  # what tool_choice {type: any} means in chat terms
    counts_tokens: ClassVar[bool] = True  # serves POST …/v1/messages/count_tokens
    forwards_top_k: ClassVar[bool] = True  # top_k reaches the model's rules (Anthropic refuses it on some models)
    #: block types the provider takes in a user / an assistant message
    user_blocks: ClassVar[frozenset[str]] = frozenset()
    assistant_blocks: ClassVar[frozenset[str]] = frozenset()
    usage_extras: ClassVar[dict[str, Any]] = {}
    #: the body's accepted keys (None: unknown keys are accepted as the provider documents no refusal), those
    #: a beta header adds, and the accepted keys of ``metadata`` and of a client tool
    body_fields: ClassVar[frozenset[str] | None] = None
    beta_fields: ClassVar[frozenset[str]] = frozenset()
    metadata_fields: ClassVar[frozenset[str] | None] = None
    tool_fields: ClassVar[frozenset[str] | None] = None
    #: models whose adaptive-thinking streams open with a whitespace text block before the thinking block (m02)
    blank_first_models: ClassVar[frozenset[str]] = frozenset()

    def __init__(self) -> None:
        super().__init__()  # type: ignore[call-arg]
        self._secret = secrets.token_bytes(32)  # per simulator: signatures of another simulator do not verify

    # ------------------------------------------------------------------ hooks each provider words its own way
    def path(self, *parts: Any) -> str:
        """A field's location as the provider's validator names it (Anthropic: ``messages.1.content.0``)."""
        return ".".join(str(p) for p in parts)

    def unknown_block(self, where: str, kind: Any, allowed: frozenset[str], body: dict[str, Any]) -> SimError:
        # pydantic's discriminator text, tags sorted and quoted as Python reprs (real body, dirac-run/dirac#57)
        tags = ", ".join(f"'{t}'" for t in sorted(allowed))
        tag = repr(kind) if isinstance(kind, str) else self.json_value(kind)  # type: ignore[attr-defined]
        return self.bad_request(f"{where}: Input tag {tag} found using 'type' does not match any "
                                f"of the expected tags: {tags}")  # type: ignore[attr-defined]

    def bad_role(self, i: int, role: Any, body: dict[str, Any]) -> SimError:
        if role == "system":  # real body (ChainForge#271, claude-agent-sdk-typescript#350 on haiku 4.5, 2026-06)
            return self.bad_request('messages: Unexpected role "system". The Messages API accepts a top-level '
                                    '`system` parameter, not "system" as an input message role.')  # type: ignore
        return self.bad_request(f"messages.{i}.role: Input should be 'user' or 'assistant'")  # type: ignore

    def missing_param(self, path: str) -> SimError:
        return self.bad_request(f"{path}: Field required")  # type: ignore[attr-defined]

    def invalid_type(self, path: str, expected: Any, value: Any, raw: bytes) -> SimError:
        kinds = expected if isinstance(expected, tuple) else (expected,)
        return self.bad_request(f"{path}: Input should be " + " or ".join(PYDANTIC.get(k, k) for k in kinds))  # type: ignore

    def check_headers(self, headers: Any) -> None:
        """Anthropic: ``anthropic-version`` is required ("anthropic-version: header is required", real bodies in
        PipedreamHQ/pipedream#9697 and envoyproxy/ai-gateway#1909) and must be a known version (decolua/9router#2357:
        'anthropic-version: "2023-06-01, 2023-06-01" is not a valid version')."""
        if not self.requires_version:
            return
        v = headers.get("anthropic-version")
        if v is None:
            raise self.bad_request("anthropic-version: header is required")  # type: ignore[attr-defined]
        if v not in VERSIONS:
            raise self.bad_request(f'anthropic-version: "{v}" is not a valid version')  # type: ignore

    def map_model(self, name: str) -> str:
        return name

    # ------------------------------------------------------------------ the request, checked and translated
    def to_chat(self, body: dict[str, Any], headers: Any) -> dict[str, Any]:
        """Check the native body as the provider does, then express it as a Chat Completions body."""
        self.check_headers(headers)
        chat = self._top_level(body)
        mid = resolve(self.name, chat["model"])
        chat["messages"] = self._system(body) + self._messages(body, mid.id if mid else None)
        tools = self._tools(body)
        if tools:
            chat["tools"] = tools
        self._tool_choice(body, chat)
        self._refuse_extra_inputs(body, headers)
        return chat

    def _refuse_extra_inputs(self, body: dict[str, Any], headers: Any) -> None:
        """Keys outside the request schema, as Anthropic refuses them (module sources); after the fields' own
        errors, metadata's before the top level's [INFERRED order]."""
        meta = self._field(body, "metadata", "object")
        if meta is not None and self.metadata_fields is not None:
            for key in meta:
                if key not in self.metadata_fields:
                    raise self.bad_request(EXTRA_INPUT.format(f"metadata.{key}"))  # type: ignore[attr-defined]
                if meta[key] is not None and not isinstance(meta[key], str):
                    raise self.invalid_type(f"metadata.{key}", "string", meta[key], b"")
        if self.body_fields is None:
            return
        allowed = self.body_fields | (self.beta_fields if headers.get("anthropic-beta") else frozenset())
        for key in body:
            if key not in allowed:
                raise self.bad_request(EXTRA_INPUT.format(key))  # type: ignore[attr-defined]

    def _field(self, body: dict[str, Any], key: str, kind: Any, *, required: bool = False) -> Any:
        """The member ``key`` of ``body`` checked against ``kind`` (absent or null: None, or the 'Field required')."""
        v = body.get(key)
        if v is None:
            if required:
                raise self.missing_param(key)
            return None
        ok = kind == "decimal" and isinstance(v, int | float) and not isinstance(v, bool)
        if not ok and type_name(v) not in (kind if isinstance(kind, tuple) else (kind,)):
            raise self.invalid_type(key, kind, v, orjson.dumps(body))
        return v

    def _top_level(self, body: dict[str, Any]) -> dict[str, Any]:
        """model, max_tokens, sampling, stream and thinking: checked, and the chat body they make."""
        model = self._field(body, "model", "string", required=True)
        max_tokens = self._field(body, "max_tokens", "integer", required=True)
        if max_tokens < 0:  # "minimum: 0" (Create a Message reference, platform.claude.com, read 2026-11-29)
            raise self.bad_request("max_tokens: Input should be greater than or equal to 0")  # type: ignore
        messages = self._field(body, "messages", "array", required=True)
        if not messages:  # real body, quoted in many repositories (e.g. langchain issue logs)
            raise self.bad_request("messages: at least one message is required")  # type: ignore[attr-defined]
        stream = self._field(body, "stream", "boolean") is True
        chat: dict[str, Any] = {"model": self.map_model(model), "stream": stream}
        if max_tokens > 0:  # 0 only warms the prompt cache: nothing is generated (rendered as such below)
            chat["max_tokens"] = max_tokens
        for key, top in (("temperature", self.temperature_max), ("top_p", 1.0)):
            v = self._field(body, key, "decimal")
            if v is None:
                continue
            if v > top:
                raise self.bad_request(f"{key}: Input should be less than or equal to {top:g}")  # type: ignore
            if v < 0:
                raise self.bad_request(f"{key}: Input should be greater than or equal to 0")  # type: ignore
            chat[key] = v
        top_k = self._field(body, "top_k", "integer")
        if top_k is not None and self.forwards_top_k:
            chat["top_k"] = top_k
        stops = self._field(body, "stop_sequences", "array") or []
        if any(not isinstance(s, str) for s in stops):
            raise self.invalid_type("stop_sequences", "string", next(s for s in stops if not isinstance(s, str)),
                                    b"")
        self._thinking(body, chat)
        chat["_native"] = {"max_tokens": max_tokens, "stop_sequences": stops, "messages": messages,
                           "cache_control": _uses_cache_control(body)}
        return chat

    def _thinking(self, body: dict[str, Any], chat: dict[str, Any]) -> None:
        """``thinking`` and ``output_config`` as the chat dialect's ``reasoning(ctx)`` reads them."""
        th = self._field(body, "thinking", "object")
        if th is not None:
            kind = th.get("type")
            if not isinstance(kind, str):
                raise self.missing_param("thinking.type") if kind is None else self.invalid_type(
                    "thinking.type", "string", kind, b"")
            chat["thinking"] = dict(th)
        oc = self._field(body, "output_config", "object")
        if oc is not None:
            chat["output_config"] = oc

    def _system(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        """The top-level ``system`` (a string or text blocks) as one leading system message."""
        system = self._field(body, "system", ("string", "array"))
        if system is None:
            return []
        if isinstance(system, str):
            return [{"role": "system", "content": system}]
        texts = []
        for j, b in enumerate(system):
            if not isinstance(b, dict) or b.get("type") != "text":
                raise self.unknown_block(self.path("system", j), b.get("type") if isinstance(b, dict) else b,
                                         frozenset({"text"}), body)
            texts.append(self._text_of(b, self.path("system", j)))
        return [{"role": "system", "content": "\n".join(texts)}] if texts else []

    def _messages(self, body: dict[str, Any], model_id: str | None) -> list[dict[str, Any]]:
        """Every message checked (roles, blocks, signatures, tool pairing) and translated, in order."""
        messages = body["messages"]
        out: list[dict[str, Any]] = []
        for i, m in enumerate(messages):
            if not isinstance(m, dict):
                raise self.invalid_type(self.path("messages", i), "object", m, b"")
            role = m.get("role")
            if role not in ("user", "assistant"):
                raise self.bad_role(i, role, body)
            content = m.get("content")
            if content is None:
                raise self.missing_param(self.path("messages", i, "content"))
            if not isinstance(content, str | list):
                raise self.invalid_type(self.path("messages", i, "content"), ("string", "array"), content, b"")
            if not content and not (role == "assistant" and i == len(messages) - 1):
                # real body: "messages.1: all messages must have non-empty content except for the optional final
                # assistant message" (quoted in LangChain and LiteLLM issues)
                raise self.bad_request(f"messages.{i}: all messages must have non-empty content except for the "
                                       "optional final assistant message")  # type: ignore[attr-defined]
            if role == "user":
                out += self._user(i, content, body)
            else:
                out.append(self._assistant(i, content, body, model_id))
        self._check_tool_pairs(messages)
        return out

    def _text_of(self, b: dict[str, Any], where: str) -> str:
        text = b.get("text")
        if text is None:
            raise self.missing_param(f"{where}.text")
        if not isinstance(text, str):
            raise self.invalid_type(f"{where}.text", "string", text, b"")
        if not text:  # real: "messages.0.content.0.text: text content blocks must be non-empty"
            raise self.bad_request(f"{where}.text: text content blocks must be non-empty")  # type: ignore
        return text

    def _blocks(self, i: int, content: Any, allowed: frozenset[str], body: dict[str, Any]) -> list[dict[str, Any]]:
        """The message's content as blocks (a string is one text block), each an object of an allowed type."""
        if isinstance(content, str):
            return [{"type": "text", "text": content}]
        for j, b in enumerate(content):
            where = self.path("messages", i, "content", j)
            if not isinstance(b, dict):
                raise self.invalid_type(where, "object", b, b"")
            if b.get("type") not in allowed:
                raise self.unknown_block(where, b.get("type"), allowed, body)
        return content

    def _user(self, i: int, content: Any, body: dict[str, Any]) -> list[dict[str, Any]]:
        """A user message: its tool results as chat tool messages (first), the rest as one user message."""
        tools: list[dict[str, Any]] = []
        parts: list[dict[str, Any]] = []
        for j, b in enumerate(self._blocks(i, content, self.user_blocks, body)):
            where = self.path("messages", i, "content", j)
            kind = b["type"]
            if kind == "text":
                parts.append({"type": "text", "text": self._text_of(b, where)})
            elif kind == "tool_result":
                tid = b.get("tool_use_id")
                if not isinstance(tid, str):
                    raise self.missing_param(f"{where}.tool_use_id")
                tools.append({"role": "tool", "tool_call_id": tid, "content": _result_text(b.get("content"))})
            elif kind == "image":
                parts.append(self._image(b, where))
            elif kind == "document":
                parts.append(self._document(b, where))
            elif kind == "search_result":
                parts.append({"type": "text", "text": _result_text(b.get("content"))})
        if parts and all(p["type"] == "text" for p in parts) and isinstance(content, str):
            return [*tools, {"role": "user", "content": content}]
        return [*tools, {"role": "user", "content": parts}] if parts else tools

    def _image(self, b: dict[str, Any], where: str) -> dict[str, Any]:
        src = b.get("source")
        if not isinstance(src, dict):
            raise self.missing_param(f"{where}.source")
        kind = src.get("type")
        if kind == "base64":
            mt = src.get("media_type")
            if mt not in IMAGE_TYPES:
                raise self.bad_request(f"{where}.source.base64.media_type: Input should be 'image/jpeg', "  # type: ignore
                                       "'image/png', 'image/gif' or 'image/webp'")
            data = src.get("data")
            if not isinstance(data, str):
                raise self.missing_param(f"{where}.source.base64.data")
            return {"type": "image_url", "image_url": {"url": f"data:{mt};base64,{data}"}}
        if kind == "url" and isinstance(src.get("url"), str):
            return {"type": "image_url", "image_url": {"url": src["url"]}}
        if kind == "file" and isinstance(src.get("file_id"), str):
            return {"type": "image_url", "image_url": {"url": f"file:{src['file_id']}"}}
        raise self.unknown_block(f"{where}.source", kind, frozenset({"base64", "url", "file"}), {})

    def _document(self, b: dict[str, Any], where: str) -> dict[str, Any]:
        """A PDF (base64, URL or file id) as a chat file part; a plain-text document as text."""
        src = b.get("source")
        if not isinstance(src, dict):
            raise self.missing_param(f"{where}.source")
        kind, title = src.get("type"), b.get("title")
        name = title if isinstance(title, str) else None
        if kind == "base64" and isinstance(src.get("data"), str):
            return {"type": "file", "file": {"file_data": f"data:application/pdf;base64,{src['data']}",
                                             "filename": name or "document.pdf"}}
        if kind == "text" and isinstance(src.get("data"), str):
            return {"type": "text", "text": src["data"]}
        if kind in ("url", "file"):
            ref = src.get("url") if kind == "url" else src.get("file_id")
            return {"type": "file", "file": {"file_id": str(ref), "filename": name or str(ref)}}
        if kind == "content":
            return {"type": "text", "text": _result_text(src.get("content"))}
        raise self.unknown_block(f"{where}.source", kind, frozenset({"base64", "text", "url", "file", "content"}), {})

    def _assistant(self, i: int, content: Any, body: dict[str, Any], model_id: str | None) -> dict[str, Any]:
        """An assistant message: text, tool calls and (verified) thinking, in chat form."""
        texts: list[str] = []
        calls: list[dict[str, Any]] = []
        thinking: list[str] = []
        for j, b in enumerate(self._blocks(i, content, self.assistant_blocks, body)):
            where = self.path("messages", i, "content", j)
            kind = b["type"]
            if kind == "text":
                texts.append(self._text_of(b, where) if not isinstance(content, str) else content)
            elif kind == "tool_use":
                calls.append(self._tool_use(b, where))
            elif kind in THINKING_BLOCKS:
                thinking.append(self._check_thinking(b, where, model_id))
        msg: dict[str, Any] = {"role": "assistant", "content": "".join(texts) if texts else None}
        if calls:
            msg["tool_calls"] = calls
        if thinking:
            msg["reasoning_content"] = "".join(thinking)
        return msg

    def _tool_use(self, b: dict[str, Any], where: str) -> dict[str, Any]:
        for key in ("id", "name"):
            if not isinstance(b.get(key), str):
                raise self.missing_param(f"{where}.{key}") if b.get(key) is None else self.invalid_type(
                    f"{where}.{key}", "string", b.get(key), b"")
        args = b.get("input")
        if not isinstance(args, dict):
            raise self.invalid_type(f"{where}.input", "object", args, b"")
        return {"id": b["id"], "type": "function", "function": {"name": b["name"], "arguments": self.dump_args(args)}}

    def _check_thinking(self, b: dict[str, Any], where: str, model_id: str | None) -> str:
        """A thinking block sent back: its fields, and its signature when this provider verifies them."""
        if b["type"] == "redacted_thinking":
            if not isinstance(b.get("data"), str):
                raise self.missing_param(f"{where}.data")
            if self.verifies_signatures:  # the simulator never redacts, so no data it sees is its own
                raise self.bad_request(f"{where}: Invalid `data` in `redacted_thinking` block")  # type: ignore
            return ""
        text, sig = b.get("thinking"), b.get("signature")
        if not isinstance(text, str):
            raise self.missing_param(f"{where}.thinking")
        if not isinstance(sig, str):
            raise self.missing_param(f"{where}.signature")
        if self.verifies_signatures and model_id is not None and not self.signature_ok(model_id, text, sig):
            # real body: "messages.1.content.0: Invalid `signature` in `thinking` block" (claude-code#10627 etc.)
            raise self.bad_request(f"{where}: Invalid `signature` in `thinking` block")  # type: ignore
        return text

    def _check_tool_pairs(self, messages: list[dict[str, Any]]) -> None:
        """Every tool_result answers a tool_use of the message just before; every tool_use is answered next."""
        def ids(m: Any, kind: str, key: str) -> list[tuple[int, str]]:
            c = m.get("content") if isinstance(m, dict) else None
            return [(j, b.get(key)) for j, b in enumerate(c if isinstance(c, list) else ())
                    if isinstance(b, dict) and b.get("type") == kind]

        # a stray tool_result is reported before a tool_use left unanswered [INFERRED order]
        for i, m in enumerate(messages):
            if m.get("role") == "user":
                asked = {t for _, t in ids(messages[i - 1], "tool_use", "id")} if i and \
                    messages[i - 1].get("role") == "assistant" else set()
                for j, tid in ids(m, "tool_result", "tool_use_id"):
                    if tid not in asked:  # real body, e.g. anthropics/claude-code#13460 (2025-12-09)
                        raise self.bad_request(
                            f"messages.{i}.content.{j}: unexpected `tool_use_id` found in `tool_result` blocks: "
                            f"{tid}. Each `tool_result` block must have a corresponding `tool_use` block in the "
                            "previous message.")  # type: ignore[attr-defined]
        for i, m in enumerate(messages[:-1]):
            if m.get("role") == "assistant":
                nxt = messages[i + 1]
                answered = {t for _, t in ids(nxt, "tool_result", "tool_use_id")} if nxt.get("role") == "user" \
                    else set()
                missing = [t for _, t in ids(m, "tool_use", "id") if t not in answered]
                if missing:  # real body, anthropics/claude-code#5060 (2025-08-03)
                    raise self.bad_request(
                        f"messages.{i}: `tool_use` ids were found without `tool_result` blocks immediately after: "
                        f"{', '.join(missing)}. Each `tool_use` block must have a corresponding `tool_result` block "
                        "in the next message.")  # type: ignore[attr-defined]

    def _tools(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        """Client tools {name, description, input_schema} as chat function tools; server tools are not simulated
        (the model simply does not call them)."""
        out = []
        for i, t in enumerate(self._field(body, "tools", "array") or ()):
            if not isinstance(t, dict):
                raise self.invalid_type(f"tools.{i}", "object", t, b"")
            kind = t.get("type")
            if kind not in (None, "custom"):
                server = kind in TOOL_TAGS or (isinstance(kind, str) and SERVER_TOOL.match(kind) is not None)
                if server or self.tool_fields is None:
                    continue  # a server tool (web_search_20250305, ...): accepted, never called here
                raise self.unknown_block(f"tools.{i}", kind, TOOL_TAGS, body)
            if not isinstance(t.get("name"), str):
                raise self.missing_param(f"tools.{i}.custom.name")
            schema = t.get("input_schema")
            if schema is None:
                raise self.missing_param(f"tools.{i}.custom.input_schema")
            extra = [k for k in t if k not in self.tool_fields] if self.tool_fields is not None else []
            if extra:  # the path names the union member, as "tools.0.custom.input_schema" does [INFERRED path]
                raise self.bad_request(EXTRA_INPUT.format(f"tools.{i}.custom.{extra[0]}"))  # type: ignore
            fn = {"name": t["name"], "parameters": schema}
            if isinstance(t.get("description"), str):
                fn["description"] = t["description"]
            out.append({"type": "function", "function": fn})
        return out

    def _tool_choice(self, body: dict[str, Any], chat: dict[str, Any]) -> None:
        tc = self._field(body, "tool_choice", "object")
        if tc is None:
            return
        kind = tc.get("type")
        if kind == "tool":
            if not isinstance(tc.get("name"), str):
                raise self.missing_param("tool_choice.tool.name")
            chat["tool_choice"] = {"type": "function", "function": {"name": tc["name"]}}
        elif kind in ("auto", "any", "none"):
            chat["tool_choice"] = {"auto": "auto", "none": "none", "any": self.tool_choice_any}[kind]
        else:
            raise self.unknown_block("tool_choice", kind, frozenset({"auto", "any", "tool", "none"}), body)
        if tc.get("disable_parallel_tool_use") is True and self.forwards_top_k:
            chat["parallel_tool_calls"] = False

    # ------------------------------------------------------------------ signatures
    def sign(self, model_id: str, text: str) -> str:
        """The signature of a thinking text by a model: an HMAC under this simulator's secret, base64 like the
        real ones (opaque to clients; only this simulator can tell a genuine one)."""
        mac = hmac.new(self._secret, f"{self.name}|{model_id}|".encode() + text.encode(), hashlib.sha256).digest()
        return base64.b64encode(b"\x12\x30" + mac + hashlib.sha256(mac).digest()[:16]).decode()

    def signature_ok(self, model_id: str, text: str, signature: str) -> bool:
        return hmac.compare_digest(self.sign(model_id, text), signature)

    # ------------------------------------------------------------------ request semantics
    def native(self, ctx: Ctx) -> dict[str, Any]:
        """What to_chat kept of the native request for the answer (max_tokens, stop_sequences, the messages)."""
        return ctx.req.body.get("_native") or {}

    def success_headers(self, ctx: Ctx) -> dict[str, str]:
        return {}  # no openai-version / openai-processing-ms: those belong to the compatibility layer

    # ------------------------------------------------------------------ rendering
    def _finalize(self, ctx: Ctx, plan: Plan) -> tuple[str, str | None]:
        """Apply what only this API has (max_tokens 0, stop_sequences) to the plan; the stop reason and sequence."""
        nat = self.native(ctx)
        if nat.get("max_tokens") == 0:  # nothing generated: the request only warms the prompt cache
            plan.reasoning, plan.reasoning_tokens, plan.content, plan.tool_calls = [], 0, [], []
            return "max_tokens", None
        text = plan.text
        hits = [(text.find(s), s) for s in nat.get("stop_sequences") or () if s and text.find(s) >= 0]
        if hits and not plan.tool_calls:
            at, seq = min(hits)
            kept: list[str] = []
            for piece in plan.content:
                if len("".join(kept)) + len(piece) > at:
                    rest = at - len("".join(kept))
                    if rest > 0:
                        kept.append(piece[:rest])
                    break
                kept.append(piece)
            plan.content = kept
            return "stop_sequence", seq
        return {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use", "content_filter": "refusal",
                "insufficient_system_resource": "end_turn"}.get(plan.finish, "end_turn"), None

    def usage(self, ctx: Ctx, plan: Plan) -> dict[str, Any]:
        """Native usage: input_tokens excludes cache reads and writes (m14: 3 + 1111 + 418); output includes
        thinking. With no cache_control in the request nothing is cached, whatever the prefix cache saw."""
        cached = plan.cached_tokens if self.caches(ctx) else 0
        created = self.cache_writes(ctx, plan, cached)
        u: dict[str, Any] = {"input_tokens": plan.prompt_tokens - cached - created,
                             "cache_creation_input_tokens": created, "cache_read_input_tokens": cached}
        if self.usage_extras:
            u["cache_creation"] = {"ephemeral_5m_input_tokens": created, "ephemeral_1h_input_tokens": 0}
        u["output_tokens"] = plan.output_tokens
        u.update(self.usage_extras)
        if ctx.reasoning_on:  # newer field (m07: output_tokens_details.thinking_tokens)
            u["output_tokens_details"] = {"thinking_tokens": plan.reasoning_tokens}
        return u

    def caches(self, ctx: Ctx) -> bool:
        return bool(self.native(ctx).get("cache_control"))

    def cache_writes(self, ctx: Ctx, plan: Plan, cached: int) -> int:
        return 0

    def _thinking_block(self, ctx: Ctx, plan: Plan) -> dict[str, Any]:
        text = plan.reasoning_text
        return {"type": "thinking", "thinking": text, "signature": self.sign(ctx.model.id, text)}

    def completion(self, ctx: Ctx, plan: Plan) -> dict[str, Any]:
        stop, seq = self._finalize(ctx, plan)
        content: list[dict[str, Any]] = []
        if ctx.reasoning_on and plan.reasoning_tokens:
            content.append(self._thinking_block(ctx, plan))
        if plan.content:
            content.append({"type": "text", "text": plan.text})
        for tc in plan.tool_calls:
            content.append({"type": "tool_use", "id": tc.id, "name": tc.name, "input": orjson.loads(tc.arguments)})
        return {"model": self.response_model(ctx), "id": ctx.rid, "type": "message",  # type: ignore[attr-defined]
                "role": "assistant", "content": content, "stop_reason": stop, "stop_sequence": seq,
                "usage": self.usage(ctx, plan)}

    def stream(self, ctx: Ctx, plan: Plan) -> Iterator[tuple[int, bytes]]:
        stop, seq = self._finalize(ctx, plan)
        u = self.usage(ctx, plan)
        start = {"model": self.response_model(ctx), "id": ctx.rid, "type": "message",  # type: ignore[attr-defined]
                 "role": "assistant", "content": [], "stop_reason": None, "stop_sequence": None,
                 "stop_details": None, "usage": {**u, "output_tokens": min(1, plan.output_tokens)}}
        start["usage"].pop("output_tokens_details", None)
        yield from self._framing(event("message_start", {"type": "message_start", "message": start}))
        index = 0
        thinking = self._stream_thinking(ctx, plan)
        if thinking and self._blank_first(ctx):  # m02: a "\n\n" text block at index 0, then thinking, then text
            thinking = [lambda i: self._block(i, {"type": "text", "text": ""},
                                              [(1, {"type": "text_delta", "text": "\n\n"})]), *thinking]
        for blocks in (thinking, self._stream_text(plan), self._stream_tools(plan)):
            for items in blocks:
                yield from items(index)
                index += 1
        final = {k: u[k] for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens",
                                   "output_tokens", "output_tokens_details") if k in u}
        yield from self._framing(event("message_delta", {"type": "message_delta", "delta": {
            "stop_reason": stop, "stop_sequence": seq, "stop_details": None}, "usage": final}))  # m05, m13
        yield from self._framing(event("message_stop", {"type": "message_stop"}))

    def _blank_first(self, ctx: Ctx) -> bool:
        """Whether this stream opens with m02's whitespace text block: only on the models that showed it, only with
        thinking asked as adaptive (m02: claude-opus-4-6, thinking {type: adaptive}, streamed). One recording of one
        model, so it happens here every time on that model and never on another [INFERRED frequency]; a non-streamed
        answer keeps its plain shape (no recording shows one)."""
        th = ctx.req.body.get("thinking")
        return ctx.model.id in self.blank_first_models and isinstance(th, dict) and th.get("type") == "adaptive"

    @staticmethod
    def _framing(ev: tuple[bytes, bytes]) -> Iterator[tuple[int, bytes]]:
        yield 0, ev[0]
        yield 0, ev[1]

    def _block(self, index: int, start: dict[str, Any], deltas: list[tuple[int, dict[str, Any]]]
               ) -> Iterator[tuple[int, bytes]]:
        """One block's events; ``deltas`` are (tokens it carries, delta object)."""
        yield from self._framing(event("content_block_start", {"type": "content_block_start", "index": index,
                                                               "content_block": start}))
        if index == 0:
            yield from self._framing(PING)  # m01, m05: a ping right after the first block starts
        for n, delta in deltas:
            line, data = event("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta})
            yield 0, line
            yield n, data
        yield from self._framing(event("content_block_stop", {"type": "content_block_stop", "index": index}))

    def _stream_thinking(self, ctx: Ctx, plan: Plan) -> list[Any]:
        if not (ctx.reasoning_on and plan.reasoning_tokens):
            return []
        deltas: list[tuple[int, dict[str, Any]]] = [(1, {"type": "thinking_delta", "thinking": p})
                                                    for p in plan.reasoning]
        if not plan.reasoning:  # display omitted: the tokens are spent, no text streams
            deltas = [(plan.reasoning_tokens, {"type": "thinking_delta", "thinking": ""})]
        deltas.append((0, {"type": "signature_delta", "signature": self.sign(ctx.model.id, plan.reasoning_text)}))
        return [lambda i: self._block(i, {"type": "thinking", "thinking": "", "signature": ""}, deltas)]

    def _stream_text(self, plan: Plan) -> list[Any]:
        if not plan.content:
            return []
        deltas = [(1, {"type": "text_delta", "text": p}) for p in plan.content]
        return [lambda i: self._block(i, {"type": "text", "text": ""}, deltas)]

    def _stream_tools(self, plan: Plan) -> list[Any]:
        out = []
        for tc in plan.tool_calls:
            frags = [""] if tc.arguments == "{}" else tc.fragments  # m05/m07: an empty input is one "" fragment
            deltas = [(1, {"type": "input_json_delta", "partial_json": f}) for f in frags]
            start = {"type": "tool_use", "id": tc.id, "name": tc.name, "input": {}, **self.tool_block_extras}
            out.append(lambda i, s=start, d=deltas: self._block(i, s, d))
        return out

    tool_block_extras: ClassVar[dict[str, Any]] = {}

    def stream_error_event(self, ctx: Ctx) -> bytes:
        # the streaming docs' example of an error event (platform.claude.com/docs/build-with-claude/streaming,
        # "Error events", read 2026-11-29): overloaded_error "Overloaded"
        line, data = event("error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
        return line + data

    def count_tokens(self, body: dict[str, Any], headers: Any) -> dict[str, Any]:
        """``POST /v1/messages/count_tokens``: ``{"input_tokens": N}`` for a Messages body (no max_tokens needed),
        the same N the request would report as input tokens uncached (platform.claude.com/docs/en/api/messages/
        count_tokens, read 2026-11-29). Raises the provider's errors for a bad body or an unknown model."""
        if not self.counts_tokens:  # not documented by this provider: the path does not exist [INFERRED body]
            raise SimError(404, b"404: Not Found", "not_found", {"Content-Type": "text/plain; charset=utf-8"})
        chat = self.to_chat({"max_tokens": 1, **body}, headers)
        model = resolve(self.name, chat["model"])
        if model is None:
            gone = RULES.get((self.name, chat["model"]))
            raise self.model_retired(gone) if gone is not None else self.model_not_found(chat["model"])  # type: ignore
        info, _ = analyze(self, chat["messages"])  # type: ignore[arg-type]
        n = estimate_tokens(info.chars) + 3 * info.n_messages + 3 + info.media_tokens()
        if chat.get("tools"):
            n += len(orjson.dumps(chat["tools"])) // 4
        return {"input_tokens": n}


def _result_text(content: Any) -> str:
    """A tool result's content (a string or blocks) as text."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(b.get("text", "")) for b in content if isinstance(b, dict) and b.get("type") == "text")
    return ""


def _uses_cache_control(body: dict[str, Any]) -> bool:
    """Whether the request asks for prompt caching anywhere (top level, system, tools or message blocks)."""
    if isinstance(body.get("cache_control"), dict):
        return True
    found = False

    def walk(v: Any) -> None:
        nonlocal found
        if found:
            return
        if isinstance(v, dict):
            if isinstance(v.get("cache_control"), dict):
                found = True
                return
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    walk([body.get("system"), body.get("tools"), body.get("messages")])
    return found


# ====================================================================== Anthropic
class AnthropicMessages(MessagesAPI, Anthropic):
    """``POST /anthropic/v1/messages``: Anthropic's own API (x-api-key, anthropic-version, native errors)."""

    user_blocks = frozenset({"text", "image", "document", "search_result", "tool_result"})
    assistant_blocks = frozenset({"text", "thinking", "redacted_thinking", "tool_use", "server_tool_use",
                                  "web_search_tool_result"})
    usage_extras: ClassVar[dict[str, Any]] = {"service_tier": "standard", "inference_geo": "not_available"}  # m01
    body_fields = MESSAGE_FIELDS
    beta_fields = BETA_MESSAGE_FIELDS
    metadata_fields = METADATA_FIELDS
    tool_fields = TOOL_FIELDS
    blank_first_models = frozenset({"claude-opus-4-6"})  # m02 (simonw/llm-anthropic cassette, 2026-02-17)
    tool_block_extras: ClassVar[dict[str, Any]] = {"caller": {"type": "direct"}}  # newer responses (m05, m07)
    # Prompt caching is native here ("cache_control"); the minimum cacheable prompt is 1024 tokens on most models
    # (platform.claude.com/docs/en/build-with-claude/prompt-caching, read 2026-11-29); the 64-token unit in which
    # the simulator finds a shared prefix is [INFERRED].
    cache_rule = (64, 1024)

    def api_key_of(self, headers: Any) -> str | None:
        """The ``x-api-key`` header (the native API's only key header); never kept."""
        return headers.get("x-api-key") or None

    def error(self, status: int, message: str, *, type_: str, code: Any = None, param: Any = None,
              outcome: str = "bad_request", headers: dict[str, str] | None = None) -> SimError:
        """The native envelope (m11, m12): {"type":"error","error":{"type","message"},"request_id"}; the body's
        request_id is also the response's request-id header."""
        rid = self.new_request_id()
        body = {"type": "error", "error": {"type": type_, "message": message}, "request_id": rid}
        return SimError(status, orjson.dumps(body), outcome, {**(headers or {}), "request-id": rid})

    def limit_headers(self, view: LimitView) -> dict[str, str]:
        """Only the native anthropic-ratelimit-* set (m01: 12 headers, RFC 3339 resets); x-ratelimit-* are the
        compatibility layer's."""
        return {k: v for k, v in super().limit_headers(view).items() if k.startswith("anthropic-")}

    def admit(self, ctx: Ctx) -> None:
        """PDF documents are read natively through this API (the compatibility layer drops them)."""
        ctx.model = replace(ctx.model, inputs=ctx.model.inputs | {PDF})
        super().admit(ctx)

    def reasoning(self, ctx: Ctx) -> None:
        """The chat dialect's thinking rules (rules table), an effort the model lacks refused in the native words
        (m11), and the thinking made visible unless ``thinking.display`` is "omitted"."""
        r = ctx.model.rules
        oc = ctx.req.body.get("output_config")
        effort = oc.get("effort") if isinstance(oc, dict) else None
        if effort is not None and r.effort_param is not None and effort not in r.accepted_efforts:
            levels = ", ".join(sorted(r.accepted_efforts))  # m11: "Supported levels: high, low, max, medium."
            raise self.bad_request(f"This model does not support effort level {self.json_value(effort)[1:-1]!r}. "
                                   f"Supported levels: {levels}.")
        th = ctx.req.body.get("thinking")
        display = th.get("display") if isinstance(th, dict) else None
        if display not in (None, "summarized", "omitted"):  # values of the extended-thinking docs [INFERRED text]
            raise self.bad_request("thinking.enabled.display: Input should be 'summarized' or 'omitted'")
        super().reasoning(ctx)
        ctx.visible = ctx.reasoning_on and display != "omitted"

    def validate(self, ctx: Ctx) -> None:
        """The thinking rules on sampling and tool_choice, the chat checks, then the thinking rules of a tool loop
        (real texts, see the module sources)."""
        th = ctx.req.body.get("thinking")
        asked = isinstance(th, dict) and th.get("type") not in (None, "disabled")
        if ctx.reasoning_on and asked:
            self._thinking_compatible(ctx)
        super().validate(ctx)
        if ctx.reasoning_on and not asked:
            self._thinking_compatible(ctx)
        messages = self.native(ctx).get("messages") or []
        last = messages[-1] if messages else {}
        if ctx.reasoning_on and len(messages) >= 2 and _has(last, "tool_result") \
                and messages[-2].get("role") == "assistant":
            first = _blocks_of(messages[-2])
            kind = first[0].get("type") if first else "text"
            if kind not in THINKING_BLOCKS:  # real body, e.g. deepset-ai/haystack-core-integrations#2146
                raise self.bad_request(
                    f"messages.{len(messages) - 2}.content.0.type: Expected `thinking` or `redacted_thinking`, but "
                    f"found `{kind}`. When `thinking` is enabled, a final `assistant` message must start with a "
                    "thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks). We "
                    "recommend you include thinking blocks from previous turns. To avoid this requirement, disable "
                    f"`thinking`. Please consult our documentation at {THINKING_DOCS}")
        if not ctx.reasoning_on and last.get("role") == "assistant":
            for j, b in enumerate(_blocks_of(last)):
                if b.get("type") in THINKING_BLOCKS:  # real body, tailcallhq/forgecode#1853 (2025-11-07)
                    raise self.bad_request(
                        f"messages.{len(messages) - 1}.content.{j}: When thinking is disabled, an `assistant` message "
                        "in the final position cannot contain `thinking`. To use thinking blocks, enable `thinking` in "
                        "your request.")

    def _thinking_compatible(self, ctx: Ctx) -> None:
        """While the model thinks: temperature other than 1, any top_k and a forced tool_choice are refused (module
        sources). Which comes first when several are set is [INFERRED]. Where the request asks for thinking these
        come before the model's own sampling refusals (Opus 4.8 with adaptive thinking answered the temperature text
        above, modelparams.dev#214; without a thinking field it answered "`temperature` is deprecated for this
        model.", The-PR-Agent/pr-agent#2456); where the model thinks unasked (Claude 5) the model's refusals come
        first [INFERRED]."""
        body = ctx.req.body
        temperature = body.get("temperature")
        if temperature is not None and temperature != 1:
            raise self.bad_request(TEMPERATURE_WITH_THINKING)
        if body.get("top_k") is not None:
            raise self.bad_request(TOP_K_WITH_THINKING)
        choice = body.get("tool_choice")
        if choice == "required" or isinstance(choice, dict):  # the chat forms of tool_choice any / tool
            raise self.bad_request(FORCED_TOOL_WITH_THINKING)

    def cache_writes(self, ctx: Ctx, plan: Plan, cached: int) -> int:
        """With cache_control, what is not read from the cache is written to it, all but the last few tokens
        (m14: input 3, read 1111, written 418) [INFERRED split], once the prompt is long enough to cache."""
        if not self.caches(ctx) or plan.prompt_tokens < (self.cache_rule or (0, 0))[1]:
            return 0
        return max(0, plan.prompt_tokens - cached - 3)


def _blocks_of(m: Any) -> list[dict[str, Any]]:
    c = m.get("content") if isinstance(m, dict) else None
    if isinstance(c, str):
        return [{"type": "text", "text": c}]
    return [b for b in c if isinstance(b, dict)] if isinstance(c, list) else []


def _has(m: Any, kind: str) -> bool:
    return isinstance(m, dict) and m.get("role") == "user" and any(b.get("type") == kind for b in _blocks_of(m))


# ====================================================================== DeepSeek
# Source of every row below: api-docs.deepseek.com/guides/anthropic_api, "Anthropic API Compatibility Details"
# (copy fetched 2026-08-27, and the guide's current note, read 2026-11-29), and api-docs.deepseek.com/api/
# create-message (read 2026-11-29).
#   HTTP headers: anthropic-beta Ignored; anthropic-version Ignored; x-api-key Fully Supported (and
#     "Authenticate with either x-api-key or Authorization: Bearer. If both are supplied, Authorization takes
#     precedence": create-message).
#   Simple fields: model "Use DeepSeek Model Instead" (claude-opus* -> deepseek-v4-pro, other claude* ->
#     deepseek-flash, other unknown names 400); max_tokens, stop_sequences, stream, system, top_p Fully Supported;
#     container, mcp_servers, service_tier, top_k Ignored; metadata: user_id only; temperature [0.0, 2.0];
#     thinking Supported (budget_tokens is ignored); output_config: only effort.
#   tools: name, input_schema, description Fully Supported; cache_control Ignored. tool_choice: none Fully
#     Supported; auto/any/tool Supported (disable_parallel_tool_use ignored); "any" is handled as auto
#     (create-message).
#   Keys outside Anthropic's schema (seed, metadata keys other than user_id, unknown tool fields): the table lists
#     no refusal, so they are accepted, unlike on Anthropic's endpoint [INFERRED]; temperature, top_k and a forced
#     tool_choice with thinking are accepted too (top_k Ignored; "any" handled as auto).
#   Message blocks: text (cache_control, citations Ignored), image (base64 jpeg/png/gif/webp, url, file), thinking,
#     tool_use, tool_result (is_error Ignored), server_tool_use, web_search_tool_result Supported; document,
#     search_result, redacted_thinking, code_execution_tool_result, mcp_tool_use, mcp_tool_result, container_upload
#     Not Supported (refused here as serde refuses an unknown variant [INFERRED wording]).
# Errors on this endpoint use DeepSeek's OpenAI-shaped envelope, as real bodies show:
#   {"error":{"message":"The `content[].thinking` in the thinking mode must be passed back to the API.",
#   "type":"invalid_request_error","param":null,"code":"invalid_request_error"}} (Lapis0x0/obsidian-yolo#326,
#   2026-05-18; OEvortex/aether#31, 2026-04-27) and "Failed to deserialize the JSON body into the target type:
#   messages[0].role: unknown variant `system`, expected `user` or `assistant` at line 1 column 29"
#   (musistudio/claude-code-router#881, 2025-10-07).
class DeepSeekMessages(MessagesAPI, DeepSeek):
    """``POST /deepseek/anthropic/v1/messages``: DeepSeek's Anthropic-format endpoint."""

    # ANTHROPIC_BASE_URL=https://api.deepseek.com/anthropic (the SDK adds /v1/messages), and the direct path
    # /anthropic/messages (api-docs.deepseek.com/api/create-message, read 2026-11-29)
    api_paths = ("/anthropic/v1", "/anthropic")

    requires_version = False
    temperature_max = 2.0
    verifies_signatures = False  # signatures are not documented as checked [INFERRED: not verified]
    tool_choice_any = "auto"
    forwards_top_k = False
    counts_tokens = False  # no count_tokens endpoint in DeepSeek's docs (guide and API reference, 2026-11-29)
    user_blocks = frozenset({"text", "image", "tool_result"})
    assistant_blocks = frozenset({"text", "thinking", "tool_use", "server_tool_use", "web_search_tool_result"})
    usage_extras: ClassVar[dict[str, Any]] = {}  # no service_tier / inference_geo [INFERRED]

    def api_key_of(self, headers: Any) -> str | None:
        return super().api_key_of(headers) or headers.get("x-api-key") or None

    def new_response_id(self, ctx: Ctx) -> str:
        return "msg_" + self.uuid()  # [INFERRED: DeepSeek's ids are UUIDs elsewhere (r11)]

    def map_model(self, name: str) -> str:
        if name.startswith("claude-opus"):
            return "deepseek-v4-pro"
        return "deepseek-flash" if name.startswith("claude") else name

    def path(self, *parts: Any) -> str:
        """serde's path: ``messages[0].content[1]``."""
        out = ""
        for p in parts:
            out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
        return out

    def _serde(self, what: str, needle: str, body: dict[str, Any]) -> SimError:
        raw = orjson.dumps(body)
        col = raw.find(needle.encode())
        col = col + len(needle) if col >= 0 else len(raw)  # column in the compact body [INFERRED]
        return self.bad_request(f"Failed to deserialize the JSON body into the target type: {what} at line 1 "
                                f"column {col}")

    def unknown_block(self, where: str, kind: Any, allowed: frozenset[str], body: dict[str, Any]) -> SimError:
        variants = ", ".join(f"`{t}`" for t in sorted(allowed))
        return self._serde(f"{where}: unknown variant `{kind}`, expected one of {variants}", f'"{kind}"', body)

    def bad_role(self, i: int, role: Any, body: dict[str, Any]) -> SimError:
        return self._serde(f"messages[{i}].role: unknown variant `{role}`, expected `user` or `assistant`",
                           f'"{role}"', body)

    def missing_param(self, path: str) -> SimError:
        return self.bad_request(f"Failed to deserialize the JSON body into the target type: missing field "
                                f"`{path.rsplit('.', 1)[-1]}` at line 1 column 1")  # [INFERRED column]

    def invalid_type(self, path: str, expected: Any, value: Any, raw: bytes) -> SimError:
        return DeepSeek.invalid_type(self, path, expected, value, raw)

    def _thinking(self, body: dict[str, Any], chat: dict[str, Any]) -> None:
        """thinking {type} (budget_tokens ignored) and output_config.effort as the chat dialect reads them."""
        super()._thinking(body, chat)
        if "thinking" in chat:
            chat["thinking"] = {"type": chat["thinking"]["type"]}
        oc = chat.pop("output_config", None)
        if isinstance(oc, dict) and oc.get("effort") is not None:
            chat["reasoning_effort"] = oc["effort"]

    def unsupported_input(self, ctx: Ctx, item: Any) -> SimError | None:
        """An image on a text-only model: serde's unknown variant, named as this API names the block
        [INFERRED wording]."""
        return self._serde(f"messages[{item.msg}].content[{item.part}]: unknown variant `image`, expected "
                           "`text`", '"image"', ctx.req.body)

    def validate(self, ctx: Ctx) -> None:
        """With thinking on and tools, each earlier tool-calling turn must carry its thinking (real body, above)."""
        if ctx.reasoning_on and ctx.req.tools:
            for m in ctx.req.messages:
                if m.get("role") == "assistant" and m.get("tool_calls") and not m.get("reasoning_content"):
                    raise self.bad_request("The `content[].thinking` in the thinking mode must be passed back to "
                                           "the API.")
        super().validate(ctx)

    def caches(self, ctx: Ctx) -> bool:
        return True  # DeepSeek's disk cache is automatic (context caching guide): hits are cache reads
