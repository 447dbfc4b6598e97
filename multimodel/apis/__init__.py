"""The APIs a provider can speak: OpenAI's Chat Completions (the default), Anthropic's Messages and OpenAI's
Responses. One module per API; each says where a request goes, how it authenticates, how the shaped request
becomes its body, how its answer is read into the same Result, and what the next turn must send back.

Provider quirks stay in ``providers/`` (a dialect shapes the Chat Completions body, with every per-model rule
applied); an API object translates that body into its own wire format, so the rules have one home whichever
API carries the request. ``get_api(name)`` returns the shared instance.
"""

from __future__ import annotations

from multimodel.apis.base import API, CHAT

#: the APIs a provider entry may name with ``api``; "chat" is the OpenAI-compatible default
API_NAMES = ("chat", "messages", "responses")


def get_api(name: str) -> API:
    """The API object for a name in API_NAMES (imported on first use: most runs never need the others);
    KeyError otherwise."""
    if name == "chat":
        return CHAT
    if name == "messages":
        from multimodel.apis.messages import MESSAGES

        return MESSAGES
    if name == "responses":
        from multimodel.apis.responses import RESPONSES

        return RESPONSES
    raise KeyError(name)


__all__ = ["API", "API_NAMES", "CHAT", "get_api"]
