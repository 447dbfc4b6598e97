"""The Client: model string → provider; one request → Result (retries included); fan-out via compare().

Data flows one way: arguments are validated (ConfigError before anything is sent), the provider's
dialect shapes the body, the transport carries it, the wire layer normalizes what comes back, and the
Result carries usage, cost and timings. Provider and network failures never raise: they become
``Result.error``.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import partial
from time import perf_counter
from typing import TYPE_CHECKING, Any

import aiohttp
import orjson

from multimodel import pricing
from multimodel.config import (
    BUILTIN_PROVIDERS,
    REQUEST_PARAMS,
    ConfigError,
    ProviderConfig,
    build_provider,
    check_reasoning,
    check_tools,
    normalize_messages,
    split_model,
)
from multimodel.inputs import AUDIO, has_audio, strip_parts
from multimodel.providers import CAPABILITY_TABLES, get_dialect
from multimodel.providers.base import Dialect
from multimodel.providers.capabilities import (
    FEATURES,
    ON_UNSUPPORTED,
    PARAM_FEATURES,
    PARAMS,
    Capabilities,
    Loss,
    Need,
    UnsupportedInputError,
    describe_losses,
    find_losses,
    needs_of,
    param_feature,
    request_size_loss,
)
from multimodel.results import Result, ResultError
from multimodel.runner import ProviderGate, execute_with_retries, skipped
from multimodel.transport import IO, run_async, run_sync
from multimodel.wire.accumulate import Accumulator
from multimodel.wire.errors import error_from_http
from multimodel.wire.sse import DONE, SSEDecoder
from multimodel.wire.usage import normalize_usage

if TYPE_CHECKING:
    from multimodel.comparison import Comparison
    from multimodel.evaluation import Evaluation
    from multimodel.routing import Route

_REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-generation-id", "x-ds-trace-id")


class ParamWarning(UserWarning):
    """A parameter was dropped, renamed or capped because the provider or model would reject it."""


class Client:
    """Calls any configured OpenAI-compatible provider and returns normalized Results."""

    def __init__(
        self,
        providers: dict[str, dict[str, Any]] | None = None,
        *,
        cache: str | bool | None = None,
        retries: int = 2,
        timeout: float | None = None,
    ) -> None:
        if providers is not None and not isinstance(providers, dict):
            raise ConfigError("providers must be a dict of name → settings, e.g. {'deepseek': {'api_key': 'k'}}")
        self.providers: dict[str, ProviderConfig] = {}
        for name in BUILTIN_PROVIDERS:
            self.providers[name] = build_provider(name, None)
        for name, entry in (providers or {}).items():
            if entry is not None and not isinstance(entry, dict):
                raise ConfigError(f"providers[{name!r}] must be a dict of settings, got {type(entry).__name__}")
            self.providers[name] = build_provider(name, entry)
        if not isinstance(retries, int) or retries < 0:
            raise ConfigError(f"retries must be a non-negative int, got {retries!r}")
        self.retries = retries
        self.timeout = timeout
        self.simulated = False
        self.missing_keys: list[str] = []
        self._sim: Any = None
        self._gates: dict[str, ProviderGate] = {}
        self._warned: set[Any] = set()
        self._capabilities: dict[tuple[str, str], Capabilities] = {}
        from multimodel.store import open_cache

        self.cache = open_cache(cache)

    # ------------------------------------------------------------------ construction helpers
    @classmethod
    def simulated(cls, *, cache: str | bool | None = False, **sim_options: Any) -> Client:
        """Every built-in provider served by the embedded simulator (started, or reused if running)."""
        from multimodel import sim

        handle = sim.running() if not sim_options else None
        if handle is None:
            handle = sim.start(**sim_options)
        providers = {
            name: {"base_url": handle.base_url(name), "api_key": "sim-key", "dialect": name}
            for name in BUILTIN_PROVIDERS
        }
        client = cls(providers=providers, cache=cache)
        for cfg in client.providers.values():
            cfg.simulated = True
        client.simulated = True
        client._sim = handle
        return client

    @classmethod
    def auto(cls, models: Iterable[str] | None = None, *, cache: str | bool | None = None,
             **sim_options: Any) -> Client:
        """Real providers when every key they need is set, else the simulator (clearly labelled).

        ``models`` limits the check to the providers they name; ``MULTIMODEL_SIMULATE=1`` forces the
        simulator. ``client.missing_keys`` lists the providers whose keys were missing.
        """
        real = cls(cache=cache)
        names = {m.split("/", 1)[0] for m in models} if models is not None else set(BUILTIN_PROVIDERS)
        missing = sorted(n for n in names if n in real.providers and not real.providers[n].has_key())
        if missing or os.environ.get("MULTIMODEL_SIMULATE") == "1":
            client = cls.simulated(cache=False if cache is None else cache, **sim_options)
        else:
            client = real
        client.missing_keys = missing
        return client

    @property
    def sim(self) -> Any:
        """The simulator handle behind a simulated client (None for a real one)."""
        return self._sim

    def __repr__(self) -> str:
        kind = "simulated" if self.simulated else "live"
        return f"<multimodel.Client {kind} providers={sorted(self.providers)}>"

    # ------------------------------------------------------------------ SDK access
    def openai_client(self, provider: str) -> Any:
        """The official ``openai.OpenAI`` client pointed at that provider's base URL and key."""
        import openai

        cfg = self._provider(provider)
        return openai.OpenAI(
            base_url=cfg.base_url, api_key=cfg.resolve_key(), default_headers=cfg.default_headers or None
        )

    def async_openai_client(self, provider: str) -> Any:
        """The official ``openai.AsyncOpenAI`` client pointed at that provider."""
        import openai

        cfg = self._provider(provider)
        return openai.AsyncOpenAI(
            base_url=cfg.base_url, api_key=cfg.resolve_key(), default_headers=cfg.default_headers or None
        )

    def _provider(self, name: str) -> ProviderConfig:
        cfg = self.providers.get(name)
        if cfg is None:
            raise ConfigError(f"unknown provider {name!r}; configured: {sorted(self.providers)}")
        return cfg

    # ------------------------------------------------------------------ single requests
    def complete(self, model: str, prompt: Any, **kwargs: Any) -> Result:
        """Send one request and return its Result; works in scripts and inside a running Jupyter kernel."""
        prepared = self.prepare(model, prompt, **kwargs)
        return run_sync(self._execute(prepared))

    async def acomplete(self, model: str, prompt: Any, **kwargs: Any) -> Result:
        """Async twin of complete()."""
        prepared = self.prepare(model, prompt, **kwargs)
        return await run_async(self._execute(prepared))

    def prepare(self, model: str, prompt: Any, **kwargs: Any) -> PreparedRequest:
        """Validate the arguments and build the request; raises ConfigError before anything is sent.

        Keywords: ``stream``, ``reasoning``, ``tools``, ``retries``, ``timeout``, ``cache``, ``on_delta``,
        ``on_unsupported`` and the request parameters (temperature, max_tokens, seed, response_format, ...).

        ``on_delta(kind, text)`` is called on the I/O thread as text arrives (kind ``content`` or
        ``reasoning``), for live views; it must be quick and must not block.

        ``on_unsupported`` says what to do when the target would drop or reject part of the request (an
        audio clip sent to Anthropic, a PDF over a size limit, ``seed`` where it is ignored), as its
        capability table says: ``"raise"`` (ConfigError naming what would be lost and which models take
        the whole request), ``"warn"`` (send without it, warn, and list it in the row's ``dropped_inputs``),
        ``"skip"`` (send nothing; an error row of kind ``unsupported`` says why), or ``"send"`` (no check:
        send the request exactly as given, e.g. to test whether a table entry is out of date).
        """
        try:
            return self._prepare(model, prompt, **kwargs)
        except UnsupportedInputError as exc:
            raise exc.with_takers(self._takers(prompt, kwargs, exclude=model)) from None

    def _prepare(
        self,
        model: str,
        prompt: Any,
        *,
        stream: bool = False,
        reasoning: str | int | None = None,
        tools: list[dict[str, Any]] | None = None,
        retries: int | None = None,
        timeout: float | None = None,
        cache: bool = True,
        on_delta: Callable[[str, str], None] | None = None,
        on_unsupported: str = "raise",
        **params: Any,
    ) -> PreparedRequest:
        """prepare() without naming the models that would take a refused request (routing uses it)."""
        if on_delta is not None and not callable(on_delta):
            raise ConfigError("on_delta must be a callable taking (kind, text)")
        if on_unsupported not in ON_UNSUPPORTED:
            raise ConfigError(f"on_unsupported={on_unsupported!r}: use one of {ON_UNSUPPORTED}")
        cfg, model_id = split_model(model, self.providers)
        messages = normalize_messages(prompt)
        tools = check_tools(tools)
        reasoning = check_reasoning(reasoning)
        unknown = set(params) - set(REQUEST_PARAMS)
        if unknown:
            raise ConfigError(
                f"unknown parameter(s) {sorted(unknown)}; pass provider-specific fields in extra_body={{...}}"
            )
        n = params.get("n")
        if n is not None and n != 1:
            raise ConfigError(
                f"n={n!r}: a Result holds one answer, so multimodel sends n=1; for several samples use "
                "evaluate(..., repeats=N), or client.openai_client(provider) for raw n>1 responses"
            )
        if retries is not None and (not isinstance(retries, int) or retries < 0):
            raise ConfigError(f"retries must be a non-negative int, got {retries!r}")
        api_key = cfg.resolve_key()
        dialect = get_dialect(cfg.dialect)
        check = CapabilityCheck(messages, tools, params, model, on_unsupported)
        caps = None
        if on_unsupported != "send":
            caps = self._check_table(check, cfg, model_id, bool(stream))
        else:
            check.audio = has_audio(messages)
        messages, tools, params = check.messages, check.tools, check.params
        notes: list[str] = []
        body = dialect.build_body(
            model_id,
            messages,
            stream=bool(stream),
            reasoning=reasoning,
            tools=tools,
            params=dict(params),
            options=cfg.options,
            warn=notes.append,
        )
        payload = orjson.dumps(body)
        if caps is not None:  # what the dialect itself had to remove, and the size of the whole body
            self._check_built(check, caps, params, body, notes, len(payload))
        for note in notes:
            self._warn_once(f"{model}: {note}")
        headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
        headers.update(cfg.default_headers)
        return PreparedRequest(
            model=model,
            model_id=model_id,
            provider=cfg,
            dialect=dialect,
            url=f"{cfg.base_url}/chat/completions",
            headers=headers,
            body=body,
            payload=payload,
            stream=bool(stream),
            retries=self.retries if retries is None else retries,
            timeout=timeout if timeout is not None else (self.timeout or cfg.timeout_s),
            use_cache=bool(cache) and self.cache is not None,
            on_delta=on_delta,
            audio_input=check.audio,
            dropped=check.dropped,
            unverified=check.unverified,
            skip=check.skip,
        )

    def capabilities(self, model: str) -> Capabilities:
        """What a model accepts (image, audio, PDF, response formats, tools, n, seed, logprobs) and its size
        limits, each entry with its source; ``.df`` as a table. Provider settings may override entries."""
        cfg, model_id = split_model(model, self.providers)
        return self._resolve(cfg, model_id)

    def _resolve(self, cfg: ProviderConfig, model_id: str) -> Capabilities:
        """The capability table for one model, resolved once per client (rules are pattern matches)."""
        key = (cfg.name, model_id)
        caps = self._capabilities.get(key)
        if caps is None:
            caps = CAPABILITY_TABLES[cfg.capability_table].resolve(model_id, cfg.capabilities)
            self._capabilities[key] = caps
        return caps

    def capability_matrix(self, models: Iterable[str]) -> Any:
        """Feature × model table of statuses (then the size limits), for comparing what models accept."""
        import pandas as pd

        from multimodel.providers.capabilities import LIMITS

        models = list(models)
        columns = {m: self.capabilities(m).df.set_index("feature")["status"] for m in models}
        return pd.DataFrame(columns).reindex([*FEATURES, *LIMITS]).dropna(how="all")

    def _check_table(self, check: CapabilityCheck, cfg: ProviderConfig, model_id: str,
                     stream: bool) -> Capabilities | None:
        """Check the request against the model's capability table and act on ``on_unsupported``."""
        caps = self._resolve(cfg, model_id)
        if not check.tools and PARAM_FEATURES.keys().isdisjoint(check.params) and not any(
                isinstance(m.get("content"), list) for m in check.messages):
            return caps if caps.limit("max_request_bytes") is not None else None  # plain text: nothing to check
        needs = needs_of(check.messages, check.tools, stream, check.params)
        check.audio = any(need.feature == AUDIO for need in needs)
        if not needs:
            return caps if caps.limit("max_request_bytes") is not None else None
        losses, unclear = find_losses(caps, needs)
        for need in unclear:
            if need.feature == "other":
                self._warn_once(f"{check.model}: multimodel cannot check whether it accepts {need.what}s; sent as "
                                "is", key=(check.model, need.what))
                continue
            self._warn_once(
                f"{check.model}: its capability table does not say whether it accepts {FEATURES[need.feature]}"
                f" ({need.what}); sent as is and listed in unverified_inputs. Check with client.probe("
                f"{check.model!r}) or declare it: providers={{{cfg.name!r}: {{'capabilities': "
                f"{{{need.feature!r}: 'supported'}}}}}}", key=(check.model, need.feature))
        check.unverified = sorted({need.feature for need in unclear if need.feature != "other"})
        if losses:
            self._act(check, losses)
        return caps

    def _check_built(self, check: CapabilityCheck, caps: Capabilities, params: dict[str, Any],
                     body: dict[str, Any], notes: list[str], payload_bytes: int) -> None:
        """Losses only visible once the body is built: parameters the dialect removed for this model (with
        these settings, e.g. logprobs on a reasoning model with reasoning=), and the body's size."""
        losses = []
        used: set[str] = set()
        for param in PARAM_FEATURES:
            feature = param_feature(param, params)
            if feature is not None and params.get(param) not in (None, False) and param not in body:
                reasons = [n for n in notes if param in n]
                used.update(reasons)
                losses.append(Loss(Need(feature, f"{param}={params[param]!r}"),
                                   "; ".join(reasons) or "removed for this model", strippable=True))
        notes[:] = [n for n in notes if n not in used]  # said once, in the capability warning below
        too_big = request_size_loss(caps, payload_bytes)
        if too_big is not None:
            losses.append(too_big)
        if losses and check.skip is None:
            self._act(check, losses, stripped=True)

    def _act(self, check: CapabilityCheck, losses: list[Loss], stripped: bool = False) -> None:
        """Apply ``on_unsupported`` to what the model would not receive; ``stripped``: already removed."""
        lost = describe_losses(check.model, losses)
        features = sorted({loss.feature for loss in losses})
        check.dropped = sorted({*check.dropped, *features})
        if check.policy == "raise":
            raise UnsupportedInputError([(check.model, losses)])
        key = (check.model, tuple(features), check.policy)
        if check.policy == "skip" or any(not loss.strippable for loss in losses):
            if check.policy == "warn":
                self._warn_once(f"{lost}; it cannot be sent without it, so it is skipped (an error row)", key=key)
            check.skip = f"not sent: {lost}"
            return
        self._warn_once(f"{lost}; sent without it (dropped_inputs={features})", key=key)
        if stripped:
            return
        positions = {loss.need.item.where for loss in losses if loss.need.item is not None and loss.need.item.where}
        if positions:
            check.messages = strip_parts(check.messages, positions)
        check.params = dict(check.params)
        for feature in features:
            for param in PARAMS.get(feature, ()):
                check.params.pop(param, None)
                if param == "tools":
                    check.tools = None

    def _takers(self, prompt: Any, request: dict[str, Any], exclude: str, limit: int = 6) -> list[str]:
        """Known models that would take the whole request (every part, parameter and limit), key set."""
        from multimodel.routing import Router, route, routing_kwargs

        pool = [m for m in self.known_models() if m != exclude]
        try:
            return route(self, prompt, Router(pool, n=limit), **routing_kwargs(request)).models
        except ConfigError:
            return []

    def known_models(self) -> list[str]:
        """Models multimodel knows by name: the simulator's catalogue for a simulated client, else the
        price table's models of the configured built-in providers (the alternatives a refusal names)."""
        if self.simulated:
            from multimodel.sim.catalogue import CATALOGUE

            return [f"{d}/{mid}" for d, mid in CATALOGUE if d in self.providers]
        return [f"{p}/{m}" for p, m in pricing.known_models() if p in self.providers]

    def _warn_once(self, message: str, key: Any = None) -> None:
        """Warn once per client and ``key`` (default: the message); silent while routing tries candidates."""
        if _ROUTING.get():
            return
        key = message if key is None else key
        if key not in self._warned:
            self._warned.add(key)
            warnings.warn(message, ParamWarning, stacklevel=_user_stacklevel())

    # ------------------------------------------------------------------ execution (on the I/O loop)
    def gate(self, provider: str) -> ProviderGate:
        """The admission gate (concurrency, rpm/tpm, learned pauses) of one provider."""
        gate = self._gates.get(provider)
        if gate is None:
            cfg = self._provider(provider)
            gate = self._gates[provider] = ProviderGate(provider, cfg.concurrency, cfg.rpm, cfg.tpm)
        return gate

    async def _execute(self, req: PreparedRequest, run_id: str | None = None) -> Result:
        """Cache lookup, then attempts through the provider's gate with retries (runner.py).

        A hit is marked ``cached`` unless it was written by the same evaluation run: then it is that
        run's own live result, recovered after a crash or restart, and keeps counting in latency stats.
        """
        if req.skip is not None:
            return _annotate(skipped(req, "unsupported", req.skip), req)
        if req.use_cache and (hit := self.cache.get_with_run(req.cache_key)) is not None:
            result, stored_run = hit
            result.cached = run_id is None or stored_run != run_id
            if req.route_reason is not None:  # this call's routing, not the one that filled the cache
                result.route_reason = req.route_reason
            return result
        result = _annotate(await execute_with_retries(req, self.gate(req.provider.name), send_once), req)
        if req.use_cache and result.error is None:
            self.cache.put(req.cache_key, result, run_id)
        return result

    # ------------------------------------------------------------------ fan-out
    def compare(self, prompt: Any, models: Iterable[str] | str | Any, *, fallbacks: dict[str, Any] | None = None,
                live: bool = True, **kwargs: Any) -> Comparison:
        """Send the same prompt to several models at once; one Result per model, in the order given.

        In a Jupyter kernel the models' columns fill in live while they stream (``live=False`` turns it
        off; elsewhere nothing is shown until the Comparison is returned).
        ``fallbacks={"anthropic/claude-sonnet-4-6": ["openai/gpt-5.4"]}`` answers from the next model when
        one fails; the row then names the model that answered and ``fallback_from``.
        ``models="auto:3"`` (or ``mm.Router(candidates=[...], n=3)``) picks the models that accept every
        part of the prompt; ``cmp.route.df`` says why each candidate was chosen or excluded.
        """
        plan, route = self._plan_compare(prompt, models, fallbacks, kwargs)
        view = None
        if live:
            from multimodel.notebook import start_live_view

            view = start_live_view([req.model for req, _ in plan], prompt=prompt, simulated=self.simulated)
        if view is not None:
            for i, (req, fbs) in enumerate(plan):
                for r in (req, *fbs):
                    r.on_delta = _chain(r.on_delta, partial(view.on_delta, i))

        async def one(i: int, req: PreparedRequest, fbs: list[PreparedRequest]) -> Result:
            result = await self._execute_with_fallbacks(req, fbs)
            if view is not None:
                view.finish(i, result)
            return result

        try:
            results = run_sync(_gather([one(i, req, fbs) for i, (req, fbs) in enumerate(plan)]))
        except BaseException:
            if view is not None:
                view.close(None)
            raise
        cmp = self._comparison(prompt, results, route)
        if view is not None:
            view.close(cmp)
            cmp.live_view = view
        return cmp

    def route(self, prompt: Any, candidates: Iterable[str] | None = None, *, n: int = 1,
              prefer: str | Callable[[str], Any] | None = "order", allow_unknown: bool = False,
              **request: Any) -> Route:
        """Which candidates accept every part of this prompt (and the tools / response_format / seed /
        logprobs in ``request``): ``.model`` is the first pick, ``.models`` the ``n`` picks, ``.df`` says
        why each candidate was chosen or excluded. ``prefer``: "order" (as given), "cheapest", or a key."""
        from multimodel.routing import Router, route, routing_kwargs

        return route(self, prompt, Router(candidates, n=n, prefer=prefer, allow_unknown=allow_unknown),
                     **routing_kwargs(request))

    def evaluate(self, prompts: Any, models: Iterable[str] | str | Any = None, **kwargs: Any) -> Evaluation:
        """Many prompts × models (× repeats) → an Evaluation; resumable, budgeted, with a progress bar.

        Keywords: repeats, scorers, concurrency, budget_usd, budget_override, run_id, progress, fallbacks,
        routes (task → model, for a prompts DataFrame with a ``task`` column), on_unsupported, and any
        request parameter. ``models="auto:N"`` or a ``mm.Router`` routes each prompt to the models that
        accept all of it; ``ev.routing`` says why, per prompt and candidate.
        """
        from multimodel.evaluation import evaluate

        return evaluate(self, prompts, models, **kwargs)

    # ------------------------------------------------------------------ endpoint evaluation (probe/)
    def probe(self, model: str, **kwargs: Any) -> Any:
        """Run the capability battery against one endpoint: one row per capability with status and evidence."""
        from multimodel.probe import probe

        return probe(self, model, **kwargs)

    def probe_matrix(self, models: Iterable[str], **kwargs: Any) -> Any:
        """The probe across endpoints as one capability × endpoint table (chart: mm.probe.plot_probe_matrix)."""
        from multimodel.probe import probe_matrix

        return probe_matrix(self, list(models), **kwargs)

    def diff(self, model_a: str, model_b: str, prompts: Any, **params: Any) -> Any:
        """The same prompts through two endpoints (e.g. a gateway and the provider): structure and content."""
        from multimodel.probe import diff

        return diff(self, model_a, model_b, prompts, **params)

    def latency(self, model: str, n: int = 100, concurrency: int = 5, baseline: str | None = None,
                **kwargs: Any) -> Any:
        """TTFT/e2e percentiles, tokens/s and error rate; with ``baseline``, the overhead with a 95% CI."""
        from multimodel.probe import latency

        return latency(self, model, n=n, concurrency=concurrency, baseline=baseline, **kwargs)

    async def acompare(self, prompt: Any, models: Iterable[str] | str | Any, *, fallbacks: dict[str, Any] | None = None,
                       **kwargs: Any) -> Comparison:
        """Async twin of compare()."""
        plan, route = self._plan_compare(prompt, models, fallbacks, kwargs)
        results = await run_async(_gather([self._execute_with_fallbacks(req, fbs) for req, fbs in plan]))
        return self._comparison(prompt, results, route)

    def _plan_compare(self, prompt: Any, models: Any, fallbacks: dict[str, Any] | None, kwargs: dict[str, Any]
                      ) -> tuple[list[tuple[PreparedRequest, list[PreparedRequest]]], Route | None]:
        from multimodel.routing import as_router, route_or_raise, routing_kwargs

        router = as_router(models)
        chosen = None
        if router is not None:
            chosen = route_or_raise(self, prompt, router, **routing_kwargs(kwargs))
            models = chosen.models
        elif isinstance(models, str):
            raise ConfigError("models must be a list of 'provider/model-id' strings (or 'auto:N' to route), "
                              "not one model string")
        models = list(models)
        if not models:
            raise ConfigError("compare() needs at least one model, e.g. models=['openai/gpt-5.4', ...]")
        fallbacks = fallbacks or {}
        plan = []
        refused: list[UnsupportedInputError] = []
        tried = 0
        for m in models:
            fbs = fallbacks.get(m, [])
            fbs = [fbs] if isinstance(fbs, str) else list(fbs)
            prepared = []
            for name, label in [(m, m), *((fb, f"{fb} (fallback of {m})") for fb in fbs)]:
                tried += 1
                try:
                    prepared.append(self._prepare(name, prompt, **kwargs))
                except UnsupportedInputError as exc:  # collect them all: one error naming every model
                    refused.append(UnsupportedInputError([(label, losses) for _, losses in exc.lost]))
            if not refused:
                if chosen is not None:
                    prepared[0].route_reason = chosen.reason(m)
                plan.append((prepared[0], prepared[1:]))
        if refused:
            error = UnsupportedInputError.combine(refused, of=tried)
            raise error.with_takers(self._takers(prompt, kwargs, exclude="")) from None
        return plan, chosen

    def _comparison(self, prompt: Any, results: list[Result], route: Route | None = None) -> Comparison:
        from multimodel.comparison import Comparison

        cmp = Comparison(prompt=prompt, results=results, simulated=self.simulated)
        cmp.route = route
        return cmp

    async def _execute_with_fallbacks(self, req: PreparedRequest, fallbacks: list[PreparedRequest],
                                      run_id: str | None = None, cancelled: Callable[[], bool] | None = None
                                      ) -> Result:
        """The first model's Result, or the first fallback that answers; ``fallback_from`` names the first."""
        result = await self._execute(req, run_id)
        for fb in fallbacks:
            if result.error is None or (cancelled is not None and cancelled()):
                break
            earlier = result
            result = await self._execute(fb, run_id)
            result.fallback_from = req.model
            result.attempts += earlier.attempts
        return result


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def _user_stacklevel() -> int:
    """The stacklevel that points a warning at the caller's own code (a notebook cell), not at ours."""
    frame = sys._getframe(2)  # the function that called the one warning
    level = 2
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    return level


