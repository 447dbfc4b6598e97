"""Routing by modality: pick the candidate models that accept every part of a prompt and every feature
it asks for (tools, json_schema, ...), and say why each candidate was chosen or left out.

``client.route(prompt, candidates=[...])`` returns a :class:`Route`; ``compare``/``evaluate`` accept
``models="auto:N"`` or ``models=mm.Router(...)`` and route each prompt the same way. A request refused
before sending names the known models that would take it whole (:func:`prepare_naming_takers`): they
are found by routing too.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from multimodel import pricing
from multimodel.config import ProviderConfig, split_model
from multimodel.errors import ConfigError
from multimodel.options import PREFERENCES, Prefer
from multimodel.providers.capabilities import FEATURES, UnsupportedInputError, needs_of
from multimodel.request import (
    REQUEST_PARAMS,
    PreparedRequest,
    RequestPreparer,
    check_params,
    check_tools,
    normalize_messages,
    quiet,
)

#: The default pool for models="auto:N": one current model per provider, plus the ones that take audio.
DEFAULT_CANDIDATES = (
    "openai/gpt-5.4",
    "anthropic/claude-sonnet-4-6",
    "gemini/gemini-3-flash-preview",
    "xai/grok-4.3",
    "deepseek/deepseek-flash",
    "openai/gpt-audio",
    "openrouter/google/gemini-3-flash-preview",
)
_REQUEST_KEYS = {"stream", "reasoning", "tools", *REQUEST_PARAMS}
# request arguments that change what a model would receive; the rest (cache, retries, ...) do not matter here
_NOT_ROUTING = ("on_unsupported", "on_delta", "cache", "retries", "timeout", "repair")


def routing_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The request arguments that decide which models can take a prompt."""
    return {k: v for k, v in kwargs.items() if k not in _NOT_ROUTING and v is not None}


class Router:
    """How to choose models for a prompt: from ``candidates`` (default: DEFAULT_CANDIDATES), take ``n`` of
    those that accept everything, ordered by ``prefer`` ("order" as given, "cheapest" by list price, or a
    function of the model string returning a sort key). ``allow_unknown`` admits models whose table does
    not say whether they accept an input (they are sent it with a warning)."""

    def __init__(self, candidates: Iterable[str] | None = None, n: int = 1,
                 prefer: Prefer | Callable[[str], Any] | None = "order", allow_unknown: bool = False) -> None:
        if isinstance(candidates, str):
            raise ConfigError("candidates must be a list of 'provider/model-id' strings, not one string")
        if candidates is not None and not isinstance(candidates, Iterable):
            raise ConfigError(f"candidates must be a list of 'provider/model-id' strings, got {candidates!r}")
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ConfigError(f"a router picks n >= 1 models; got n={n!r}")
        prefer = prefer or "order"
        if not callable(prefer) and prefer not in PREFERENCES:
            raise ConfigError(f"prefer={prefer!r}: use one of {PREFERENCES} or a function model -> sort key")
        self.candidates = list(candidates) if candidates is not None else None
        self.n = n
        self.prefer = prefer
        self.allow_unknown = allow_unknown

    def __repr__(self) -> str:
        pool = "default" if self.candidates is None else len(self.candidates)
        return f"<Router n={self.n} prefer={self.prefer!r} candidates={pool}>"


def as_router(models: Any) -> Router | None:
    """``"auto"``, ``"auto:3"`` or a Router → a Router; anything else (a list of models) → None."""
    if isinstance(models, Router):
        return models
    if isinstance(models, str) and (models == "auto" or models.startswith("auto:")):
        count = models.partition(":")[2] or "1"
        if not count.isdigit() or int(count) < 1:
            raise ConfigError(f"models={models!r}: write 'auto' or 'auto:N' with N >= 1, e.g. 'auto:3'")
        return Router(n=int(count))
    return None


@dataclass(frozen=True, slots=True)
class Decision:
    model: str
    chosen: bool
    reason: str


