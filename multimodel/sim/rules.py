"""What each provider accepts, model by model: the rules the simulator enforces, as plain data.

``RULES`` maps ``(dialect, model id)`` to a :class:`ModelRules`: every model the simulator serves
(status ``current`` or ``deprecated``) and the retired ids it answers with the provider's error
(status ``retired``). The dialects read these entries; nothing here is behaviour. Facts come from
``/work/research/issue13-facts.md`` (compiled 2026-11-29; section numbers in ``sources``) and
``research/provider-quirks.md``; where that file says a point is not settled the simulator accepts
the request and says so in ``not_settled`` (it never invents a rejection, and never invents leniency
where a rejection is sourced).

Fields of :class:`ModelRules` (all plain values):

- ``dialect``, ``id``: the provider (simulator URL segment) and the model id as the provider spells it.
- ``status``: ``current`` | ``deprecated`` (still served; ``shutdown`` says until when) | ``retired``
  (answered with ``error_status`` and ``error_message`` in the dialect's own error envelope).
- ``aliases``: other ids the provider itself serves this model under (dated snapshots, short aliases).
- ``shutdown``, ``replacement``: the provider's announced shutdown date (YYYY-MM-DD) and successor.
- ``error_status``, ``error_message``: retired ids only: the HTTP status and the provider's message.
- ``reasons``: a reasoning model (it can spend reasoning tokens).
- ``effort_param``: the request field that sets the reasoning effort: ``reasoning_effort`` (OpenAI, xAI,
  Gemini, DeepSeek), ``output_config.effort`` (Anthropic), or None (the model takes none; sending
  ``reasoning_effort`` is a 400 where the dialect rejects unknown parameters).
- ``efforts``: effort values the provider documents for this model (``none`` among them when that
  switches reasoning off). ``unsettled_efforts``: values the simulator also accepts because nobody has
  shown whether the provider refuses them (see ``not_settled``). Anything else is the provider's 400.
- ``effort_default``: the effort the model uses when the request names none.
- ``thinking_default``: the model reasons when the request says nothing about reasoning.
- ``can_disable``: reasoning can be switched off (effort ``none``, ``thinking: disabled`` or budget 0).
- ``thinking_types``: Anthropic and DeepSeek ``thinking.type`` values accepted (others are a 400).
- ``adaptive_only``: Anthropic: ``thinking.type: "enabled"`` (a fixed budget) is a 400.
- ``disable_max_effort``: Anthropic: ``thinking.type: "disabled"`` is accepted only at efforts up to this one.
- ``thinking_levels``: Gemini ``thinking_config.thinking_level`` values accepted (empty: the field is a 400).
- ``budget_tokens``: accepted thinking budget ``(min, max)`` (max None: below ``max_tokens``).
- ``sampling_rejected_when_reasoning``: parameters answered with a 400 while the model reasons.
- ``sampling_rejected_always``: parameters answered with a 400 whatever the reasoning setting.
  A parameter counts as sent when present and, for ``temperature``/``top_p`` on OpenAI and Anthropic,
  different from its default 1 (``SAMPLING_DEFAULTS``); xAI refuses the parameter even at 0.
- ``sampling_rules``: named extra checks: ``temperature_xor_top_p`` (Anthropic: not both),
  ``top_p_min_0.95_with_thinking`` (Anthropic: top_p below 0.95 while thinking).
- ``tools_with_reasoning``: function tools accepted while the model reasons (False: a 400).
- ``max_tokens_param``: ``max_completion_tokens`` (``max_tokens`` is a 400) or ``max_tokens`` (either works).
- ``upstream``: OpenRouter: the ``(dialect, id)`` whose rules the slug inherits (as data; OpenRouter drops
  parameters its upstream does not take instead of refusing them, provider-quirks.md 6.8).
- ``not_settled``: what is unknown, in words. ``sources``: where each rule comes from.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

CURRENT, DEPRECATED, RETIRED = "current", "deprecated", "retired"
STATUSES = (CURRENT, DEPRECATED, RETIRED)
SERVED = (CURRENT, DEPRECATED)
#: effort order, lowest first (Anthropic's disable_max_effort compares along it)
EFFORT_ORDER = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
#: values of temperature / top_p that count as "not sent" (the model's default) per dialect
SAMPLING_DEFAULTS: dict[str, dict[str, Any]] = {
    "openai": {"temperature": 1, "top_p": 1},  # "Only the default (1) value is supported." (facts 7 #8)
    "anthropic": {"temperature": 1, "top_p": 1},  # "non-default temperature, top_p, top_k -> 400" (facts 2.4)
}
FACTS = "issue13-facts.md"  # /work/research/issue13-facts.md, compiled 2026-11-29


@dataclass(frozen=True, slots=True)
class ModelRules:
    """One model's rules (see the module docstring for each field)."""

    dialect: str
    id: str
    status: str = CURRENT
    aliases: tuple[str, ...] = ()
    shutdown: str | None = None
    replacement: str | None = None
    error_status: int | None = None
    error_message: str | None = None
    reasons: bool = False
    effort_param: str | None = None
    efforts: tuple[str, ...] = ()
    unsettled_efforts: tuple[str, ...] = ()
    effort_default: str | None = None
    thinking_default: bool = False
    can_disable: bool = False
    thinking_types: tuple[str, ...] = ()
    adaptive_only: bool = False
    disable_max_effort: str | None = None
    thinking_levels: tuple[str, ...] = ()
    budget_tokens: tuple[int, int | None] | None = None
    sampling_rejected_when_reasoning: tuple[str, ...] = ()
    sampling_rejected_always: tuple[str, ...] = ()
    sampling_rules: tuple[str, ...] = ()
    tools_with_reasoning: bool = True
    max_tokens_param: str = "max_tokens"
    upstream: tuple[str, str] | None = None
    not_settled: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"{self.id}: status must be one of {STATUSES}")
        if self.status == RETIRED and (self.error_status is None or not self.error_message):
            raise ValueError(f"{self.id}: a retired id needs error_status and error_message")
        if self.max_tokens_param not in ("max_tokens", "max_completion_tokens"):
            raise ValueError(f"{self.id}: max_tokens_param must be max_tokens or max_completion_tokens")
        bad = [e for e in (*self.efforts, *self.unsettled_efforts) if e not in EFFORT_ORDER]
        if bad:
            raise ValueError(f"{self.id}: unknown effort values {bad}")

    @property
    def served(self) -> bool:
        return self.status in SERVED

    @property
    def accepted_efforts(self) -> tuple[str, ...]:
        """Every effort value the simulator accepts: the documented ones, then the unsettled ones."""
        return self.efforts + tuple(e for e in self.unsettled_efforts if e not in self.efforts)


