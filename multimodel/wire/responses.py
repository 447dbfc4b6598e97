"""Read an OpenAI Responses answer (``POST /responses``), streamed events or a whole body, into the fields the
Chat Completions reader fills, so every API gives the same Result.

Wire facts (tests/corpus_native/INDEX.md, r01–r15; platform.openai.com/docs/api-reference/responses-streaming,
read 2026-11-29):
- a stream runs ``response.created`` → ``response.in_progress`` → per output item ``output_item.added`` → its own
  events → ``output_item.done`` → ``response.completed`` (or ``response.incomplete`` / ``response.failed``), and
  usage only comes in the final response object;
- items may interleave (OpenRouter closes the message while the reasoning item is still open: r09), so every
  event is routed by its ``item_id``, never by "the current item";
- reasoning is a summary (``reasoning_summary_text``, parts joined with a blank line), raw chain of thought
  (``reasoning_text``: OpenRouter, DeepSeek, Bedrock) or only ``encrypted_content`` (hidden: counted for time to
  first token, no text); the blob in ``output_item.added`` differs from the final one (r01, r06), so the final
  item is what the next turn sends back;
- an in-stream failure is an ``error`` event, then ``response.failed`` (r08).
Any field may hold any JSON type: a value of the wrong type is ignored where the meaning stays clear and raises
:class:`MalformedResponse` where it does not (``output`` that is not a list, an item that is not an object).
"""

from __future__ import annotations

from typing import Any

from multimodel.results import ResultError
from multimodel.wire.accumulate import Accumulator, MalformedResponse, _encodable
from multimodel.wire.errors import error_from_stream

#: Responses' own stop reasons (``incomplete_details.reason``) where the Chat Completions map has no entry
_INCOMPLETE_FINISH = {"max_output_tokens": "length", "content_filter": "content_filter"}
#: events that end the stream: the final response object (with usage) rides on them
_FINAL_EVENTS = ("response.completed", "response.incomplete", "response.failed")
#: usage extras copied top-level as sent, so a dialect's cost_from_usage finds them (OpenRouter ``cost``,
#: ``is_byok``, ``cost_details``: r09; xAI ``cost_in_usd_ticks``)
_USAGE_RENAMED = ("input_tokens", "output_tokens", "input_tokens_details", "output_tokens_details")


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _texts(parts: Any, kinds: tuple[str, ...]) -> list[str]:
    """The texts of the parts of the given types (a summary list or a content list); others are skipped."""
    if not isinstance(parts, list):
        return []
    return [p["text"] for p in parts
            if isinstance(p, dict) and p.get("type") in kinds and isinstance(p.get("text"), str) and p["text"]]


def responses_usage(usage: Any) -> dict[str, Any] | None:
    """Responses usage in the OpenAI Chat Completions shape normalize_usage reads: input_tokens (cached included)
    → prompt_tokens, output_tokens (reasoning included) → completion_tokens, the details renamed; every other key
    (total_tokens, OpenRouter ``cost``, xAI ``cost_in_usd_ticks``, ``num_sources_used``) kept as sent."""
    if not isinstance(usage, dict):
        return None
    out: dict[str, Any] = {k: v for k, v in usage.items() if k not in _USAGE_RENAMED}
    out["prompt_tokens"] = usage.get("input_tokens")
    out["completion_tokens"] = usage.get("output_tokens")
    if isinstance(usage.get("input_tokens_details"), dict):
        out["prompt_tokens_details"] = usage["input_tokens_details"]
    if isinstance(usage.get("output_tokens_details"), dict):
        out["completion_tokens_details"] = usage["output_tokens_details"]
    return out


class _Item:
    """One output item as the stream builds it."""

    __slots__ = ("final", "kind", "parts", "tool")

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.tool: int | None = None  # position in the accumulator's tool calls (function_call items)
        self.parts: set[tuple[str, int]] = set()  # (channel, index) of the parts whose text already arrived
        self.final: dict[str, Any] | None = None  # the item as output_item.done gave it


