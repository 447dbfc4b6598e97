"""OpenAI's Responses API (``POST {base_url}/responses``), also served by xAI, OpenRouter and DeepSeek.

The dialect builds the Chat Completions body first (every per-model rule, dropped parameter and reasoning effort
applies, whichever API carries the request), then this module translates it
(platform.openai.com/docs/api-reference/responses/create and openai-python
``types/responses/response_create_params.py``, read 2026-11-29):
- ``messages`` become ``input`` items. System and developer messages stay input messages with their role rather
  than ``instructions``: a Chat Completions conversation may hold several, anywhere, and their place matters;
  ``instructions`` is one string "inserted as the first item", which would move them (nothing else differs in a
  stateless request). Assistant turns become their reasoning items (echoed unchanged, before the calls), an
  assistant message with ``output_text`` and one ``function_call`` item per tool call; tool results become
  ``function_call_output`` items.
- ``store: false`` always (no server-side storage: the conversation is the caller's), and
  ``include: ["reasoning.encrypted_content"]`` whenever the model reasons, so reasoning carries into the next turn
  without storage (platform.openai.com/docs/guides/reasoning "encrypted reasoning items", read 2026-11-29).
- ``reasoning_effort`` becomes ``reasoning: {effort, summary: "auto"}``: the summary is the readable reasoning.
- renamed: max_tokens / max_completion_tokens → max_output_tokens, response_format → text.format, logprobs →
  include "message.output_text.logprobs" (top_logprobs kept), tool_choice and tools flattened.
- not in the Responses API, so removed with a note: stop, seed, n > 1, frequency_penalty, presence_penalty,
  logit_bias, modalities, audio, prediction, web_search_options; stream_options silently (usage always comes in
  ``response.completed``). Any other key (extra_body, a gateway's own fields) is sent as given.
A provider's own Responses rules live in its module as ``responses_body(body, info, reasoning, warn)`` (xAI:
logprobs as a flag, no summary setting), called last.
"""

from __future__ import annotations

from typing import Any, ClassVar

from multimodel.apis.base import API, without_native_state
from multimodel.catalogue import ModelInfo
from multimodel.providers.base import Dialect
from multimodel.wire.accumulate import Accumulator
from multimodel.wire.responses import ResponsesAccumulator

#: Chat Completions parameters the Responses API does not take (its request schema has none of them)
_NOT_CARRIED = ("stop", "seed", "frequency_penalty", "presence_penalty", "logit_bias", "modalities", "audio",
                "prediction", "web_search_options", "functions", "function_call")
_WHY = "the Responses API has no such parameter (platform.openai.com/docs/api-reference/responses/create)"
ENCRYPTED = "reasoning.encrypted_content"
LOGPROBS = "message.output_text.logprobs"