def _r(dialect: str, id: str, **kw: Any) -> ModelRules:
    return ModelRules(dialect=dialect, id=id, **kw)


# ====================================================================== OpenAI (Chat Completions)
_OAI_SAMPLING = ("temperature", "top_p", "logprobs", "top_logprobs", "presence_penalty", "frequency_penalty")
_DEPRECATIONS = "developers.openai.com/api/docs/deprecations (facts 1.1)"
_OAI_CHECKLIST = ("deployment checklist: 'When reasoning effort is not none, remove temperature, top_p, and "
                  "top_logprobs; also remove logprobs' (facts 1.2)")


def _openai_reasoning(id: str, efforts: tuple[str, ...], default: str, *, tools: bool = False,
                      unsettled: tuple[str, ...] = (), always: tuple[str, ...] = (), **kw: Any) -> ModelRules:
    not_settled = kw.pop("not_settled", ())
    sources = kw.pop("sources", ())
    return _r("openai", id, reasons=True, effort_param="reasoning_effort", efforts=efforts,
              unsettled_efforts=unsettled, effort_default=default, thinking_default=default != "none",
              can_disable="none" in efforts, sampling_rejected_when_reasoning=_OAI_SAMPLING,
              sampling_rejected_always=always, tools_with_reasoning=tools,
              max_tokens_param="max_completion_tokens", not_settled=not_settled,
              sources=(*sources, _OAI_CHECKLIST, "max_tokens 400 text: facts 7 #7"), **kw)


