"""The simulated models: names, latency profiles, reasoning behaviour, accepted inputs and prices.

``CATALOGUE`` maps ``(dialect, model_id)`` to a :class:`SimModel`. Aliases (dotted Claude names,
``-preview`` Gemini names, ``grok-4-1-fast-reasoning``) resolve through :func:`resolve`.
Prices are USD per 1M tokens ``(input, cached_input, output)``; the simulated xAI
``cost_in_usd_ticks`` and OpenRouter ``usage.cost`` are computed from them (OpenRouter charges the
upstream price).

What each model takes follows the client's capability tables (``multimodel/providers/*.py``):
``inputs`` is the set of media kinds it reads (what happens to the others is the dialect's business:
Anthropic strips them silently, the rest answer an error in their own shape), ``seed`` and
``logprobs`` say whether those parameters are ``supported`` (they have an effect), ``ignored`` or
``rejected`` (HTTP 400). OpenRouter slugs inherit their upstream's entries, except that OpenRouter
reads PDFs for every model and drops parameters its upstream does not honour.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

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


@dataclass(frozen=True, slots=True)
class SimModel:
    dialect: str
    id: str
    ttft_s: float
    tokens_per_s: float
    price: tuple[float, float, float]  # USD per 1M tokens: input, cached input, output
    aliases: tuple[str, ...] = ()
    jitter: float = 0.15
    answer_tokens: int = 80  # default answer length (tokens = streamed pieces)
    reasons: bool = False  # can produce reasoning tokens
    reasoning_visible: bool = False  # the dialect can return readable reasoning text for it
    reasoning_default: str | None = None  # effort used when the request names none (None: no reasoning)
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

    def __post_init__(self) -> None:
        if not self.inputs <= set(INPUT_KINDS):
            raise ValueError(f"{self.id}: unknown input kinds {sorted(self.inputs - set(INPUT_KINDS))}")
        if self.seed not in PARAM_STATUSES or self.logprobs not in PARAM_STATUSES:
            raise ValueError(f"{self.id}: seed/logprobs must be one of {PARAM_STATUSES}")

    @property
    def prices_per_token(self) -> tuple[float, float, float]:
        return (self.price[0] / 1e6, self.price[1] / 1e6, self.price[2] / 1e6)


def _m(dialect: str, id: str, **kw: Any) -> SimModel:
    """A catalogue entry with its dialect's seed/logprobs defaults unless given."""
    return SimModel(dialect=dialect, id=id, **{**_DIALECT_PARAMS[dialect], **kw})


_CLAUDE = frozenset({IMAGE})  # audio and file parts are stripped silently by the compat layer
_GEMINI = frozenset({IMAGE, AUDIO, PDF})
_IMAGES = frozenset({IMAGE})