class Route:
    """The models chosen for one prompt, and one line per candidate saying why it was chosen or not."""

    def __init__(self, decisions: list[Decision], needs: list[str], chosen: list[str]) -> None:
        self.decisions = decisions  # one per candidate, in the order the candidates were given
        self.needs = needs
        self.models = chosen  # in preference order

    @property
    def model(self) -> str | None:
        """The first chosen model (None when no candidate accepts the prompt)."""
        return self.models[0] if self.models else None

    def reason(self, model: str) -> str | None:
        return next((d.reason for d in self.decisions if d.model == model), None)

    @property
    def df(self) -> Any:
        import pandas as pd

        return pd.DataFrame([{"model": d.model, "chosen": d.chosen, "reason": d.reason} for d in self.decisions])

    def __repr__(self) -> str:
        lines = [f"<Route chosen={self.models} needs={self.needs}>"]
        lines += [f"  {'✓' if d.chosen else '✗'} {d.model}: {d.reason}" for d in self.decisions]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from html import escape

        rows = "".join(
            f"<tr><td>{'✓' if d.chosen else '✗'}</td><td><code>{escape(d.model)}</code></td>"
            f"<td>{escape(d.reason)}</td></tr>" for d in self.decisions)
        return (f"<div><b>needs:</b> {escape(', '.join(self.needs) or 'text only')}<table>"
                f"<tr><th></th><th>model</th><th>why</th></tr>{rows}</table></div>")


def route(preparer: RequestPreparer, prompt: Any, router: Router, **request: Any) -> Route:
    """Decide which of the router's candidates take this prompt with these request arguments (tools,
    response_format, seed, logprobs, reasoning, ...): each candidate's request is built exactly as it
    would be sent, so a parameter its dialect would remove counts as well as its capability table."""
    unknown = set(request) - _REQUEST_KEYS
    if unknown:
        raise ConfigError(f"route() got unknown request argument(s) {sorted(unknown)}; it takes the arguments of "
                          "complete(): tools, stream, reasoning, response_format, seed, temperature, ...")
    check_params({k: v for k, v in request.items() if k in REQUEST_PARAMS})  # once, not as every candidate's reason
    messages = normalize_messages(prompt)
    needs = needs_of(messages, check_tools(request.get("tools")), bool(request.get("stream")), request)
    wanted = [n.what for n in needs]
    providers = preparer.providers
    candidates = router.candidates if router.candidates is not None else default_candidates(providers)
    if not candidates:
        raise ConfigError("the router has no candidates: pass candidates=[...] or configure a provider")
    eligible: list[str] = []
    decisions: dict[str, Decision] = {}
    with quiet():
        for model in dict.fromkeys(candidates):
            decisions[model] = _try(preparer, model, messages, request, router.allow_unknown)
            if decisions[model].reason == "eligible":
                eligible.append(model)
    ranked, basis = _rank(providers, eligible, router.prefer)
    accepts = f"accepts {', '.join(wanted)}" if wanted else "text only: every candidate qualifies"
    for i, model in enumerate(ranked):
        if i < router.n:
            decisions[model] = Decision(model, True, f"{accepts}; #{i + 1} of {len(ranked)} eligible {basis}")
        else:
            decisions[model] = Decision(model, False, f"eligible, not chosen: #{i + 1} {basis}, only {router.n}"
                                                      " wanted")
    return Route([decisions[m] for m in dict.fromkeys(candidates)], wanted, ranked[:router.n])


def _try(preparer: RequestPreparer, model: str, messages: list[dict[str, Any]], request: dict[str, Any],
         allow_unknown: bool) -> Decision:
    """Build the candidate's request (nothing is sent) and say whether it would go through whole."""
    try:
        cfg, _ = split_model(model, preparer.providers)
    except ConfigError as exc:
        return Decision(model, False, f"excluded: {exc}")
    if not cfg.has_key():
        env = " or ".join(cfg.api_key_env) or "api_key"
        return Decision(model, False, f"excluded: no API key for {cfg.name} (set {env})")
    try:
        req = preparer.prepare(model, messages, on_unsupported="raise", **request)
    except UnsupportedInputError as exc:
        why = "; ".join(f"{loss.need.what}: {loss.reason}" for _, losses in exc.lost for loss in losses)
        return Decision(model, False, f"excluded: would not receive {why}")
    except ConfigError as exc:
        return Decision(model, False, f"excluded: {exc}")
    if req.unverified and not allow_unknown:
        what = ", ".join(FEATURES[f] for f in req.unverified)
        return Decision(model, False, f"excluded: its table does not say whether it accepts {what}"
                                      " (Router(allow_unknown=True) admits it)")
    return Decision(model, True, "eligible")


