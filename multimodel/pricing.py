"""Price table lookups and all price arithmetic (data: multimodel/data/prices.csv, one sourced row per model, and
multimodel/data/price_rules.csv, the sourced rules that change a row's rates: long-context tiers, cache-write
prices, time-of-day prices, prices valid from or until a date, and Batch API prices; PRICES.md explains both).

Cost is computed only from prices we can source; an unknown price gives NaN and a warning, never 0.
Provider-reported cost (OpenRouter, xAI) is preferred by the client before this table is consulted. Whether a
model has a price is known before sending, so the request layer warns then, once per client, at the caller's line.
"""

from __future__ import annotations

import csv
import math
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from functools import cache, lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any, NamedTuple

from multimodel.catalogue import normalize_model_id
from multimodel.providers import DIALECTS

if TYPE_CHECKING:
    from multimodel.config import ProviderConfig

_DIGIT_DOT = re.compile(r"(?<=\d)\.(?=\d)")

#: the kinds of price_rules.csv, in the order they apply to a request
RULE_KINDS = ("price", "cache_write", "long_context", "time_of_day", "batch")
#: the rate columns of price_rules.csv (and the fields of ``Rates``)
RATE_FIELDS = ("input", "cached_input", "cache_write", "cache_write_long", "output")
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY = 86400

# One adjustment of one rate: (True, x) sets it to x USD per 1M tokens (NaN: not sourced); (False, f) multiplies
# it by f.
Adjust = tuple[bool, float]


class Rates(NamedTuple):
    """USD per 1M tokens for one request once every rule is applied; NaN for a rate that is not sourced.
    ``cache_write`` is the default retention (Anthropic 5 minutes, OpenAI 30 minutes), ``cache_write_long`` the
    longer one (Anthropic 1 hour, OpenAI 12 hours)."""

    input: float
    cached_input: float
    cache_write: float
    cache_write_long: float
    output: float


