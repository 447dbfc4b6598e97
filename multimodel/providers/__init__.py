"""One module per dialect; ``get_dialect(name)`` returns the shared instance."""

from __future__ import annotations

from multimodel.providers import anthropic, deepseek, gemini, openai, openrouter, xai
from multimodel.providers.anthropic import AnthropicDialect
from multimodel.providers.base import GENERIC_CAPABILITIES, Dialect
from multimodel.providers.capabilities import CapabilityTable
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


#: capability tables by name: one per dialect, plus "generic" for endpoints we know nothing about
CAPABILITY_TABLES: dict[str, CapabilityTable] = {
    "openai": openai.CAPABILITIES,
    "anthropic": anthropic.CAPABILITIES,
    "gemini": gemini.CAPABILITIES,
    "xai": xai.CAPABILITIES,
    "deepseek": deepseek.CAPABILITIES,
    "openrouter": openrouter.CAPABILITIES,
    "generic": GENERIC_CAPABILITIES,
}


def capability_table(name: str, api: str = "chat") -> CapabilityTable:
    """The capability table ``name`` (a dialect's, or "generic") for requests carried by ``api``: the dialect's
    own table for that API where it has one, else its Chat Completions table."""
    dialect = DIALECTS.get(name)
    if dialect is not None and api in dialect.api_capabilities:
        return dialect.api_capabilities[api]
    return CAPABILITY_TABLES[name]


def get_dialect(name: str) -> Dialect:
    """The dialect object for a name in DIALECTS; KeyError otherwise."""
    return DIALECTS[name]
