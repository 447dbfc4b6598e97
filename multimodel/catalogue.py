"""The model catalogue: per provider and model (or family of models), its status, how its reasoning is
controlled, which request parameters it rejects and its limits, each entry with its source and the date
it was checked (``multimodel/data/models.toml``). The request layer shapes every request to a built-in
provider by it; ``client.models()`` shows it joined with the price table.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from fnmatch import fnmatchcase
from functools import cache, lru_cache
from importlib import resources
from typing import Any, Literal

from multimodel.errors import ConfigError
from multimodel.options import REASONING_LEVELS

STATUSES = ("current", "deprecated", "legacy", "retired")
CONTROLS = ("effort", "adaptive", "budget", "level", "toggle", "fixed", "none")
#: thinking tokens for a named effort, for models that take a budget (Anthropic budget_tokens, Gemini 2.5)
EFFORT_BUDGET = {"minimal": 1024, "low": 2048, "medium": 8192, "high": 24576, "xhigh": 32768, "max": 65536}
_DATE_SUFFIX = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{8}|\d{2}-\d{2})$")


def normalize_model_id(model: str) -> str:
    """One spelling per model, for lookups in the catalogue and the price table: lowercase, no date suffix or
    ':free'-style tag, '.' between digits as '-' (claude-opus-4.7 and claude-opus-4-7 are one model)."""
    mid = model.lower().strip()
    mid = mid.split(":", 1)[0]
    mid = _DATE_SUFFIX.sub("", mid)
    return re.sub(r"(?<=\d)\.(?=\d)", "-", mid)


@dataclass(frozen=True, slots=True)
class Reasoning:
    """How a model's reasoning is asked for (``control``), the ``reasoning=`` values it takes (``"none"``:
    it can be turned off), what it does when the request names none, the effort it uses once reasoning is on
    and none is named (``effort_default``), and its thinking-budget range."""

    control: str = "none"
    levels: tuple[str, ...] = ()
    default: str | None = None
    effort_default: str | None = None
    budget: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """One catalogue entry (see the field list at the top of models.toml)."""

    provider: str
    id: str
    status: str
    source: str
    checked: str
    aliases: tuple[str, ...] = ()
    replacement: str | None = None
    retired: str | None = None
    shutdown: str | None = None
    context_window: int | None = None
    max_output_tokens: int | None = None
    input: tuple[str, ...] = ()
    max_tokens_param: str = "max_tokens"
    reasoning: Reasoning = field(default_factory=Reasoning)
    rejects_while_reasoning: tuple[str, ...] = ()
    rejects: tuple[str, ...] = ()
    tools_while_reasoning: bool = True
    note: str = ""

    @property
    def family(self) -> bool:
        """A family entry (its id and aliases are globs): the rules for ids of that family the catalogue does
        not list."""
        return "*" in self.id

    @property
    def name(self) -> str:
        return f"{self.provider}/{self.id}"

    def reasons_with(self, choice: str | int | None) -> bool:
        """Whether the model reasons when asked with ``choice`` (None: the request names no reasoning)."""
        r = self.reasoning
        if r.control == "none":
            return False
        if r.control == "fixed":
            return True
        if choice is None:
            return r.default not in (None, "none")
        return choice != "none"


@dataclass(frozen=True, slots=True)
class Match:
    """What the catalogue knows of one requested model: the entry, and how it was found (``exact``, ``alias``
    or ``family``: an id the catalogue does not list, shaped by its family's rules)."""

    info: ModelInfo
    how: Literal["exact", "alias", "family"]


_FIELDS = {f.name for f in fields(ModelInfo)}
_REASONING_FIELDS = {f.name for f in fields(Reasoning)}


def _entry(raw: dict[str, Any], where: str) -> ModelInfo:
    """One [[model]] table → ModelInfo; a malformed entry is an error naming it (the data ships with us)."""
    unknown = set(raw) - _FIELDS
    if unknown:
        raise ValueError(f"{where}: unknown field(s) {sorted(unknown)}")
    missing = {"provider", "id", "status", "source", "checked"} - set(raw)
    if missing:
        raise ValueError(f"{where}: missing {sorted(missing)}")
    reasoning = dict(raw.get("reasoning") or {})
    if set(reasoning) - _REASONING_FIELDS:
        raise ValueError(f"{where}: unknown reasoning field(s) {sorted(set(reasoning) - _REASONING_FIELDS)}")
    r = Reasoning(control=reasoning.get("control", "none"), levels=tuple(reasoning.get("levels", ())),
                  default=reasoning.get("default"), effort_default=reasoning.get("effort_default"),
                  budget=tuple(reasoning["budget"]) if "budget" in reasoning else None)  # type: ignore[arg-type]
    if r.control not in CONTROLS or raw["status"] not in STATUSES:
        raise ValueError(f"{where}: control {r.control!r} / status {raw['status']!r} not in {CONTROLS} / {STATUSES}")
    bad = [lv for lv in (*r.levels, r.default, r.effort_default) if lv is not None and lv not in REASONING_LEVELS]
    if bad:
        raise ValueError(f"{where}: reasoning levels {bad} not in {REASONING_LEVELS}")
    tuples = {k: tuple(v) for k, v in raw.items() if isinstance(v, list)}
    return ModelInfo(**{**raw, **tuples, "reasoning": r})


@cache
def entries() -> tuple[ModelInfo, ...]:
    """Every catalogue entry, in file order."""
    text = resources.files("multimodel").joinpath("data/models.toml").read_text(encoding="utf-8")
    tables = tomllib.loads(text).get("model", [])
    return tuple(_entry(t, f"models.toml entry {i} ({t.get('provider')}/{t.get('id')})") for i, t in enumerate(tables))


@cache
def _index() -> tuple[dict[tuple[str, str], Match], dict[str, list[tuple[str, ModelInfo]]]]:
    exact: dict[tuple[str, str], Match] = {}
    families: dict[str, list[tuple[str, ModelInfo]]] = {}
    for info in entries():
        if info.family:  # its id and aliases are patterns
            for pattern in (info.id, *info.aliases):
                families.setdefault(info.provider, []).append((normalize_model_id(pattern), info))
            continue
        exact.setdefault((info.provider, normalize_model_id(info.id)), Match(info, "exact"))
        for alias in info.aliases:
            exact.setdefault((info.provider, normalize_model_id(alias)), Match(info, "alias"))
    for group in families.values():  # the most specific pattern first: the longest literal prefix, then length
        group.sort(key=lambda item: (-len(item[0].partition("*")[0]), -len(item[0].replace("*", ""))))
    return exact, families


@lru_cache(maxsize=4096)
def find(provider: str, model_id: str) -> Match | None:
    """The catalogue's entry for a built-in provider's model id (exact, alias, or family rules), or None."""
    exact, families = _index()
    mid = normalize_model_id(model_id)
    hit = exact.get((provider, mid))
    if hit is not None:
        return hit
    for pattern, info in families.get(provider, ()):
        if fnmatchcase(mid, pattern):
            return Match(info, "family")
    return None


def reasoning_choice(info: ModelInfo, reasoning: str | int | None, label: str | None = None) -> str | int | None:
    """The reasoning setting to send for ``reasoning=`` (an effort name or a token budget), or ConfigError
    naming what the model (``label``, default its catalogue name) takes. None: the request names none, so the
    model's default applies."""
    if reasoning is None:
        return None
    label = label or info.name
    r = info.reasoning
    if r.control == "none":
        if reasoning == "none":
            return None
        raise ConfigError(f"{label} is not a reasoning model: leave reasoning= out (it takes no {reasoning!r})")
    if r.control == "fixed":
        raise ConfigError(f"{label} always reasons and takes no reasoning setting (the provider answers 400 to one):"
                          " leave reasoning= out")
    if isinstance(reasoning, int):
        return _budget_choice(info, reasoning, label)
    if reasoning in r.levels:
        return reasoning
    offer = ", ".join(repr(lv) for lv in r.levels)
    extra = " or a token budget" if r.control == "budget" else ""
    off = " (its reasoning cannot be turned off)" if reasoning == "none" else ""
    raise ConfigError(f"{label} takes reasoning= {offer}{extra}, not {reasoning!r}{off} ({info.source})")


def _budget_choice(info: ModelInfo, budget: int, label: str) -> str | int:
    """A token budget: kept for models that take one (within their range), else the nearest level they take."""
    r = info.reasoning
    if r.control == "budget":
        low, high = r.budget or (1, budget)
        if not low <= budget <= high:
            raise ConfigError(f"{label} takes a thinking budget of {low}..{high} tokens, not {budget}")
        return budget
    named = [lv for lv in r.levels if lv in EFFORT_BUDGET]
    if not named:
        raise ConfigError(f"{label} takes no token budget; use one of {list(r.levels)}")
    return min(named, key=lambda lv: abs(EFFORT_BUDGET[lv] - budget))


def frame(provider: str | None = None, price_of: Callable[[str, str], Any] | None = None) -> Any:
    """The catalogue as a DataFrame, one row per entry; ``price_of(provider, model_id)`` (``pricing.lookup``)
    adds its list prices (USD per 1M tokens) and their source."""
    import pandas as pd

    rows = []
    for info in entries():
        if provider is not None and info.provider != provider:
            continue
        price = None if info.family or price_of is None else price_of(info.provider, info.id)
        r = info.reasoning
        rows.append({
            "model": info.name, "provider": info.provider, "status": info.status,
            "replacement": info.replacement, "retired": info.retired, "shutdown": info.shutdown,
            "family": info.family, "reasoning_control": r.control, "reasoning_levels": list(r.levels),
            "reasoning_default": r.default, "max_tokens_param": info.max_tokens_param,
            "rejects": list(info.rejects), "rejects_while_reasoning": list(info.rejects_while_reasoning),
            "tools_while_reasoning": info.tools_while_reasoning, "input": list(info.input),
            "context_window": info.context_window, "max_output_tokens": info.max_output_tokens,
            "input_per_m": price.input_per_m if price else None,
            "cached_input_per_m": price.cached_input_per_m if price else None,
            "output_per_m": price.output_per_m if price else None,
            "price_source": price.source if price else None, "price_as_of": price.as_of if price else None,
            "source": info.source, "checked": info.checked, "note": info.note,
        })
    df = pd.DataFrame(rows)
    for col in ("context_window", "max_output_tokens"):
        if col in df:
            df[col] = df[col].astype("Int64")
    return df


__all__ = [
    "CONTROLS",
    "EFFORT_BUDGET",
    "STATUSES",
    "Match",
    "ModelInfo",
    "Reasoning",
    "entries",
    "find",
    "frame",
    "normalize_model_id",
    "reasoning_choice",
]
