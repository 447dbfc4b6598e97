"""Accumulate a Chat Completions response, streamed or whole, into the fields of a Result.

Every shape in the recorded corpus is handled here in one place, because the same quirk shows up
behind many providers (a gateway relays its upstream's habits):
- reasoning in ``reasoning_content``, ``reasoning``, ``reasoning_details[]``, Mistral thinking parts,
  or inline ``<think>``/``<thought>`` tags at the start of the content;
- tool calls keyed by ``index`` (which may be missing, null, or start at 1), by ``id``, or one whole
  call per delta; ids only on the first fragment; no ``arguments`` key; 1-character fragments;
- ``finish_reason`` missing, ``""``, ``"stop"`` beside tool calls, or OpenRouter's ``"error"``;
- usage on every chunk, only on the last, or in a separate chunk with ``choices: []``;
- error objects inside an HTTP 200 stream.
Any field may hold any JSON type (a hostile or broken server): a value of the wrong type is ignored where the
answer's meaning stays clear, and raises :class:`MalformedResponse` where it does not (``choices`` that is not a
list, a ``message`` that is not an object, ``content`` that is neither text nor parts).
Timestamps are the arrival times of the bytes that carried each token (DESIGN.md section 2).
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson

from multimodel.results import ResultError, ToolCall
from multimodel.wire.errors import error_from_stream

_OPEN_TAGS = ("<think>", "<thought>")
_CLOSE_FOR = {"<think>": "</think>", "<thought>": "</thought>"}
_FINISH_MAP = {
    "stop": "stop",
    "end_turn": "stop",
    "stop_sequence": "stop",
    "eos": "stop",
    "completed": "stop",
    "length": "length",
    "max_tokens": "length",
    "model_length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "tool_use": "tool_calls",
    "content_filter": "content_filter",
    "safety": "content_filter",
    "recitation": "content_filter",
    "prohibited_content": "content_filter",
    "blocklist": "content_filter",
    "spii": "content_filter",
    "refusal": "content_filter",
    "error": "error",
}
# Native finish reasons that mean the generation failed: (error kind, message). DeepSeek stops with
# insufficient_system_resource when it runs out of capacity (gateways relay it): transient, retryable.
_FAILED_FINISH = {
    "insufficient_system_resource": ("overloaded", "generation interrupted: insufficient_system_resource"),
    # OpenRouter's "error" finish comes with an error object; without one the answer still failed (retryable)
    "error": ("stream", "the provider ended the answer with finish_reason 'error' and no error object"),
}


class MalformedResponse(ValueError):
    """A response whose JSON types leave its meaning unclear: the exchange turns it into an error row of kind
    ``malformed_response``."""


def _str(value: Any) -> str | None:
    """The value when it is text, else None (a field of the wrong type carries nothing we can use)."""
    return value if isinstance(value, str) else None


def _choices(holder: dict[str, Any]) -> list[Any]:
    """``choices`` as a list ([] when absent or null); any other type leaves the answer unreadable."""
    choices = holder.get("choices")
    if choices is None:
        return []
    if not isinstance(choices, list):
        raise MalformedResponse(f"'choices' is a {type(choices).__name__}, not a list")
    return choices


class _ToolBuilder:
    __slots__ = ("args", "extra", "id", "name")

    def __init__(self) -> None:
        self.id = ""
        self.name = ""
        self.args: list[str] = []
        self.extra: dict[str, Any] | None = None


def _encodable(value: Any) -> bool:
    """True when the value can be written back as JSON (the cache, exports): orjson refuses nesting past 254
    levels, which a server may send (it parses up to 1024)."""
    try:
        orjson.dumps(value)
    except orjson.JSONEncodeError:
        return False
    return True


def _calls(value: Any) -> list[Any]:
    """Tool calls as a list: one bare call object is read as a list of one; text or numbers leave them unreadable."""
    if value is None or isinstance(value, list):
        return value or []
    if isinstance(value, dict):
        return [value]
    raise MalformedResponse(f"'tool_calls' is a {type(value).__name__}, not a list")


def _merge_dict(into: dict[str, Any], new: dict[str, Any]) -> None:
    for k, v in new.items():
        if isinstance(v, dict) and isinstance(into.get(k), dict):
            _merge_dict(into[k], v)
        else:
            into[k] = v


class Accumulator:
    """Feed parsed chunks (or one whole response) in; read normalized fields out."""

    def __init__(self) -> None:
        self.content: list[str] = []
        self.reasoning: list[str] = []
        self.tools: list[_ToolBuilder] = []
        self._tool_keys: dict[Any, _ToolBuilder] = {}
        self.finish_raw: str | None = None
        self.whole_body = False  # a non-streamed body (add_message), not a stream
        self.native_finish: str | None = None
        self.usage: dict[str, Any] | None = None
        self.response_model: str | None = None
        self.response_id: str | None = None
        self.error: ResultError | None = None
        self.reasoning_details: list[dict[str, Any]] = []
        self.extra_content: dict[str, Any] | None = None
        self.logprobs: list[dict[str, Any]] | None = None  # choices[0].logprobs.content entries, in order
        self.first_token_t: float | None = None
        self.first_answer_t: float | None = None
        self.last_token_t: float | None = None
        # inline <think> handling: "start" (no text yet), "tag" (inside), "answer"
        self._tag_state = "start"
        self._tag_close = ""
        self._pending = ""
        self._lstrip_next = False
        #: the stream's own end event arrived (Messages ``message_stop``, Responses ``response.completed``):
        #: the exchange stops reading, as it does at Chat Completions' ``[DONE]``
        self.ended = False
        #: what the next turn must send back unchanged, in the API's own shape (Messages thinking blocks with
        #: their signatures, Responses reasoning items with encrypted_content); read by the API's echo_state
        self.native_state: list[dict[str, Any]] = []
        #: the model refused (OpenAI's ``refusal`` text, in Chat Completions or Responses): the text is the answer
        #: shown, and the finish reason is content_filter
        self.refused = False

    # ------------------------------------------------------------------ feeding, for readers of other APIs
    # The Messages and Responses readers (wire/messages.py, wire/responses.py) translate their events into
    # these calls, so every API fills the same fields with the same timing rules.
    def add_answer_text(self, text: str, t: float) -> None:
        """Answer text exactly as the API delivered it (no inline-tag parsing: native APIs separate reasoning).
        Whitespace before the first answer text starts no clock (Claude's adaptive thinking may open with a text
        block of "\n\n" before it thinks: corpus_native m02); it is kept, in front of the text that follows."""
        if not text:
            return
        if self.first_answer_t is None and not text.strip():
            self._pending += text
            return
        if self._pending:
            text, self._pending = self._pending + text, ""
        self.content.append(text)
        self._token(t, True)

    def add_refusal_text(self, text: str, t: float) -> None:
        """A refusal's text (OpenAI: ``refusal`` beside ``content``): the answer shown, finished as content_filter."""
        if text:
            self.refused = True
            self.content.append(text)
            self._token(t, True)

    def add_reasoning_text(self, text: str, t: float) -> None:
        """Readable reasoning text (thinking, a reasoning summary, raw reasoning text)."""
        if text:
            self.reasoning.append(text)
            self._token(t, False)

    def note_hidden_reasoning(self, t: float) -> None:
        """The model reasoned in a form nobody can read (redacted or encrypted): it counts for time to first
        token, and adds no text."""
        self._token(t, False)

    def start_tool_call(self, call_id: str, name: str, t: float) -> int:
        """Open a tool call; returns its position for ``add_tool_arguments``."""
        builder = _ToolBuilder()
        builder.id, builder.name = call_id, name
        self.tools.append(builder)
        self._token(t, True)
        return len(self.tools) - 1

    def add_tool_arguments(self, position: int, fragment: str, t: float, *, whole: bool = False) -> None:
        """A fragment of a call's JSON arguments (``whole``: the full text, replacing what came before, as a
        ``.done`` event repeats it)."""
        builder = self.tools[position]
        if whole:
            builder.args = [fragment] if fragment else []
        elif fragment:
            builder.args.append(fragment)
        self._token(t, True)

    # ------------------------------------------------------------------ timing
    def _token(self, t: float, answer: bool) -> None:
        if self.first_token_t is None:
            self.first_token_t = t
        if answer and self.first_answer_t is None:
            self.first_answer_t = t
        self.last_token_t = t

    # ------------------------------------------------------------------ text routing
    def _answer_text(self, text: str, t: float) -> None:
        """Route content text, pulling a leading <think>/<thought> block into reasoning."""
        if self._tag_state == "answer":
            self.content.append(text)
            self._token(t, True)
            return
        if self._tag_state == "tag":
            if not self._pending and "<" not in text:  # fast path: plain reasoning text inside the tag
                self.reasoning.append(text)
                self._token(t, False)
                return
            buf = self._pending + text
            close = self._tag_close
            idx = buf.find(close)
            if idx < 0:
                # keep a possible partial close tag pending
                keep = 0
                for n in range(min(len(close) - 1, len(buf)), 0, -1):
                    if close.startswith(buf[-n:]):
                        keep = n
                        break
                reason, self._pending = (buf[:-keep], buf[-keep:]) if keep else (buf, "")
                if reason:
                    self.reasoning.append(reason)
                self._token(t, False)
                return
            if buf[:idx]:
                self.reasoning.append(buf[:idx])
            self._token(t, False)
            self._tag_state = "answer"
            self._pending = ""
            rest = buf[idx + len(close) :].lstrip()
            if rest:
                self.content.append(rest)
                self._token(t, True)
            else:
                self._lstrip_next = True
            return
        # state "start": nothing but whitespace seen so far
        buf = self._pending + text
        stripped = buf.lstrip()
        if not stripped:
            self._pending = buf
            return
        for tag in _OPEN_TAGS:
            if stripped.startswith(tag):
                self._tag_state = "tag"
                self._tag_close = _CLOSE_FOR[tag]
                self._pending = ""
                rest = stripped[len(tag) :]
                if rest:
                    self._answer_text(rest, t)
                else:
                    self._token(t, False)
                return
            if tag.startswith(stripped):  # a tag split across deltas: wait for more
                self._pending = buf
                return
        self._tag_state = "answer"
        self._pending = ""
        self.content.append(buf)
        self._token(t, True)

    def _add_content(self, value: Any, t: float) -> None:
        if isinstance(value, str):
            if not value:
                return
            if self._lstrip_next:
                value = value.lstrip()
                if not value:
                    return
                self._lstrip_next = False
            self._answer_text(value, t)
        elif isinstance(value, list):  # content parts (Mistral thinking parts, text parts)
            for part in value:
                if not isinstance(part, dict):
                    continue
                ptype = part.get("type")
                if ptype == "thinking":
                    inner = part.get("thinking")
                    if isinstance(inner, str):
                        texts = [inner]
                    else:
                        texts = [p.get("text") for p in inner if isinstance(p, dict)] if isinstance(inner, list) else []
                    for txt in texts:
                        if isinstance(txt, str) and txt:
                            self.reasoning.append(txt)
                            self._token(t, False)
                elif ptype in ("text", "output_text") and isinstance(part.get("text"), str):
                    self._add_content(part["text"], t)
        elif value is not None:
            raise MalformedResponse(f"'content' is a {type(value).__name__}, neither text nor a list of parts")

    def _add_reasoning(self, holder: dict[str, Any], t: float) -> None:
        """One delta/message's reasoning: first present of reasoning_content, reasoning, reasoning_details."""
        details = holder.get("reasoning_details")
        if isinstance(details, list) and details:
            self._merge_details(details)
        for key in ("reasoning_content", "reasoning"):
            value = holder.get(key)
            if isinstance(value, str) and value:
                self.reasoning.append(value)
                self._token(t, False)
                return
        if isinstance(details, list):
            for d in details:
                if not isinstance(d, dict):
                    continue
                txt = d.get("text") if d.get("type") == "reasoning.text" else None
                if d.get("type") == "reasoning.summary":
                    txt = d.get("summary")
                if isinstance(txt, str) and txt:
                    self.reasoning.append(txt)
                    self._token(t, False)
                elif d.get("type") == "reasoning.encrypted":
                    self._token(t, False)  # the model is reasoning, even if we cannot read it

    def _merge_details(self, details: list[Any]) -> None:
        """Keep reasoning_details for echo-back, merging streamed fragments of the same block."""
        for d in details:
            if not isinstance(d, dict) or not _encodable(d):
                continue
            last = self.reasoning_details[-1] if self.reasoning_details else None
            if (
                last is not None
                and last.get("type") == d.get("type")
                and last.get("index") == d.get("index")
                and d.get("type") in ("reasoning.text", "reasoning.summary")
            ):
                for key in ("text", "summary"):
                    if isinstance(d.get(key), str):
                        last[key] = (_str(last.get(key)) or "") + d[key]
                for key, value in d.items():
                    if key not in ("text", "summary") and value not in (None, ""):
                        last[key] = value
            else:
                self.reasoning_details.append(dict(d))

    def _add_tool_calls(self, calls: list[Any], t: float, whole: bool) -> None:
        for tc in calls:
            if not isinstance(tc, dict):
                continue
            idx = tc.get("index")
            tid = _str(tc.get("id")) or ""
            fn = tc.get("function")
            if not isinstance(fn, dict):
                fn = {}
            name = _str(fn.get("name")) or ""
            builder: _ToolBuilder | None = None
            if not whole and isinstance(idx, int):
                builder = self._tool_keys.get(("i", idx))
                if builder is not None and tid and builder.id and tid != builder.id:
                    builder = None  # a new call reusing the index (Gemini paths send index 0 for all)
                if builder is None:
                    builder = _ToolBuilder()
                    self.tools.append(builder)
                    self._tool_keys[("i", idx)] = builder
            elif not whole and tid:
                builder = self._tool_keys.get(("id", tid))
                if builder is None:
                    builder = _ToolBuilder()
                    self.tools.append(builder)
                    self._tool_keys[("id", tid)] = builder
            elif not whole and not name and self.tools:
                builder = self.tools[-1]  # a bare continuation fragment
            else:
                builder = _ToolBuilder()
                self.tools.append(builder)
            if tid and not builder.id:
                builder.id = tid
            if name and not builder.name:
                builder.name = name
            args = fn.get("arguments")
            if isinstance(args, str):
                if args:
                    builder.args.append(args)
            elif args is not None:  # some gateways send parsed arguments (an object; anything else is kept raw)
                builder.args.append(orjson.dumps(args).decode())
            extra = tc.get("extra_content")
            if isinstance(extra, dict) and _encodable(extra):  # state to echo with it (Gemini thought_signature)
                builder.extra = builder.extra or {"extra_content": {}}
                _merge_dict(builder.extra["extra_content"], extra)
                google = builder.extra["extra_content"].get("google")
                if isinstance(google, dict):
                    google.pop("thought", None)  # a stream flag, not state
            self._token(t, True)

    # ------------------------------------------------------------------ feeding
    def add_chunk(self, chunk: dict[str, Any], t: float) -> None:
        """One streamed ``chat.completion.chunk``."""
        err = chunk.get("error")
        if err:
            self._in_band_error(chunk)
            # the chunk may still carry usage (OpenRouter s10)
        if self.response_model is None:  # the first chunk names it; the rest are not read again (hot path)
            self.response_model = _str(chunk.get("model")) or None
        if self.response_id is None:
            self.response_id = _str(chunk.get("id")) or None
        usage = chunk.get("usage")
        if usage and isinstance(usage, dict):
            self.usage = usage
        choices = chunk.get("choices")
        for choice in choices if type(choices) is list else _choices(chunk):
            if not isinstance(choice, dict) or choice.get("index", 0) not in (0, None):
                continue  # n > 1 is normalized to the first choice
            delta = choice.get("delta") or choice.get("message") or {}
            if isinstance(delta, dict):
                self._add_reasoning(delta, t)
                if "content" in delta:
                    self._add_content(delta["content"], t)
                refusal = delta.get("refusal")
                if refusal and type(refusal) is str:
                    self.add_refusal_text(refusal, t)
                calls = delta.get("tool_calls")
                if calls:
                    self._add_tool_calls(_calls(calls), t, whole=False)
                extra = delta.get("extra_content")
                if isinstance(extra, dict):
                    self._add_extra(extra)
            lp = choice.get("logprobs")
            if lp:
                self._add_logprobs(lp)
            fr = choice.get("finish_reason")
            if fr is not None and type(fr) is str:
                self.finish_raw = fr
            nfr = choice.get("native_finish_reason")
            if nfr and type(nfr) is str:
                self.native_finish = nfr
            if choice.get("error") and self.error is None:  # OpenRouter: an error inside the choice
                self._in_band_error(choice)

    def _add_logprobs(self, lp: Any) -> None:
        """Answer-token logprobs (``logprobs.content``), kept in order across chunks."""
        entries = lp.get("content") if isinstance(lp, dict) else None
        if isinstance(entries, list) and entries:
            if self.logprobs is None:
                self.logprobs = []
            self.logprobs.extend(e for e in entries if isinstance(e, dict) and _encodable(e))

    def _add_extra(self, extra: dict[str, Any]) -> None:
        if not _encodable(extra):
            return
        if self.extra_content is None:
            self.extra_content = {}
        _merge_dict(self.extra_content, extra)

    def _in_band_error(self, obj: dict[str, Any]) -> None:
        err = error_from_stream(obj)
        terminal = self.finish_raw not in (None, "", "error")
        if terminal and err.kind not in ("rate_limit", "overloaded", "server"):
            # The generation had already ended (OpenRouter repeats a length stop as a
            # 400 "Token limit reached" after the finish_reason chunk): not a failure.
            return
        self.error = err

    def add_event_error(self, data: Any) -> None:
        """An ``event: error`` SSE event (Groq, Anthropic-style streams)."""
        self.error = error_from_stream(data)

    def add_message(self, body: dict[str, Any], t: float) -> None:
        """A whole non-streaming ``chat.completion`` response."""
        self.whole_body = True
        self.response_model = _str(body.get("model"))
        self.response_id = _str(body.get("id"))
        usage = body.get("usage")
        self.usage = usage if isinstance(usage, dict) else None
        if body.get("error"):
            self._in_band_error(body)
        choices = _choices(body)
        if not choices and self.error is None:
            raise MalformedResponse("the answer holds no choices and no error")
        for choice in choices[:1]:
            if not isinstance(choice, dict):
                raise MalformedResponse(f"choices[0] is a {type(choice).__name__}, not an object")
            msg = choice.get("message")
            if msg is None:
                msg = {}
            if not isinstance(msg, dict):
                raise MalformedResponse(f"choices[0].message is a {type(msg).__name__}, not an object")
            self._add_reasoning(msg, t)
            self._add_content(msg.get("content"), t)
            if isinstance(msg.get("refusal"), str):
                self.add_refusal_text(msg["refusal"], t)
            calls = _calls(msg.get("tool_calls"))
            if calls:
                self._add_tool_calls(calls, t, whole=True)
            extra = msg.get("extra_content")
            if isinstance(extra, dict):
                self._add_extra(extra)
            if choice.get("logprobs"):
                self._add_logprobs(choice["logprobs"])
            self.finish_raw = _str(choice.get("finish_reason"))
            self.native_finish = _str(choice.get("native_finish_reason")) or None
            if choice.get("error") and self.error is None:  # OpenRouter: error inside choices
                self.error = error_from_stream(choice)
        self.first_token_t = self.first_answer_t = self.last_token_t = t
        if not self.content or not "".join(self.content):
            self.first_answer_t = None if not self.tools else t

    # ------------------------------------------------------------------ results
    def finish(self) -> None:
        """Flush text held back while looking for a tag; turn failure-like finish reasons into errors."""
        failed = _FAILED_FINISH.get(self.finish_raw) if isinstance(self.finish_raw, str) else None
        if failed is not None and self.error is None:
            self.error = ResultError(kind=failed[0], message=failed[1], provider_code=self.finish_raw)
        if self._pending:
            if self._tag_state == "tag":
                self.reasoning.append(self._pending)
            elif self._pending.strip():
                self.content.append(self._pending)
            self._pending = ""

    def content_text(self) -> str:
        text = "".join(self.content)
        if self._tag_state in ("tag", "answer") and self._tag_close:
            return text.lstrip()
        return text

    def reasoning_text(self) -> str | None:
        text = "".join(self.reasoning)
        if self._tag_close:  # from inline tags: trim the framing whitespace
            text = text.strip()
        return text or None

    def tool_calls(self) -> list[ToolCall]:
        out: list[ToolCall] = []
        seen: set[str] = set()
        for b in self.tools:
            raw = "".join(b.args)
            try:
                parsed = orjson.loads(raw) if raw.strip() else {}
            except orjson.JSONDecodeError:
                parsed = None
            if parsed is not None and (not isinstance(parsed, dict) or not _encodable(parsed)):
                parsed = None  # not an object, or nested too deep to write back: arguments_raw keeps the text
            tid = b.id
            if not tid or tid in seen:
                tid = f"call_mm{uuid.uuid4().hex[:20]}"  # synthesized: the provider gave none or a duplicate
            seen.add(tid)
            out.append(ToolCall(id=tid, name=b.name, arguments=parsed, arguments_raw=raw, extra=b.extra))
        return out

    def finish_reason(self, has_tools: bool) -> str:
        if self.error is not None:
            return "error"
        if self.refused:
            return "content_filter"
        raw = self.finish_raw
        norm = _FINISH_MAP.get(raw.lower()) if isinstance(raw, str) and raw else None
        if norm is None and isinstance(raw, str) and raw:
            norm = "stop"  # an unknown native reason; failure-like ones became errors in finish()
        if has_tools and norm not in ("length", "content_filter", "error"):
            return "tool_calls"
        if norm is None and raw is None and self.whole_body:
            return ""  # a complete body that named no reason: kept empty, never reported as stop (DESIGN.md s. 1)
        return norm or "stop"
