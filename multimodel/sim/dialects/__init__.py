"""One module per simulated provider dialect; ``DIALECT_CLASSES`` maps the URL segment to its class."""

from __future__ import annotations

from .anthropic import Anthropic
from .base import Dialect
from .deepseek import DeepSeek
from .gemini import Gemini
from .messages import AnthropicMessages, DeepSeekMessages
from .openai import OpenAI
from .openrouter import OpenRouter
from .responses import OpenAIResponses, XAIResponses
from .xai import XAI

DIALECT_CLASSES: dict[str, type[Dialect]] = {
    "openai": OpenAI,
    "anthropic": Anthropic,
    "gemini": Gemini,
    "xai": XAI,
    "deepseek": DeepSeek,
    "openrouter": OpenRouter,
}

#: the other APIs a provider serves, by (dialect, api): each class reads that API's requests into chat form and
#: writes answers and errors in that API's shape
API_DIALECT_CLASSES: dict[tuple[str, str], type[Dialect]] = {
    ("anthropic", "messages"): AnthropicMessages,
    ("deepseek", "messages"): DeepSeekMessages,
    ("openai", "responses"): OpenAIResponses,
    ("xai", "responses"): XAIResponses,
}

__all__ = ["API_DIALECT_CLASSES", "DIALECT_CLASSES", "Dialect"]