def _chain(first: Callable[[str, str], None] | None,
           second: Callable[[str, str], None]) -> Callable[[str, str], None]:
    """Call the caller's own on_delta (if any) and then the live view's."""
    if first is None:
        return second

    def both(kind: str, text: str) -> None:
        first(kind, text)
        second(kind, text)

    return both


async def _gather(coros: list[Any]) -> list[Result]:
    return list(await asyncio.gather(*coros))


#: set while routing tries candidates: their warnings are not the user's (and must not use up warn-once)
_ROUTING: ContextVar[bool] = ContextVar("multimodel_routing", default=False)


@dataclass
class CapabilityCheck:
    """The parts of a request the capability check may change, and what it decided."""

    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None
    params: dict[str, Any]
    model: str
    policy: str
    audio: bool = False  # carries audio (billed at its own rate: no price-table cost)
    dropped: list[str] = field(default_factory=list)
    unverified: list[str] = field(default_factory=list)
    skip: str | None = None


class PreparedRequest:
    """A validated request ready to send; holds the API key only in its headers (never shown)."""

    __slots__ = (
        "_cache_key",
        "audio_input",
        "body",
        "dialect",
        "dropped",
        "headers",
        "model",
        "model_id",
        "on_delta",
        "payload",
        "provider",
        "retries",
        "route_reason",
        "salt",
        "skip",
        "stream",
        "timeout",
        "unverified",
        "url",
        "use_cache",
    )

    def __init__(
        self,
        *,
        model: str,
        model_id: str,
        provider: ProviderConfig,
        dialect: Dialect,
        url: str,
        headers: dict[str, str],
        body: dict[str, Any],
        payload: bytes,
        stream: bool,
        retries: int,
        timeout: float,
        use_cache: bool,
        on_delta: Callable[[str, str], None] | None = None,
        audio_input: bool = False,
        dropped: list[str] | None = None,
        unverified: list[str] | None = None,
        skip: str | None = None,
    ) -> None:
        self.model = model
        self.model_id = model_id
        self.provider = provider
        self.dialect = dialect
        self.url = url
        self.headers = headers
        self.body = body
        self.payload = payload
        self.stream = stream
        self.retries = retries
        self.timeout = timeout
        self.use_cache = use_cache
        self.on_delta = on_delta
        self.audio_input = audio_input  # audio is billed at its own rate: no price-table cost
        self.dropped = dropped or []  # features removed before sending (on_unsupported="warn")
        self.unverified = unverified or []  # features sent although the capability table does not settle them
        self.skip = skip  # why this request is not sent at all (on_unsupported="skip")
        self.route_reason: str | None = None  # why a router picked this model
        self.salt = ""  # distinguishes repeats of one request (repeat 1, 2, ... are separate samples)
        self._cache_key: str | None = None

    @property
    def cache_key(self) -> str:
        """Hash of the normalized request: provider, endpoint, model and body; never the key."""
        if self._cache_key is None:
            h = hashlib.sha256()
            h.update(self.provider.name.encode())
            h.update(b"\0")
            h.update(self.provider.base_url.encode())
            h.update(b"\0")
            h.update(orjson.dumps(self.body, option=orjson.OPT_SORT_KEYS))
            if self.salt:
                h.update(b"\0" + self.salt.encode())
            self._cache_key = h.hexdigest()
        return self._cache_key

    def __repr__(self) -> str:
        return f"<PreparedRequest {self.model} stream={self.stream}>"


