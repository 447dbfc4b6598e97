"""Price table lookups and cost computation (data file: multimodel/data/prices.csv, one sourced row per model).

Cost is computed only from prices we can source; an unknown price gives NaN and a warning, never 0.
Provider-reported cost (OpenRouter, xAI) is preferred by the client before this table is consulted.
"""

from __future__ import annotations

import csv
import math
import re
import warnings
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

_DATE_SUFFIX = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{8}|\d{2}-\d{2})$")
# OpenRouter vendor prefixes → our provider names, to fall back on the upstream's own price.
_VENDOR = {"openai": "openai", "anthropic": "anthropic", "google": "gemini", "x-ai": "xai", "deepseek": "deepseek"}


class PriceWarning(UserWarning):
    """A model has no known price, so its cost_usd is NaN."""


@dataclass(frozen=True, slots=True)
class Price:
    input_per_m: float
    cached_input_per_m: float | None
    output_per_m: float
    source: str
    as_of: str

    def cost(self, prompt_tokens: int | None, completion_tokens: int | None, cached_tokens: int | None) -> float:
        """USD for one request: uncached input, cached input and output (reasoning included) at their rates."""
        if prompt_tokens is None or completion_tokens is None:
            return math.nan
        cached = min(cached_tokens or 0, prompt_tokens)
        cached_rate = self.cached_input_per_m if self.cached_input_per_m is not None else self.input_per_m
        return (
            (prompt_tokens - cached) * self.input_per_m
            + cached * cached_rate
            + completion_tokens * self.output_per_m
        ) / 1e6


def normalize_model_id(model: str) -> str:
    """Lowercase, drop date suffixes and ':free'-style tags, and treat '.' between digits like '-'."""
    mid = model.lower().strip()
    mid = mid.split(":", 1)[0]
    mid = _DATE_SUFFIX.sub("", mid)
    mid = re.sub(r"(?<=\d)\.(?=\d)", "-", mid)
    return mid


@cache
def _table() -> dict[tuple[str, str], Price]:
    table: dict[tuple[str, str], Price] = {}
    try:
        text = resources.files("multimodel").joinpath("data/prices.csv").read_text(encoding="utf-8")
    except FileNotFoundError:
        return table
    for row in csv.DictReader(text.splitlines()):
        try:
            price = Price(
                input_per_m=float(row["input_per_m"]),
                cached_input_per_m=float(row["cached_input_per_m"]) if row.get("cached_input_per_m") else None,
                output_per_m=float(row["output_per_m"]),
                source=row.get("source", ""),
                as_of=row.get("as_of", ""),
            )
        except (KeyError, ValueError):
            continue
        table.setdefault((row["provider"].strip(), normalize_model_id(row["model"])), price)
    return table


def known_models() -> list[tuple[str, str]]:
    """(provider, model) for every row of the price table, in file order."""
    return [(p, m) for p, m in _table()]


def table_date() -> str | None:
    """The newest ``as_of`` date in the price table (stamped on exported charts)."""
    dates = [p.as_of for p in _table().values() if p.as_of]
    return max(dates) if dates else None


def lookup(provider: str, model: str) -> Price | None:
    """The price row for a built-in provider's model, trying the unsuffixed and upstream spellings."""
    table = _table()
    mid = normalize_model_id(model)
    candidates = [mid]
    if mid.endswith("-preview"):
        candidates.append(mid[: -len("-preview")])
    else:
        candidates.append(mid + "-preview")
    for cand in candidates:
        price = table.get((provider, cand))
        if price:
            return price
    if provider == "openrouter" and "/" in mid:
        vendor, rest = mid.split("/", 1)
        upstream = _VENDOR.get(vendor)
        if upstream:
            return lookup(upstream, rest)
    return None


_warned: set[tuple[str, str]] = set()


def warn_unknown(provider: str, model: str) -> None:
    """Warn once per model that its cost is unknown (NaN), and how to fix it."""
    key = (provider, model)
    if key in _warned:
        return
    _warned.add(key)
    warnings.warn(
        f"no price for {provider}/{model}: cost_usd is NaN. Add one with mm.Client(providers={{{provider!r}: "
        f"{{'prices': {{{model!r}: {{'input': ..., 'cached_input': ..., 'output': ...}}}}}}}}) (USD per 1M tokens)",
        PriceWarning,
        stacklevel=3,
    )


def warn_audio_unpriced(provider: str, model: str) -> None:
    """Warn once per model that a request with audio input has no cost (NaN): providers bill audio tokens at
    their own rate (Gemini, OpenAI's gpt-audio), which the price table does not hold."""
    key = (provider, "audio:" + model)
    if key in _warned:
        return
    _warned.add(key)
    warnings.warn(
        f"{provider}/{model}: requests with audio input get cost_usd NaN: audio tokens are billed at a separate "
        "rate that the price table does not hold (the provider-reported cost is used when there is one)",
        PriceWarning,
        stacklevel=3,
    )


def price_for(provider: Any, model_id: str) -> Price | None:
    """The price for a configured provider's model: its own ``prices`` entry, else the table (built-ins only)."""
    from multimodel.config import BUILTIN_PROVIDERS

    custom = provider.prices.get(model_id)
    if custom is not None:
        cached = custom.get("cached_input")
        return Price(
            input_per_m=float(custom["input"]),
            cached_input_per_m=float(cached) if cached is not None else None,
            output_per_m=float(custom["output"]),
            source="user",
            as_of="",
        )
    if provider.name in BUILTIN_PROVIDERS:
        return lookup(provider.name, model_id)
    return None
