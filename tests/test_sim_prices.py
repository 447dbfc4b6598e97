"""The simulator's prices agree with the client's price table (multimodel/data/prices.csv), model by model.

The table is read here with the csv module (the client is not imported) and looked up the way the client's
pricing does: ids lowercased, date suffixes dropped, a dot between digits read as a dash, ``-preview``
optional; an OpenRouter slug first under OpenRouter, then under its upstream vendor. Every simulated model
name the table prices (ids, aliases, simulator spellings) must carry exactly that row's input, cached-input
and output price; and what the simulator reports as cost (xAI ``cost_in_usd_ticks``, OpenRouter
``usage.cost``) is computed from those prices.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

import multimodel.sim as msim
from tests.test_sim import chat, user

TABLE_PATH = Path(__file__).resolve().parents[1] / "multimodel" / "data" / "prices.csv"
VENDORS = {"openai": "openai", "anthropic": "anthropic", "google": "gemini", "x-ai": "xai", "deepseek": "deepseek"}
_DATE = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{8}|\d{2}-\d{2})$")

pytestmark = pytest.mark.usefixtures("clean_sim")


def normalize(model: str) -> str:
    mid = _DATE.sub("", model.lower().strip().split(":", 1)[0])
    return re.sub(r"(?<=\d)\.(?=\d)", "-", mid)


def read_table() -> dict[tuple[str, str], tuple[float, float, float]]:
    """(provider, normalized id) -> (input, cached input, output); an empty cached price bills as input."""
    table: dict[tuple[str, str], tuple[float, float, float]] = {}
    with TABLE_PATH.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            try:
                inp, out = float(row["input_per_m"]), float(row["output_per_m"])
            except (KeyError, ValueError):
                continue
            cached = float(row["cached_input_per_m"]) if row.get("cached_input_per_m") else inp
            table.setdefault((row["provider"].strip(), normalize(row["model"])), (inp, cached, out))
    return table


TABLE = read_table()


def table_price(dialect: str, name: str) -> tuple[float, float, float] | None:
    places = [(dialect, name)]
    vendor, _, rest = name.partition("/")
    if dialect == "openrouter" and vendor in VENDORS and rest:
        places.append((VENDORS[vendor], rest))
    for provider, model in places:
        mid = normalize(model)
        other = mid[: -len("-preview")] if mid.endswith("-preview") else mid + "-preview"
        row = TABLE.get((provider, mid)) or TABLE.get((provider, other))
        if row is not None:
            return row
    return None


def priced_names() -> list[tuple[str, str, str]]:
    """(dialect, catalogue id, name) for every simulated name the table prices."""
    out = []
    for (d, mid), m in msim.CATALOGUE.items():
        for name in (mid, *m.aliases):
            if table_price(d, name) is not None:
                out.append((d, mid, name))
    return out


PRICED = priced_names()


def test_the_table_is_read_and_covers_most_simulated_models():
    assert len(TABLE) > 80
    models = {(d, mid) for d, mid, _ in PRICED}
    assert len(models) >= 60, len(models)  # the few left out are named in the catalogue with their source
    unpriced = sorted(k for k in msim.CATALOGUE if k not in models)
    assert unpriced == [("openai", "gpt-audio"), ("openrouter", "deepseek/deepseek-r1"),
                        ("openrouter", "openai/gpt-audio")]


@pytest.mark.parametrize(("dialect", "model", "name"), PRICED, ids=[f"{d}/{n}" for d, _, n in PRICED])
def test_simulated_price_is_the_table_row(dialect, model, name):
    assert msim.CATALOGUE[(dialect, model)].price == pytest.approx(table_price(dialect, name), abs=0, rel=1e-12)


REPORTING = [(d, m) for (d, m) in msim.CATALOGUE if d in ("xai", "openrouter") and table_price(d, m)]


@pytest.mark.parametrize(("dialect", "model"), REPORTING, ids=[f"{d}/{m}" for d, m in REPORTING])
def test_reported_cost_uses_the_table_prices(sim, dialect, model):
    p_in, p_cached, p_out = (p / 1e6 for p in table_price(dialect, model))
    long = "Background for the question. " * 120  # long enough for the prefix caches: cached tokens too
    body = {"model": model, "messages": [{"role": "system", "content": long}, *user("What is 2+2?")]}
    chat(sim, dialect, body)
    u = chat(sim, dialect, body).json()["usage"]
    cached = u["prompt_tokens_details"]["cached_tokens"]
    if dialect == "xai":  # reasoning is outside completion_tokens on xAI, billed as output
        out = u["completion_tokens"] + u["completion_tokens_details"]["reasoning_tokens"]
        want = ((u["prompt_tokens"] - cached) * p_in + cached * p_cached + out * p_out) * 1e10
        assert u["cost_in_usd_ticks"] == round(want)
    else:
        want = (u["prompt_tokens"] - cached) * p_in + cached * p_cached + u["completion_tokens"] * p_out
        assert u["cost"] == pytest.approx(want, rel=1e-9, abs=1e-12)
    assert cached > 0 or dialect == "openrouter"