_CHAT_MAX = "whether Chat Completions takes effort 'max' for this model (Responses does; refused for gpt-5.6/6.1)"
_GPT6_TOOLS = "GPT-6 rule (facts 1.2): function tools on Chat Completions only with reasoning_effort none"
_OPENAI: list[ModelRules] = [
    _openai_reasoning(
        "gpt-6.2-astra", ("low", "medium", "high", "xhigh"), "medium", unsettled=("max",), tools=True,
        not_settled=(_CHAT_MAX, "default effort (facts 10.3)",
                     "tools + reasoning on Chat Completions for gpt-6.2 (the page lists function calling; "
                     "the GPT-6 rule says tools need effort none, which 6.2 rejects): accepted (facts 10.3)"),
        sources=("apidog 2026-11-18 'Don't set effort to none: the API rejects it.' (facts 1.1)",)),
    _openai_reasoning(
        "gpt-6.2-sol", ("low", "medium", "high", "xhigh"), "medium", unsettled=("max",), tools=True,
        not_settled=(_CHAT_MAX, "default effort (facts 10.3)",
                     "tools + reasoning on Chat Completions for gpt-6.2: accepted (facts 10.3)"),
        sources=("w3cschool translation of OpenAI's gpt-6.2-sol page 2026-11-19: rejects none (facts 1.1)",)),
    _openai_reasoning(
        "gpt-6.1-sol", ("low", "medium", "high", "xhigh"), "medium",
        sources=("apidog KR table; laozhang 2026-11-04: Chat goes up to xhigh (facts 1.1)", _GPT6_TOOLS)),
    _openai_reasoning(
        "gpt-6.1-terra", ("none", "low", "medium", "high", "xhigh"), "medium",
        sources=("apidog 'GPT-6.1 Terra API' 2026-10-27; Chat refuses max on the 5.6/6.1 families (facts 0.3)",
                 _GPT6_TOOLS)),
    _openai_reasoning(
        "gpt-6-sol", ("none", "low", "medium", "high", "xhigh"), "medium", unsettled=("max",),
        not_settled=(_CHAT_MAX,),
        sources=("apidog KR comparison table 2026-09-30 (facts 1.1)", _GPT6_TOOLS)),
    _openai_reasoning(
        "gpt-6-luna", ("none", "low", "medium", "high", "xhigh"), "medium", unsettled=("max",),
        not_settled=(_CHAT_MAX,),
        sources=("developers.openai.com/api/docs/models/gpt-6-luna quoted in flink-agents#1462: default medium, "
                 "function calling only with reasoning_effort none (facts 1.1)",)),
    _openai_reasoning(
        "gpt-6-astra", ("low", "medium", "high", "xhigh"), "medium", unsettled=("max",),
        not_settled=(_CHAT_MAX, "default effort"),
        sources=("codex probe: 'none' and 'minimal' refused, Supported values low..max (facts 1.1, 7 #10)",
                 _GPT6_TOOLS)),
    _openai_reasoning(
        "gpt-5.6-sol", ("none", "low", "medium", "high", "xhigh"), "medium",
        not_settled=("stop/logit_bias/prediction refusals measured on gpt-5.6-terra only: accepted here",),
        sources=("API reference reasoning_options; Chat refuses minimal and max (measured, facts 1.1)",
                 "tools wording: facts 7 #11 (gpt-5.6-sol)")),
    _openai_reasoning(
        "gpt-5.6-terra", ("none", "low", "medium", "high", "xhigh"), "medium",
        always=("stop", "logit_bias", "prediction"),
        sources=("measured 2026-08-30 (facts 1.2, 7 #14): stop/max_tokens/logit_bias/prediction refused whatever "
                 "their value; penalties and logprobs only while reasoning; an absent effort means it reasons",)),
    _openai_reasoning(
        "gpt-5.6-luna", ("none", "low", "medium", "high", "xhigh"), "medium",
        not_settled=("stop/logit_bias/prediction refusals measured on gpt-5.6-terra only: accepted here",),
        sources=("as gpt-5.6-terra (same family, facts 1.1)",)),
    _openai_reasoning(
        "gpt-5.5", ("none", "low", "medium", "high", "xhigh"), "none",
        not_settled=("default effort (facts 10.3): taken as none like gpt-5.1-5.4",
                     "wording of the tools + reasoning refusal (5.4 and 5.6 wordings differ): 5.6's used"),
        sources=("LiteLLM 1.110.2 flags: none yes, minimal no, xhigh yes (facts 1.1)",)),
    _openai_reasoning(
        "gpt-5.4", ("none", "low", "medium", "high", "xhigh"), "none",
        sources=("quirks 1.2 (gpt-5.1+ default none); community thread 1386454: tools blocked with reasoning "
                 "from gpt-5.4 (facts 7 #11, 5.4 wording)",)),
    _openai_reasoning("gpt-5.4-mini", ("none", "low", "medium", "high", "xhigh"), "none",
                      sources=("LiteLLM flags, as gpt-5.4 (facts 1.1)",)),
    _openai_reasoning("gpt-5.4-nano", ("none", "low", "medium", "high", "xhigh"), "none",
                      sources=("LiteLLM flags, as gpt-5.4; deprecation 2027-04-01 (facts 1.1)",)),
    _openai_reasoning("gpt-5", ("minimal", "low", "medium", "high"), "medium", tools=True,
                      status=DEPRECATED, shutdown="2026-12-11", replacement="gpt-6.1-sol", sources=(_DEPRECATIONS,)),
    _openai_reasoning("gpt-5-mini", ("minimal", "low", "medium", "high"), "medium", tools=True,
                      status=DEPRECATED, shutdown="2026-12-11", replacement="gpt-6.1-terra",
                      sources=(_DEPRECATIONS,)),
    _openai_reasoning("gpt-5-nano", ("minimal", "low", "medium", "high"), "medium", tools=True,
                      status=DEPRECATED, shutdown="2026-12-11", replacement="gpt-6-luna", sources=(_DEPRECATIONS,)),
    _openai_reasoning("o3", ("low", "medium", "high"), "medium", tools=True,
                      status=DEPRECATED, shutdown="2026-12-11", replacement="gpt-6.1-sol", sources=(_DEPRECATIONS,)),
    _r("openai", "gpt-4.1-mini", status=DEPRECATED, shutdown="2027-01-14", replacement="gpt-6-luna",
       sources=("deprecations page notice 2026-10-14 (facts 1.1)",)),
    *(_r("openai", mid, status=DEPRECATED, shutdown="2027-01-14", replacement="gpt-6-luna",
         sources=("deprecations page notice 2026-10-14: GPT-4 series shutdown 2027-01-14 (facts 1.1)",))
      for mid in ("gpt-4.1", "gpt-4o", "gpt-4o-mini")),
    _r("openai", "gpt-audio", sources=("audio model; non-reasoning",)),
]
_OAI_SHUT = "has been deprecated, learn more here: https://platform.openai.com/docs/deprecations"
for _mid, _date, _repl in (("o3-mini", "2026-10-23", "gpt-6.1-terra"), ("o4-mini", "2026-10-23", "gpt-6.1-terra"),
                           ("gpt-4.1-nano", "2026-10-23", "gpt-6-luna"), ("gpt-4o-2024-05-13", "2026-10-23", "gpt-4o"),
                           ("gpt-5.1-codex-mini", "2026-07-23", None)):
    _OPENAI.append(_r("openai", _mid, status=RETIRED, shutdown=_date, replacement=_repl, error_status=404,
                      error_message=f"The model `{_mid}` {_OAI_SHUT}",
                      sources=("verbatim 404 model_not_found: facts 7 #13 (storybook-gpt#22; opencode#38665)",
                               "dev.to 'Every OpenAI model shutdown date' 2026-10-15 (facts 1.1)")))

# ====================================================================== Anthropic (OpenAI compatibility layer)
_CLAUDE_EFFORTS = ("low", "medium", "high", "xhigh", "max")
_CLAUDE_SAMPLING = ("temperature", "top_p", "top_k")
_COMPAT = ("whether the compatibility layer forwards thinking types, output_config.effort and the sampling "
           "refusals of the native API (facts 2.3, 10.1-2): the native behaviour is simulated")
