"""Price table lookups and all price arithmetic (data: multimodel/data/prices.csv, one sourced row per model).

Cost is computed only from prices we can source; an unknown price gives NaN and a warning, never 0.
Provider-reported cost (OpenRouter, xAI) is preferred by the client before this table is consulted. Whether a
model has a price is known before sending, so the request layer warns then, once per client, at the caller's line.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import TYPE_CHECKING

from multimodel.catalogue import normalize_model_id
from multimodel.providers import DIALECTS

if TYPE_CHECKING:
    from multimodel.config import ProviderConfig



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

    def segments(self, prompt_tokens: float, completion_tokens: float, cached_tokens: float,
                 reasoning_tokens: float) -> dict[str, float]:
        """The cost of one request split into input, cached input, reasoning and visible output (USD)."""
        cached = min(cached_tokens, prompt_tokens)
        reasoning = min(reasoning_tokens, completion_tokens)
        cached_rate = self.cached_input_per_m if self.cached_input_per_m is not None else self.input_per_m
        return {
            "input": (prompt_tokens - cached) * self.input_per_m / 1e6,
            "cached_input": cached * cached_rate / 1e6,
            "reasoning": reasoning * self.output_per_m / 1e6,
            "output": (completion_tokens - reasoning) * self.output_per_m / 1e6,
        }


@cache
def _rows() -> tuple[tuple[str, str, Price], ...]:
    """(provider, model id as written, price) for every valid row of prices.csv, in file order."""
    try:
        text = resources.files("multimodel").joinpath("data/prices.csv").read_text(encoding="utf-8")
    except FileNotFoundError:
        return ()
    rows = []
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
        rows.append((row["provider"].strip(), row["model"].strip(), price))
    return tuple(rows)


@cache
def _table() -> dict[tuple[str, str], Price]:
    """The rows keyed by (provider, normalized model id); the first row of a spelling wins."""
    table: dict[tuple[str, str], Price] = {}
    for provider, model, price in _rows():
        table.setdefault((provider, normalize_model_id(model)), price)
    return table


def known_models() -> list[tuple[str, str]]:
    """(provider, model id as written) for every row of the price table, in file order."""
    return list(dict.fromkeys((provider, model) for provider, model, _ in _rows()))


def table_date() -> str | None:
    """The newest ``as_of`` date in the price table (stamped on exported charts)."""
    dates = [p.as_of for p in _table().values() if p.as_of]
    return max(dates) if dates else None


@lru_cache(maxsize=4096)  # the table never changes while running; requests ask for the same few models
def lookup(provider: str, model: str) -> Price | None:
    """The price-table row for a built-in provider's model, trying the ``-preview`` and unsuffixed spellings
    and then the places the provider's dialect names (OpenRouter: the upstream vendor's row)."""
    dialect = DIALECTS.get(provider)
    for table_provider, model_id in dialect.price_lookups(model) if dialect else [(provider, model)]:
        price = _row(table_provider, model_id)
        if price is not None:
            return price
    return None


def _row(provider: str, model: str) -> Price | None:
    table = _table()
    mid = normalize_model_id(model)
    alternative = mid[: -len("-preview")] if mid.endswith("-preview") else mid + "-preview"
    return table.get((provider, mid)) or table.get((provider, alternative))


def cost_segments(provider: str, model_id: str, *, total: float, prompt_tokens: float | None,
                  completion_tokens: float | None, cached_tokens: float | None,
                  reasoning_tokens: float | None) -> dict[str, float]:
    """A row's ``total`` cost split into input / cached input / reasoning / output by the table's rates, scaled
    so the parts add up to ``total`` (a provider-reported or custom-priced total keeps its own size); one
    ``reported`` part when the table has no price or the token counts are missing."""
    price = lookup(provider, model_id)
    if price is not None and prompt_tokens is not None and completion_tokens is not None:
        parts = price.segments(prompt_tokens, completion_tokens, cached_tokens or 0.0, reasoning_tokens or 0.0)
        computed = sum(parts.values())
        if computed > 0:
            scale = total / computed
            return {key: value * scale for key, value in parts.items()}
    return {"reported": total}


def unknown_price_message(provider: str, model: str) -> str:
    """What a PriceWarning says when a model has no price (cost_usd will be NaN), and how to add one."""
    return (f"no price for {provider}/{model}: cost_usd is NaN. Add one with mm.Client(providers={{{provider!r}: "
            f"{{'prices': {{{model!r}: {{'input': ..., 'cached_input': ..., 'output': ...}}}}}}}}) (USD per 1M tokens)")


def audio_price_message(provider: str, model: str) -> str:
    """What a PriceWarning says for audio input: providers bill audio tokens at their own rate (Gemini, OpenAI's
    gpt-audio), which the price table does not hold, so such a request gets cost_usd NaN."""
    return (f"{provider}/{model}: requests with audio input get cost_usd NaN: audio tokens are billed at a separate "
            "rate that the price table does not hold (the provider-reported cost is used when there is one)")


def price_for(provider: ProviderConfig, model_id: str) -> Price | None:
    """The price for a configured provider's model: its own ``prices`` entry, else the table (built-ins only:
    a custom endpoint that happens to serve a model of the same name may charge anything)."""
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
    if provider.builtin:
        return lookup(provider.name, model_id)
    return None