def _annotate(result: Result, req: PreparedRequest) -> Result:
    """What the capability check and the router decided for this request, on its row (and in the cache)."""
    result.dropped_inputs = list(req.dropped)
    result.unverified_inputs = list(req.unverified)
    result.route_reason = req.route_reason
    return result


def _request_id(headers: Any) -> str | None:
    for name in _REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            return value
    return None


def _base_result(req: PreparedRequest) -> Result:
    return Result(
        model=req.model,
        provider=req.provider.name,
        stream=req.stream,
        simulated=req.provider.simulated,
        created_at=time.time(),
    )


async def send_once(req: PreparedRequest, gate: ProviderGate | None = None) -> Result:
    """One HTTP exchange → Result. Never raises for provider or network failures."""
    result = _base_result(req)
    acc = Accumulator()
    raw: list[bytes] = []
    streaming_started = False
    session = IO.session()
    timeout = aiohttp.ClientTimeout(total=req.timeout)
    t0 = perf_counter()
    try:
        async with session.post(req.url, data=req.payload, headers=req.headers, timeout=timeout) as resp:
            status = resp.status
            headers = resp.headers
            result.request_id = _request_id(headers)
            if headers.get("x-multimodel-simulated") == "true":
                result.simulated = True
            if status >= 400:
                body = await resp.read()
                result.error = error_from_http(status, headers, body)
                if gate is not None:
                    gate.observe(status, headers, result.error.retry_after_s)
                result.raw = body.decode("utf-8", "replace")
                result.finish_reason = "error"
                result.e2e_s = perf_counter() - t0
                return result
            if gate is not None:
                gate.observe(status, headers, None)
            ctype = headers.get("content-type", "")
            if "event-stream" in ctype:
                streaming_started = True
                decoder = SSEDecoder()
                done = False
                emitter = _DeltaEmitter(req.on_delta) if req.on_delta else None
                async for data in resp.content.iter_any():
                    t = perf_counter()
                    for event, payload in decoder.feed(data):
                        raw.append(payload)
                        if _handle_event(acc, event, payload, t):
                            done = True
                            break
                    if emitter is not None:
                        emitter.emit(acc)
                    if done:
                        break
                if not done:
                    for event, payload in decoder.close():
                        raw.append(payload)
                        if _handle_event(acc, event, payload, perf_counter()):
                            break
                result.raw = b"\n".join(raw).decode("utf-8", "replace")
            else:
                body = await resp.read()
                t = perf_counter()
                result.raw = body.decode("utf-8", "replace")
                try:
                    parsed = orjson.loads(body)
                except orjson.JSONDecodeError:
                    parsed = None
                if not isinstance(parsed, dict):
                    result.error = ResultError(
                        kind="server",
                        message=f"the provider answered HTTP {status} with a body that is not a JSON object",
                        status=status,
                    )
                else:
                    acc.add_message(parsed, t)
    except TimeoutError:
        acc.error = ResultError(kind="timeout", message=f"no complete answer within {req.timeout:g}s")
    except aiohttp.ClientPayloadError as exc:
        acc.error = ResultError(kind="stream", message=f"the connection broke mid-response: {exc}")
    except aiohttp.ServerDisconnectedError:
        kind = "stream" if streaming_started else "connection"
        acc.error = ResultError(kind=kind, message="the server closed the connection before answering in full")
    except aiohttp.ClientConnectionError as exc:
        kind = "stream" if streaming_started else "connection"
        acc.error = ResultError(kind=kind, message=f"connection failed: {type(exc).__name__}: {exc}")
    except aiohttp.ClientError as exc:
        acc.error = ResultError(kind="connection", message=f"{type(exc).__name__}: {exc}")
    if result.error is None:
        result.error = acc.error
    if raw and result.raw is None:
        result.raw = b"\n".join(raw).decode("utf-8", "replace")
    _fill(result, acc, req, t0)
    return result


