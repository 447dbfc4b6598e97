"""The simulated models: names, latency profiles, accepted inputs and prices, and the rules they follow.

``CATALOGUE`` maps ``(dialect, model_id)`` to a :class:`SimModel` for every model the simulator serves;
what each provider accepts for it (reasoning levels, refused parameters, status) is its ``rules`` entry
from :mod:`.rules` (the plain-data table). Ids resolve through :func:`resolve` (the provider's own
aliases only: no spelling the provider would refuse); retired ids are not served: :func:`retired` gives their
rules entry so the dialect answers the provider's error.

Prices are USD per 1M tokens ``(input, cached_input, output)`` and agree with the client's price table
(``multimodel/data/prices.csv``, tests/test_sim_prices.py checks every model); the simulated xAI
``cost_in_usd_ticks`` and OpenRouter ``usage.cost`` are computed from them. Models the table lacks carry
the sourced price named beside them.

What each model takes follows the client's capability tables (``multimodel/providers/*.py``):
``inputs`` is the set of media kinds it reads (what happens to the others is the dialect's business:
Anthropic strips them silently, the rest answer an error in their own shape), ``seed`` and
``logprobs`` say whether those parameters are ``supported`` (they have an effect), ``ignored`` or
``rejected`` (HTTP 400). OpenRouter slugs inherit their upstream's entries, except that OpenRouter
reads PDFs for every model and drops parameters its upstream does not honour.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, replace
from typing import Any

from .rules import RULES, ModelRules, rules_for
from .rules import retired as _retired

IMAGE, AUDIO, PDF = "image", "audio", "pdf"
INPUT_KINDS = (IMAGE, AUDIO, PDF)
PARAM_STATUSES = ("supported", "ignored", "rejected")
VISION = frozenset({IMAGE, PDF})
# seed / logprobs per dialect; models override where they differ (providers/*.py CAPABILITIES)
_DIALECT_PARAMS: dict[str, dict[str, str]] = {
    "openai": {"seed": "supported", "logprobs": "supported"},
    "anthropic": {"seed": "ignored", "logprobs": "ignored"},  # compat layer: "Ignored"
    "gemini": {"seed": "rejected", "logprobs": "rejected"},  # 400 "Unknown name ... Cannot find field."
    "xai": {"seed": "supported", "logprobs": "supported"},  # API reference lists both [INFERRED for reasoning]
    "deepseek": {"seed": "ignored", "logprobs": "supported"},  # seed undocumented: treated as ignored
}

# Reasoning length multipliers by requested effort (1.0 = the model's ``reasoning_tokens``).
EFFORT_FACTOR = {
    "none": 0.0,
    "minimal": 0.3,
    "low": 0.5,
    "medium": 1.0,
    "high": 1.5,
    "xhigh": 2.0,
    "max": 2.5,
}

# Ability on the known-answer set (knowledge.py's Rasch model) [INVENTED: no real benchmark]. Set by hand for the
# five demo models (cli.DEMO_MODELS) so their expected accuracies on the shipped set spread: about 0.90, 0.80,
# 0.75, 0.65 and 0.55 (the best and worst far apart, the middle two close); every other model's comes from its
# output price (price_skill), so pricier models are generally the more skilled. OpenRouter slugs inherit their
# upstream's.
SKILLS: dict[tuple[str, str], float] = {
    ("openai", "gpt-5.4"): 3.05,
    ("anthropic", "claude-sonnet-4-6"): 2.10,
    ("gemini", "gemini-3-flash-preview"): 1.74,
    ("deepseek", "deepseek-flash"): 1.11,
    ("xai", "grok-3-mini"): 0.53,
}


def price_skill(output_price_per_m: float) -> float:
    """The skill of a model not in SKILLS, from its output price (USD per 1M tokens): 1.1 + 1.2 * log10(price),
    within [-0.5, 3.5] (a fit through the hand-set skills) [INVENTED]: only the ordering (pricier, more skilled) is
    meant."""
    return round(max(-0.5, min(3.5, 1.1 + 1.2 * math.log10(max(output_price_per_m, 0.01)))), 2)


@dataclass(frozen=True, slots=True)
class SimModel:
    dialect: str
    id: str
    ttft_s: float
    tokens_per_s: float
    price: tuple[float, float, float]  # USD per 1M tokens: input, cached input, output
    rules: ModelRules
    aliases: tuple[str, ...] = ()  # every other name it is served under (the rules' aliases)
    jitter: float = 0.15
    answer_tokens: int = 80  # default answer length (tokens = streamed pieces)
    reasoning_visible: bool = False  # the dialect can return readable reasoning text for it
    reasoning_tokens: int = 0  # reasoning length at effort "medium"
    response_model: str | None = None  # what the response's "model" field says (None: as requested)
    upstream: tuple[str, str] | None = None  # openrouter: (dialect, id) of the model it routes to
    provider_name: str | None = None  # openrouter: upstream display name ("OpenAI", ...)
    context_window: int = 200_000
    created: int = 1_767_225_600  # 2026-01-01
    inputs: frozenset[str] = frozenset()  # media kinds the model reads: image, audio, pdf
    needs_audio: bool = False  # gpt-audio: 400 unless the request carries an audio part
    seed: str = "supported"  # supported (changes the sampling) | ignored | rejected
    logprobs: str = "supported"  # supported (returned when asked) | ignored | rejected
    skill: float = 0.0  # Rasch ability on the known-answer set (knowledge.py): SKILLS, else price_skill(price)

    def __post_init__(self) -> None:
        if not self.inputs <= set(INPUT_KINDS):
            raise ValueError(f"{self.id}: unknown input kinds {sorted(self.inputs - set(INPUT_KINDS))}")
        if self.seed not in PARAM_STATUSES or self.logprobs not in PARAM_STATUSES:
            raise ValueError(f"{self.id}: seed/logprobs must be one of {PARAM_STATUSES}")
        if not self.rules.served:
            raise ValueError(f"{self.id}: the rules table says {self.rules.status}; retired ids are not served")

    @property
    def reasons(self) -> bool:
        """It can produce reasoning tokens."""
        return self.rules.reasons

    @property
    def reasoning_default(self) -> str | None:
        """The effort it reasons at when the request says nothing (None: it does not reason by default)."""
        r = self.rules
        return (r.effort_default or "medium") if r.thinking_default else None

    @property
    def prices_per_token(self) -> tuple[float, float, float]:
        return (self.price[0] / 1e6, self.price[1] / 1e6, self.price[2] / 1e6)


def _day(iso: str) -> int:
    return int(_dt.datetime.fromisoformat(iso).replace(tzinfo=_dt.UTC).timestamp())


def _m(dialect: str, id: str, **kw: Any) -> SimModel:
    """A catalogue entry with its rules, names and its dialect's seed/logprobs defaults unless given."""
    rules = RULES[(dialect, id)]
    skill = SKILLS.get((dialect, id), price_skill(kw["price"][2]))
    return SimModel(dialect=dialect, id=id, rules=rules, aliases=rules.aliases,
                    **{**_DIALECT_PARAMS[dialect], "skill": skill, **kw})


