"""Usage normalization: one meaning for each token count, whatever the provider called it (DESIGN.md §2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from multimodel.results import valid_count


@dataclass(slots=True)
class Usage:
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    reasoning_tokens: int | None = None
    cached_tokens: int | None = None
    # tokens written to the provider's prompt cache: part of prompt_tokens, like cached_tokens
    cache_write_tokens: int | None = None
    # of those, the writes kept for the longer retention (Anthropic's 1 hour), when the provider reports the split
    cache_write_long_tokens: int | None = None


_int = valid_count  # a count beyond 2**53, negative, fractional or of another type is read as missing


def normalize_usage(usage: dict[str, Any] | None) -> Usage:
    """Fold reasoning into completion_tokens and find cached and cache-write tokens under every name in the corpus.

    Some providers (xAI, Gemini) count reasoning outside ``completion_tokens`` but inside
    ``total_tokens``; the difference is folded back so completion_tokens always includes reasoning.
    """
    if not isinstance(usage, dict):
        return Usage()
    prompt = _int(usage.get("prompt_tokens"))
    completion = _int(usage.get("completion_tokens"))
    total = _int(usage.get("total_tokens"))
    details = usage.get("completion_tokens_details")
    reasoning = _int(details.get("reasoning_tokens")) if isinstance(details, dict) else None
    if prompt is not None and completion is not None and total is not None and total > prompt + completion:
        hidden = total - prompt - completion
        completion = total - prompt
        if reasoning is None:
            reasoning = hidden
    cached = writes = long = None
    pdetails = usage.get("prompt_tokens_details")
    if isinstance(pdetails, dict):
        cached = _int(pdetails.get("cached_tokens"))
        # OpenAI (corpus u03, gpt-5.6-sol) and OpenRouter (quirks 6.10; openrouter.ai/docs/prompt-caching)
        writes = _int(pdetails.get("cache_write_tokens"))
        long = _int(pdetails.get("cache_write_long_tokens"))  # the Messages reader's split (wire/messages.py)
    if cached is None:
        cached = _int(usage.get("prompt_cache_hit_tokens"))  # DeepSeek
    if cached is None:
        cached = _int(usage.get("cached_tokens"))  # Together (top level)
    if cached is None:
        cached = _int(usage.get("num_cached_tokens"))  # Mistral
    return Usage(prompt, completion, reasoning, cached, writes, long)