@dataclass(frozen=True, slots=True)
class Rule:
    """One row of price_rules.csv, parsed: which rows it applies to, when, and what it does to their rates."""

    provider: str
    patterns: tuple[str, ...]  # normalized glob patterns, matched against normalized table model ids
    kind: str
    start: float = -math.inf  # valid_from, UTC epoch seconds (inclusive)
    end: float = math.inf  # valid_until (exclusive)
    min_prompt: int = 0  # long_context: applies to requests with at least this many prompt tokens
    days: int = 0  # time_of_day: weekday bit mask, Monday = bit 0 (UTC)
    windows: tuple[tuple[int, int], ...] = ()  # time_of_day: [start, end) seconds of the UTC day
    input: Adjust | None = None
    cached_input: Adjust | None = None
    cache_write: Adjust | None = None
    cache_write_long: Adjust | None = None
    output: Adjust | None = None
    # the five RATE_FIELDS as plain factors when the rule only multiplies (empty = 1): the fast path
    factors: tuple[float, float, float, float, float] | None = None
    source: str = ""
    as_of: str = ""
    note: str = ""

    def matches(self, provider: str, model: str) -> bool:
        mid = normalize_model_id(model)
        return provider == self.provider and any(fnmatchcase(mid, p) for p in self.patterns)

    def active(self, at: float) -> bool:
        return self.start <= at < self.end

    def in_window(self, at: float) -> bool:
        """Whether ``at`` (UTC epoch seconds) falls on one of the rule's weekdays, inside one of its windows."""
        day = int(at // _DAY)
        if not (self.days >> ((day + 3) % 7)) & 1:  # 1970-01-01 was a Thursday
            return False
        second = at - day * _DAY
        return any(a <= second < b for a, b in self.windows)


def _adjust(adj: Adjust | None, value: float | None) -> float | None:
    if adj is None:
        return value
    absolute, number = adj
    if absolute:
        return number
    return None if value is None else value * number


@dataclass(frozen=True, slots=True)
class Price:
    input_per_m: float
    cached_input_per_m: float | None
    output_per_m: float
    source: str
    as_of: str
    rules: tuple[Rule, ...] = ()  # the price_rules.csv rows for this model, in RULE_KINDS order
    is_batch: bool = False  # the provider's Batch API price (``batch()``): cost_source ``batch_price_table``

    def batch(self) -> Price | None:
        """This model's Batch API price (its ``cost`` is the batch cost, cost_source ``batch_price_table``);
        None when no batch price is sourced."""
        if self.is_batch:
            return self
        if not any(rule.kind == "batch" for rule in self.rules):
            return None
        return replace(self, is_batch=True)

    def rates(self, prompt_tokens: float = 0, at: float | datetime | None = None) -> Rates | None:
        """The rates one request pays: the price valid at ``at`` (UTC; default now), then the cache-write price,
        the long-context tier its ``prompt_tokens`` reach, the time-of-day price and, for ``batch()``, the batch
        price. None for a batch price at a time no batch rule covers. Cache writes of a model without a
        cache-write rule are ordinary input tokens and cost the input rate; a retention the rule does not price
        is NaN."""
        moment = _epoch(at)
        inp: float = self.input_per_m
        cached: float | None = self.cached_input_per_m
        out: float = self.output_per_m
        writes = writes_long = math.nan
        own_writes = batched = False
        for rule in self.rules:
            if not rule.start <= moment < rule.end:
                continue
            kind = rule.kind
            if kind == "price":
                inp, cached, out = _adjust(rule.input, inp), _adjust(rule.cached_input, cached), _adjust(
                    rule.output, out)
                continue
            if cached is None:
                cached = inp
            if kind == "cache_write":
                writes = _adjust(rule.cache_write, inp)  # x1.25: 1.25 times the input rate in force
                writes_long = math.nan if rule.cache_write_long is None else _adjust(rule.cache_write_long, inp)
                own_writes = True
                continue
            if (kind == "long_context" and prompt_tokens < rule.min_prompt) or (
                    kind == "time_of_day" and not rule.in_window(moment)) or (kind == "batch" and not self.is_batch):
                continue
            batched = batched or kind == "batch"
            if rule.factors is not None:
                f_in, f_cached, f_writes, f_long, f_out = rule.factors
                inp, cached, out = inp * f_in, cached * f_cached, out * f_out
                if own_writes:
                    writes, writes_long = writes * f_writes, writes_long * f_long
                continue
            inp, cached, out = _adjust(rule.input, inp), _adjust(rule.cached_input, cached), _adjust(
                rule.output, out)
            if own_writes:
                writes, writes_long = _adjust(rule.cache_write, writes), _adjust(rule.cache_write_long, writes_long)
        if self.is_batch and not batched:
            return None
        if not own_writes:
            writes = writes_long = inp
        return Rates(inp, inp if cached is None else cached, writes, writes_long, out)

    def cost(self, prompt_tokens: int | None, completion_tokens: int | None, cached_tokens: int | None, *,
             cache_write_tokens: int | None = None, cache_write_long_tokens: int | None = None,
             at: float | datetime | None = None) -> float:
        """USD for one request: uncached input, cached input, cache writes (default and long retention; part of
        the prompt tokens) and output (reasoning included), at the rates in force at ``at`` (UTC epoch seconds
        or datetime; default now) for this prompt size (``rates``). NaN when a count or a needed rate is unknown."""
        if prompt_tokens is None or completion_tokens is None:
            return math.nan
        cached = min(cached_tokens or 0, prompt_tokens)
        if not (self.rules or self.is_batch or cache_write_tokens or cache_write_long_tokens):
            cached_rate = self.cached_input_per_m if self.cached_input_per_m is not None else self.input_per_m
            return ((prompt_tokens - cached) * self.input_per_m + cached * cached_rate
                    + completion_tokens * self.output_per_m) / 1e6
        rates = self.rates(prompt_tokens, at)
        if rates is None:
            return math.nan
        writes = min(cache_write_tokens or 0, prompt_tokens - cached)
        writes_long = min(cache_write_long_tokens or 0, prompt_tokens - cached - writes)
        # a term only when there are such tokens: an unsourced (NaN) rate makes the cost NaN only if it is needed
        write_cost = (writes * rates.cache_write if writes else 0.0) + (
            writes_long * rates.cache_write_long if writes_long else 0.0)
        return ((prompt_tokens - cached - writes - writes_long) * rates.input + cached * rates.cached_input
                + write_cost + completion_tokens * rates.output) / 1e6

    def segments(self, prompt_tokens: float, completion_tokens: float, cached_tokens: float,
                 reasoning_tokens: float, *, cache_write_tokens: float = 0.0,
                 at: float | datetime | None = None) -> dict[str, float]:
        """The cost of one request split into input, cached input, cache writes (only when there are any),
        reasoning and visible output (USD), at the same rates as ``cost``."""
        rates = self.rates(prompt_tokens, at) if (self.rules or self.is_batch) else None
        if rates is None:
            base = self.input_per_m
            cached_rate = self.cached_input_per_m if self.cached_input_per_m is not None else base
            rates = Rates(base, cached_rate, base, base, self.output_per_m)
        cached = min(cached_tokens, prompt_tokens)
        writes = min(cache_write_tokens or 0.0, prompt_tokens - cached)
        reasoning = min(reasoning_tokens, completion_tokens)
        parts = {"input": (prompt_tokens - cached - writes) * rates.input / 1e6,
                 "cached_input": cached * rates.cached_input / 1e6}
        if writes > 0:
            parts["cache_write"] = writes * rates.cache_write / 1e6
        parts["reasoning"] = reasoning * rates.output / 1e6
        parts["output"] = (completion_tokens - reasoning) * rates.output / 1e6
        return parts


def _epoch(at: float | datetime | None) -> float:
    if at.__class__ is float:
        return at
    if at is None:
        return time.time()
    if isinstance(at, datetime):
        return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()
    return float(at)


# ---------------------------------------------------------------------------------- price_rules.csv
def _instant(text: str) -> float:
    """A UTC date (``2026-12-01``: its midnight) or date-time (``2026-08-16T16:00Z``) as epoch seconds."""
    value = datetime.fromisoformat(text.strip())
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()


def _adjustment(text: str) -> Adjust | None:
    """``x1.5`` multiplies the rate in force, ``4.00`` sets it (USD per 1M tokens), ``?`` marks it not sourced
    (a cost that needs it is NaN), empty leaves it."""
    text = text.strip()
    if not text:
        return None
    if text == "?":
        return True, math.nan
    if text[0] in "x×":
        return False, float(text[1:])
    return True, float(text)


def _days(text: str) -> int:
    """``Mon-Fri`` or ``Sat Sun`` (UTC weekdays) as a bit mask, Monday = bit 0."""
    mask = 0
    for part in text.lower().replace(",", " ").split():
        first, _, last = part.partition("-")
        a, b = _WEEKDAYS.index(first[:3]), _WEEKDAYS.index((last or first)[:3])
        for day in range(a, b + 1):
            mask |= 1 << day
    if not mask:
        raise ValueError(f"no weekdays in {text!r}")
    return mask


def _windows(text: str) -> tuple[tuple[int, int], ...]:
    """``01:00-04:00 06:00-10:00`` (UTC) as [start, end) seconds of the day."""
    def seconds(clock: str) -> int:
        hours, minutes = clock.split(":")
        return int(hours) * 3600 + int(minutes) * 60

    out = []
    for part in text.split():
        a, b = (seconds(c) for c in part.split("-"))
        if not 0 <= a < b <= _DAY:
            raise ValueError(f"bad window {part!r}")
        out.append((a, b))
    if not out:
        raise ValueError("no windows")
    return tuple(out)


def parse_rule(row: dict[str, str]) -> Rule:
    """One price_rules.csv row as a Rule; ValueError names what is wrong with it."""
    cell = {key: (value or "").strip() for key, value in row.items() if key}
    kind = cell.get("kind", "")
    if kind not in RULE_KINDS:
        raise ValueError(f"kind {kind!r} is not one of {RULE_KINDS}")
    if not cell.get("provider") or not cell.get("models"):
        raise ValueError("provider and models are required")
    if not cell.get("source") or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", cell.get("as_of", "")):
        raise ValueError("every rule needs a source and an as_of date (YYYY-MM-DD)")
    adjustments = {name: _adjustment(cell.get(name, "")) for name in RATE_FIELDS}
    if not any(adjustments.values()):
        raise ValueError("the rule changes no rate")
    start = _instant(cell["valid_from"]) if cell.get("valid_from") else -math.inf
    end = _instant(cell["valid_until"]) if cell.get("valid_until") else math.inf
    if start >= end:
        raise ValueError("valid_from is not before valid_until")
    min_prompt, days, windows = 0, 0, ()
    threshold = re.fullmatch(r"(>=|>)\s*(\d+)", cell.get("prompt_tokens", ""))
    if (threshold is not None) != (kind == "long_context"):
        raise ValueError("prompt_tokens ('>272000' or '>=200000') is required for long_context, and only there")
    if threshold:
        min_prompt = int(threshold[2]) + (threshold[1] == ">")
    if bool(cell.get("days") and cell.get("hours_utc")) != (kind == "time_of_day") or (
            kind != "time_of_day" and (cell.get("days") or cell.get("hours_utc"))):
        raise ValueError("days and hours_utc are required for time_of_day, and only there")
    if kind == "time_of_day":
        days, windows = _days(cell["days"]), _windows(cell["hours_utc"])
    if kind == "cache_write" and any(adjustments[n] for n in ("input", "cached_input", "output")):
        raise ValueError("a cache_write rule sets only cache_write and cache_write_long")
    patterns = tuple(_DIGIT_DOT.sub("-", p.lower()) for p in cell["models"].split())
    factors = None
    if all(adj is None or not adj[0] for adj in adjustments.values()):
        f_in, f_cached, f_writes, f_long, f_out = (1.0 if adj is None else adj[1] for adj in adjustments.values())
        factors = (f_in, f_cached, f_writes, f_long, f_out)
    return Rule(provider=cell["provider"], patterns=patterns, kind=kind, start=start, end=end,
                min_prompt=min_prompt, days=days, windows=windows, **adjustments, factors=factors,
                source=cell["source"], as_of=cell["as_of"], note=cell.get("note", ""))


@cache
def _rule_rows() -> tuple[tuple[Rule, ...], tuple[str, ...]]:
    """(every valid rule of price_rules.csv in file order, a message for each invalid row)."""
    try:
        text = resources.files("multimodel").joinpath("data/price_rules.csv").read_text(encoding="utf-8")
    except FileNotFoundError:
        return (), ()
    rules, errors = [], []
    for line, row in enumerate(csv.DictReader(text.splitlines()), start=2):
        try:
            rules.append(parse_rule(row))
        except (KeyError, ValueError, IndexError) as exc:
            errors.append(f"price_rules.csv line {line}: {exc}")
    return tuple(rules), tuple(errors)


def price_rules() -> list[Rule]:
    """Every valid rule of price_rules.csv, in file order."""
    return list(_rule_rows()[0])


def rule_errors() -> list[str]:
    """What is wrong with each price_rules.csv row that could not be read (such a row is left out)."""
    return list(_rule_rows()[1])


def _rules_for(provider: str, model: str) -> tuple[Rule, ...]:
    matching = [rule for rule in _rule_rows()[0] if rule.matches(provider, model)]
    return tuple(sorted(matching, key=lambda rule: RULE_KINDS.index(rule.kind)))


# ---------------------------------------------------------------------------------- prices.csv
@cache
def _rows() -> tuple[tuple[str, str, Price], ...]:
    """(provider, model id as written, price with its rules) for every valid row of prices.csv, in file order."""
    try:
        text = resources.files("multimodel").joinpath("data/prices.csv").read_text(encoding="utf-8")
    except FileNotFoundError:
        return ()
    rows = []
    for row in csv.DictReader(text.splitlines()):
        try:
            provider, model = row["provider"].strip(), row["model"].strip()
            price = Price(
                input_per_m=float(row["input_per_m"]),
                cached_input_per_m=float(row["cached_input_per_m"]) if row.get("cached_input_per_m") else None,
                output_per_m=float(row["output_per_m"]),
                source=row.get("source", ""),
                as_of=row.get("as_of", ""),
                rules=_rules_for(provider, model),
            )
        except (KeyError, ValueError):
            continue
        rows.append((provider, model, price))
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
    and then the places the provider's dialect names (OpenRouter: the upstream vendor's row, with its rules)."""
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


# ---------------------------------------------------------------------------------- one request
def _cache_controls(node: Any) -> Iterator[dict[str, Any]]:
    """Every ``cache_control`` marker in a request body (message content parts, messages, tools)."""
    if isinstance(node, dict):
        marker = node.get("cache_control")
        if isinstance(marker, dict):
            yield marker
        for value in node.values():
            if isinstance(value, dict | list):
                yield from _cache_controls(value)
    elif isinstance(node, list):
        for item in node:
            if isinstance(item, dict | list):
                yield from _cache_controls(item)


def cache_write_ttl(body: dict[str, Any] | None) -> str:
    """The cache retention a request asked for: ``default``, ``long`` or ``mixed`` (both).

    Anthropic-style markers ``{"type": "ephemeral", "ttl": "1h"}`` (OpenRouter passes them on) ask for 1 hour, and
    ``"5m"`` or no ttl for the default 5 minutes; OpenAI's ``prompt_cache_options.ttl`` ``"30m"`` is its default
    retention and any other value (or ``prompt_cache_retention`` other than ``in_memory``) a longer one.
    """
    found: set[str] = set()
    if isinstance(body, dict):
        options = body.get("prompt_cache_options")
        if isinstance(options, dict) and options.get("ttl") not in (None, "30m"):
            found.add("long")
        if body.get("prompt_cache_retention") not in (None, "in_memory"):
            found.add("long")
        for marker in _cache_controls(body):
            found.add("long" if marker.get("ttl") not in (None, "5m") else "default")
    if len(found) > 1:
        return "mixed"
    return found.pop() if found else "default"


def request_cost(price: Price, *, prompt_tokens: int | None, completion_tokens: int | None,
                 cached_tokens: int | None, cache_write_tokens: int | None = None,
                 at: float | datetime | None = None, body: dict[str, Any] | None = None,
                 cache_write_long_tokens: int | None = None) -> float:
    """The cost of one request (``Price.cost``) at the time it was made. Where the provider reports how many of the
    cache writes were for the longer retention (``cache_write_long_tokens``, Anthropic's Messages API), that split
    is priced; usage that reports one count leaves the retention to the request (``cache_write_ttl``): a request
    that asked for both retentions has an unknown split, and a NaN cost unless both rates are the same."""
    def cost(default: int | None, long: int | None) -> float:
        return price.cost(prompt_tokens, completion_tokens, cached_tokens, cache_write_tokens=default,
                          cache_write_long_tokens=long, at=at)

    if not cache_write_tokens:
        return cost(None, None)
    if cache_write_long_tokens is not None and 0 <= cache_write_long_tokens <= cache_write_tokens:
        return cost(cache_write_tokens - cache_write_long_tokens, cache_write_long_tokens)
    ttl = cache_write_ttl(body)
    if ttl == "default":
        return cost(cache_write_tokens, None)
    if ttl == "long":
        return cost(None, cache_write_tokens)
    default, long = cost(cache_write_tokens, None), cost(None, cache_write_tokens)
    return default if default == long else math.nan


def cost_segments(provider: str, model_id: str, *, total: float, prompt_tokens: float | None,
                  completion_tokens: float | None, cached_tokens: float | None,
                  reasoning_tokens: float | None, cache_write_tokens: float | None = None,
                  created_at: float | datetime | None = None) -> dict[str, float]:
    """A row's ``total`` cost split into input / cached input / cache writes / reasoning / output by the table's
    rates at ``created_at`` for this prompt size, scaled so the parts add up to ``total`` (a provider-reported or
    custom-priced total keeps its own size); one ``reported`` part when the table has no price or the token
    counts are missing. A ``cache_write`` part appears only when there are cache writes."""
    price = lookup(provider, model_id)
    if price is not None and prompt_tokens is not None and completion_tokens is not None:
        parts = price.segments(prompt_tokens, completion_tokens, cached_tokens or 0.0, reasoning_tokens or 0.0,
                               cache_write_tokens=cache_write_tokens or 0.0, at=created_at)
        computed = sum(parts.values())
        if computed > 0:
            scale = total / computed
            return {key: value * scale for key, value in parts.items()}
    return {"reported": total}


def unknown_price_message(provider: str, model: str) -> str:
    """What a PriceWarning says when a model has no price (cost_usd will be NaN), and how to add one."""
    return (f"no price for {provider}/{model}: cost_usd is NaN. Add one with mm.Client(providers={{{provider!r}: "
            f"{{'prices': {{{model!r}: {{'input': ..., 'cached_input': ..., 'output': ...}}}}}}}}) (USD per 1M tokens)")


def unknown_prices_message(models: list[str]) -> str:
    """One line for every model of a run without a price ("provider/model-id" strings): which, and how to add
    them (the first as the example); the one-model message for one."""
    if len(models) == 1:
        return unknown_price_message(*models[0].split("/", 1))
    provider, model = models[0].split("/", 1)
    return (f"no price for {', '.join(models)}: their cost_usd is NaN. Add prices per provider, e.g. "
            f"mm.Client(providers={{{provider!r}: {{'prices': {{{model!r}: {{'input': ..., 'cached_input': ..., "
            "'output': ...}}}}) (USD per 1M tokens)")


def audio_price_message(provider: str, model: str) -> str:
    """What a PriceWarning says for audio input: providers bill audio tokens at their own rate (Gemini, OpenAI's
    gpt-audio), which the price table does not hold, so such a request gets cost_usd NaN."""
    return audio_prices_message([f"{provider}/{model}"])


def audio_prices_message(models: list[str]) -> str:
    """audio_price_message() for every model of a run that is sent audio ("provider/model-id" strings)."""
    return (f"{', '.join(models)}: requests with audio input get cost_usd NaN: audio tokens are billed at a separate "
            "rate that the price table does not hold (the provider-reported cost is used when there is one)")


def price_for(provider: ProviderConfig, model_id: str) -> Price | None:
    """The price for a configured provider's model: its own ``prices`` entry, else the table (built-ins only:
    a custom endpoint that happens to serve a model of the same name may charge anything). A provider's own
    price is flat: no table rule applies to it, and cache writes cost its input rate."""
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
    if provider.builtin:  # a built-in pair (anthropic-messages) is priced as its dialect's provider
        return lookup(provider.dialect, model_id)
    return None