_CLAUDE = frozenset({IMAGE})  # audio and file parts are stripped silently by the compat layer
_GEMINI = frozenset({IMAGE, AUDIO, PDF})
_IMAGES = frozenset({IMAGE})
_M1 = 1_000_000
_1M = 1_050_000  # OpenAI's 1.05M-token models

_BASE: list[SimModel] = [
    # --- OpenAI: reasoning is hidden (only counted). Models that always reason refuse logprobs outright;
    # the others refuse it (and the other sampling parameters) only while reasoning (rules table).
    _m("openai", "gpt-5.4", ttft_s=0.55, tokens_per_s=75, price=(2.50, 0.25, 15.00), answer_tokens=110,
       reasoning_tokens=120, response_model="gpt-5.4-2026-03-05", context_window=_1M, created=1_772_668_800,
       inputs=VISION),
    _m("openai", "gpt-5-mini", ttft_s=0.45, tokens_per_s=95, price=(0.25, 0.025, 2.00), answer_tokens=90,
       reasoning_tokens=140, response_model="gpt-5-mini-2025-08-07", context_window=400_000, created=1_754_524_800,
       inputs=VISION, logprobs="rejected"),  # "Unsupported parameter: 'logprobs' is not supported with this model."
    _m("openai", "gpt-5-nano", ttft_s=0.35, tokens_per_s=130, price=(0.05, 0.005, 0.40), answer_tokens=80,
       reasoning_tokens=120, response_model="gpt-5-nano-2025-08-07", context_window=400_000, created=1_754_524_800,
       inputs=VISION, logprobs="rejected"),
    _m("openai", "o3", ttft_s=0.9, tokens_per_s=60, price=(2.00, 0.50, 8.00), answer_tokens=100,
       reasoning_tokens=200, response_model="o3-2025-04-16", context_window=200_000, created=1_744_761_600,
       inputs=VISION, logprobs="rejected"),
    _m("openai", "gpt-4.1", ttft_s=0.45, tokens_per_s=90, price=(2.00, 0.50, 8.00), answer_tokens=80,
       response_model="gpt-4.1-2025-04-14", context_window=1_047_576, created=1_744_588_800, inputs=VISION),
    _m("openai", "gpt-4o", ttft_s=0.45, tokens_per_s=90, price=(2.50, 1.25, 10.00), answer_tokens=80,
       response_model="gpt-4o-2024-08-06", context_window=128_000, created=1_722_902_400, inputs=VISION),
    _m("openai", "gpt-4o-mini", ttft_s=0.35, tokens_per_s=120, price=(0.15, 0.075, 0.60), answer_tokens=70,
       response_model="gpt-4o-mini-2024-07-18", context_window=128_000, created=1_721_260_800, inputs=VISION),
    _m("openai", "gpt-4.1-mini", ttft_s=0.35, tokens_per_s=110, price=(0.40, 0.10, 1.60), answer_tokens=70,
       response_model="gpt-4.1-mini-2025-04-14", context_window=1_047_576, created=1_744_588_800, inputs=VISION),
    # gpt-audio: text and audio in, no images or PDFs; 400 when no audio is in the request either way.
    # Not in prices.csv: genai-prices 0.2.3 gives 2.50 in / 10.00 out, no cached rate (billed as input).
    _m("openai", "gpt-audio", ttft_s=0.5, tokens_per_s=80, price=(2.50, 2.50, 10.00), answer_tokens=80,
       response_model="gpt-audio-2025-08-28", context_window=128_000, created=1_756_339_200,
       inputs=frozenset({AUDIO}), needs_audio=True),
    # gpt-6.2-*: not in prices.csv; prices from facts 0.4 (OpenAI's release, 2026-11-17)
    _m("openai", "gpt-6.2-astra", ttft_s=1.3, tokens_per_s=45, price=(8.00, 0.40, 40.00), answer_tokens=130,
       reasoning_tokens=220, context_window=_1M, created=_day("2026-11-17"), inputs=VISION, logprobs="rejected"),
    _m("openai", "gpt-6.2-sol", ttft_s=0.8, tokens_per_s=70, price=(2.00, 0.10, 10.00), answer_tokens=120,
       reasoning_tokens=160, context_window=_1M, created=_day("2026-11-17"), inputs=VISION, logprobs="rejected"),
    _m("openai", "gpt-6.1-sol", ttft_s=0.8, tokens_per_s=70, price=(2.00, 0.10, 10.00), answer_tokens=120,
       reasoning_tokens=160, context_window=_1M, created=_day("2026-09-29"), inputs=VISION, logprobs="rejected"),
    _m("openai", "gpt-6.1-terra", ttft_s=0.6, tokens_per_s=90, price=(1.00, 0.05, 5.00), answer_tokens=110,
       reasoning_tokens=130, context_window=_1M, created=_day("2026-10-26"), inputs=VISION),
    _m("openai", "gpt-6-sol", ttft_s=0.8, tokens_per_s=70, price=(2.00, 0.20, 10.00), answer_tokens=120,
       reasoning_tokens=150, context_window=_1M, created=_day("2026-09-22"), inputs=VISION),
    _m("openai", "gpt-6-luna", ttft_s=0.4, tokens_per_s=130, price=(0.10, 0.01, 0.50), answer_tokens=90,
       reasoning_tokens=100, context_window=_1M, created=_day("2026-09-22"), inputs=VISION),
    _m("openai", "gpt-6-astra", ttft_s=1.4, tokens_per_s=40, price=(10.00, 1.00, 50.00), answer_tokens=130,
       reasoning_tokens=240, context_window=_1M, created=_day("2026-09-03"), inputs=VISION, logprobs="rejected"),
    _m("openai", "gpt-5.6-sol", ttft_s=0.9, tokens_per_s=65, price=(4.00, 0.40, 20.00), answer_tokens=120,
       reasoning_tokens=160, context_window=_1M, created=_day("2026-06-30"), inputs=VISION),
    _m("openai", "gpt-5.6-terra", ttft_s=0.7, tokens_per_s=80, price=(2.00, 0.20, 12.00), answer_tokens=110,
       reasoning_tokens=130, context_window=_1M, created=_day("2026-06-30"), inputs=VISION),
    _m("openai", "gpt-5.6-luna", ttft_s=0.45, tokens_per_s=120, price=(0.20, 0.02, 1.20), answer_tokens=90,
       reasoning_tokens=100, context_window=_1M, created=_day("2026-06-30"), inputs=VISION),
    _m("openai", "gpt-5.5", ttft_s=0.7, tokens_per_s=70, price=(5.00, 0.50, 30.00), answer_tokens=120,
       reasoning_tokens=140, context_window=_1M, created=_day("2026-04-23"), inputs=VISION),
    _m("openai", "gpt-5.4-mini", ttft_s=0.4, tokens_per_s=110, price=(0.75, 0.075, 4.50), answer_tokens=90,
       reasoning_tokens=100, context_window=400_000, created=1_772_668_800, inputs=VISION),
    _m("openai", "gpt-5.4-nano", ttft_s=0.3, tokens_per_s=150, price=(0.20, 0.02, 1.25), answer_tokens=80,
       reasoning_tokens=80, context_window=400_000, created=1_772_668_800, inputs=VISION),
    _m("openai", "gpt-5", ttft_s=0.7, tokens_per_s=60, price=(1.25, 0.125, 10.00), answer_tokens=110,
       reasoning_tokens=160, response_model="gpt-5-2025-08-07", context_window=400_000, created=1_754_524_800,
       inputs=VISION, logprobs="rejected"),
    # --- Anthropic (OpenAI-compat layer): thinking through the `thinking` extra (on by default on Claude 5),
    # never returned as text.
    _m("anthropic", "claude-opus-4-7", ttft_s=1.1, tokens_per_s=45, price=(5.00, 0.50, 25.00), answer_tokens=130,
       reasoning_tokens=120, created=1_776_297_600, inputs=_CLAUDE),
    _m("anthropic", "claude-sonnet-4-6", ttft_s=0.85, tokens_per_s=60, price=(3.00, 0.30, 15.00), answer_tokens=110,
       reasoning_tokens=100, created=1_771_286_400, inputs=_CLAUDE),
    _m("anthropic", "claude-haiku-4-5", ttft_s=0.45, tokens_per_s=110, price=(1.00, 0.10, 5.00), answer_tokens=80,
       reasoning_tokens=70, created=1_760_054_400, inputs=_CLAUDE),
    _m("anthropic", "claude-fable-5-2", ttft_s=1.4, tokens_per_s=40, price=(8.00, 0.20, 40.00), answer_tokens=140,
       reasoning_tokens=160, context_window=_M1, created=_day("2026-11-09"), inputs=_CLAUDE),
    _m("anthropic", "claude-mythos-5-2", ttft_s=1.5, tokens_per_s=38, price=(8.00, 0.20, 40.00), answer_tokens=140,
       reasoning_tokens=170, context_window=_M1, created=_day("2026-11-09"), inputs=_CLAUDE),
    _m("anthropic", "claude-opus-5-5", ttft_s=1.2, tokens_per_s=45, price=(4.00, 0.20, 20.00), answer_tokens=130,
       reasoning_tokens=140, context_window=_M1, created=_day("2026-09-21"), inputs=_CLAUDE),
    _m("anthropic", "claude-sonnet-5-5", ttft_s=0.9, tokens_per_s=60, price=(2.00, 0.10, 10.00), answer_tokens=110,
       reasoning_tokens=110, context_window=_M1, created=_day("2026-09-28"), inputs=_CLAUDE),
    _m("anthropic", "claude-haiku-5-5", ttft_s=0.45, tokens_per_s=120, price=(0.10, 0.01, 0.50), answer_tokens=80,
       reasoning_tokens=70, context_window=_M1, created=_day("2026-10-07"), inputs=_CLAUDE),
    _m("anthropic", "claude-opus-5", ttft_s=1.2, tokens_per_s=45, price=(5.00, 0.50, 25.00), answer_tokens=130,
       reasoning_tokens=130, context_window=_M1, created=_day("2026-07-24"), inputs=_CLAUDE),
    _m("anthropic", "claude-sonnet-5", ttft_s=0.9, tokens_per_s=60, price=(2.00, 0.20, 10.00), answer_tokens=110,
       reasoning_tokens=110, context_window=_M1, created=_day("2026-06-30"), inputs=_CLAUDE),
    _m("anthropic", "claude-opus-4-8", ttft_s=1.1, tokens_per_s=45, price=(5.00, 0.50, 25.00), answer_tokens=130,
       reasoning_tokens=120, context_window=_M1, created=_day("2026-05-28"), inputs=_CLAUDE),
    _m("anthropic", "claude-opus-4-6", ttft_s=1.1, tokens_per_s=45, price=(5.00, 0.50, 25.00), answer_tokens=130,
       reasoning_tokens=120, context_window=_M1, created=_day("2026-02-05"), inputs=_CLAUDE),
    _m("anthropic", "claude-sonnet-4-5", ttft_s=0.85, tokens_per_s=60, price=(3.00, 0.30, 15.00), answer_tokens=110,
       reasoning_tokens=100, created=_day("2025-09-29"), inputs=_CLAUDE),
    # --- Gemini: thinks by default (2.5 Flash-Lite aside); text only with include_thoughts.
    _m("gemini", "gemini-3.1-pro-preview", ttft_s=1.4, tokens_per_s=85, price=(2.00, 0.20, 12.00), answer_tokens=120,
       reasoning_visible=True, reasoning_tokens=90, context_window=1_048_576, created=1_771_372_800, inputs=_GEMINI),
    _m("gemini", "gemini-3-flash-preview", ttft_s=0.6, tokens_per_s=170, price=(0.50, 0.05, 3.00), answer_tokens=90,
       reasoning_visible=True, reasoning_tokens=60, context_window=1_048_576, created=1_765_843_200, inputs=_GEMINI),
    _m("gemini", "gemini-4-argon", ttft_s=1.2, tokens_per_s=110, price=(2.00, 0.10, 10.00), answer_tokens=120,
       reasoning_visible=True, reasoning_tokens=100, context_window=1_048_576, created=_day("2026-10-28"),
       inputs=_GEMINI),
    _m("gemini", "gemini-4-carbon", ttft_s=1.0, tokens_per_s=130, price=(2.00, 2.00, 10.00), answer_tokens=110,
       reasoning_visible=True, reasoning_tokens=80, context_window=1_048_576, created=_day("2026-11-10"),
       inputs=_GEMINI),  # prices.csv has no cached rate for it: cached input bills as input
    _m("gemini", "gemini-4-hydrogen", ttft_s=0.6, tokens_per_s=190, price=(1.50, 0.075, 7.50), answer_tokens=100,
       reasoning_visible=True, reasoning_tokens=70, context_window=1_048_576, created=_day("2026-11-12"),
       inputs=_GEMINI),
    _m("gemini", "gemini-3.8-flash", ttft_s=0.55, tokens_per_s=180, price=(0.75, 0.075, 3.75), answer_tokens=90,
       reasoning_visible=True, reasoning_tokens=60, context_window=1_048_576, created=_day("2026-09-02"),
       inputs=_GEMINI),
    # gemini-3.7-flash: not in prices.csv; genai-prices 0.2.3 gives 0.75 / 0.075 / 3.75
    _m("gemini", "gemini-3.7-flash", ttft_s=0.55, tokens_per_s=175, price=(0.75, 0.075, 3.75), answer_tokens=90,
       reasoning_visible=True, reasoning_tokens=60, context_window=1_048_576, created=_day("2026-08-13"),
       inputs=_GEMINI),
    _m("gemini", "gemini-3.6-flash", ttft_s=0.55, tokens_per_s=175, price=(0.75, 0.075, 3.75), answer_tokens=90,
       reasoning_visible=True, reasoning_tokens=60, context_window=1_048_576, created=_day("2026-07-21"),
       inputs=_GEMINI),
    _m("gemini", "gemini-3.5-flash-lite", ttft_s=0.35, tokens_per_s=220, price=(0.30, 0.03, 2.50), answer_tokens=80,
       reasoning_visible=True, reasoning_tokens=40, context_window=1_048_576, created=_day("2026-07-21"),
       inputs=_GEMINI),
    _m("gemini", "gemini-3.5-flash", ttft_s=0.6, tokens_per_s=170, price=(1.50, 0.15, 9.00), answer_tokens=90,
       reasoning_visible=True, reasoning_tokens=60, context_window=1_048_576, created=_day("2026-05-19"),
       inputs=_GEMINI),
    _m("gemini", "gemini-3.1-flash-lite", ttft_s=0.35, tokens_per_s=220, price=(0.25, 0.025, 1.50), answer_tokens=80,
       reasoning_visible=True, reasoning_tokens=40, context_window=1_048_576, created=_day("2026-05-07"),
       inputs=_GEMINI),
    _m("gemini", "gemini-2.5-pro", ttft_s=1.5, tokens_per_s=80, price=(1.25, 0.125, 10.00), answer_tokens=120,
       reasoning_visible=True, reasoning_tokens=100, context_window=1_048_576, created=_day("2025-06-17"),
       inputs=_GEMINI),
    _m("gemini", "gemini-2.5-flash", ttft_s=0.6, tokens_per_s=160, price=(0.30, 0.03, 2.50), answer_tokens=90,
       reasoning_visible=True, reasoning_tokens=70, context_window=1_048_576, created=_day("2025-06-17"),
       inputs=_GEMINI),
    _m("gemini", "gemini-2.5-flash-lite", ttft_s=0.35, tokens_per_s=230, price=(0.10, 0.01, 0.40), answer_tokens=80,
       reasoning_visible=True, reasoning_tokens=40, context_window=1_048_576, created=_day("2025-07-22"),
       inputs=_GEMINI),
    # --- xAI: only grok-3-mini returns reasoning_content (quirks 4.2); grok-4.x read jpg/png images,
    # grok-3-mini is text only; no audio or file parts on Chat Completions.
    _m("xai", "grok-4.3", ttft_s=0.45, tokens_per_s=140, price=(1.25, 0.20, 2.50), answer_tokens=100,
       reasoning_tokens=90, context_window=_M1, created=1_775_001_600, inputs=_IMAGES),
    _m("xai", "grok-3-mini", ttft_s=0.4, tokens_per_s=100, price=(0.30, 0.075, 0.50), answer_tokens=60,
       reasoning_visible=True, reasoning_tokens=160, context_window=131_072, created=1_743_724_800),
    _m("xai", "grok-4.7", ttft_s=0.6, tokens_per_s=120, price=(2.00, 0.50, 6.00), answer_tokens=110,
       reasoning_tokens=120, context_window=500_000, created=_day("2026-09-16"), inputs=_IMAGES),
    _m("xai", "grok-4.6", ttft_s=0.6, tokens_per_s=120, price=(2.00, 0.50, 6.00), answer_tokens=110,
       reasoning_tokens=110, context_window=500_000, created=_day("2026-08-12"), inputs=_IMAGES),
    _m("xai", "grok-4.5", ttft_s=0.6, tokens_per_s=115, price=(2.00, 0.30, 6.00), answer_tokens=110,
       reasoning_tokens=110, context_window=500_000, created=_day("2026-07-09"), inputs=_IMAGES),
    _m("xai", "grok-4.20-0309-reasoning", ttft_s=0.5, tokens_per_s=130, price=(1.25, 0.20, 2.50), answer_tokens=100,
       reasoning_tokens=90, response_model="grok-4.20-0309-reasoning", context_window=_M1, created=_day("2026-03-09"),
       inputs=_IMAGES),
    _m("xai", "grok-build-0.1", ttft_s=0.4, tokens_per_s=160, price=(1.00, 0.20, 2.00), answer_tokens=100,
       reasoning_tokens=90, context_window=256_000, created=_day("2026-05-15")),
    _m("xai", "grok-4.20-0309-non-reasoning", ttft_s=0.35, tokens_per_s=150, price=(1.25, 0.20, 2.50),
       answer_tokens=90, response_model="grok-4.20-0309-non-reasoning", context_window=_M1,
       created=_day("2026-03-09"), inputs=_IMAGES),
    # --- DeepSeek V4 (2026): thinking on by default, readable reasoning_content; only deepseek-flash (V4.1
    # Flash, also served as the legacy name deepseek-v4-flash) reads images. Off-peak prices (prices.csv).
    _m("deepseek", "deepseek-flash", ttft_s=0.6, tokens_per_s=70, price=(0.15, 0.003, 0.60), answer_tokens=90,
       reasoning_visible=True, reasoning_tokens=90, response_model="deepseek-flash", context_window=_M1,
       created=1_776_988_800, inputs=_IMAGES),
    _m("deepseek", "deepseek-v4-pro", ttft_s=1.0, tokens_per_s=45, price=(0.66, 0.022, 1.98), answer_tokens=110,
       reasoning_visible=True, reasoning_tokens=130, context_window=_M1, created=1_776_988_800),
]