_TROUBLESHOOT = "thinking-troubleshooting 'Configurations each model rejects' via id 58357860332 (facts 2.2)"


def _claude_adaptive(id: str, types: tuple[str, ...], *, on: bool, **kw: Any) -> ModelRules:
    not_settled = kw.pop("not_settled", ())
    sources = kw.pop("sources", ())
    return _r("anthropic", id, reasons=True, effort_param="output_config.effort",
              efforts=kw.pop("efforts", _CLAUDE_EFFORTS), effort_default="high", thinking_default=on,
              can_disable="disabled" in types, thinking_types=types, adaptive_only=True,
              sampling_rejected_always=_CLAUDE_SAMPLING, not_settled=(_COMPAT, *not_settled),
              sources=(*sources, "adaptive-only since Opus 4.7: verbatim 400 facts 7 #1",
                       "sampling 400 '`temperature` is deprecated for this model.' facts 7 #5"), **kw)


def _claude_budget(id: str, types: tuple[str, ...], efforts: tuple[str, ...] = (), **kw: Any) -> ModelRules:
    sources = kw.pop("sources", ())
    return _r("anthropic", id, reasons=True, effort_param="output_config.effort" if efforts else None,
              efforts=efforts, effort_default="high" if efforts else None, can_disable=True, thinking_types=types,
              budget_tokens=(1024, None), sampling_rules=("temperature_xor_top_p", "top_p_min_0.95_with_thinking"),
              not_settled=(_COMPAT,) if efforts else (_COMPAT, "what output_config.effort does on a model without "
                                                      "effort levels: ignored"),
              sources=(*sources, "temperature+top_p and top_p>=0.95 texts: facts 2.4 (MCP-Universe#49, new-api#3124)"),
              **kw)


_ANTHROPIC: list[ModelRules] = [
    _claude_adaptive("claude-fable-5-2", ("adaptive",), on=True,
                     sources=("genai-prices 0.2.3 comments; gateway spec id 69289541941 (facts 2.1)",
                              "disabled 400 text: facts 7 #3")),
    _claude_adaptive("claude-mythos-5-2", ("adaptive",), on=True,
                     not_settled=("limited access (Project Glasswing): rules of Fable 5.x taken",),
                     sources=("genai-prices 0.2.3 comments (facts 2.1)", "disabled 400 text: facts 7 #3")),
    _claude_adaptive("claude-opus-5-5", ("adaptive",), on=True,
                     sources=("LiteLLM thinking_always_on (facts 2.1)", "disabled 400 text: facts 7 #3")),
    _claude_adaptive("claude-sonnet-5-5", ("adaptive", "between_tools"), on=True,
                     not_settled=("thinking.type 'between_tools' appears in one Sonnet 5.5 error text only: "
                                  "accepted as the lowest setting (facts 2.2, 7 #3)",),
                     sources=("LiteLLM thinking_always_on (facts 2.1)",
                              "disabled 400 text: the one Sonnet 5.5 log, facts 7 #3")),
    _claude_adaptive("claude-haiku-5-5", ("adaptive", "disabled"), on=True,
                     not_settled=("effort levels of Haiku 5.5 (not in the gateway's table): Opus's taken",),
                     sources=("LiteLLM thinking_on_by_default, not always on, supports_sampling_params false; "
                              "id 70338243426 (facts 2.1)",)),
    _claude_adaptive("claude-opus-5", ("adaptive", "disabled"), on=True, disable_max_effort="high",
                     sources=(_TROUBLESHOOT, "disabled + xhigh/max 400 text: facts 7 #4")),
    _claude_adaptive("claude-sonnet-5", ("adaptive", "disabled"), on=True, sources=(_TROUBLESHOOT,)),
    _claude_adaptive("claude-opus-4-8", ("adaptive", "disabled"), on=False, sources=(_TROUBLESHOOT,)),
    _claude_adaptive("claude-opus-4-7", ("adaptive", "disabled"), on=False,
                     sources=(_TROUBLESHOOT, "opencodex#65 verified against api.anthropic.com (facts 2.1)")),
    _claude_budget("claude-opus-4-6", ("adaptive", "enabled", "disabled"), ("low", "medium", "high", "max"),
                   sources=("opencodex#65: adaptive + enabled (facts 2.1)",)),
    _claude_budget("claude-sonnet-4-6", ("adaptive", "enabled", "disabled"), ("low", "medium", "high", "max"),
                   sources=("opencodex#65: adaptive + enabled (facts 2.1)",)),
    _claude_budget("claude-sonnet-4-5", ("enabled", "disabled"), status=DEPRECATED, shutdown="2026-11-30",
                   replacement="claude-sonnet-5-5", aliases=("claude-sonnet-4-5-20250929",),
                   sources=("deprecation schedule via id 70631129855 (facts 2.1)", "adaptive 400 text: facts 7 #2")),
    _claude_budget("claude-haiku-4-5", ("enabled", "disabled"), aliases=("claude-haiku-4-5-20251001",),
                   sources=("model status check 2026-10-08, id 70759423976 (facts 2.1)",
                            "adaptive 400 text: facts 7 #2")),
]
for _mid, _date, _src in (
        ("claude-opus-4-1", "2026-08-05", "multidotdev/cli release 2026-09-24 (facts 2.1)"),
        ("claude-opus-4-1-20250805", "2026-08-05", "as claude-opus-4-1"),
        ("claude-opus-4", "2026-06-15", "ai-provider-watch citing platform.claude.com release notes (facts 2.1)"),
        ("claude-opus-4-20250514", "2026-06-15", "as claude-opus-4"),
        ("claude-sonnet-4", "2026-06-15", "as claude-opus-4"),
        ("claude-sonnet-4-20250514", "2026-06-15", "verbatim 404 after the retirement: facts 7 #6 (id 69574700763)"),
        ("claude-3-7-sonnet-20250219", None, "Claude 3 family (brief); date not in the facts"),
        ("claude-3-5-haiku-20241022", None, "Claude 3 family (brief); date not in the facts"),
        ("claude-3-5-sonnet-20241022", None, "Claude 3 family (brief); date not in the facts"),
        ("claude-3-opus-20240229", None, "Claude 3 family (brief); date not in the facts"),
        ("claude-3-haiku-20240307", None, "Claude 3 family (brief); date not in the facts")):
    _ANTHROPIC.append(_r("anthropic", _mid, status=RETIRED, shutdown=_date, error_status=404,
                         error_message=f"model: {_mid}",
                         sources=(_src, "message of the native 404 not_found_error, facts 7 #6"),
                         not_settled=("the compatibility layer's envelope: OpenAI-shaped per its docs "
                                      "('consistent error formats with the OpenAI API'), quirks 2.7",)))

