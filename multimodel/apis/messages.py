"""Anthropic's Messages API (``POST {base}/v1/messages``), which Anthropic, DeepSeek, OpenRouter and other
Anthropic-compatible endpoints serve, and which returns Claude's thinking text (the compatibility layer does not).

The provider's dialect builds the Chat Completions body first, so every per-model rule, dropped parameter and
reasoning shape applies (a dialect may give its own rules for this API: ``dialect.for_api("messages")``); this
module translates that body into a Messages body (platform.claude.com/docs/en/api/messages, read 2026-11-29):

- every system/developer message → top-level ``system`` text blocks; user and assistant content → content blocks
  (an ``image_url`` data URL → image with a base64 source, an http(s) URL → a url source; a PDF ``file`` part →
  a ``document`` block); an assistant's ``thinking_blocks`` (``Result.as_message()``) first and unchanged, then
  its text, then ``tool_use`` blocks; ``tool`` messages → ``tool_result`` blocks, consecutive ones in one user
  message, in order, before any text of the user turn that follows (the API wants tool results first);
- tools → ``{name, description, input_schema}`` (``strict`` kept where the dialect keeps it); ``tool_choice``
  auto/none/required/{function} → auto/none/any/{tool}; ``parallel_tool_calls=False`` →
  ``disable_parallel_tool_use``; ``stop`` → ``stop_sequences``; ``user`` → ``metadata.user_id``; a
  ``json_schema`` response_format → ``output_config.format`` (structured outputs); ``stream`` → ``stream``;
- ``reasoning_effort`` from a dialect that knows no Messages form (a generic endpoint) → ``thinking`` enabled
  with the catalogue's budget for that effort (``EFFORT_BUDGET``), "none" → disabled;
- what the API cannot carry (seed, logprobs, n > 1, penalties, a JSON mode without schema, audio, a file id) is
  dropped with a warning naming it; fields Chat Completions does not know (``top_k``, ``cache_control`` given in
  extra_body) pass through.

``max_tokens`` is required by the Messages API. The caller's ``max_tokens`` / ``max_completion_tokens`` is sent
when given (raised above a thinking budget by the dialect). Otherwise: ``ANSWER_TOKENS`` (8192, what
simonw/llm-anthropic sends: tests/corpus_native m01, m05, m13) plus the room thinking needs, namely
``budget_tokens`` when thinking has a budget, or the catalogue's budget for the effort (the named one, else the
model's default effort) when thinking is adaptive or the model thinks by default; never more than the model's
``max_output_tokens`` in the catalogue, always more than the budget. Not the model's maximum: Anthropic counts
``max_tokens`` against the output-tokens-per-minute limit when a request starts (platform.claude.com/docs/en/api/
rate-limits, read 2026-11-29).
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any, ClassVar

import orjson

from multimodel.apis.base import API, without_native_state
from multimodel.catalogue import EFFORT_BUDGET, ModelInfo
from multimodel.errors import ConfigError
from multimodel.providers.base import Dialect
from multimodel.wire.accumulate import Accumulator
from multimodel.wire.messages import MessagesAccumulator

ANTHROPIC_VERSION = "2023-06-01"  # the version every Anthropic SDK sends (platform.claude.com/docs/en/api/versioning)
ANSWER_TOKENS = 8192
_DATA_URL = re.compile(r"^data:([\w.+-]+/[\w.+-]+)?(?:;[\w-]+=[^;,]*)*;base64,(.*)$", re.S | re.I)
#: Chat Completions fields the Messages API has no place for (each dropped with a warning when set)
_NOT_CARRIED = ("seed", "logprobs", "top_logprobs", "presence_penalty", "frequency_penalty", "logit_bias",
                "service_tier", "store", "modalities", "audio", "prediction", "web_search_options", "verbosity",
                "reasoning_effort", "n")
#: Chat Completions fields this module translates (or drops quietly: stream_options has no Messages form)
_TRANSLATED = {"model", "messages", "max_tokens", "max_completion_tokens", "stop", "tools", "tool_choice",
               "parallel_tool_calls", "user", "response_format", "stream", "stream_options", "thinking",
               "output_config", "temperature", "top_p", "metadata"}


class MessagesAPI(API):
    """Anthropic's Messages API: ``x-api-key`` and ``anthropic-version`` headers, a Messages body, events read by
    :class:`MessagesAccumulator`, thinking blocks echoed on the next turn."""

    name: ClassVar[str] = "messages"
    title: ClassVar[str] = "Messages"

    def url(self, base_url: str) -> str:
        """``…/v1`` + ``/messages``; any other base (an ``ANTHROPIC_BASE_URL`` such as api.deepseek.com/anthropic)
        + ``/v1/messages``, as Anthropic's SDKs do."""
        base = base_url.rstrip("/")
        return f"{base}/messages" if base.endswith("/v1") else f"{base}/v1/messages"

    def headers(self, api_key: str) -> dict[str, str]:
        """The key in ``x-api-key`` (a credential header redact.py scrubs by name), never in Authorization."""
        return {"x-api-key": api_key, "anthropic-version": ANTHROPIC_VERSION, "Content-Type": "application/json"}

    def build_body(
        self,
        dialect: Dialect,
        model_id: str,
        messages: list[dict[str, Any]],
        *,
        stream: bool,
        reasoning: str | int | None,
        tools: list[dict[str, Any]] | None,
        params: dict[str, Any],
        options: dict[str, Any],
        warn: Any,
        info: ModelInfo | None = None,
    ) -> dict[str, Any]:
        rules = messages_rules(dialect)
        messages = without_native_state(messages, keep="thinking_blocks")
        chat = rules.build_body(model_id, messages, stream=stream, reasoning=reasoning, tools=tools, params=params,
                                options=options, warn=warn, info=info)
        body = to_messages_body(chat, warn)
        rules.messages_body(body, info, reasoning, warn)  # the provider's own (providers/anthropic.py, deepseek.py)
        body["max_tokens"] = max_tokens_for(chat, body, info, reasoning, warn)
        return dict(sorted(body.items(), key=lambda kv: _ORDER.get(kv[0], len(_ORDER))))

    def carries(self, param: str, body: dict[str, Any]) -> bool:
        if param == "response_format":
            config = body.get("output_config")
            return isinstance(config, dict) and "format" in config
        if param in ("seed", "logprobs", "top_logprobs"):
            return False
        return param in body

    def accumulator(self) -> Accumulator:
        return MessagesAccumulator()

    def echo_state(self, dialect: Dialect, acc: Accumulator) -> dict[str, Any] | None:
        """The answer's thinking blocks (with their signatures) and redacted blocks (with their data), which the
        next turn must send back unchanged before its tool_use blocks."""
        blocks = [dict(b) for b in acc.native_state if b.get("type") in ("thinking", "redacted_thinking")]
        return {"thinking_blocks": blocks} if blocks else None