# OpenRouter: slug -> display name of the upstream provider and OpenRouter's own price where prices.csv
# lists one that differs from the upstream's (None: the upstream's price, equal to OpenRouter's list price).
_OR_NAMES = {"openai": "OpenAI", "anthropic": "Anthropic", "gemini": "Google", "xai": "xAI", "deepseek": "DeepSeek"}
_OR_PRICES: dict[str, tuple[float, float, float]] = {
    "deepseek/deepseek-v4-flash": (0.105, 0.021, 0.21),  # prices.csv OpenRouter row (third-party hosts)
    "deepseek/deepseek-v4-pro": (1.416, 0.118, 2.832),  # prices.csv OpenRouter row
}

CATALOGUE: dict[tuple[str, str], SimModel] = {(m.dialect, m.id): m for m in _BASE}


def _forwarded(status: str) -> str:
    """OpenRouter forwards a parameter its upstream honours and drops the rest ('the parameter is ignored')."""
    return "supported" if status == "supported" else "ignored"


def _openrouter(slug: str, rules: ModelRules) -> SimModel:
    """An OpenRouter slug served from its upstream's catalogue entry (latency + gateway overhead, inputs + PDF)."""
    u = CATALOGUE[rules.upstream] if rules.upstream else None
    assert u is not None
    # OpenRouter returns readable reasoning for Anthropic, Google, grok-3-mini and DeepSeek upstreams;
    # OpenAI and grok-4 upstreams only give an encrypted blob (quirks 6.3, realcorpus s03).
    visible = u.dialect in ("anthropic", "gemini", "deepseek") or u.id == "grok-3-mini"
    return replace(
        u, dialect="openrouter", id=slug, rules=rules, aliases=rules.aliases,
        ttft_s=round(u.ttft_s + 0.12, 3),  # gateway overhead [INFERRED]
        price=_OR_PRICES.get(slug, u.price), reasoning_visible=visible, response_model=None,
        upstream=(u.dialect, u.id), provider_name=_OR_NAMES[u.dialect],
        inputs=u.inputs | {PDF},  # "This feature works on any model": parsed when the upstream cannot read it
        seed=_forwarded(u.seed), logprobs=_forwarded(u.logprobs),
    )