# ====================================================================== Google Gemini (OpenAI compatibility)
_GEM3_NONE = ("'Gemini 3 models and Gemini 2.5 Pro reject reasoning_effort=\"none\" with a 400 INVALID_ARGUMENT' "
              "(HKUDS/DeepTutor PR#809, facts 3.2)")
_GEM_NONE_TEXT = ("exact text of the reasoning_effort 'none' refusal (facts 10.4): 2.5 Pro's budget-0 text used")
_GEM_SAMPLING = "whether sampling parameters on 3.6+ Flash are ignored or rejected (facts 3.2, 10.4): accepted"


def _gemini(id: str, levels: tuple[str, ...], default: str, **kw: Any) -> ModelRules:
    not_settled = kw.pop("not_settled", ())
    return _r("gemini", id, reasons=True, effort_param="reasoning_effort", efforts=levels,
              effort_default=default, thinking_default=True, thinking_levels=levels + kw.pop("unsettled_levels", ()),
              not_settled=(*not_settled, "whether thinking_budget outside the model's range is refused: accepted"),
              **kw)


_GEMINI: list[ModelRules] = [
    _gemini("gemini-4-argon", ("low", "medium", "high"), "medium", unsettled_efforts=("minimal",),
            unsettled_levels=("minimal",),
            not_settled=("Gemini 4 is not in the compat reasoning_effort table (facts 10.4): minimal accepted "
                         "(runs at low); none refused as on Gemini 3",),
            sources=("ai.google.dev latest-model page: 'tunable thinking levels (low, medium, high)', default "
                     "medium (facts 3.1)", _GEM3_NONE)),
    _gemini("gemini-4-carbon", ("low", "medium", "high"), "medium", unsettled_efforts=("minimal",),
            unsettled_levels=("minimal",),
            not_settled=("thinking levels of gemini-4-carbon not found (facts 10.4): gemini-4-argon's taken",),
            sources=("GA 2026-11-10, paid tier only (apidog 2026-11-11, facts 3.1)", _GEM3_NONE)),
    _gemini("gemini-4-hydrogen", ("low", "medium", "high", "xhigh"), "high", unsettled_efforts=("minimal",),
            unsettled_levels=("minimal",),
            not_settled=("Gemini 4 reasoning_effort mapping (facts 10.4): minimal accepted, none refused",),
            sources=("LiteLLM discussion #51436; @langchain/google 0.2.15 xhigh (facts 3.1)",)),
    _gemini("gemini-3.8-flash", ("low", "medium", "high"), "medium",
            not_settled=(_GEM_SAMPLING, _GEM_NONE_TEXT),
            sources=("deprecations page; MINIMAL 400 verbatim: facts 7 #15 (pi#9455)", _GEM3_NONE)),
    _gemini("gemini-3.7-flash", ("low", "medium", "high"), "medium",
            not_settled=(_GEM_SAMPLING, _GEM_NONE_TEXT, "default level"),
            sources=("deprecations page; MINIMAL 400: facts 7 #15 (req_llm#971)", _GEM3_NONE)),
    _gemini("gemini-3.6-flash", ("low", "medium", "high"), "medium",
            not_settled=(_GEM_SAMPLING, _GEM_NONE_TEXT, "thinking levels of 3.6 Flash not found: 3.7 Flash's taken"),
            sources=("deprecations page: GA 2026-07-21 (facts 3.1)", _GEM3_NONE)),
    _gemini("gemini-3.5-flash-lite", ("low", "medium", "high"), "low",
            not_settled=(_GEM_SAMPLING, _GEM_NONE_TEXT, "thinking levels of 3.5 Flash-Lite not found"),
            sources=("deprecations page: GA 2026-07-21 (facts 3.1)", _GEM3_NONE)),
    _gemini("gemini-3.5-flash", ("minimal", "low", "medium", "high"), "medium",
            not_settled=("thinking levels of 3.5 Flash (facts 3.1 '–'): Gemini 3 Flash's taken", _GEM_NONE_TEXT),
            sources=("deprecations page: GA 2026-05-19 (facts 3.1)", _GEM3_NONE)),
    _gemini("gemini-3.1-pro-preview", ("minimal", "low", "medium", "high"), "high",
            not_settled=("the simulator's bare id gemini-3.1-pro: the provider serves only the -preview id",
                         _GEM_NONE_TEXT),
            sources=("compat table: minimal/low -> low, medium, high; cannot disable (facts 3.2)", _GEM3_NONE)),
    _gemini("gemini-3-flash-preview", ("minimal", "low", "medium", "high"), "medium",
            not_settled=("the simulator's bare id gemini-3-flash: the provider serves only the -preview id",
                         "default level (the simulator calibrates at medium)", _GEM_NONE_TEXT),
            sources=("deprecations.md; compat table (facts 3.1-3.2)", _GEM3_NONE)),
    _gemini("gemini-3.1-flash-lite", ("minimal", "low", "medium", "high"), "low", shutdown="2027-05-07",
            aliases=("gemini-3.1-flash-lite-preview",),
            not_settled=("minimal: compat table maps it, the Interactions API refused it (js-genai#1581)",
                         "default level", _GEM_NONE_TEXT),
            sources=("deprecations page: GA 2026-05-07, shutdown 2027-05-07 (facts 3.1)",)),
    _r("gemini", "gemini-2.5-pro", status=DEPRECATED, shutdown="2026-12-01", replacement="gemini-3.8-flash",
       reasons=True, effort_param="reasoning_effort", efforts=("low", "medium", "high"),
       unsettled_efforts=("minimal",), effort_default="medium", thinking_default=True, budget_tokens=(128, 32768),
       not_settled=("reasoning_effort none: refused with the budget-0 text (the compat layer maps none to "
                    "budget 0 on 2.5)", "compat mapping of minimal on 2.5"),
       sources=("dev.to/aideprecations quoting the Gemini deprecations page (facts 3.1)",
                "budget 0 400 verbatim: facts 7 #16", "thinking_level 400 verbatim: facts 7 #17")),
    _r("gemini", "gemini-2.5-flash", status=DEPRECATED, shutdown="2026-12-01", replacement="gemini-3.5-flash-lite",
       reasons=True, effort_param="reasoning_effort", efforts=("none", "low", "medium", "high"),
       unsettled_efforts=("minimal",), effort_default="medium", thinking_default=True, can_disable=True,
       budget_tokens=(0, 24576), not_settled=("compat mapping of minimal on 2.5",),
       sources=("dev.to/aideprecations (facts 3.1); compat: 'set reasoning_effort to none for 2.5' (facts 3.2)",
                "thinking_level 400 verbatim on gemini-2.5-flash: facts 7 #17")),
    _r("gemini", "gemini-2.5-flash-lite", reasons=True, effort_param="reasoning_effort",
       efforts=("none", "low", "medium", "high"), unsettled_efforts=("minimal",), effort_default="none",
       can_disable=True, budget_tokens=(512, 24576),
       not_settled=("that 2.5 Flash-Lite does not think by default [INFERRED]",),
       sources=("'not deprecated and remains available' (facts 3.1)", "thinking_level 400: facts 7 #17")),
    _r("gemini", "gemini-3-pro-preview", status=RETIRED, shutdown="2026-03-09", replacement="gemini-3.1-pro-preview",
       error_status=404, error_message="models/gemini-3-pro-preview is not found for API version v1beta, or is not "
       "supported for generateContent. Call ListModels to see the list of available models and their supported "
       "methods.", sources=("deprecations.md (facts 3.1)", "Gemini's 404 NOT_FOUND text, list-wrapped (quirks 3.7)")),
]