class ResponsesAccumulator(Accumulator):
    """Feed Responses events (``add_chunk``) or one whole response object (``add_message``); read the normalized
    fields out as from the Chat Completions accumulator."""

    def __init__(self) -> None:
        super().__init__()
        self._items: dict[str, _Item] = {}
        self._by_index: dict[int, str] = {}  # output_index → item id (events that name only the index)
        self._last_part: tuple[str, str, int] | None = None  # the reasoning part text last came from
        self._final_output: list[dict[str, Any]] | None = None  # ``output`` of the final response object

    # ------------------------------------------------------------------ items
    def _item_of(self, event: dict[str, Any], kind: str = "") -> tuple[str, _Item]:
        """The item an event belongs to, by ``item_id`` (else by ``output_index``), created when first named."""
        item_id = _str(event.get("item_id"))
        index = event.get("output_index")
        if item_id is None and isinstance(index, int):
            item_id = self._by_index.get(index)
        if item_id is None:
            item_id = f"#{index}" if isinstance(index, int) else "#?"
        item = self._items.get(item_id)
        if item is None:
            item = self._items[item_id] = _Item(kind)
            if isinstance(index, int):
                self._by_index.setdefault(index, item_id)
        return item_id, item

    def _open_item(self, event: dict[str, Any], t: float) -> None:
        """``output_item.added``: register the item; a function call opens its tool call (name and call id)."""
        raw = event.get("item")
        if not isinstance(raw, dict):
            raise MalformedResponse(f"an output item is a {type(raw).__name__}, not an object")
        kind = _str(raw.get("type")) or ""
        item_id = _str(raw.get("id")) or f"#{event.get('output_index')}"
        item = self._items.get(item_id) or _Item(kind)
        item.kind = kind
        self._items[item_id] = item
        if isinstance(event.get("output_index"), int):
            self._by_index[event["output_index"]] = item_id
        if kind == "function_call" and item.tool is None:
            item.tool = self.start_tool_call(_str(raw.get("call_id")) or "", _str(raw.get("name")) or "", t)
            args = _str(raw.get("arguments"))
            if args:
                self.add_tool_arguments(item.tool, args, t)

    def _close_item(self, raw: Any, event: dict[str, Any], t: float) -> None:
        """``output_item.done`` (or an item of a whole body): the final item; any text it holds that no delta
        brought is added, reasoning that shows no text counts as hidden reasoning."""
        if not isinstance(raw, dict):
            raise MalformedResponse(f"an output item is a {type(raw).__name__}, not an object")
        kind = _str(raw.get("type")) or ""
        item_id = _str(raw.get("id")) or f"#{event.get('output_index')}"
        item = self._items.get(item_id)
        if item is None:
            item = self._items[item_id] = _Item(kind)
        item.kind = kind or item.kind
        item.final = raw if _encodable(raw) else None
        if kind == "message":
            if not any(ch == "text" for ch, _ in item.parts):
                for text in _texts(raw.get("content"), ("output_text",)):
                    self.add_answer_text(text, t)
                item.parts.add(("text", 0))
            if not any(ch == "refusal" for ch, _ in item.parts):
                for part in raw.get("content") or ():
                    if isinstance(part, dict) and part.get("type") == "refusal":
                        self.add_refusal_text(_str(part.get("refusal")) or "", t)
                item.parts.add(("refusal", 0))
            self._message_logprobs(raw.get("content"), item)
        elif kind == "function_call":
            if item.tool is None:
                item.tool = self.start_tool_call(_str(raw.get("call_id")) or "", _str(raw.get("name")) or "", t)
            args = _str(raw.get("arguments"))
            if args is not None:
                self.add_tool_arguments(item.tool, args, t, whole=True)
            builder = self.tools[item.tool]
            builder.id = builder.id or _str(raw.get("call_id")) or ""
            builder.name = builder.name or _str(raw.get("name")) or ""
        elif kind == "reasoning":
            self._close_reasoning(item_id, item, raw, t)

    def _close_reasoning(self, item_id: str, item: _Item, raw: dict[str, Any], t: float) -> None:
        if not item.parts:
            texts = _texts(raw.get("summary"), ("summary_text",)) or _texts(raw.get("content"), ("reasoning_text",))
            for n, text in enumerate(texts):
                self._reasoning(item_id, item, "whole", n, text, t)
            if not texts:
                self.note_hidden_reasoning(t)  # encrypted only, or nothing shown: the model still reasoned

    def _reasoning(self, item_id: str, item: _Item, channel: str, index: int, text: str, t: float) -> None:
        """Reasoning text of one part; a new part (another summary part, another item) starts after a blank
        line, so separate summaries read as paragraphs."""
        if not text:
            return
        key = (item_id, channel, index)
        if self._last_part is not None and self._last_part != key and self.reasoning:
            self.reasoning.append("\n\n")
        self._last_part = key
        item.parts.add((channel, index))
        self.add_reasoning_text(text, t)

    def _message_logprobs(self, content: Any, item: _Item) -> None:
        """Logprobs of a message's text parts, when no delta brought them (a whole body)."""
        if ("logprobs", 0) in item.parts or not isinstance(content, list):
            return
        for part in content:
            if isinstance(part, dict) and isinstance(part.get("logprobs"), list) and part["logprobs"]:
                self._add_logprobs({"content": part["logprobs"]})
        item.parts.add(("logprobs", 0))

    # ------------------------------------------------------------------ events
    def add_chunk(self, chunk: dict[str, Any], t: float) -> None:
        """One streamed Responses event (the SSE ``data`` object; its ``type`` says which)."""
        kind = chunk.get("type")
        if not isinstance(kind, str):
            return  # a keep-alive or an unknown shape with no type: nothing to read
        if kind.startswith("response.") and kind.endswith((".delta", ".done", ".added")):
            self._item_event(kind[len("response."):], chunk, t)
        elif kind in ("response.created", "response.in_progress", "response.queued") or kind in _FINAL_EVENTS:
            self._response_event(kind, chunk.get("response"))
        elif kind == "error":
            self.add_event_error(chunk)

    def _item_event(self, kind: str, event: dict[str, Any], t: float) -> None:
        if kind == "output_item.added":
            self._open_item(event, t)
        elif kind == "output_item.done":
            self._close_item(event.get("item"), event, t)
        elif kind == "output_text.delta":
            _, item = self._item_of(event, "message")
            delta = _str(event.get("delta"))
            if delta:
                item.parts.add(("text", 0))
                self.add_answer_text(delta, t)
            if isinstance(event.get("logprobs"), list) and event["logprobs"]:
                item.parts.add(("logprobs", 0))
                self._add_logprobs({"content": event["logprobs"]})
        elif kind == "output_text.done":
            _, item = self._item_of(event, "message")
            text = _str(event.get("text"))
            if text and not any(ch == "text" for ch, _ in item.parts):
                item.parts.add(("text", 0))
                self.add_answer_text(text, t)
        elif kind in ("reasoning_summary_text.delta", "reasoning_text.delta"):
            item_id, item = self._item_of(event, "reasoning")
            channel, index = self._channel(kind, event)
            self._reasoning(item_id, item, channel, index, _str(event.get("delta")) or "", t)
        elif kind in ("reasoning_summary_text.done", "reasoning_text.done"):
            item_id, item = self._item_of(event, "reasoning")
            channel, index = self._channel(kind, event)
            if (channel, index) not in item.parts:
                self._reasoning(item_id, item, channel, index, _str(event.get("text")) or "", t)
        elif kind in ("function_call_arguments.delta", "function_call_arguments.done"):
            self._arguments(kind, event, t)
        elif kind in ("refusal.delta", "refusal.done"):  # the model refused: its words are the answer
            _, item = self._item_of(event, "message")
            text = _str(event.get("delta" if kind == "refusal.delta" else "refusal")) or ""
            if kind == "refusal.delta" or ("refusal", 0) not in item.parts:
                item.parts.add(("refusal", 0))
                self.add_refusal_text(text, t)
        # content_part.*, reasoning_summary_part.*, output_text.annotation.added: their text comes through the
        # deltas and the .done events above

    @staticmethod
    def _channel(kind: str, event: dict[str, Any]) -> tuple[str, int]:
        if kind.startswith("reasoning_summary"):
            index = event.get("summary_index")
            return "summary", index if isinstance(index, int) else 0
        index = event.get("content_index")
        return "content", index if isinstance(index, int) else 0

    def _arguments(self, kind: str, event: dict[str, Any], t: float) -> None:
        _, item = self._item_of(event, "function_call")
        if item.tool is None:  # arguments for a call whose output_item.added never came
            item.tool = self.start_tool_call("", "", t)
        if kind.endswith(".delta"):
            self.add_tool_arguments(item.tool, _str(event.get("delta")) or "", t)
        elif isinstance(event.get("arguments"), str):
            self.add_tool_arguments(item.tool, event["arguments"], t, whole=True)

    def _response_event(self, kind: str, response: Any) -> None:
        """The response object of a lifecycle event: model and id from the first; usage, status and the final
        output from the last."""
        if not isinstance(response, dict):
            if kind in _FINAL_EVENTS:
                raise MalformedResponse(f"{kind} carries no response object")
            return
        self.response_model = _str(response.get("model")) or self.response_model
        self.response_id = self.response_id or _str(response.get("id"))
        if kind not in _FINAL_EVENTS:
            return
        self.ended = True
        self._finish_from(response)
        output = response.get("output")
        if isinstance(output, list):
            self._final_output = [o for o in output if isinstance(o, dict)]

    def _finish_from(self, response: dict[str, Any]) -> None:
        """Usage, the native stop reason and a failure, from a final response object."""
        usage = responses_usage(response.get("usage"))
        if usage is not None:
            self.usage = usage
        status = _str(response.get("status"))
        details = response.get("incomplete_details")
        reason = _str(details.get("reason")) if isinstance(details, dict) else None
        self.finish_raw = reason if status == "incomplete" and reason else status
        if status == "failed" and self.error is None:
            err = response.get("error")
            self.error = (error_from_stream({"error": err}) if isinstance(err, dict) and err else
                          ResultError(kind="stream", message="the response failed (status 'failed') with no error"))
        elif self.error is None and response.get("error"):
            self.error = error_from_stream(response)

    def add_event_error(self, data: Any) -> None:
        """An ``error`` event: ``{"type": "error", "error": {type, code, message, param}}`` (r08), or the older
        flat shape with code and message at the top."""
        if isinstance(data, dict) and not isinstance(data.get("error"), dict) and data.get("message"):
            data = {"error": {k: v for k, v in data.items() if k in ("code", "message", "param", "type")}}
        self.error = error_from_stream(data)

    # ------------------------------------------------------------------ whole body
    def add_message(self, body: dict[str, Any], t: float) -> None:
        """A whole (non-streamed) response object."""
        self.whole_body = True
        self.response_model = _str(body.get("model"))
        self.response_id = _str(body.get("id"))
        output = body.get("output")
        if output is None:
            output = []
        if not isinstance(output, list):
            raise MalformedResponse(f"'output' is a {type(output).__name__}, not a list")
        if not output and not body.get("error") and body.get("status") not in ("failed", "incomplete"):
            raise MalformedResponse("the answer holds no output and no error")
        for n, raw in enumerate(output):
            self._close_item(raw, {"output_index": n}, t)
        self._finish_from(body)
        self._final_output = [o for o in output if isinstance(o, dict)]
        self.first_token_t = self.first_answer_t = self.last_token_t = t
        if not "".join(self.content) and not self.tools:
            self.first_answer_t = None

    # ------------------------------------------------------------------ results
    def finish_reason(self, has_tools: bool) -> str:
        """Responses' own reasons first (max_output_tokens → length), then the shared map."""
        mapped = _INCOMPLETE_FINISH.get(self.finish_raw) if isinstance(self.finish_raw, str) else None
        if mapped is not None and self.error is None:
            return mapped
        return super().finish_reason(has_tools)

    def reasoning_items(self) -> list[dict[str, Any]]:
        """The reasoning items the next turn sends back, as the final response has them (encrypted_content
        included): those of ``response.completed`` (or the whole body), else those of ``output_item.done``.
        An item with neither encrypted_content nor readable content is left out: without server-side storage
        the provider could not resolve it by id (``store: false``)."""
        source = self._final_output
        items = [o for o in source if o.get("type") == "reasoning"] if source else []
        if not items:
            items = [it.final for it in self._items.values() if it.kind == "reasoning" and it.final is not None]
        return [dict(it) for it in items
                if _encodable(it) and (it.get("encrypted_content") or _texts(it.get("content"), ("reasoning_text",)))]