#: the order fields are written in (a readable body; JSON objects have none)
_ORDER = {k: i for i, k in enumerate(("model", "max_tokens", "system", "messages", "tools", "tool_choice",
                                      "thinking", "output_config", "stream"))}


def messages_rules(dialect: Dialect) -> Dialect:
    """The dialect's rules for this API (``for_api``: its provider module's subclass where they differ)."""
    return dialect.for_api("messages")


# ---------------------------------------------------------------------------------------------- the body
def to_messages_body(chat: dict[str, Any], warn: Any) -> dict[str, Any]:
    """A Chat Completions body (as a dialect built it) → the Messages body, with a warning for each loss."""
    system, messages = _conversation(chat.get("messages") or [], warn)
    body: dict[str, Any] = {"model": chat.get("model")}
    if system:
        body["system"] = system
    body["messages"] = messages
    for key in ("temperature", "top_p", "thinking", "output_config", "metadata"):
        if chat.get(key) is not None:
            body[key] = chat[key]
    stop = chat.get("stop")
    if stop:
        body["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
    if chat.get("tools"):
        body["tools"] = [_tool(t, warn) for t in chat["tools"]]
    _tool_choice(chat, body)
    if isinstance(chat.get("user"), str):
        body["metadata"] = {**(body.get("metadata") or {}), "user_id": chat["user"]}
    _response_format(chat.get("response_format"), body, warn)
    _reasoning_effort(chat.get("reasoning_effort"), body)
    if chat.get("stream"):
        body["stream"] = True
    dropped = [k for k in _NOT_CARRIED if chat.get(k) is not None and not (k == "n" and chat[k] == 1)
               and not (k == "reasoning_effort" and "thinking" in body)]
    if dropped:
        warn(f"dropped {', '.join(dropped)}: the Messages API has no such parameters")
    for key, value in chat.items():  # what extra_body added that Chat Completions does not know: the caller's
        if key not in _TRANSLATED and key not in _NOT_CARRIED and value is not None:
            body[key] = value
    return body


def _conversation(messages: list[dict[str, Any]], warn: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(system text blocks, Messages turns): system and developer messages hoisted, tool results grouped."""
    system: list[dict[str, Any]] = []
    turns: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []  # tool_result blocks waiting for the user turn that carries them
    for m in messages:
        role = m.get("role")
        if role in ("system", "developer"):
            system += [b for b in _blocks(m.get("content"), warn, role) if b.get("type") == "text"]
            continue
        if role == "tool":
            results.append(_tool_result(m, warn))
            continue
        if results:
            extra = _blocks(m.get("content"), warn, "user") if role == "user" else []
            turns.append({"role": "user", "content": results + extra})
            results = []
            if role == "user":
                continue
        if role == "user":
            content = m.get("content")
            turns.append({"role": "user", "content": content if isinstance(content, str)
                          else _blocks(content, warn, "user")})
        elif role == "assistant":
            turn = _assistant(m, warn)
            if turn is not None:
                turns.append(turn)
        else:
            warn(f"dropped a {role!r} message: the Messages API takes user and assistant turns (tool results as"
                 " tool messages)")
    if results:
        turns.append({"role": "user", "content": results})
    return system, turns


def _assistant(m: dict[str, Any], warn: Any) -> dict[str, Any] | None:
    """An assistant turn: its thinking blocks unchanged, then its text, then its tool calls as tool_use."""
    content: list[dict[str, Any]] = []
    thinking = m.get("thinking_blocks")
    if isinstance(thinking, list):
        content += [dict(b) for b in thinking if isinstance(b, dict)]
    text = m.get("content")
    if isinstance(text, str):
        if text:
            content.append({"type": "text", "text": text})
    elif text is not None:
        content += [b for b in _blocks(text, warn, "assistant") if b.get("type") == "text" and b.get("text")]
    for call in m.get("tool_calls") or []:
        fn = call.get("function") if isinstance(call, dict) else None
        if not isinstance(fn, dict):
            continue
        content.append({"type": "tool_use", "id": call.get("id"), "name": fn.get("name"),
                        "input": _arguments(fn.get("arguments"), fn.get("name"))})
    if not content:
        warn("dropped an empty assistant message: the Messages API refuses empty content")
        return None
    return {"role": "assistant", "content": content}


def _arguments(raw: Any, name: Any) -> dict[str, Any]:
    """A tool call's arguments as the object tool_use.input must be."""
    if isinstance(raw, dict):
        return raw
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return {}
    try:
        parsed = orjson.loads(raw)
    except (orjson.JSONDecodeError, TypeError):
        parsed = None
    if not isinstance(parsed, dict):
        raise ConfigError(f"the assistant's call of tool {name!r} has arguments that are not a JSON object "
                          f"({str(raw)[:60]!r}); the Messages API needs tool_use.input to be one: send the arguments"
                          " as a JSON object string, as Result.as_message() writes them")
    return parsed


def _tool_result(m: dict[str, Any], warn: Any) -> dict[str, Any]:
    content = m.get("content")
    block: dict[str, Any] = {"type": "tool_result", "tool_use_id": m.get("tool_call_id")}
    if isinstance(content, str):
        block["content"] = content
    elif content is not None:
        block["content"] = [b for b in _blocks(content, warn, "tool") if b.get("type") in ("text", "image")]
    return block


def _blocks(content: Any, warn: Any, role: Any) -> list[dict[str, Any]]:
    """Chat Completions content (text or parts) → Messages content blocks."""
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    out = []
    for part in content if isinstance(content, list) else []:
        if isinstance(part, str):
            part = {"type": "text", "text": part}
        if not isinstance(part, dict):
            continue
        block = _block(part, warn, role)
        if block is not None:
            if isinstance(part.get("cache_control"), dict):  # the caller's prompt-caching marks are Anthropic's
                block["cache_control"] = part["cache_control"]
            out.append(block)
    return out


def _block(part: dict[str, Any], warn: Any, role: Any) -> dict[str, Any] | None:
    kind = part.get("type")
    if kind == "text":
        text = part.get("text")
        return {"type": "text", "text": text} if isinstance(text, str) and text else None
    if kind == "image_url":
        inner = part.get("image_url")
        url = inner.get("url") if isinstance(inner, dict) else inner
        if isinstance(inner, dict) and inner.get("detail") not in (None, "auto"):
            warn(f"dropped image detail {inner['detail']!r}: the Messages API has no detail setting")
        return _image(url, warn)
    if kind == "file":
        return _document(part.get("file"), warn)
    warn(f"dropped a {kind!r} part of a {role} message: the Messages API has no block for it")
    return None


def _image(url: Any, warn: Any) -> dict[str, Any] | None:
    if not isinstance(url, str):
        return None
    m = _DATA_URL.match(url)
    if m:
        return {"type": "image", "source": {"type": "base64", "media_type": (m.group(1) or "image/png").lower(),
                                             "data": m.group(2)}}
    if url.lower().startswith(("http://", "https://")):
        return {"type": "image", "source": {"type": "url", "url": url}}
    warn("dropped an image whose url is neither a data: URL nor http(s)")
    return None


def _document(inner: Any, warn: Any) -> dict[str, Any] | None:
    """A PDF as a base64 document block; plain text as a text document; anything else is dropped."""
    if not isinstance(inner, dict) or not isinstance(inner.get("file_data"), str):
        warn("dropped a file part given by file_id: an uploaded file's id belongs to the provider that issued it")
        return None
    m = _DATA_URL.match(inner["file_data"])
    mime = (m.group(1) or "").lower() if m else "application/pdf"
    data = m.group(2) if m else inner["file_data"]
    block: dict[str, Any]
    if mime == "application/pdf":
        block = {"type": "document", "source": {"type": "base64", "media_type": mime, "data": data}}
    elif mime == "text/plain":
        try:
            text = base64.b64decode(data, validate=False).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            warn("dropped a text file that is not base64 UTF-8")
            return None
        block = {"type": "document", "source": {"type": "text", "media_type": mime, "data": text}}
    else:
        warn(f"dropped a {mime or 'file'} part: the Messages API reads PDFs and plain text documents")
        return None
    if isinstance(inner.get("filename"), str):
        block["title"] = inner["filename"]
    return block


def _tool(tool: dict[str, Any], warn: Any) -> dict[str, Any]:
    fn = tool.get("function") if isinstance(tool, dict) else None
    if not isinstance(fn, dict):  # already in Anthropic's shape (a server tool such as web_search), sent as given
        return tool
    out: dict[str, Any] = {"name": fn.get("name")}
    if fn.get("description"):
        out["description"] = fn["description"]
    out["input_schema"] = fn.get("parameters") or {"type": "object", "properties": {}}
    if fn.get("strict") is not None:
        out["strict"] = fn["strict"]
    return out


def _tool_choice(chat: dict[str, Any], body: dict[str, Any]) -> None:
    choice = chat.get("tool_choice")
    out: dict[str, Any] | None = None
    if choice in ("auto", "none"):
        out = {"type": choice}
    elif choice == "required":
        out = {"type": "any"}
    elif isinstance(choice, dict):
        fn = choice.get("function")
        name = fn.get("name") if isinstance(fn, dict) else choice.get("name")
        out = {"type": "tool", "name": name} if name else dict(choice)
    if chat.get("parallel_tool_calls") is False and chat.get("tools"):
        out = out or {"type": "auto"}
        if out.get("type") != "none":
            out["disable_parallel_tool_use"] = True
    if out is not None:
        body["tool_choice"] = out


def _response_format(rf: Any, body: dict[str, Any], warn: Any) -> None:
    """A json_schema → structured outputs (platform.claude.com/docs/en/build-with-claude/structured-outputs,
    read 2026-11-29: ``output_config.format``, no beta header); a json_object has no Messages form."""
    kind = rf.get("type") if isinstance(rf, dict) else None
    if kind == "json_schema":
        spec = rf.get("json_schema") if isinstance(rf.get("json_schema"), dict) else {}
        schema = spec.get("schema")
        if isinstance(schema, dict):
            body["output_config"] = {**(body.get("output_config") or {}),
                                     "format": {"type": "json_schema", "schema": schema}}
            return
        warn("dropped response_format json_schema without a schema: structured outputs need one")
    elif kind == "json_object":
        warn("dropped response_format json_object: the Messages API has no JSON mode without a schema (pass a"
             " json_schema response_format for structured outputs)")


def _reasoning_effort(effort: Any, body: dict[str, Any]) -> None:
    """A generic dialect's reasoning_effort → thinking, the form every Messages server reads."""
    if not isinstance(effort, str) or "thinking" in body:
        return
    if effort == "none":
        body["thinking"] = {"type": "disabled"}
    else:
        body["thinking"] = {"type": "enabled", "budget_tokens": EFFORT_BUDGET.get(effort, EFFORT_BUDGET["medium"])}


def max_tokens_for(chat: dict[str, Any], body: dict[str, Any], info: ModelInfo | None, reasoning: str | int | None,
                   warn: Any) -> int:
    """The required max_tokens: the caller's, else the rule in the module docstring."""
    thinking = body.get("thinking") if isinstance(body.get("thinking"), dict) else {}
    budget = thinking.get("budget_tokens") if thinking.get("type") == "enabled" else None
    budget = budget if isinstance(budget, int) and not isinstance(budget, bool) else None
    given = chat.get("max_tokens") or chat.get("max_completion_tokens")
    if isinstance(given, int) and not isinstance(given, bool):
        if budget is not None and given <= budget:
            warn(f"raised max_tokens to {budget + given}: it must exceed the thinking budget ({budget})")
            return budget + given
        return given
    room = budget or 0
    if budget is None and (thinking.get("type") == "adaptive" or (
            not thinking and info is not None and info.reasons_with(reasoning))):
        config = body.get("output_config") if isinstance(body.get("output_config"), dict) else {}
        effort = config.get("effort") or (info.reasoning.effort_default if info is not None else None) or "high"
        room = EFFORT_BUDGET.get(effort, EFFORT_BUDGET["high"])
    total = ANSWER_TOKENS + room
    cap = info.max_output_tokens if info is not None else None
    if cap:
        total = min(total, cap)
    return max(total, room + 1) if budget is not None else total


MESSAGES = MessagesAPI()
