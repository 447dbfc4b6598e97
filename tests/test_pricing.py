"""Price arithmetic and table lookups (multimodel/pricing.py): cached tokens at their rate, segments that add
up to the cost, the spellings a lookup folds together, OpenRouter falling back to the upstream vendor, a
provider's own prices first, and the cost split scaled to a reported total."""

from __future__ import annotations

import csv
import math
import re
from importlib import resources

import pytest

import multimodel as mm
from multimodel import pricing
from multimodel.config import build_provider
from multimodel.pricing import Price, cost_segments, lookup, normalize_model_id, price_for

P = Price(input_per_m=2.0, cached_input_per_m=0.5, output_per_m=10.0, source="test", as_of="2026-01-01")
NO_CACHED_RATE = Price(input_per_m=2.0, cached_input_per_m=None, output_per_m=10.0, source="test", as_of="")


def rows() -> list[dict[str, str]]:
    text = resources.files("multimodel").joinpath("data/prices.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def as_tuple(price: Price | None) -> tuple[float, float | None, float] | None:
    return None if price is None else (price.input_per_m, price.cached_input_per_m, price.output_per_m)


# ---------------------------------------------------------------------------------- Price.cost
def test_cost_charges_uncached_cached_and_output_tokens_at_their_rates():
    # 800 uncached at $2/M, 200 cached at $0.5/M, 500 out at $10/M
    assert P.cost(1000, 500, 200) == pytest.approx((800 * 2.0 + 200 * 0.5 + 500 * 10.0) / 1e6, rel=1e-12)
    assert P.cost(1000, 500, 200) == pytest.approx(0.0067, rel=1e-12)
    assert P.cost(1000, 500, 0) == pytest.approx(0.007, rel=1e-12)
    assert P.cost(1000, 500, None) == pytest.approx(0.007, rel=1e-12)
    assert P.cost(0, 0, 0) == 0.0


def test_cached_tokens_are_capped_at_the_prompt_tokens():
    # a provider reporting more cached than prompt tokens is not turned into a negative uncached count
    assert P.cost(1000, 500, 5000) == pytest.approx((1000 * 0.5 + 500 * 10.0) / 1e6, rel=1e-12)
    assert P.cost(1000, 500, 5000) == P.cost(1000, 500, 1000)


def test_without_a_cached_rate_cached_tokens_cost_the_input_rate():
    assert NO_CACHED_RATE.cost(1000, 500, 200) == pytest.approx(0.007, rel=1e-12)
    carbon = lookup("gemini", "gemini-4-carbon")  # the table has no cached rate for it
    assert carbon is not None and carbon.cached_input_per_m is None
    assert carbon.cost(1000, 0, 1000) == carbon.cost(1000, 0, 0)


def test_unknown_token_counts_give_nan_never_zero():
    assert math.isnan(P.cost(None, 500, 0))
    assert math.isnan(P.cost(1000, None, 0))


# ---------------------------------------------------------------------------------- Price.segments
@pytest.mark.parametrize(("prompt", "completion", "cached", "reasoning"), [
    (1000, 500, 200, 100), (1000, 500, 0, 0), (1000, 500, 5000, 900), (3, 7, 3, 7), (0, 0, 0, 0),
])
def test_segments_add_up_to_the_cost(prompt, completion, cached, reasoning):
    for price in (P, NO_CACHED_RATE):
        parts = price.segments(prompt, completion, cached, reasoning)
        assert list(parts) == ["input", "cached_input", "reasoning", "output"]
        assert sum(parts.values()) == pytest.approx(price.cost(prompt, completion, cached), rel=1e-12, abs=1e-18)
        assert all(v >= 0 for v in parts.values())


@pytest.mark.parametrize(("provider", "model", "at"), [
    ("openai", "gpt-5.4", 1795953600.0), ("anthropic", "claude-haiku-5-5", 1795953600.0),
    ("deepseek", "deepseek-v4-pro", 1795485600.0),  # 2026-11-24 (a Tuesday) 02:00 UTC: peak
])
@pytest.mark.parametrize(("prompt", "completion", "cached", "writes", "reasoning"), [
    (1000, 500, 200, 300, 100), (300_000, 500, 1000, 50_000, 0), (120_000, 10, 0, 0, 5), (10, 10, 10, 10, 10),
])
def test_segments_with_rules_and_cache_writes_add_up_to_the_cost(provider, model, at, prompt, completion, cached,
                                                                 writes, reasoning):
    price = lookup(provider, model)
    parts = price.segments(prompt, completion, cached, reasoning, cache_write_tokens=writes, at=at)
    cost = price.cost(prompt, completion, cached, cache_write_tokens=writes, at=at)
    assert sum(parts.values()) == pytest.approx(cost, rel=1e-12)
    assert ("cache_write" in parts) == (min(writes, prompt - min(cached, prompt)) > 0)


def test_a_price_without_rules_costs_exactly_what_it_did():
    """The table's arithmetic for a request without tiers, windows, dates or cache writes is unchanged."""
    for provider, model in pricing.known_models():
        price = lookup(provider, model)
        flat = Price(price.input_per_m, price.cached_input_per_m, price.output_per_m, "", "")
        if not any(rule.kind in ("price", "time_of_day") for rule in price.rules):
            assert price.cost(1000, 500, 200) == flat.cost(1000, 500, 200), (provider, model)
    assert P.cost(1000, 500, 200, cache_write_tokens=0, cache_write_long_tokens=None) == P.cost(1000, 500, 200)
    assert P.rules == () and P.batch() is None


def test_segments_values():
    assert P.segments(1000, 500, 200, 100) == pytest.approx(
        {"input": 800 * 2.0 / 1e6, "cached_input": 200 * 0.5 / 1e6, "reasoning": 100 * 10.0 / 1e6,
         "output": 400 * 10.0 / 1e6}, rel=1e-12)
    # reasoning is capped at the completion tokens (it is part of them)
    assert P.segments(1000, 500, 0, 900)["output"] == 0.0
    assert P.segments(1000, 500, 0, 900)["reasoning"] == pytest.approx(500 * 10.0 / 1e6, rel=1e-12)


# ---------------------------------------------------------------------------------- lookup
def test_lookup_reads_the_row():
    assert as_tuple(lookup("anthropic", "claude-sonnet-4-6")) == (3.0, 0.3, 15.0)
    price = lookup("deepseek", "deepseek-flash")
    assert as_tuple(price) == (0.15, 0.003, 0.6)
    assert price.as_of == "2026-10-27" and price.source.startswith("https://api-docs.deepseek.com/")
    assert lookup("anthropic", "claude-no-such-model") is None
    assert lookup("nobody", "gpt-5.4") is None  # a provider that is not built in has no table rows


@pytest.mark.parametrize(("provider", "spelling", "row"), [
    ("gemini", "gemini-3-flash", "gemini-3-flash-preview"),  # the table only has the -preview id
    ("gemini", "gemini-3.1-pro", "gemini-3.1-pro-preview"),
    ("gemini", "gemini-2.5-pro-preview", "gemini-2.5-pro"),  # ... or only the plain one
    ("gemini", "gemini-2.5-pro-preview-05-06", "gemini-2.5-pro"),  # dated preview
    ("anthropic", "claude-sonnet-4-6-20250929", "claude-sonnet-4-6"),  # YYYYMMDD snapshot
    ("anthropic", "claude-haiku-4-5-20251001", "claude-haiku-4-5"),
    ("openai", "gpt-4o-2024-08-06", "gpt-4o"),  # YYYY-MM-DD snapshot
    ("openai", "GPT-5.4", "gpt-5.4"),  # case
    ("openai", "gpt-5-4", "gpt-5.4"),  # '.' between digits is '-'
    ("anthropic", "claude-sonnet-4.6", "claude-sonnet-4-6"),
    ("openrouter", "google/gemini-2.0-flash-exp:free", None),  # tag dropped; no row either way
])
def test_lookup_folds_spellings_onto_the_row(provider, spelling, row):
    got = lookup(provider, spelling)
    if row is None:
        assert got is None
    else:
        assert got is not None and got == lookup(provider, row)


def test_normalize_model_id():
    assert normalize_model_id(" Claude-Sonnet-4.6-20250929 ") == "claude-sonnet-4-6"
    assert normalize_model_id("gpt-4o-2024-08-06") == "gpt-4o"
    assert normalize_model_id("gemini-2.5-pro-preview-05-06") == "gemini-2-5-pro-preview"
    assert normalize_model_id("minimax/minimax-m2:free") == "minimax/minimax-m2"
    assert normalize_model_id("grok-4.20") == "grok-4-20"


def test_openrouter_uses_its_own_row_first_then_the_upstream_vendor():
    own = lookup("openrouter", "anthropic/claude-opus-4.7")
    assert as_tuple(own) == (5.0, 0.5, 25.0) and "OpenRouter import" in own.source
    # no OpenRouter row for these: the upstream vendor's list price
    assert lookup("openrouter", "anthropic/claude-opus-4-8") == lookup("anthropic", "claude-opus-4-8")
    assert as_tuple(lookup("openrouter", "anthropic/claude-opus-4-8")) == (5.0, 0.5, 25.0)
    assert lookup("openrouter", "x-ai/grok-4.5") == lookup("xai", "grok-4.5")
    assert lookup("openrouter", "deepseek/deepseek-flash") == lookup("deepseek", "deepseek-flash")
    assert lookup("openrouter", "google/gemini-4-carbon") == lookup("gemini", "gemini-4-carbon")
    # a vendor that is not a built-in provider, or no vendor at all: no price
    assert lookup("openrouter", "meta-llama/llama-4-scout") is None
    assert lookup("openrouter", "claude-opus-4-8") is None
    # a fallback row keeps its rules: DeepSeek's peak hours, Anthropic's cache-write prices
    assert [r.kind for r in lookup("openrouter", "deepseek/deepseek-flash").rules] == ["time_of_day"]
    assert lookup("openrouter", "anthropic/claude-opus-4-8").rates(0, 0.0)[2:4] == (6.25, 10.0)


# ---------------------------------------------------------------------------------- price_for
def test_price_for_prefers_the_providers_own_prices():
    cfg = build_provider("anthropic", {"prices": {"claude-sonnet-4-6": {"input": 1, "output": 4,
                                                                        "cached_input": 0.1}}})
    assert price_for(cfg, "claude-sonnet-4-6") == Price(1.0, 0.1, 4.0, "user", "")
    # a provider's own price is flat: no table rule applies to it (cache writes cost its input rate)
    assert price_for(cfg, "claude-sonnet-4-6").cost(1000, 0, 0, cache_write_tokens=1000) == 0.001
    assert price_for(cfg, "claude-haiku-4-5") == lookup("anthropic", "claude-haiku-4-5")  # the table otherwise
    no_cached = build_provider("anthropic", {"prices": {"claude-sonnet-4-6": {"input": "2", "output": "8"}}})
    assert price_for(no_cached, "claude-sonnet-4-6") == Price(2.0, None, 8.0, "user", "")


def test_price_for_a_custom_provider_needs_its_own_prices():
    local = build_provider("local", {"base_url": "http://127.0.0.1:9/v1"})
    assert price_for(local, "gpt-5.4") is None  # a model of the same name there may cost anything
    proxy = build_provider("proxy", {"base_url": "http://127.0.0.1:9/v1", "dialect": "openai"})
    assert price_for(proxy, "gpt-5.4") is None
    priced = build_provider("local", {"base_url": "http://127.0.0.1:9/v1",
                                      "prices": {"llama3": {"input": 0.1, "output": 0.2}}})
    assert price_for(priced, "llama3") == Price(0.1, None, 0.2, "user", "")
    assert price_for(build_provider("openai", None), "gpt-5.4") == lookup("openai", "gpt-5.4")


# ---------------------------------------------------------------------------------- cost_segments
def test_cost_segments_scale_the_table_split_to_the_total():
    price = lookup("openai", "gpt-5.4")
    tokens = {"prompt_tokens": 1000, "completion_tokens": 500, "cached_tokens": 200, "reasoning_tokens": 100}
    table_total = price.cost(1000, 500, 200)
    same = cost_segments("openai", "gpt-5.4", total=table_total, **tokens)
    assert same == pytest.approx(price.segments(1000, 500, 200, 100), rel=1e-12)
    reported = cost_segments("openai", "gpt-5.4", total=1.0, **tokens)
    assert sum(reported.values()) == pytest.approx(1.0, rel=1e-12)
    expected = price.segments(1000, 500, 200, 100)
    for key, value in reported.items():  # same proportions, scaled
        assert value == pytest.approx(expected[key] / table_total, rel=1e-12)


def test_cost_segments_reported_when_nothing_to_split_by():
    tokens = {"prompt_tokens": 1000, "completion_tokens": 500, "cached_tokens": 0, "reasoning_tokens": 0}
    assert cost_segments("openai", "no-such-model", total=0.25, **tokens) == {"reported": 0.25}
    assert cost_segments("local", "llama3", total=0.25, **tokens) == {"reported": 0.25}
    missing = dict(tokens, prompt_tokens=None)
    assert cost_segments("openai", "gpt-5.4", total=0.25, **missing) == {"reported": 0.25}
    missing = dict(tokens, completion_tokens=None)
    assert cost_segments("openai", "gpt-5.4", total=0.25, **missing) == {"reported": 0.25}
    zero = {"prompt_tokens": 0, "completion_tokens": 0, "cached_tokens": 0, "reasoning_tokens": 0}
    assert cost_segments("openai", "gpt-5.4", total=0.0, **zero) == {"reported": 0.0}
    none_extra = dict(tokens, cached_tokens=None, reasoning_tokens=None)  # unknown counts count as 0
    assert sum(cost_segments("openai", "gpt-5.4", total=0.5, **none_extra).values()) == pytest.approx(0.5)
    assert cost_segments("openai", "gpt-5.4", total=0.5, **none_extra)["cached_input"] == 0.0


# ---------------------------------------------------------------------------------- the table itself
def test_table_date_is_the_newest_as_of():
    dates = [r["as_of"] for r in rows() if r["as_of"]]
    assert pricing.table_date() == max(dates)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", pricing.table_date())


def test_known_models_lists_every_row_in_file_order_as_written():
    table = rows()
    assert pricing.known_models() == [(r["provider"], r["model"]) for r in table]
    assert ("openai", "gpt-5.4") in pricing.known_models()


def test_an_unpriced_model_warns_once_per_client_at_the_callers_line_before_sending(recwarn):
    """Whether a model has a price is known before sending: the warning comes from prepare(), once per client,
    attributed to the caller's own line (not to multimodel's I/O thread)."""
    client = mm.Client(providers={"testprov": {"base_url": "http://127.0.0.1:9/v1", "api_key": "k"}}, cache=False)
    client.prepare("testprov/m-unpriced", "hi")
    client.prepare("testprov/m-unpriced", "hi again")
    messages = [str(w.message) for w in recwarn if issubclass(w.category, mm.PriceWarning)]
    assert messages == [
        "no price for testprov/m-unpriced: cost_usd is NaN. Add one with mm.Client(providers={'testprov': "
        "{'prices': {'m-unpriced': {'input': ..., 'cached_input': ..., 'output': ...}}}}) (USD per 1M tokens)"]
    assert recwarn[0].filename == __file__
    recwarn.clear()
    priced = mm.Client(providers={"testprov": {"base_url": "http://127.0.0.1:9/v1", "api_key": "k",
                                               "prices": {"m-unpriced": {"input": 1, "output": 2}}}}, cache=False)
    priced.prepare("testprov/m-unpriced", "hi")
    mm.Client(cache=False, providers={"openrouter": {"api_key": "k"}}).prepare("openrouter/vendor/unlisted", "hi")
    assert not [w for w in recwarn if issubclass(w.category, mm.PriceWarning)]  # priced, or cost reported
