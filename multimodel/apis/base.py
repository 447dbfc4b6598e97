"""The reference API, OpenAI's Chat Completions, and the interface every other API module implements."""

from __future__ import annotations

from typing import Any, ClassVar

from multimodel.catalogue import ModelInfo
from multimodel.providers.base import Dialect
from multimodel.wire.accumulate import Accumulator

#: keys of an assistant message that carry another API's state for the next turn (``Result.as_message()`` adds
#: them): Messages thinking blocks with their signatures, Responses reasoning items with encrypted content
NATIVE_STATE_KEYS = ("thinking_blocks", "reasoning_items")


def without_native_state(messages: list[dict[str, Any]], keep: str | None = None) -> list[dict[str, Any]]:
    """The messages without another API's echo state (``keep``: this API's own key): a conversation moved to
    another API sends what that API takes (text and tool calls), not blobs its provider would reject."""
    foreign = tuple(k for k in NATIVE_STATE_KEYS if k != keep)
    if not any(k in m for m in messages for k in foreign):
        return messages
    return [{k: v for k, v in m.items() if k not in foreign} for m in messages]


class API:
    """OpenAI's Chat Completions, the reference: ``POST {base_url}/chat/completions`` with a bearer key; the
    dialect's body is sent as built and read by the Chat Completions accumulator."""

    name: ClassVar[str] = "chat"
    #: how the API is named in messages to the user
    title: ClassVar[str] = "Chat Completions"

    def url(self, base_url: str) -> str:
        """Where a request goes, from the provider's base URL."""
        return f"{base_url}/chat/completions"

    def headers(self, api_key: str) -> dict[str, str]:
        """Authentication and content headers (the key lives only here; redact.py finds it by header name)."""
        return {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}

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
        """The JSON body; ``warn(msg)`` reports every change made to what the caller asked for."""
        return dialect.build_body(model_id, without_native_state(messages), stream=stream, reasoning=reasoning,
                                  tools=tools, params=params, options=options, warn=warn, info=info)

    def carries(self, param: str, body: dict[str, Any]) -> bool:
        """Whether the built body still carries a Chat Completions parameter the caller set (an API that renames
        it, as Responses does ``logprobs``, says so here): one it does not was removed, and the caller is told."""
        return param in body

    def accumulator(self) -> Accumulator:
        """A fresh reader of one answer of this API (streamed events or a whole body)."""
        return Accumulator()

    def echo_state(self, dialect: Dialect, acc: Accumulator) -> dict[str, Any] | None:
        """What ``Result.as_message()`` must carry for the next turn (merged into the assistant message)."""
        return dialect.echo_state(acc)


CHAT = API()
