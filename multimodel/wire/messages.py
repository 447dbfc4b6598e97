"""Read an Anthropic Messages answer, streamed or whole, into the fields every API fills (wire/accumulate.py).

Streamed events (platform.claude.com/docs/en/build-with-claude/streaming, read 2026-11-29; real traffic in
tests/corpus_native m01-m18): ``message_start`` (model, id, first usage) → per content block
``content_block_start`` → ``content_block_delta``* (``text_delta``, ``thinking_delta``, ``signature_delta``,
``input_json_delta``, ``citations_delta``) → ``content_block_stop``, then ``message_delta`` (stop_reason,
stop_sequence, cumulative usage) and ``message_stop``; ``ping`` anywhere; ``{"type": "error"}`` in the stream.

- Reasoning is the thinking text. A thinking block whose text is withheld (``display: "omitted"``: only a
  signature) and a ``redacted_thinking`` block count as reasoning for time to first token and show nothing.
  Every thinking block (with its signature) and redacted block (with its data) is kept, unchanged, in
  ``native_state`` for the next turn.
- Client tools are ``tool_use`` blocks, their arguments the concatenated ``input_json_delta`` fragments (one
  ``""`` for a tool without arguments: read as ``{}``). Server tools (``server_tool_use``,
  ``web_search_tool_result`` and the like) run at the provider: not calls for the caller to answer.
- Usage becomes the OpenAI shape the rest of multimodel reads: prompt = input + cache read + cache creation
  (Anthropic's ``input_tokens`` excludes both: m14, m15), cached = cache read, cache writes = cache creation,
  completion = output (thinking included), reasoning = ``output_tokens_details.thinking_tokens`` when sent.
  ``message_delta`` values win over ``message_start``'s (its counts are final: m17, m18); extras such as
  ``server_tool_use`` or a gateway's ``cost_estimate`` are kept beside them.
A field of the wrong JSON type is ignored where the answer stays clear, and raises MalformedResponse where it
does not (an event or block that is not an object, an index that is not a number, content that is not a list).
"""

from __future__ import annotations

from typing import Any

import orjson

from multimodel.results import valid_count
from multimodel.wire.accumulate import Accumulator, MalformedResponse, _encodable
from multimodel.wire.errors import error_from_stream

#: Messages stop reasons the shared finish map does not know (platform.claude.com/docs/en/build-with-claude/
#: handling-stop-reasons, read 2026-11-29): the context window filled up is a length stop
_MESSAGES_FINISH = {"model_context_window_exceeded": "length"}
#: native usage keys that become the OpenAI-shaped counts (the rest are kept as they came)
_COUNT_KEYS = ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens", "output_tokens")


def _object(value: Any, what: str) -> dict[str, Any]:
    """The value when it is a JSON object; MalformedResponse otherwise (the event cannot be read without it)."""
    if not isinstance(value, dict):
        raise MalformedResponse(f"{what} is a {type(value).__name__}, not an object")
    return value


def _index(obj: dict[str, Any]) -> Any:
    """A content block's index: a whole number (None when absent, as a minimal proxy may leave it out)."""
    index = obj.get("index")
    if index is not None and (isinstance(index, bool) or not isinstance(index, int)):
        raise MalformedResponse(f"a content block index is a {type(index).__name__}, not a number")
    return index


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


class _Block:
    """One open content block of a stream: its type and what it has gathered so far."""

    __slots__ = ("kind", "position", "signature", "thinking")

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.position = -1  # a tool_use block's place among the tool calls
        self.thinking: list[str] = []
        self.signature = ""