def _text_of(content: Any) -> str:
    """The text of message content (a string, or text parts joined)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content
                       if isinstance(p, dict) and p.get("type") in ("text", "input_text", "output_text")
                       and isinstance(p.get("text"), str))
    return ""


def _input_part(part: Any, warn: Any) -> dict[str, Any] | None:
    """One Chat Completions content part as a Responses input part (None: the API has no such part)."""
    if not isinstance(part, dict):
        return None
    kind = part.get("type")
    if kind in ("text", "input_text"):
        return {"type": "input_text", "text": part.get("text", "")}
    if kind == "image_url":
        inner = part.get("image_url")
        url = inner.get("url") if isinstance(inner, dict) else inner
        out = {"type": "input_image", "image_url": url}
        if isinstance(inner, dict) and inner.get("detail"):
            out["detail"] = inner["detail"]
        return out
    if kind == "file":
        inner = part.get("file") if isinstance(part.get("file"), dict) else {}
        out = {"type": "input_file"}
        for key in ("file_data", "file_id", "filename"):
            if inner.get(key):
                out[key] = inner[key]
        return out
    if kind in ("input_image", "input_file"):
        return part
    warn(f"dropped a {kind} content part: the Responses API takes text, images and files as input, not {kind}")
    return None


def _content(content: Any, warn: Any) -> Any:
    if isinstance(content, list):
        return [p for p in (_input_part(part, warn) for part in content) if p is not None]
    return content if content is not None else ""


def _assistant_items(msg: dict[str, Any]) -> list[dict[str, Any]]:
    """An assistant turn: its reasoning items unchanged (id, summary, encrypted_content), its text, its calls."""
    items = [dict(r) for r in msg.get("reasoning_items") or () if isinstance(r, dict)]
    text = _text_of(msg.get("content"))
    if text:
        items.append({"role": "assistant", "content": [{"type": "output_text", "text": text}]})
    for call in msg.get("tool_calls") or ():
        fn = call.get("function") if isinstance(call, dict) else None
        if isinstance(fn, dict):
            args = fn.get("arguments")
            items.append({"type": "function_call", "call_id": call.get("id", ""), "name": fn.get("name", ""),
                          "arguments": args if isinstance(args, str) else "{}"})
    return items


def input_items(messages: list[dict[str, Any]], warn: Any) -> list[dict[str, Any]]:
    """Chat Completions messages as Responses input items."""
    items: list[dict[str, Any]] = []
    for msg in messages:
        role = msg.get("role")
        if role == "assistant":
            items.extend(_assistant_items(msg))
        elif role == "tool":
            items.append({"type": "function_call_output", "call_id": msg.get("tool_call_id", ""),
                          "output": _text_of(msg.get("content"))})
        else:  # system, developer, user: input messages with their role, in place
            items.append({"role": role, "content": _content(msg.get("content"), warn)})
    return items


def flat_tool(tool: dict[str, Any]) -> dict[str, Any]:
    """A Chat Completions function tool ``{type, function: {...}}`` as Responses' flat one; others as given."""
    fn = tool.get("function")
    if tool.get("type") != "function" or not isinstance(fn, dict):
        return tool
    return {"type": "function", **{k: fn[k] for k in ("name", "description", "parameters", "strict") if k in fn}}


def tool_choice(choice: Any) -> Any:
    """``{"type": "function", "function": {"name": n}}`` → ``{"type": "function", "name": n}``; strings as given."""
    if isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        return {"type": "function", "name": choice["function"].get("name")}
    return choice


def text_format(response_format: Any) -> dict[str, Any] | None:
    """response_format as ``text.format``: json_schema flattened (name, schema, strict, description)."""
    if not isinstance(response_format, dict):
        return None
    if response_format.get("type") == "json_schema" and isinstance(response_format.get("json_schema"), dict):
        return {"type": "json_schema", **response_format["json_schema"]}
    return dict(response_format)


def _reasoning(chat: dict[str, Any], reasons: bool) -> dict[str, Any] | None:
    """The ``reasoning`` object from the dialect's reasoning fields: OpenAI's ``reasoning_effort``, OpenRouter's
    ``reasoning`` object, DeepSeek's ``thinking`` switch (disabled: effort "none" [INFERRED: the Responses way to
    turn reasoning off]); with a summary asked for whenever the model reasons."""
    out = dict(chat["reasoning"]) if isinstance(chat.get("reasoning"), dict) else {}
    effort = chat.get("reasoning_effort")
    if isinstance(effort, str):
        out["effort"] = effort
    thinking = chat.get("thinking")
    if isinstance(thinking, dict) and thinking.get("type") == "disabled":
        out.setdefault("effort", "none")
    if out.get("effort") == "none":
        return out
    if reasons or out:
        out.setdefault("summary", "auto")
    return out or None


def _sampling(chat: dict[str, Any], body: dict[str, Any], warn: Any) -> None:
    """Parameters renamed or removed on the way to the Responses body."""
    limit = chat.get("max_output_tokens", chat.get("max_completion_tokens", chat.get("max_tokens")))
    if limit is not None:
        body["max_output_tokens"] = limit
    fmt = text_format(chat.get("response_format"))
    if fmt is not None:
        body["text"] = {**(chat.get("text") if isinstance(chat.get("text"), dict) else {}), "format": fmt}
    if chat.get("logprobs"):
        body["include"] = [*body.get("include", []), LOGPROBS]
    elif chat.get("top_logprobs") is not None:
        warn("dropped top_logprobs: it needs logprobs=True")
        body.pop("top_logprobs", None)
    dropped = [k for k in _NOT_CARRIED if chat.get(k) is not None]
    n = chat.get("n")
    if n is not None and n != 1:
        dropped.append("n")
    if dropped:
        warn(f"dropped {', '.join(dropped)}: {_WHY}")
    if chat.get("store"):
        warn("sent store=false instead of store=true: multimodel keeps conversations itself (stateless requests)")