# ====================================================================== xAI
_XAI_SAMPLING = ("presence_penalty", "frequency_penalty", "stop")
_XAI_PARAM = ("reasoning models reject presencePenalty/frequencyPenalty/stop even at 0: paladin audit id 59772222558; "
              "verbatim 400 facts 7 #18")
_XAI_VALUE = "unsupported effort value 400 verbatim: facts 7 #20"


def _grok(id: str, efforts: tuple[str, ...], default: str, **kw: Any) -> ModelRules:
    sources = kw.pop("sources", ())
    return _r("xai", id, reasons=True, effort_param="reasoning_effort", efforts=efforts, effort_default=default,
              thinking_default=default != "none", can_disable="none" in efforts,
              sampling_rejected_when_reasoning=_XAI_SAMPLING, sources=(*sources, _XAI_PARAM, _XAI_VALUE), **kw)


_XAI: list[ModelRules] = [
    _grok("grok-4.7", ("low", "medium", "high", "xhigh"), "high",
          sources=("docs.x.ai reasoning page via synaps (2026-09-21); mindfork /v1/models 2026-10-01 (facts 4.1)",)),
    _grok("grok-4.6", ("low", "medium", "high"), "high", unsettled_efforts=("xhigh",),
          not_settled=("xhigh: docs and a /v1/models probe say low/medium/high, a reverse proxy says xhigh works",),
          sources=("synaps (docs + /v1/models probe 2026-08-14) (facts 4.1)",)),
    _grok("grok-4.5", ("low", "medium", "high"), "high",
          sources=("opencode#39448 quoting xAI docs: 'Reasoning cannot be disabled' (facts 4.1)",)),
    _grok("grok-4.3", ("none", "low", "medium", "high"), "low", unsettled_efforts=("xhigh",),
          not_settled=("xhigh (listed by /v1/models only) and the default (low per /v1/models, docs silent)",
                       "whether presence/frequency/stop are refused with effort none: accepted"),
          sources=("Vercel @ai-sdk/xai changelog; mindfork /v1/models 2026-10-01 (facts 4.1)",)),
    _r("xai", "grok-4.20-0309-reasoning", aliases=("grok-4.20-reasoning",), reasons=True, thinking_default=True,
       sampling_rejected_when_reasoning=_XAI_SAMPLING,
       sources=("'Model grok-4.20-0309-reasoning does not support parameter reasoningEffort.' id 70229597937; "
                "verbatim form facts 7 #19", _XAI_PARAM)),
    _r("xai", "grok-build-0.1", reasons=True, thinking_default=True, sampling_rejected_when_reasoning=_XAI_SAMPLING,
       not_settled=("end of life on 2026-11-19 is reported by a reseller only (facts 4.1): still served",),
       sources=("refuses reasoning_effort whatever its value (mindfork, facts 4.1)", _XAI_PARAM)),
    _r("xai", "grok-4.20-0309-non-reasoning", aliases=("grok-4.20-non-reasoning",),
       sources=("live 400 body facts 7 #19 (id 60837196810); alias resolved in responses (facts 4.2)",)),
    _grok("grok-3-mini", ("low", "high"), "low",
          not_settled=("grok-3-mini's availability: not in the May-15 list, LiteLLM leaves it, one maintainer says "
                       "models older than grok-4.20 no longer work (facts 4.1, 10.5)",),
          sources=("2025 docs: low|high; returns reasoning_content (quirks 4.2)",)),
]
_XAI_RETIRED_NOTE = ("xAI's May-15 retirement: the docs say requests to these slugs 'will no longer work' "
                     "(docs.x.ai/developers/migration/may-15-retirement), xAI's email says they redirect to grok-4.3 "
                     "(llm-exe#512, LiteLLM PR#28788); the docs' behaviour is simulated, with xAI's model-not-found "
                     "404 (text seen in several logs, e.g. id 70625637778); no body from a retired slug was found")
