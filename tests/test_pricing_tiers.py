"""Cost with tiers and dates (multimodel/data/price_rules.csv + multimodel/pricing.py): long-context tiers,
cache-write prices, time-of-day prices, prices valid from or until a date and Batch API prices, each with USD
figures worked out by hand here; every rule row sourced and dated; cache-write tokens read from real usage
shapes and carried to the Result; the whole table cross-checked against genai-prices at fixed timestamps."""

from __future__ import annotations

import csv
import itertools
import json
import math
import re
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

import orjson
import pytest

import multimodel as mm
from multimodel import pricing
from multimodel.config import build_provider
from multimodel.exchange import send
from multimodel.options import COST_SOURCES
from multimodel.pricing import Price, lookup, request_cost
from multimodel.request import RequestPreparer
from multimodel.results import COLUMN_NAMES
from multimodel.transport import ReplayTransport, Reply, run_sync
from multimodel.wire.usage import normalize_usage

CORPUS = Path(__file__).resolve().parent / "corpus"


def utc(*parts: int) -> float:
    return datetime(*parts, tzinfo=UTC).timestamp()


def rule_rows() -> list[dict[str, str]]:
    text = resources.files("multimodel").joinpath("data/price_rules.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def price_rows() -> list[dict[str, str]]:
    text = resources.files("multimodel").joinpath("data/prices.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def price(provider: str, model: str) -> Price:
    found = lookup(provider, model)
    assert found is not None, f"{provider}/{model} has no price"
    return found


# ---------------------------------------------------------------------------------- the rule table itself
def test_every_rule_row_is_read_and_has_a_source_and_a_date():
    assert pricing.rule_errors() == []
    rows = rule_rows()
    assert len(pricing.price_rules()) == len(rows) > 0
    for row in rows:
        assert row["source"].strip(), row
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["as_of"]), row
        assert row["kind"] in pricing.RULE_KINDS, row


def test_every_rule_applies_to_a_row_of_the_price_table():
    models = pricing.known_models()
    for rule in pricing.price_rules():
        assert any(rule.matches(provider, model) for provider, model in models), rule


def test_no_two_rules_of_a_kind_overlap_in_time_on_one_model():
    """Two dated prices (or two batch prices, two tiers...) in force at once for one model would be ambiguous."""
    for provider, model in pricing.known_models():
        rules = price(provider, model).rules
        assert list(rules) == sorted(rules, key=lambda r: pricing.RULE_KINDS.index(r.kind))
        for kind in pricing.RULE_KINDS:
            spans = sorted((r.start, r.end) for r in rules if r.kind == kind)
            for (_, end), (start, _) in itertools.pairwise(spans):
                assert end <= start, (provider, model, kind)


@pytest.mark.parametrize("row", [
    {"kind": "long_context", "prompt_tokens": "", "input": "x2"},  # no threshold
    {"kind": "price", "prompt_tokens": ">5", "input": "1"},  # a threshold where none belongs
    {"kind": "time_of_day", "days": "Mon-Fri", "hours_utc": "", "input": "x2"},
    {"kind": "time_of_day", "days": "Mon-Fri", "hours_utc": "10:00-04:00", "input": "x2"},
    {"kind": "batch", "input": ""},  # changes nothing
    {"kind": "batch", "input": "x0.5", "source": ""},
    {"kind": "batch", "input": "x0.5", "as_of": "last week"},
    {"kind": "price", "input": "1", "valid_from": "2026-12-01", "valid_until": "2026-11-01"},
    {"kind": "cache_write", "input": "x2"},
    {"kind": "surcharge", "input": "x2"},
])
def test_a_malformed_rule_is_refused_with_a_reason(row):
    base = {"provider": "openai", "models": "gpt-5.4", "source": "https://example.invalid", "as_of": "2026-11-29"}
    with pytest.raises(ValueError):
        pricing.parse_rule({**base, **row})


def test_the_rows_the_issue_names_are_in_the_table_with_their_sources():
    expect = {("openai", "gpt-6.2-sol"): (2.0, 0.10, 10.0), ("openai", "gpt-6.2-astra"): (8.0, 0.40, 40.0),
              ("gemini", "gemini-3.6-flash"): (0.75, 0.075, 3.75), ("gemini", "gemini-3.7-flash"): (0.75, 0.075, 3.75),
              ("anthropic", "claude-mythos-5-2"): (8.0, 0.20, 40.0)}
    for (provider, model), rates in expect.items():
        p = price(provider, model)
        assert (p.input_per_m, p.cached_input_per_m, p.output_per_m) == rates
        assert p.source.startswith("https://") and re.fullmatch(r"\d{4}-\d{2}-\d{2}", p.as_of)


NOW = utc(2026, 11, 29, 12)


@pytest.mark.parametrize(("words", "kind"), [
    (r">272K input tokens|prompts >=?\s?\d+K|prompts over \d+K", "long_context"),
    (r"INTRODUCTORY", "price"),
    (r"peak hours", "time_of_day"),
])
def test_what_the_price_notes_describe_is_encoded_as_a_rule(words, kind):
    """A tier, an introductory price or peak hours named in a row's notes has a rule; the notes alone did
    nothing before (issue 13: 'cost ignores the tiers the price notes describe')."""
    named = [(r["provider"], r["model"]) for r in price_rows() if re.search(words, r["notes"])]
    assert named
    for provider, model in named:
        rules = [r for r in price(provider, model).rules if r.kind == kind]
        assert rules, (provider, model, kind)
        if kind == "price":  # an introductory price ends: a rule from a date after the row was checked
            assert any(r.start > NOW for r in rules), (provider, model)


# ---------------------------------------------------------------------------------- long-context tiers
def test_a_300k_gpt_5_4_request_is_billed_whole_at_2x_input_and_1_5x_output():
    p = price("openai", "gpt-5.4")  # 2.50 / 0.25 / 15.00; >272K: 5.00 / 0.50 / 22.50
    # 300,000 prompt tokens, none cached, 1,000 out: 300000 * 5.00 + 1000 * 22.50 = 1,522,500 / 1e6
    assert p.cost(300_000, 1_000, 0, at=NOW) == pytest.approx(1.5225, rel=1e-12)
    # 100,000 of them cached: 200000 * 5.00 + 100000 * 0.50 + 1000 * 22.50
    assert p.cost(300_000, 1_000, 100_000, at=NOW) == pytest.approx(1.0725, rel=1e-12)
    # the threshold: exactly 272,000 is short context, 272,001 long (and the whole request pays the tier)
    assert p.cost(272_000, 1_000, 0, at=NOW) == pytest.approx((272_000 * 2.5 + 1_000 * 15.0) / 1e6, rel=1e-12)
    assert p.cost(272_001, 1_000, 0, at=NOW) == pytest.approx(1.382505, rel=1e-12)
    assert p.rates(300_000, NOW) == pricing.Rates(5.0, 0.5, 5.0, 5.0, 22.5)


def test_xai_bills_every_token_at_2x_from_200k_prompt_tokens_inclusive():
    p = price("xai", "grok-4.7")  # 2.00 / 0.50 / 6.00
    assert p.cost(199_999, 1_000, 0, at=NOW) == pytest.approx(0.405998, rel=1e-12)  # 199999*2 + 1000*6
    assert p.cost(200_000, 1_000, 0, at=NOW) == pytest.approx(0.812, rel=1e-12)  # 200000*4 + 1000*12
    # OpenRouter lists the same tier from 200,001
    assert price("openrouter", "x-ai/grok-4.7").cost(200_000, 1_000, 0, at=NOW) == pytest.approx(0.406, rel=1e-12)


def test_gemini_pro_over_200k_and_haiku_5_5_over_100k():
    # gemini-3.1-pro-preview: 250,000 in at 4.00, 2,000 out at 18.00
    assert price("gemini", "gemini-3.1-pro").cost(250_000, 2_000, 0, at=NOW) == pytest.approx(1.036, rel=1e-12)
    # Haiku 5.5 over 100K: every token 5x (0.50 / 0.05 / 2.50), cache writes too (5-minute: 0.125 x 5 = 0.625)
    haiku = price("anthropic", "claude-haiku-5-5")
    cost = haiku.cost(100_001, 1_000, 0, cache_write_tokens=10_000, at=NOW)
    assert cost == pytest.approx((90_001 * 0.5 + 10_000 * 0.625 + 1_000 * 2.5) / 1e6, rel=1e-12)
    assert cost == pytest.approx(0.0537505, rel=1e-12)
    assert haiku.cost(100_000, 1_000, 0, at=NOW) == pytest.approx((100_000 * 0.1 + 1_000 * 0.5) / 1e6, rel=1e-12)


def test_a_tier_that_was_removed_applies_only_before_its_date():
    opus = price("anthropic", "claude-opus-4-6")  # >200K premium (2x / 1.5x) removed on 2026-03-13
    assert opus.cost(300_000, 1_000, 0, at=utc(2026, 3, 12, 23, 59)) == pytest.approx(3.0375, rel=1e-12)
    assert opus.cost(300_000, 1_000, 0, at=utc(2026, 3, 13)) == pytest.approx(1.525, rel=1e-12)


# ---------------------------------------------------------------------------------- time-of-day prices
TUESDAY_0200 = utc(2026, 11, 24, 2)
SATURDAY_0200 = utc(2026, 11, 28, 2)


def test_deepseek_peak_hours_cost_2x_on_weekdays_only():
    p = price("deepseek", "deepseek-v4-pro")  # off-peak 0.66 / 0.022 / 1.98
    # 10,000 prompt tokens (2,000 cached), 1,000 out; Tuesday 02:00 UTC is peak: 1.32 / 0.044 / 3.96
    assert p.cost(10_000, 1_000, 2_000, at=TUESDAY_0200) == pytest.approx(0.014608, rel=1e-12)
    # the same request at 02:00 on Saturday: off-peak all day at weekends (since 2026-08-23)
    assert p.cost(10_000, 1_000, 2_000, at=SATURDAY_0200) == pytest.approx(0.007304, rel=1e-12)
    assert p.cost(10_000, 1_000, 2_000, at=datetime(2026, 11, 24, 2, tzinfo=UTC)) == pytest.approx(0.014608)


@pytest.mark.parametrize(("when", "peak"), [
    ((2026, 11, 24, 0, 59, 59), False), ((2026, 11, 24, 1, 0, 0), True), ((2026, 11, 24, 3, 59, 59), True),
    ((2026, 11, 24, 4, 0, 0), False), ((2026, 11, 24, 5, 59, 59), False), ((2026, 11, 24, 6, 0, 0), True),
    ((2026, 11, 27, 9, 59, 59), True), ((2026, 11, 27, 10, 0, 0), False),  # Friday
    ((2026, 11, 29, 7, 0, 0), False), ((2026, 11, 30, 7, 0, 0), True),  # Sunday, Monday
])
def test_the_peak_windows_edges(when, peak):
    rates = price("deepseek", "deepseek-flash").rates(1_000, utc(*when))
    assert (rates.input, rates.cached_input, rates.output) == ((0.30, 0.006, 1.20) if peak else (0.15, 0.003, 0.60))


def test_deepseek_before_peak_pricing_began_was_flat_at_its_older_price():
    pro = price("deepseek", "deepseek-v4-pro")
    assert pro.rates(1_000, utc(2026, 8, 16, 2)) == pricing.Rates(0.435, 0.003625, 0.435, 0.435, 0.87)
    assert pro.rates(1_000, utc(2026, 8, 22, 2)).input == 1.32  # a Saturday before weekends became off-peak
    assert pro.rates(1_000, utc(2026, 8, 23, 2)).input == 0.66  # the first off-peak Sunday
    flash = price("deepseek", "deepseek-v4-flash")  # V4 Flash until 2026-09-10, then routed to V4.1 Flash
    before = flash.rates(1_000, utc(2026, 8, 16, 2))
    assert (before.input, before.cached_input, before.output) == (0.14, 0.0028, 0.28)
    assert flash.rates(1_000, utc(2026, 9, 1, 12))[::2] == (0.22, 0.22, 0.66)  # a Tuesday, off-peak
    assert flash.rates(1_000, utc(2026, 9, 1, 2))[::2] == (0.44, 0.44, 1.32)  # its peak
    assert flash.rates(1_000, utc(2026, 9, 10, 12)).input == 0.15


# ---------------------------------------------------------------------------------- dated prices
def test_gemini_4_argon_doubles_when_its_introductory_price_ends():
    p = price("gemini", "gemini-4-argon")  # 2.00 / 0.10 / 10.00 through 2026-11-30, then 4.00 / 0.20 / 20.00
    # 10,000 in (1,000 cached), 1,000 out
    assert p.cost(10_000, 1_000, 1_000, at=utc(2026, 11, 30, 23, 59, 59)) == pytest.approx(0.0281, rel=1e-12)
    assert p.cost(10_000, 1_000, 1_000, at=utc(2026, 12, 1)) == pytest.approx(0.0562, rel=1e-12)


def test_other_introductory_prices_and_price_cuts():
    carbon = price("gemini", "gemini-4-carbon")  # no cached rate: cached tokens cost the input rate
    assert carbon.cost(10_000, 1_000, 5_000, at=utc(2026, 12, 2)) == pytest.approx(0.06, rel=1e-12)
    for model in ("gemini-3.8-flash", "gemini-3.7-flash", "gemini-3.6-flash"):
        p = price("gemini", model)
        assert p.rates(0, utc(2026, 12, 31, 12))[::2] == (0.75, 0.75, 3.75)
        assert p.rates(0, utc(2027, 1, 1))[::2] == (1.5, 1.5, 7.5)
    sol = price("openai", "gpt-5.6-sol")  # launch 5.00 / 0.50 / 30.00, cut on 2026-08-21 to 4.00 / 0.40 / 20.00
    assert sol.cost(100_000, 100_000, 0, at=utc(2026, 8, 20, 23)) == pytest.approx(3.5, rel=1e-12)
    assert sol.cost(100_000, 100_000, 0, at=utc(2026, 8, 21)) == pytest.approx(2.4, rel=1e-12)
    grok = price("xai", "grok-4-1-fast-reasoning")  # retired 2026-05-15 12:00 PT: billed as grok-4.3 since
    assert grok.cost(100_000, 100_000, 0, at=utc(2026, 5, 15, 18)) == pytest.approx(0.07, rel=1e-12)
    assert grok.cost(100_000, 100_000, 0, at=utc(2026, 5, 15, 19)) == pytest.approx(0.375, rel=1e-12)


def test_a_datetime_and_no_time_at_all_are_taken():
    p = price("gemini", "gemini-4-argon")
    assert p.cost(1_000_000, 0, 0, at=datetime(2026, 12, 1)) == 4.0  # naive: UTC
    assert p.cost(1_000_000, 0, 0, at=datetime(2026, 12, 1, 8, tzinfo=UTC) - timedelta(hours=9)) == 2.0
    assert p.cost(1_000_000, 0, 0) == p.cost(1_000_000, 0, 0, at=datetime.now(UTC).timestamp())


# ---------------------------------------------------------------------------------- cache writes
def test_anthropic_cache_writes_cost_1_25x_for_5_minutes_and_2x_for_1_hour():
    p = price("anthropic", "claude-sonnet-4-6")  # 3.00 / 0.30 / 15.00
    # 10,000 prompt tokens of which 8,000 written to the cache, 500 out
    assert p.cost(10_000, 500, 0, cache_write_tokens=8_000, at=NOW) == pytest.approx(0.0435, rel=1e-12)
    assert p.cost(10_000, 500, 0, cache_write_long_tokens=8_000, at=NOW) == pytest.approx(0.0615, rel=1e-12)
    # writes and reads together: 1,000 plain + 8,000 written at 3.75 + 1,000 read at 0.30
    assert p.cost(10_000, 500, 1_000, cache_write_tokens=8_000, at=NOW) == pytest.approx(
        (1_000 * 3.0 + 8_000 * 3.75 + 1_000 * 0.3 + 500 * 15.0) / 1e6, rel=1e-12)
    # more writes than uncached tokens are capped (never a negative plain-input count)
    assert p.cost(10_000, 500, 4_000, cache_write_tokens=9_000, at=NOW) == p.cost(
        10_000, 500, 4_000, cache_write_tokens=6_000, at=NOW)
    assert price("openrouter", "anthropic/claude-opus-5.5").rates(0, NOW)[2:4] == (5.0, 8.0)


def test_openai_cache_writes_by_retention():
    # gpt-6.1-sol: 30-minute writes 1.25x input (2.50); no 12-hour price is sourced -> NaN, never a guess
    p = price("openai", "gpt-6.1-sol")
    assert p.cost(10_000, 100, 0, cache_write_tokens=10_000, at=NOW) == pytest.approx(0.026, rel=1e-12)
    assert math.isnan(p.cost(10_000, 100, 0, cache_write_long_tokens=10_000, at=NOW))
    # gpt-6.2-sol: 12-hour writes 5.00 short-context, doubled above 272K with the rest of the request
    sol = price("openai", "gpt-6.2-sol")
    assert sol.cost(10_000, 100, 0, cache_write_long_tokens=10_000, at=NOW) == pytest.approx(0.051, rel=1e-12)
    assert sol.rates(300_000, NOW)[2:4] == (5.0, 10.0)
    # gpt-5.4 has no cache-write price: written tokens are ordinary input
    old = price("openai", "gpt-5.4")
    assert old.cost(10_000, 100, 0, cache_write_tokens=8_000, at=NOW) == old.cost(10_000, 100, 0, at=NOW)


def test_a_cache_write_price_that_is_not_sourced_makes_only_such_requests_nan():
    p = price("openrouter", "google/gemini-2.5-pro")
    assert math.isnan(p.cost(10_000, 100, 0, cache_write_tokens=500, at=NOW))
    assert p.cost(10_000, 100, 0, cache_write_tokens=0, at=NOW) == pytest.approx((10_000 * 1.25 + 100 * 10) / 1e6)


def test_the_retention_comes_from_the_request():
    anthropic_1h = {"messages": [{"role": "user", "content": [
        {"type": "text", "text": "long", "cache_control": {"type": "ephemeral", "ttl": "1h"}}]}]}
    anthropic_5m = {"messages": [{"role": "user", "content": [
        {"type": "text", "text": "long", "cache_control": {"type": "ephemeral"}}]}]}
    mixed = {"messages": [*anthropic_1h["messages"], *anthropic_5m["messages"]]}
    assert pricing.cache_write_ttl(None) == pricing.cache_write_ttl({"messages": []}) == "default"
    assert pricing.cache_write_ttl(anthropic_5m) == "default"
    assert pricing.cache_write_ttl(anthropic_1h) == "long"
    assert pricing.cache_write_ttl(mixed) == "mixed"
    assert pricing.cache_write_ttl({"prompt_cache_options": {"mode": "explicit", "ttl": "30m"}}) == "default"
    assert pricing.cache_write_ttl({"prompt_cache_options": {"ttl": "12h"}}) == "long"
    assert pricing.cache_write_ttl({"prompt_cache_retention": "24h"}) == "long"

    p = price("openrouter", "anthropic/claude-sonnet-4.6")  # 3.00; writes 3.75 (5 min) / 6.00 (1 h)
    tokens = {"prompt_tokens": 10_000, "completion_tokens": 0, "cached_tokens": 0, "cache_write_tokens": 10_000,
              "at": NOW}
    assert request_cost(p, **tokens, body=anthropic_5m) == pytest.approx(0.0375, rel=1e-12)
    assert request_cost(p, **tokens, body=anthropic_1h) == pytest.approx(0.06, rel=1e-12)
    assert math.isnan(request_cost(p, **tokens, body=mixed))  # one count, two rates: the split is unknown
    flat = price("openai", "gpt-5.4")  # no write price: the split does not matter
    assert request_cost(flat, **tokens, body=mixed) == flat.cost(10_000, 0, 0, at=NOW)
    assert request_cost(p, **dict(tokens, cache_write_tokens=0), body=mixed) == p.cost(10_000, 0, 0, at=NOW)


# ---------------------------------------------------------------------------------- batch prices
def test_batch_prices():
    assert "batch_price_table" in COST_SOURCES
    p = price("openai", "gpt-5.4")
    batch = p.batch()
    assert batch is not None and batch.is_batch and batch.batch() is batch and p.batch() == batch
    # 50% of whatever applies, the long-context tier included: 300000 * 2.50 + 1000 * 11.25
    assert batch.cost(300_000, 1_000, 0, at=NOW) == pytest.approx(0.76125, rel=1e-12)
    assert batch.cost(1_000, 1_000, 0, at=NOW) == pytest.approx(p.cost(1_000, 1_000, 0, at=NOW) / 2, rel=1e-12)
    # xAI: 20% off every token type, cached included, on both context tiers
    grok = price("xai", "grok-4.3").batch()
    assert grok.rates(0, NOW) == pytest.approx((1.0, 0.16, 1.0, 1.0, 2.0))
    assert grok.rates(250_000, NOW) == pytest.approx((2.0, 0.32, 2.0, 2.0, 4.0))
    # OpenAI's older models and Gemini 2.5 keep the standard cached rate in batch
    assert price("openai", "gpt-4o").batch().rates(0, NOW)[:2] == (1.25, 1.25)
    assert price("gemini", "gemini-2.5-pro").batch().rates(0, NOW)[:2] == (0.625, 0.125)
    assert price("anthropic", "claude-haiku-5-5").batch().rates(150_000, NOW) == pricing.Rates(
        0.25, 0.025, 0.3125, 0.5, 1.25)
    # no Batch API (DeepSeek), or no sourced batch price: None, and a user's own flat price has none either
    assert price("deepseek", "deepseek-flash").batch() is None
    assert price("xai", "grok-4.5").batch() is None
    assert Price(1.0, None, 2.0, "user", "").batch() is None


# ---------------------------------------------------------------------------------- cost_segments
def test_cost_segments_follow_the_tier_and_split_out_cache_writes():
    tokens = {"prompt_tokens": 300_000, "completion_tokens": 1_000, "cached_tokens": 0, "reasoning_tokens": 400}
    table_total = price("openai", "gpt-5.4").cost(300_000, 1_000, 0, at=NOW)
    parts = pricing.cost_segments("openai", "gpt-5.4", total=table_total, created_at=NOW, **tokens)
    assert parts == pytest.approx({"input": 1.5, "cached_input": 0.0, "reasoning": 0.009, "output": 0.0135})
    writes = pricing.cost_segments("anthropic", "claude-sonnet-4-6", total=0.0435, created_at=NOW,
                                   prompt_tokens=10_000, completion_tokens=500, cached_tokens=0,
                                   reasoning_tokens=0, cache_write_tokens=8_000)
    assert list(writes) == ["input", "cached_input", "cache_write", "reasoning", "output"]
    assert writes == pytest.approx({"input": 0.006, "cached_input": 0.0, "cache_write": 0.03, "reasoning": 0.0,
                                    "output": 0.0075})
    peak = pricing.cost_segments("deepseek", "deepseek-v4-pro", total=1.0, created_at=TUESDAY_0200,
                                 prompt_tokens=10_000, completion_tokens=1_000, cached_tokens=2_000,
                                 reasoning_tokens=0)
    assert sum(peak.values()) == pytest.approx(1.0)


# ---------------------------------------------------------------------------------- cache-write tokens from usage
#: The first call of the same recorded prompt-cache exchange as corpus u03 (pydantic/pydantic-ai
#: tests/models/cassettes/test_openai_prompt_cache/test_openai_chat_prompt_cache_e2e.yaml @ bf5002f50351,
#: interaction 0, gpt-5.6-sol, created 1784092247): the prefix is written, nothing read yet.
CASSETTE_FIRST_CALL = {"completion_tokens": 4, "completion_tokens_details": {
    "accepted_prediction_tokens": 0, "audio_tokens": 0, "reasoning_tokens": 0, "rejected_prediction_tokens": 0},
    "prompt_tokens": 4020, "prompt_tokens_details": {"audio_tokens": 0, "cache_write_tokens": 4012,
                                                     "cached_tokens": 0}, "total_tokens": 4024}
#: OpenRouter's usage (quirks 6.10 example; openrouter.ai/docs/prompt-caching "Usage object fields")
OPENROUTER_DOCS = {"prompt_tokens": 10339, "completion_tokens": 60, "total_tokens": 10399,
                   "prompt_tokens_details": {"cached_tokens": 10318, "cache_write_tokens": 0}}


def corpus_usage(name: str) -> dict:
    return json.loads(json.loads((CORPUS / f"{name}.json").read_text())["response"]["body"])["usage"]


def test_cache_write_tokens_are_read_from_real_usage_shapes():
    first = normalize_usage(CASSETTE_FIRST_CALL)
    assert (first.prompt_tokens, first.cached_tokens, first.cache_write_tokens) == (4020, 0, 4012)
    second = normalize_usage(corpus_usage("u03_openai_gpt56_cached_tokens_cache_write_tokens"))
    assert (second.prompt_tokens, second.cached_tokens, second.cache_write_tokens) == (4020, 4012, 0)
    docs = normalize_usage(OPENROUTER_DOCS)
    assert (docs.cached_tokens, docs.cache_write_tokens) == (10318, 0)
    # usage without the field (DeepSeek, xAI, Mistral, ...) has none: such a Result stays as before
    for name in ("t01_deepseek_reasoner_parallel_tool_calls_with_reasoning",
                 "t14_xai_grok3mini_tool_call_reasoning_nonstream", "u06_mistral_prompt_cache_cached_tokens"):
        assert normalize_usage(corpus_usage(name)).cache_write_tokens is None


def test_the_recorded_prompt_cache_exchange_costs_what_openai_billed():
    """gpt-5.6-sol on 2026-07-15 (before the 2026-08-21 cut): 5.00 input, 0.50 cached, 6.25 for a 30-minute
    write, 30.00 output. The request asked for ``prompt_cache_options.ttl: 30m`` (the default retention)."""
    p = price("openai", "gpt-5.6-sol")
    body = {"prompt_cache_options": {"mode": "explicit", "ttl": "30m"}}
    first = normalize_usage(CASSETTE_FIRST_CALL)
    cost = request_cost(p, prompt_tokens=first.prompt_tokens, completion_tokens=first.completion_tokens,
                        cached_tokens=first.cached_tokens, cache_write_tokens=first.cache_write_tokens,
                        at=1784092247, body=body)
    assert cost == pytest.approx((8 * 5.0 + 4012 * 6.25 + 4 * 30.0) / 1e6, rel=1e-12)  # 0.025235
    second = normalize_usage(corpus_usage("u03_openai_gpt56_cached_tokens_cache_write_tokens"))
    cost = request_cost(p, prompt_tokens=second.prompt_tokens, completion_tokens=second.completion_tokens,
                        cached_tokens=second.cached_tokens, cache_write_tokens=second.cache_write_tokens,
                        at=1784092252, body=body)
    assert cost == pytest.approx((8 * 5.0 + 4012 * 0.5 + 4 * 30.0) / 1e6, rel=1e-12)  # 0.002166


def test_the_exchange_carries_cache_writes_to_the_result_and_prices_them():
    preparer = RequestPreparer({"openai": build_provider("openai", {"api_key": "sk-x"})})
    req = preparer.prepare("openai/gpt-5.6-sol", "hi")
    body = orjson.dumps({"id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-5.6-sol",
                         "choices": [{"index": 0, "finish_reason": "stop",
                                      "message": {"role": "assistant", "content": "OK"}}],
                         "usage": CASSETTE_FIRST_CALL})
    r = run_sync(send(req, ReplayTransport(lambda url, headers, payload: Reply(
        200, {"content-type": "application/json"}, body))))
    assert (r.prompt_tokens, r.cached_tokens, r.cache_write_tokens) == (4020, 0, 4012)
    assert r.cost_source == "price_table"
    assert r.cost_usd == price("openai", "gpt-5.6-sol").cost(4020, 4, 0, cache_write_tokens=4012, at=r.created_at)
    assert r.cost_usd > price("openai", "gpt-5.6-sol").cost(4020, 4, 0, at=r.created_at)  # writes cost 1.25x
    row = r.to_dict()
    assert COLUMN_NAMES.index("cache_write_tokens") == COLUMN_NAMES.index("cached_tokens") + 1
    assert row["cache_write_tokens"] == 4012
    frame = mm.Result(model="m", provider="p").to_frame()
    assert str(frame["cache_write_tokens"].dtype) == "Int64" and frame["cache_write_tokens"].isna().all()
    assert mm.Result.from_json(r.to_json()).cache_write_tokens == 4012


# ---------------------------------------------------------------------------------- genai-prices cross-check
# genai-prices 0.2.3 (a dev dependency only) is a second, independently maintained price table. Every row of
# ours it covers is compared with it, field by field, at fixed timestamps (now; 12 hours either side of each of
# our rules' dates, "past" or "future"; a weekday and a Saturday in DeepSeek's peak hours), below and above each
# tier threshold either table knows, standard and batch. Differences are
# allowed only where listed here, each with its source; a listed difference that no longer occurs fails too.
GP_PROVIDER = {"openai": "openai", "anthropic": "anthropic", "gemini": "google", "xai": "x-ai",
               "deepseek": "deepseek", "openrouter": "openrouter"}
GP_FIELDS = {"input": "input_mtok", "cached_input": "cache_read_mtok", "cache_write": "cache_write_mtok",
             "cache_write_long": "cache_write_1h_mtok", "output": "output_mtok"}
GP_NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)  # a Sunday, outside DeepSeek's peak hours either way
GP_WEEKDAY_PEAK = datetime(2026, 11, 30, 2, tzinfo=UTC)
GP_SATURDAY_PEAK = datetime(2026, 11, 28, 2, tzinfo=UTC)
GP_BATCH_FROM = datetime(2026, 10, 14, tzinfo=UTC)  # genai-prices: "batch history before then is not modelled"
#: rows genai-prices 0.2.3 does not have (released after its snapshot, or not in it)
GP_MISSING = {("openai", "gpt-6.2-sol"), ("openai", "gpt-6.2-astra"), ("gemini", "gemini-4-carbon"),
              ("gemini", "gemini-4-hydrogen")}