#: keys of the Chat Completions body that the translation handles itself (everything else is sent as given)
_HANDLED = frozenset({"model", "messages", "stream", "stream_options", "tools", "tool_choice", "max_tokens",
                      "max_completion_tokens", "max_output_tokens", "response_format", "logprobs", "reasoning_effort",
                      "reasoning", "thinking", "n", "store", "include", "text", *_NOT_CARRIED})


def to_responses(chat: dict[str, Any], reasons: bool, warn: Any) -> dict[str, Any]:
    """A Chat Completions body (as the dialect built it) as a Responses body."""
    body: dict[str, Any] = {"model": chat["model"], "input": input_items(chat.get("messages") or [], warn)}
    body.update({k: v for k, v in chat.items() if k not in _HANDLED})
    if isinstance(chat.get("include"), list):
        body["include"] = list(chat["include"])
    if isinstance(chat.get("text"), dict):
        body["text"] = dict(chat["text"])
    if chat.get("tools"):
        body["tools"] = [flat_tool(t) if isinstance(t, dict) else t for t in chat["tools"]]
    if chat.get("tool_choice") is not None:
        body["tool_choice"] = tool_choice(chat["tool_choice"])
    _sampling(chat, body, warn)
    reasoning = _reasoning(chat, reasons)
    if reasoning is not None:
        body["reasoning"] = reasoning
    body["store"] = False
    if reasons and (reasoning or {}).get("effort") != "none" and ENCRYPTED not in body.get("include", []):
        body["include"] = [*body.get("include", []), ENCRYPTED]
    if chat.get("stream"):
        body["stream"] = True
    return body


class ResponsesAPI(API):
    """OpenAI's Responses API: ``POST {base_url}/responses`` with a bearer key."""

    name: ClassVar[str] = "responses"
    title: ClassVar[str] = "Responses"

    def url(self, base_url: str) -> str:
        return f"{base_url}/responses"

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
        """The dialect's Chat Completions body (its rules applied) translated into a Responses body; the
        Messages API's thinking blocks are left out (reasoning items are this API's own echo state)."""
        messages = without_native_state(messages, keep="reasoning_items")
        chat = dialect.build_body(model_id, messages, stream=stream, reasoning=reasoning, tools=tools,
                                  params=params, options=options, warn=warn, info=info)
        reasons = info.reasons_with(reasoning) if info is not None else reasoning not in (None, "none")
        body = to_responses(chat, reasons, warn)
        dialect.responses_body(body, info, reasoning, warn)  # the provider's own Responses rules (its module)
        return body

    def carries(self, param: str, body: dict[str, Any]) -> bool:
        """Which Chat Completions parameters survive, under their Responses names: logprobs as the include entry
        (or xAI's flag), response_format as text.format; seed never does."""
        if param == "logprobs":
            return LOGPROBS in (body.get("include") or []) or body.get("logprobs") is True
        if param == "response_format":
            return isinstance(body.get("text"), dict) and "format" in body["text"]
        if param in ("seed", "n", "stop"):
            return False
        return param in body

    def accumulator(self) -> Accumulator:
        return ResponsesAccumulator()

    def echo_state(self, dialect: Dialect, acc: Accumulator) -> dict[str, Any] | None:
        """``{"reasoning_items": [...]}``: the final reasoning items (encrypted_content included), sent back
        before the turn's function calls; None when the answer had none worth sending."""
        items = acc.reasoning_items() if isinstance(acc, ResponsesAccumulator) else []
        return {"reasoning_items": items} if items else None


RESPONSES = ResponsesAPI()