class _DeltaEmitter:
    """Reports text added to the accumulator since the last call; a failing callback is switched off."""

    __slots__ = ("callback", "content", "reasoning")

    def __init__(self, callback: Callable[[str, str], None]) -> None:
        self.callback: Callable[[str, str], None] | None = callback
        self.content = 0
        self.reasoning = 0

    def emit(self, acc: Accumulator) -> None:
        cb = self.callback
        if cb is None:
            return
        try:
            if len(acc.reasoning) > self.reasoning:
                cb("reasoning", "".join(acc.reasoning[self.reasoning :]))
                self.reasoning = len(acc.reasoning)
            if len(acc.content) > self.content:
                cb("content", "".join(acc.content[self.content :]))
                self.content = len(acc.content)
        except Exception as exc:  # a broken view must not break the request
            self.callback = None
            warnings.warn(f"on_delta callback failed and was switched off: {exc!r}", RuntimeWarning, stacklevel=2)


def _handle_event(acc: Accumulator, event: bytes, payload: bytes, t: float) -> bool:
    """Feed one SSE event; True when the stream is over ([DONE], an error, or a malformed chunk)."""
    if payload == DONE:
        return True
    try:
        obj = orjson.loads(payload)
    except orjson.JSONDecodeError:
        if not payload.strip():
            return False
        acc.error = ResultError(kind="stream", message=f"malformed chunk in the stream: {payload[:120]!r}")
        return True
    if event == b"error":
        acc.add_event_error(obj)
        return True
    if not isinstance(obj, dict):
        return False
    acc.add_chunk(obj, t)
    return acc.error is not None