RETIRED_XAI = "xAI retired the slug on 2026-05-15 and bills it at grok-4.3 rates (PRICES.md); genai-prices has the " \
              "old price"
#: (provider, model, when, "std"/"batch", field or "*") -> why we differ, with the source we keep
GP_KNOWN = {
    ("openai", "gpt-5.4", "now", "batch", "cached_input"):
        "genai-prices keeps the Batch table's rounded 0.13; half of 0.25 is 0.125 (the Batch rule is 50% of every "
        "rate: developers.openai.com/api/docs/pricing)",
    ("openai", "o3", "past", "std", "cached_input"):
        "before the 2025-06-10 cut o3 cached input was 2.50 (PRICES.md conflicts table); genai-prices has 0.50",
    **{("xai", model, when, "std", "*"): RETIRED_XAI
       for model in ("grok-4-1-fast-reasoning", "grok-4-1-fast-non-reasoning", "grok-4") for when in ("now", "past")},
    **{("deepseek", model, "saturday", "std", "*"):
       "weekends are off-peak all day since 2026-08-23 (api-docs.deepseek.com/quick_start/pricing); genai-prices "
       "has no day-of-week condition and keeps the peak price (its comment calls it an upper bound)"
       for model in ("deepseek-v4-pro", "deepseek-flash", "deepseek-v4-flash")},
    **{("deepseek", model, "now", "std", "*"):
       "retired 2026-07-24; last billed as V4-Flash aliases (0.14/0.0028/0.28, PRICES.md); genai-prices has the "
       "early-2025 V3/R1 prices" for model in ("deepseek-chat", "deepseek-reasoner")},
    **{("openrouter", f"google/{model}", "now", "std", "cache_write"):
       "OpenRouter's input_cache_write for Gemini routes is the storage fee; whether it replaces or adds to the "
       "input rate is not settled, so our cache_write is NaN (not sourced)"
       for model in ("gemini-4-argon", "gemini-3.8-flash", "gemini-3.1-pro-preview", "gemini-3-flash-preview",
                     "gemini-2.5-pro", "gemini-2.5-flash")},
    **{("openrouter", f"google/{model}", "future", "std", "*"):
       "OpenRouter lists Google's price for Google routes; our rule follows Google's end of the introductory "
       "price, genai-prices' OpenRouter snapshot (2026-11-09) cannot know it yet"
       for model in ("gemini-4-argon", "gemini-3.8-flash")},
}
#: rows where we have a batch price at GP_NOW and genai-prices has no batch variant
GP_BATCH_ONLY_OURS = {("xai", "grok-4.7"): "prices.csv row note: batch 20% off (docs.x.ai/developers/pricing)"}


