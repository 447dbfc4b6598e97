"""One module per dialect; ``get_dialect(name)`` returns the shared instance."""

from __future__ import annotations

from multimodel.providers.anthropic import AnthropicDialect
from multimodel.providers.base import Dialect
from multimodel.providers.deepseek import DeepSeekDialect
from multimodel.providers.gemini import GeminiDialect
from multimodel.providers.openai import OpenAIDialect
from multimodel.providers.openrouter import OpenRouterDialect
from multimodel.providers.xai import XAIDialect

DIALECTS: dict[str, Dialect] = {
    "openai": OpenAIDialect(),
    "anthropic": AnthropicDialect(),
    "gemini": GeminiDialect(),
    "xai": XAIDialect(),
    "deepseek": DeepSeekDialect(),
    "openrouter": OpenRouterDialect(),
}


def get_dialect(name: str) -> Dialect:
    """The dialect object for a name in DIALECTS; KeyError otherwise."""
    return DIALECTS[name]
