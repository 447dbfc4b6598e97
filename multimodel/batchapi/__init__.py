"""Provider Batch APIs on the client side: run a list of PreparedRequests through a provider's Batch API (submit,
poll, collect, cancel) and get one Result per request, the same as a live non-streamed answer but with
``mode="batch"``, empty latency columns and the batch price. Which protocol a provider speaks is declared by its
dialect (``Dialect.batch_protocol`` in providers/); ``protocol_for(cfg)`` returns it, or None (run live).
"""

from __future__ import annotations

from multimodel.batchapi.base import (
    LINE_MISSING,
    BatchAPIError,
    BatchJob,
    BatchLimits,
    BatchProtocol,
    BatchStatus,
    Line,
    group_lines,
    split,
)
from multimodel.config import ProviderConfig
from multimodel.providers import get_dialect

#: the protocol names a dialect may declare
PROTOCOL_NAMES = ("openai_files", "gemini_files", "anthropic", "openrouter")


def get_protocol(name: str) -> BatchProtocol:
    """The shared protocol object for a name in PROTOCOL_NAMES (imported on first use); KeyError otherwise."""
    if name == "openai_files":
        from multimodel.batchapi.openai_files import PROTOCOL

        return PROTOCOL
    if name == "gemini_files":
        from multimodel.batchapi.gemini import PROTOCOL as GEMINI

        return GEMINI
    if name == "anthropic":
        from multimodel.batchapi.anthropic import PROTOCOL as ANTHROPIC

        return ANTHROPIC
    if name == "openrouter":
        from multimodel.batchapi.openrouter import PROTOCOL as OPENROUTER

        return OPENROUTER
    raise KeyError(name)


def protocol_for(cfg: ProviderConfig) -> BatchProtocol | None:
    """The Batch API a configured provider speaks, or None (no batch API known: its rows run live). Only built-in
    providers have one: a custom endpoint speaking a dialect need not serve that provider's batch endpoints."""
    if not cfg.builtin:
        return None
    name = get_dialect(cfg.dialect).batch_protocol
    return None if name is None else get_protocol(name)


__all__ = [
    "LINE_MISSING",
    "PROTOCOL_NAMES",
    "BatchAPIError",
    "BatchJob",
    "BatchLimits",
    "BatchProtocol",
    "BatchStatus",
    "Line",
    "get_protocol",
    "group_lines",
    "protocol_for",
    "split",
]