def _gp_value(value, prompt_tokens: int) -> float | None:
    if value is None:
        return None
    if hasattr(value, "tiers"):
        for tier in reversed(value.tiers):
            if prompt_tokens > tier.start:  # genai-prices: a tier applies above its start
                return float(tier.price)
        return float(value.base)
    return float(value)


def _gp_points(ours: Price, model_prices) -> list[int]:
    """Prompt sizes either side of every threshold either table knows."""
    points = {1_000}
    for rule in ours.rules:
        if rule.kind == "long_context":
            points |= {rule.min_prompt - 1, rule.min_prompt}
    for name in GP_FIELDS.values():
        value = getattr(model_prices, name, None)
        for tier in getattr(value, "tiers", ()):
            points |= {tier.start, tier.start + 1}
    return sorted(points)


def _gp_times(ours: Price) -> dict[str, list[datetime]]:
    times: dict[str, list[datetime]] = {"now": [GP_NOW], "past": [], "future": []}
    for rule in ours.rules:
        for edge in (rule.start, rule.end):
            if math.isfinite(edge):
                moment = datetime.fromtimestamp(edge, UTC)
                for shift in (-12, 12):
                    t = moment + timedelta(hours=shift)
                    times["past" if t < GP_NOW else "future"].append(t)
        if rule.kind == "time_of_day":
            times["weekday"], times["saturday"] = [GP_WEEKDAY_PEAK], [GP_SATURDAY_PEAK]
    return times