def _fill(result: Result, acc: Accumulator, req: PreparedRequest, t0: float) -> None:
    """Copy the accumulated, normalized fields into the Result; compute cost and timings."""
    acc.finish()
    if acc.error is not None and result.error is None:
        result.error = acc.error
    result.response_model = acc.response_model
    result.content = acc.content_text()
    result.reasoning = acc.reasoning_text()
    result.tool_calls = acc.tool_calls()
    result.logprobs = acc.logprobs
    result.finish_reason = "error" if result.error else acc.finish_reason(bool(result.tool_calls))
    result.native_finish_reason = acc.finish_raw  # kept as sent, "" included (xAI's empty reason with tools)
    usage = normalize_usage(acc.usage)
    result.prompt_tokens = usage.prompt_tokens
    result.completion_tokens = usage.completion_tokens
    result.reasoning_tokens = usage.reasoning_tokens
    result.cached_tokens = usage.cached_tokens
    reported = req.dialect.cost_from_usage(acc.usage)
    if reported is not None:
        result.cost_usd, result.cost_source = reported, "provider"
    elif req.audio_input:
        if result.error is None:
            pricing.warn_audio_unpriced(req.provider.name, req.model_id)
    elif usage.prompt_tokens is not None and usage.completion_tokens is not None:
        price = pricing.price_for(req.provider, req.model_id)
        if price is not None:
            result.cost_usd, result.cost_source = price.cost(
                usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens
            ), "price_table"
        elif result.error is None:
            pricing.warn_unknown(req.provider.name, req.model_id)
    if acc.first_token_t is not None:
        result.ttft_s = acc.first_token_t - t0
    if acc.first_answer_t is not None:
        result.ttfat_s = acc.first_answer_t - t0
    if acc.last_token_t is not None:
        result.e2e_s = acc.last_token_t - t0
    elif result.e2e_s is None:
        result.e2e_s = perf_counter() - t0
    result.provider_state = req.dialect.echo_state(acc)
    if math.isnan(result.cost_usd):
        result.cost_source = None


__all__ = ["Client", "ParamWarning"]