_BASE: list[SimModel] = [
    # --- OpenAI: reasoning is hidden (only counted); gpt-5.4 defaults to effort "none" like gpt-5.1+
    # (quirks 1.2: "gpt-5.1 defaults to none"; assumed to carry over to 5.4 [INFERRED]).
    _m("openai", "gpt-5.4", ttft_s=0.55, tokens_per_s=75, price=(2.50, 0.25, 15.00), answer_tokens=110,
       reasons=True, reasoning_default="none", reasoning_tokens=120, response_model="gpt-5.4-2026-03-05",
       context_window=1_050_000, created=1_772_668_800, inputs=VISION),
    _m("openai", "gpt-5-mini", ttft_s=0.45, tokens_per_s=95, price=(0.25, 0.025, 2.00), answer_tokens=90,
       reasons=True, reasoning_default="medium", reasoning_tokens=140, response_model="gpt-5-mini-2025-08-07",
       context_window=400_000, created=1_754_524_800, inputs=VISION,
       logprobs="rejected"),  # "Unsupported parameter: 'logprobs' is not supported with this model."
    _m("openai", "gpt-4.1-mini", ttft_s=0.35, tokens_per_s=110, price=(0.40, 0.10, 1.60), answer_tokens=70,
       response_model="gpt-4.1-mini-2025-04-14", context_window=1_047_576, created=1_744_588_800, inputs=VISION),
    # gpt-audio: text and audio in, no images or PDFs; 400 when no audio is in the request either way
    _m("openai", "gpt-audio", ttft_s=0.5, tokens_per_s=80, price=(2.50, 2.50, 10.00), answer_tokens=80,
       response_model="gpt-audio-2025-08-28", context_window=128_000, created=1_756_339_200,
       inputs=frozenset({AUDIO}), needs_audio=True),
    # --- Anthropic (OpenAI-compat layer): reasoning only with the `thinking` extra, never returned as text.
    _m("anthropic", "claude-opus-4-7", aliases=("claude-opus-4.7",), ttft_s=1.1, tokens_per_s=45,
       price=(5.00, 0.50, 25.00), answer_tokens=130, reasons=True, reasoning_tokens=120, created=1_776_297_600,
       inputs=_CLAUDE),
    _m("anthropic", "claude-sonnet-4-6", aliases=("claude-sonnet-4.6",), ttft_s=0.85, tokens_per_s=60,
       price=(3.00, 0.30, 15.00), answer_tokens=110, reasons=True, reasoning_tokens=100,
       created=1_771_286_400, inputs=_CLAUDE),
    _m("anthropic", "claude-haiku-4-5", aliases=("claude-haiku-4.5", "claude-haiku-4-5-20251001"),
       ttft_s=0.45, tokens_per_s=110, price=(1.00, 0.10, 5.00), answer_tokens=80, reasons=True,
       reasoning_tokens=70, created=1_760_054_400, inputs=_CLAUDE),
    # --- Gemini 3: always thinks (cannot be disabled); text only with include_thoughts.
    _m("gemini", "gemini-3.1-pro", aliases=("gemini-3.1-pro-preview",), ttft_s=1.4, tokens_per_s=85,
       price=(2.00, 0.20, 12.00), answer_tokens=120, reasons=True, reasoning_visible=True,
       reasoning_default="high", reasoning_tokens=90, context_window=1_048_576, created=1_771_372_800,
       inputs=_GEMINI),
    _m("gemini", "gemini-3-flash", aliases=("gemini-3-flash-preview",), ttft_s=0.6, tokens_per_s=170,
       price=(0.50, 0.05, 3.00), answer_tokens=90, reasons=True, reasoning_visible=True,
       reasoning_default="medium", reasoning_tokens=60, context_window=1_048_576, created=1_765_843_200,
       inputs=_GEMINI),
    # --- xAI: only grok-3-mini returns reasoning_content (quirks 4.2); grok-4.x read jpg/png images,
    # grok-3-mini is text only; no audio or file parts on Chat Completions.
    _m("xai", "grok-4.1", aliases=("grok-4-1-fast-reasoning", "grok-4-1-fast"), ttft_s=0.5,
       tokens_per_s=130, price=(0.20, 0.05, 0.50), answer_tokens=100, reasons=True,
       reasoning_default="medium", reasoning_tokens=80, context_window=2_000_000, created=1_763_596_800,
       inputs=_IMAGES),
    _m("xai", "grok-4.3", ttft_s=0.45, tokens_per_s=140, price=(1.25, 0.20, 2.50), answer_tokens=100, reasons=True,
       reasoning_default="medium", reasoning_tokens=90, context_window=2_000_000, created=1_775_001_600,
       inputs=_IMAGES),
    _m("xai", "grok-3-mini", ttft_s=0.4, tokens_per_s=100, price=(0.30, 0.075, 0.50), answer_tokens=60,
       reasons=True, reasoning_visible=True, reasoning_default="low", reasoning_tokens=160,
       context_window=131_072, created=1_743_724_800),
    # --- DeepSeek: reasoning_content on deepseek-reasoner (and deepseek-chat with thinking enabled);
    # only the Flash vision model (deepseek-flash, legacy name deepseek-v4-flash) reads images.
    _m("deepseek", "deepseek-reasoner", ttft_s=0.9, tokens_per_s=50, price=(0.28, 0.028, 0.42),
       answer_tokens=90, reasons=True, reasoning_visible=True, reasoning_default="high", reasoning_tokens=100,
       context_window=128_000, created=1_764_633_600,
       logprobs="rejected"),  # "Setting logprobs、top_logprobs will trigger an error"
    # V4 (2026): thinking on by default (quirks 5.2, newest docs); prices from data/prices.csv (off-peak).
    _m("deepseek", "deepseek-v4-flash", aliases=("deepseek-flash",), ttft_s=0.6, tokens_per_s=70,
       price=(0.15, 0.003, 0.60), answer_tokens=90, reasons=True, reasoning_visible=True, reasoning_default="high",
       reasoning_tokens=90, context_window=1_000_000, created=1_776_988_800, inputs=_IMAGES),
    _m("deepseek", "deepseek-v4-pro", ttft_s=1.0, tokens_per_s=45, price=(0.66, 0.022, 1.98), answer_tokens=110,
       reasons=True, reasoning_visible=True, reasoning_default="high", reasoning_tokens=130,
       context_window=1_000_000, created=1_776_988_800),
    _m("deepseek", "deepseek-chat", ttft_s=0.7, tokens_per_s=55, price=(0.28, 0.028, 0.42),
       answer_tokens=80, reasons=True, reasoning_visible=True, reasoning_tokens=80,
       context_window=128_000, created=1_764_633_600),
]