def _rank(providers: dict[str, ProviderConfig], models: list[str],
          prefer: str | Callable[[str], Any]) -> tuple[list[str], str]:
    if callable(prefer):
        try:
            return sorted(models, key=prefer), f"by {getattr(prefer, '__name__', 'your key')}"
        except TypeError as exc:
            raise ConfigError(f"prefer={prefer!r} must return comparable sort keys (numbers, not None): {exc}"
                              ) from None
    if prefer == "cheapest":
        return sorted(models, key=lambda m: _list_price(providers, m)), "by list price now (input + output per 1M)"
    return list(models), "in the order given"


def _list_price(providers: dict[str, ProviderConfig], model: str) -> float:
    """Input + output USD per 1M tokens in force now (an introductory price that has ended no longer counts)."""
    cfg, model_id = split_model(model, providers)
    price = pricing.price_for(cfg, model_id)
    rates = price.rates() if price is not None else None
    if rates is None or math.isnan(rates.input + rates.output):
        return math.inf
    return rates.input + rates.output


def default_candidates(providers: dict[str, ProviderConfig]) -> list[str]:
    """DEFAULT_CANDIDATES whose provider is configured."""
    return [m for m in DEFAULT_CANDIDATES if m.split("/", 1)[0] in providers]


def route_or_raise(preparer: RequestPreparer, prompt: Any, router: Router, **request: Any) -> Route:
    """route(), but a ConfigError listing every candidate's reason when none qualifies, and a warning when
    fewer than ``n`` do."""
    chosen = route(preparer, prompt, router, **request)
    if 0 < len(chosen.models) < router.n:
        preparer.warn_once(f"only {len(chosen.models)} of the {router.n} models asked for accept this prompt "
                           f"({', '.join(chosen.models)}); see .route.df (evaluate: ev.routing) for the others",
                           category=UserWarning)
    if not chosen.models:
        lines = "\n".join(f"  {d.model}: {d.reason}" for d in chosen.decisions)
        raise ConfigError(f"no candidate model accepts this prompt ({', '.join(chosen.needs)}):\n{lines}\n"
                          "Add candidates that do (mm.Router(candidates=[...])), or remove what they cannot take.")
    return chosen


def known_models(providers: dict[str, ProviderConfig]) -> list[str]:
    """Models multimodel knows by name, for the configured providers: the simulator's catalogue for a simulated
    provider, else the price table's models of the built-in providers (the alternatives a refusal names)."""
    found: list[str] = []
    if any(cfg.simulated for cfg in providers.values()):
        from multimodel.sim.catalogue import CATALOGUE

        found += [f"{d}/{mid}" for d, mid in CATALOGUE if d in providers and providers[d].simulated]
    found += [f"{p}/{m}" for p, m in pricing.known_models() if p in providers and not providers[p].simulated]
    return found


def takers(preparer: RequestPreparer, prompt: Any, request: dict[str, Any], exclude: str, limit: int = 6
           ) -> list[str]:
    """Known models that would take the whole request (every part, parameter and limit), key set."""
    pool = [m for m in known_models(preparer.providers) if m != exclude]
    try:
        return route(preparer, prompt, Router(pool, n=limit), **routing_kwargs(request)).models
    except ConfigError:
        return []


def prepare_naming_takers(preparer: RequestPreparer, model: str, prompt: Any, **kwargs: Any) -> PreparedRequest:
    """``preparer.prepare``, but a refusal (UnsupportedInputError) names the models that would take it all."""
    try:
        return preparer.prepare(model, prompt, **kwargs)
    except UnsupportedInputError as exc:
        raise exc.with_takers(takers(preparer, prompt, kwargs, exclude=model)) from None