for _mid in ("grok-4-1-fast-reasoning", "grok-4-1-fast-non-reasoning", "grok-4-1-fast", "grok-4-fast-reasoning",
             "grok-4-fast-non-reasoning", "grok-4-0709", "grok-4", "grok-code-fast-1", "grok-3"):
    _XAI.append(_r("xai", _mid, status=RETIRED, shutdown="2026-05-15",
                   replacement="grok-build-0.1" if _mid == "grok-code-fast-1" else "grok-4.3", error_status=404,
                   error_message=f"The model {_mid} does not exist or your team does not have access to it.",
                   not_settled=(_XAI_RETIRED_NOTE,), sources=("facts 4.1, 0.6",)))

# ====================================================================== DeepSeek
_DS_THINKING = ("guides/thinking_mode: thinking {type: enabled|disabled}; reasoning_effort low/high/max, minimal->low, "
                "medium->high, xhigh->high (quirks 5.2, facts 5)")
_DEEPSEEK: list[ModelRules] = [
    _r("deepseek", "deepseek-flash", aliases=("deepseek-v4-flash",), reasons=True, effort_param="reasoning_effort",
       efforts=("low", "high", "max"), effort_default="high", thinking_default=True, can_disable=True,
       thinking_types=("enabled", "disabled"),
       not_settled=("deepseek-v4-flash is a legacy name 'served by' V4.1 Flash: the response names deepseek-flash "
                    "[INFERRED]",),
       sources=("pricing page: 'thinking (default)', images (facts 5)", _DS_THINKING)),
    _r("deepseek", "deepseek-v4-pro", reasons=True, effort_param="reasoning_effort", efforts=("low", "high", "max"),
       effort_default="high", thinking_default=True, can_disable=True, thinking_types=("enabled", "disabled"),
       not_settled=("whether deepseek-v4-pro is still its own model or rerouted to V4.1 Flash since 2026-09-14",),
       sources=("pricing page: DeepSeek-V4-Pro-0813, no vision (facts 5)", _DS_THINKING)),
]
for _mid in ("deepseek-chat", "deepseek-reasoner"):
    _DEEPSEEK.append(_r("deepseek", _mid, status=RETIRED, shutdown="2026-07-24", replacement="deepseek-flash",
                        error_status=400, error_message="Model Not Exist",
                        not_settled=("one measurement (id 69448699768, 2026-09) saw calls to deepseek-chat hang "
                                     "until timeout instead of the 400",),
                        sources=("retired 2026-07-24 15:59 UTC: any-llm#1172 citing api-docs.deepseek.com/updates",
                                 "400 body verbatim: facts 7 #22")))


# ====================================================================== OpenRouter
def _via_openrouter(slug: str, up: ModelRules, **kw: Any) -> ModelRules:
    """An OpenRouter slug with its upstream's reasoning rules; OpenRouter drops what the upstream does not take."""
    return replace(up, dialect="openrouter", id=slug, aliases=kw.pop("aliases", ()),
                   sampling_rejected_when_reasoning=(), sampling_rejected_always=(), sampling_rules=(),
                   tools_with_reasoning=True, max_tokens_param="max_tokens", upstream=(up.dialect, up.id),
                   not_settled=("whether OpenRouter relays the upstream's refusal of an effort value or maps it: "
                                "mapped (quirks 6.2)",),
                   sources=("OpenRouter forwards what each upstream supports, unsupported params are dropped "
                            "(quirks 6.8); reasoning object quirks 6.2",), **kw)