def _gp_compare(provider: str, model: str, ours: Price, gp_model) -> tuple[set, set]:
    found, batch_only_ours = set(), set()
    for when, moments in _gp_times(ours).items():
        for moment in moments:
            standard = gp_model.get_prices(moment)
            for mode in ("std", "batch"):
                if mode == "batch":
                    if moment < GP_BATCH_FROM:
                        continue
                    theirs = gp_model.get_prices(moment, {"processing": "batch"})
                    mine = ours.batch()
                    if theirs == standard:  # no batch variant in genai-prices
                        if mine is not None and when == "now":
                            batch_only_ours.add((provider, model))
                        continue
                    assert mine is not None, f"genai-prices has a batch price for {provider}/{model}; we do not"
                else:
                    theirs, mine = standard, ours
                for prompt in _gp_points(ours, theirs):
                    rates = mine.rates(prompt, moment)
                    for field, name in GP_FIELDS.items():
                        a, b = getattr(rates, field), _gp_value(getattr(theirs, name, None), prompt)
                        if b is not None and not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12):
                            found.add((provider, model, when, mode, field))
    return found, batch_only_ours


def test_the_table_agrees_with_genai_prices_except_where_listed():
    gp = pytest.importorskip("genai_prices.data", reason="genai-prices is a dev dependency (pyproject [dev])")
    providers = {p.id: p for p in gp.providers}
    missing, found, batch_only_ours = set(), set(), set()
    for provider, model in pricing.known_models():
        gp_model = providers[GP_PROVIDER[provider]].find_model(model, all_providers=gp.providers)
        if gp_model is None:
            missing.add((provider, model))
            continue
        differences, only_ours = _gp_compare(provider, model, price(provider, model), gp_model)
        found |= differences
        batch_only_ours |= only_ours
    # coverage: 96 of the table's 100 rows
    assert missing == GP_MISSING
    assert len(pricing.known_models()) - len(missing) == 96

    def known(key):
        return key in GP_KNOWN or (*key[:4], "*") in GP_KNOWN

    assert sorted(k for k in found if not known(k)) == []
    stale = [k for k in GP_KNOWN if not any(f == k or (k[4] == "*" and f[:4] == k[:4]) for f in found)]
    assert stale == []
    assert batch_only_ours == set(GP_BATCH_ONLY_OURS)