# OpenRouter slugs -> upstream model, display name, extra aliases.
_OPENROUTER = [
    ("openai/gpt-5.4", ("openai", "gpt-5.4"), "OpenAI", ()),
    ("openai/gpt-5-mini", ("openai", "gpt-5-mini"), "OpenAI", ()),
    ("openai/gpt-4.1-mini", ("openai", "gpt-4.1-mini"), "OpenAI", ()),
    ("openai/gpt-audio", ("openai", "gpt-audio"), "OpenAI", ()),
    ("anthropic/claude-opus-4.7", ("anthropic", "claude-opus-4-7"), "Anthropic", ("anthropic/claude-opus-4-7",)),
    ("anthropic/claude-sonnet-4.6", ("anthropic", "claude-sonnet-4-6"), "Anthropic",
     ("anthropic/claude-sonnet-4-6",)),
    ("anthropic/claude-haiku-4.5", ("anthropic", "claude-haiku-4-5"), "Anthropic", ("anthropic/claude-haiku-4-5",)),
    ("google/gemini-3.1-pro", ("gemini", "gemini-3.1-pro"), "Google", ("google/gemini-3.1-pro-preview",)),
    ("google/gemini-3-flash", ("gemini", "gemini-3-flash"), "Google", ("google/gemini-3-flash-preview",)),
    ("x-ai/grok-4.1", ("xai", "grok-4.1"), "xAI", ("x-ai/grok-4.1-fast", "x-ai/grok-4-1-fast-reasoning")),
    ("x-ai/grok-3-mini", ("xai", "grok-3-mini"), "xAI", ()),
    ("deepseek/deepseek-chat", ("deepseek", "deepseek-chat"), "DeepSeek", ("deepseek/deepseek-v3.2",)),
    ("deepseek/deepseek-r1", ("deepseek", "deepseek-reasoner"), "DeepSeek", ("deepseek/deepseek-reasoner",)),
]

CATALOGUE: dict[tuple[str, str], SimModel] = {(m.dialect, m.id): m for m in _BASE}


def _forwarded(status: str) -> str:
    """OpenRouter forwards a parameter its upstream honours and drops the rest ('the parameter is ignored')."""
    return "supported" if status == "supported" else "ignored"


for _slug, _up, _name, _aliases in _OPENROUTER:
    _u = CATALOGUE[_up]
    # OpenRouter returns readable reasoning for Anthropic, Google, grok-3-mini and DeepSeek upstreams;
    # OpenAI and grok-4 upstreams only give an encrypted blob (quirks 6.3, realcorpus s03).
    _visible = _up[0] in ("anthropic", "gemini", "deepseek") or _up == ("xai", "grok-3-mini")
    CATALOGUE[("openrouter", _slug)] = replace(
        _u,
        dialect="openrouter",
        id=_slug,
        aliases=_aliases,
        ttft_s=round(_u.ttft_s + 0.12, 3),  # gateway overhead [INFERRED]
        reasoning_visible=_visible,
        response_model=None,
        upstream=_up,
        provider_name=_name,
        inputs=_u.inputs | {PDF},  # "This feature works on any model": parsed when the upstream cannot read it
        seed=_forwarded(_u.seed),
        logprobs=_forwarded(_u.logprobs),
    )

_LOOKUP: dict[tuple[str, str], SimModel] = {}
for _m_ in CATALOGUE.values():
    _LOOKUP[(_m_.dialect, _m_.id)] = _m_
    for _a in _m_.aliases:
        _LOOKUP[(_m_.dialect, _a)] = _m_

DIALECTS = ("openai", "anthropic", "gemini", "xai", "deepseek", "openrouter")


def resolve(dialect: str, model: str) -> SimModel | None:
    """The simulated model a dialect serves under ``model`` (an id or alias), or None."""
    m = _LOOKUP.get((dialect, model))
    if m is None and dialect == "gemini" and model.startswith("models/"):
        # the Gemini compat /models list uses "models/<id>" ids; accept them back [INFERRED]
        m = _LOOKUP.get((dialect, model[7:]))
    return m


def models_for(dialect: str) -> list[SimModel]:
    return [m for (d, _), m in CATALOGUE.items() if d == dialect]