_OR_SLUGS: list[tuple[str, tuple[str, str], dict[str, Any]]] = [
    ("openai/gpt-6.1-sol", ("openai", "gpt-6.1-sol"), {}),
    ("openai/gpt-6.1-terra", ("openai", "gpt-6.1-terra"), {}),
    ("openai/gpt-6-luna", ("openai", "gpt-6-luna"), {}),
    ("openai/gpt-5.5", ("openai", "gpt-5.5"), {}),
    ("openai/gpt-5.4", ("openai", "gpt-5.4"), {}),
    ("openai/gpt-5-mini", ("openai", "gpt-5-mini"), {}),
    ("openai/gpt-4.1-mini", ("openai", "gpt-4.1-mini"), {}),
    ("openai/gpt-audio", ("openai", "gpt-audio"), {}),
    ("anthropic/claude-opus-5.5", ("anthropic", "claude-opus-5-5"), {}),
    ("anthropic/claude-sonnet-5.5", ("anthropic", "claude-sonnet-5-5"), {}),
    ("anthropic/claude-haiku-5.5", ("anthropic", "claude-haiku-5-5"), {}),
    ("anthropic/claude-opus-4.7", ("anthropic", "claude-opus-4-7"), {}),
    ("anthropic/claude-sonnet-4.6", ("anthropic", "claude-sonnet-4-6"), {}),
    ("anthropic/claude-sonnet-4.5", ("anthropic", "claude-sonnet-4-5"), {}),
    ("anthropic/claude-haiku-4.5", ("anthropic", "claude-haiku-4-5"), {}),
    ("google/gemini-4-argon", ("gemini", "gemini-4-argon"), {}),
    ("google/gemini-3.8-flash", ("gemini", "gemini-3.8-flash"), {}),
    ("google/gemini-3.1-pro-preview", ("gemini", "gemini-3.1-pro-preview"), {}),
    ("google/gemini-3-flash-preview", ("gemini", "gemini-3-flash-preview"), {}),
    ("google/gemini-2.5-pro", ("gemini", "gemini-2.5-pro"), {}),
    ("google/gemini-2.5-flash", ("gemini", "gemini-2.5-flash"), {}),
    ("x-ai/grok-4.7", ("xai", "grok-4.7"), {}),
    ("x-ai/grok-4.3", ("xai", "grok-4.3"), {}),
    ("x-ai/grok-3-mini", ("xai", "grok-3-mini"), {}),
    ("deepseek/deepseek-v4-flash", ("deepseek", "deepseek-flash"), {}),
    ("deepseek/deepseek-v4-pro", ("deepseek", "deepseek-v4-pro"), {}),
]
#: DeepSeek's open-weight models hosted by third parties on OpenRouter (not DeepSeek's API): their own rules
_OR_HOSTED: list[ModelRules] = [
    _r("openrouter", "deepseek/deepseek-chat", reasons=True, efforts=("none", "low", "medium", "high"),
       effort_default="none", can_disable=True, aliases=("deepseek/deepseek-chat-v3",),
       not_settled=("DeepSeek V3 open weights on third-party hosts; still listed by OpenRouter (genai-prices 0.2.3 "
                    "prices dated 2026-10-20); its reasoning switch is simulated as an opt-in",),
       sources=("genai-prices 0.2.3 OpenRouter import",)),
    _r("openrouter", "deepseek/deepseek-v3.2", reasons=True, efforts=("none", "low", "medium", "high"),
       effort_default="none", can_disable=True, sources=("prices.csv OpenRouter row 2026-11-09",)),
    _r("openrouter", "deepseek/deepseek-r1", reasons=True, efforts=("low", "medium", "high"), effort_default="medium",
       thinking_default=True, not_settled=("R1 on third-party hosts; always reasons [INFERRED]",),
       sources=("genai-prices 0.2.3 OpenRouter import (prices 2026-10-19)",)),
    _r("openrouter", "x-ai/grok-4.1-fast", status=RETIRED, shutdown="2026-05-15", replacement="x-ai/grok-4.3",
       error_status=400, error_message="x-ai/grok-4.1-fast is not a valid model ID",
       not_settled=(_XAI_RETIRED_NOTE, "whether OpenRouter still lists the slug (PRICES.md: no current price)"),
       sources=("OpenRouter's invalid-model 400 (quirks 6.7)",)),
]

RULES: dict[tuple[str, str], ModelRules] = {(r.dialect, r.id): r for r in (*_OPENAI, *_ANTHROPIC, *_GEMINI, *_XAI,
                                                                          *_DEEPSEEK)}
for _slug, _up, _kw in _OR_SLUGS:
    RULES[("openrouter", _slug)] = _via_openrouter(_slug, RULES[_up], **_kw)
for _rule in _OR_HOSTED:
    RULES[("openrouter", _rule.id)] = _rule

_IDS: dict[tuple[str, str], ModelRules] = {}
for _rule in RULES.values():
    for _name in (_rule.id, *_rule.aliases):
        if (_rule.dialect, _name) in _IDS:
            raise ValueError(f"{_rule.dialect}/{_name} is named twice in RULES")
        _IDS[(_rule.dialect, _name)] = _rule


def rules_for(dialect: str, model: str) -> ModelRules | None:
    """The rules entry a dialect has for ``model`` (an id, alias or simulator spelling), or None."""
    return _IDS.get((dialect, model))


def retired(dialect: str, model: str) -> ModelRules | None:
    """The entry of a retired id (the dialect answers its error), or None."""
    r = _IDS.get((dialect, model))
    return r if r is not None and r.status == RETIRED else None


def served_rules() -> list[ModelRules]:
    return [r for r in RULES.values() if r.served]