def messages_usage(native: dict[str, Any] | None) -> dict[str, Any] | None:
    """Anthropic usage → the OpenAI shape (``prompt_tokens`` with every input token, cache reads and writes in
    ``prompt_tokens_details``, thinking in ``completion_tokens_details``), provider extras kept beside it."""
    if not isinstance(native, dict):
        return None
    inp, read, written, out = (valid_count(native.get(key)) for key in _COUNT_KEYS)
    usage: dict[str, Any] = {k: v for k, v in native.items() if k not in _COUNT_KEYS and _encodable(v)}
    if inp is not None:
        usage["prompt_tokens"] = inp + (read or 0) + (written or 0)
    if out is not None:
        usage["completion_tokens"] = out
    usage["prompt_tokens_details"] = {"cached_tokens": read, "cache_write_tokens": written}
    split = native.get("cache_creation")  # the writes by retention (m01, m14): the 1-hour ones cost 2x input, not 1.25x
    if isinstance(split, dict) and written is not None:
        short, long = (valid_count(split.get(k)) for k in ("ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens"))
        if short is not None and long is not None and short + long == written:  # a split that adds up, or none
            usage["prompt_tokens_details"]["cache_write_long_tokens"] = long
    details = native.get("output_tokens_details")
    thinking = valid_count(details.get("thinking_tokens")) if isinstance(details, dict) else None
    usage["completion_tokens_details"] = {"reasoning_tokens": thinking}
    return usage