def _hosted(slug: str, template: tuple[str, str], price: tuple[float, float, float], **kw: Any) -> SimModel:
    """A DeepSeek open-weight model OpenRouter serves from third-party hosts (not DeepSeek's API)."""
    rules = RULES[("openrouter", slug)]
    return SimModel(dialect="openrouter", id=slug, rules=rules, aliases=rules.aliases, skill=price_skill(price[2]),
                    price=price, upstream=template, provider_name="DeepSeek", reasoning_visible=True,
                    inputs=frozenset({PDF}), seed="ignored", logprobs="supported", **kw)


for (_d, _slug), _rules in RULES.items():
    if _d == "openrouter" and _rules.served and _rules.upstream is not None:
        CATALOGUE[("openrouter", _slug)] = _openrouter(_slug, _rules)
for _hm in (
        # no OpenRouter row in prices.csv: the client falls back to DeepSeek's deepseek-chat row (0.14/0.0028/0.28)
        _hosted("deepseek/deepseek-chat", ("deepseek", "deepseek-chat"), (0.14, 0.0028, 0.28), ttft_s=0.82,
                tokens_per_s=55, answer_tokens=80, reasoning_tokens=80, context_window=128_000,
                created=1_764_633_600),
        _hosted("deepseek/deepseek-v3.2", ("deepseek", "deepseek-chat"), (0.26, 0.13, 0.38), ttft_s=0.82,
                tokens_per_s=55, answer_tokens=80, reasoning_tokens=80, context_window=163_840,
                created=1_764_633_600),
        # not in prices.csv: genai-prices 0.2.3 lists 0.70 in / 2.50 out from 2026-10-19, no cached rate
        _hosted("deepseek/deepseek-r1", ("deepseek", "deepseek-reasoner"), (0.70, 0.70, 2.50), ttft_s=1.02,
                tokens_per_s=50, answer_tokens=90, reasoning_tokens=100, context_window=64_000,
                created=1_764_633_600)):
    CATALOGUE[("openrouter", _hm.id)] = _hm

_LOOKUP: dict[tuple[str, str], SimModel] = {}
for _m_ in CATALOGUE.values():
    _LOOKUP[(_m_.dialect, _m_.id)] = _m_
    for _a in _m_.aliases:
        _LOOKUP[(_m_.dialect, _a)] = _m_

DIALECTS = ("openai", "anthropic", "gemini", "xai", "deepseek", "openrouter")
_missing = [k for k, r in RULES.items() if r.served and k not in CATALOGUE]
if _missing:
    raise ValueError(f"rules entries without a simulated model: {_missing}")


def resolve(dialect: str, model: str) -> SimModel | None:
    """The simulated model a dialect serves under ``model`` (an id or alias), or None."""
    return _LOOKUP.get((dialect, model))


def retired(dialect: str, model: str) -> ModelRules | None:
    """The rules entry of a retired id the dialect answers with the provider's error, or None."""
    return _retired(dialect, model)


def rules_of(dialect: str, model: str) -> ModelRules | None:
    """The rules entry for any name the dialect knows (served or retired)."""
    return rules_for(dialect, model)


def models_for(dialect: str) -> list[SimModel]:
    return [m for (d, _), m in CATALOGUE.items() if d == dialect]
