"""One module per simulated provider dialect; ``DIALECT_CLASSES`` maps the URL segment to its class."""

from __future__ import annotations

from .anthropic import Anthropic
from .base import Dialect
from .deepseek import DeepSeek
from .gemini import Gemini
from .openai import OpenAI
from .openrouter import OpenRouter
from .xai import XAI

DIALECT_CLASSES: dict[str, type[Dialect]] = {
    "openai": OpenAI,
    "anthropic": Anthropic,
    "gemini": Gemini,
    "xai": XAI,
    "deepseek": DeepSeek,
    "openrouter": OpenRouter,
}

__all__ = ["DIALECT_CLASSES", "Dialect"]