class MessagesAccumulator(Accumulator):
    """Feed Messages events (or one whole message) in; read the same normalized fields as any API out."""

    def __init__(self) -> None:
        super().__init__()
        self._blocks: dict[Any, _Block] = {}
        self._usage: dict[str, Any] = {}  # message_start's usage, then message_delta's values over it
        self.stop_sequence: str | None = None

    # ------------------------------------------------------------------ streamed events
    def add_chunk(self, obj: dict[str, Any], t: float) -> None:
        etype = obj.get("type")
        if etype == "content_block_delta":  # the most frequent event first
            self._delta(_index(obj), _object(obj.get("delta"), "content_block_delta.delta"), t)
        elif etype == "content_block_start":
            self._start(_index(obj), _object(obj.get("content_block"), "content_block_start.content_block"), t)
        elif etype == "content_block_stop":
            self._stop(_index(obj))
        elif etype == "message_start":
            self._message_start(_object(obj.get("message"), "message_start.message"))
        elif etype == "message_delta":
            self._message_delta(obj)
        elif etype == "message_stop":
            self.ended = True
        elif etype == "error" or (etype is None and obj.get("error")):
            self.error = error_from_stream(obj)
        elif etype is not None and not isinstance(etype, str):
            raise MalformedResponse(f"a streamed event's type is a {type(etype).__name__}, not text")
        # ping, and event types added after this was written, carry nothing to read

    def _message_start(self, message: dict[str, Any]) -> None:
        if isinstance(message.get("model"), str):
            self.response_model = message["model"]
        if isinstance(message.get("id"), str):
            self.response_id = message["id"]
        usage = message.get("usage")
        if isinstance(usage, dict):
            self._usage.update(usage)

    def _message_delta(self, obj: dict[str, Any]) -> None:
        delta = obj.get("delta")
        if isinstance(delta, dict):
            if isinstance(delta.get("stop_reason"), str):
                self.finish_raw = delta["stop_reason"]
            if isinstance(delta.get("stop_sequence"), str):
                self.stop_sequence = delta["stop_sequence"]
        usage = obj.get("usage")
        if isinstance(usage, dict):  # cumulative and final: each value replaces message_start's
            self._usage.update({k: v for k, v in usage.items() if v is not None})

    def _start(self, index: Any, block: dict[str, Any], t: float) -> None:
        kind = _text(block.get("type"))
        state = self._blocks[index] = _Block(kind)
        if kind == "text":
            self.add_answer_text(_text(block.get("text")), t)
        elif kind == "thinking":
            state.signature = _text(block.get("signature"))
            self._thinking_text(state, _text(block.get("thinking")), t)
        elif kind == "redacted_thinking":
            self._redacted(block, t)
        elif kind == "tool_use":
            state.position = self.start_tool_call(_text(block.get("id")), _text(block.get("name")), t)
            given = block.get("input")
            if isinstance(given, dict) and given and _encodable(given):  # a server that sends the input whole
                self.add_tool_arguments(state.position, orjson.dumps(given).decode(), t, whole=True)

    def _delta(self, index: Any, delta: dict[str, Any], t: float) -> None:
        dtype = delta.get("type")
        state = self._blocks.get(index)
        if dtype == "text_delta":
            self.add_answer_text(_text(delta.get("text")), t)
        elif dtype == "thinking_delta":
            if state is None:
                state = self._blocks[index] = _Block("thinking")
            self._thinking_text(state, _text(delta.get("thinking")), t)
        elif dtype == "signature_delta" and state is not None and state.kind == "thinking":
            state.signature += _text(delta.get("signature"))
            if not state.thinking:
                self.note_hidden_reasoning(t)  # display "omitted": the signature is all there is
        elif dtype == "input_json_delta" and state is not None and state.kind == "tool_use":
            self.add_tool_arguments(state.position, _text(delta.get("partial_json")), t)
        # citations_delta (sources of the text that follows), server tools' input: not part of the answer text

    def _stop(self, index: Any) -> None:
        state = self._blocks.pop(index, None)
        if state is not None and state.kind == "thinking":
            self.native_state.append({"type": "thinking", "thinking": "".join(state.thinking),
                                      "signature": state.signature})

    def _thinking_text(self, state: _Block, text: str, t: float) -> None:
        if text:
            state.thinking.append(text)
            self.add_reasoning_text(text, t)

    def _redacted(self, block: dict[str, Any], t: float) -> None:
        data = block.get("data")
        if isinstance(data, str):
            self.native_state.append({"type": "redacted_thinking", "data": data})
        self.note_hidden_reasoning(t)

    def add_event_error(self, data: Any) -> None:
        """``event: error`` (Anthropic: ``{"type": "error", "error": {"type", "message"}}``)."""
        self.error = error_from_stream(data)

    # ------------------------------------------------------------------ a whole message
    def add_message(self, body: dict[str, Any], t: float) -> None:
        """A whole non-streamed Messages answer (``{"type": "message", "content": [...], ...}``)."""
        self.whole_body = True
        if body.get("type") == "error" or (body.get("error") and "content" not in body):
            self.error = error_from_stream(body)
            return
        self._message_start(body)
        content = body.get("content")
        if content is None:
            content = []
        if not isinstance(content, list):
            raise MalformedResponse(f"'content' is a {type(content).__name__}, not a list of blocks")
        for block in content:
            if isinstance(block, dict):
                self._whole_block(block, t)
        if isinstance(body.get("stop_reason"), str):
            self.finish_raw = body["stop_reason"]
        if isinstance(body.get("stop_sequence"), str):
            self.stop_sequence = body["stop_sequence"]
        self.first_token_t = self.last_token_t = t  # a whole body arrives at once
        if self.first_answer_t is None and (self.content or self.tools):
            self.first_answer_t = t

    def _whole_block(self, block: dict[str, Any], t: float) -> None:
        kind = block.get("type")
        if kind == "text":
            self.add_answer_text(_text(block.get("text")), t)
        elif kind == "thinking":
            text = _text(block.get("thinking"))
            self.add_reasoning_text(text, t)
            if not text:
                self.note_hidden_reasoning(t)
            self.native_state.append({"type": "thinking", "thinking": text,
                                      "signature": _text(block.get("signature"))})
        elif kind == "redacted_thinking":
            self._redacted(block, t)
        elif kind == "tool_use":
            position = self.start_tool_call(_text(block.get("id")), _text(block.get("name")), t)
            given = block.get("input")
            raw = orjson.dumps(given).decode() if isinstance(given, dict) and _encodable(given) else ""
            self.add_tool_arguments(position, raw, t, whole=True)

    # ------------------------------------------------------------------ results
    def finish(self) -> None:
        """Close blocks a cut stream left open (their thinking still echoes), and turn usage into the shared shape."""
        for index in list(self._blocks):
            self._stop(index)
        self.usage = messages_usage(self._usage) if self._usage else None
        super().finish()

    def finish_reason(self, has_tools: bool) -> str:
        mapped = _MESSAGES_FINISH.get(self.finish_raw) if isinstance(self.finish_raw, str) else None
        if mapped is not None and self.error is None:
            return mapped
        return super().finish_reason(has_tools)
