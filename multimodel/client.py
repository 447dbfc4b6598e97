"""The Client: the public facade. It builds the layers once (provider configuration, the request
preparer, the runner over a transport, the cache) and hands each call to the layer whose job it is.

Data flows one way: ``request.py`` validates and shapes (ConfigError before anything is sent),
``runner.py`` sends through the provider's gate with retries (``exchange.py`` does one exchange), and
``comparison.py``, ``evaluation.py``, ``routing.py`` and ``probe/`` build on those. Provider and
network failures never raise: they become ``Result.error``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from multimodel.config import BUILTIN_PROVIDERS, ProviderConfig, build_provider, unknown_provider
from multimodel.errors import ConfigError, ParamWarning
from multimodel.options import Prefer
from multimodel.providers.capabilities import FEATURES, LIMITS, Capabilities
from multimodel.request import PreparedRequest, RequestPreparer
from multimodel.results import Result
from multimodel.routing import Router, known_models, prepare_naming_takers, route, routing_kwargs
from multimodel.runner import ProviderGate, Runner
from multimodel.store import open_cache
from multimodel.transport import AiohttpTransport, Limits, Timeout, Transport, run_async, run_sync

if TYPE_CHECKING:
    from multimodel.comparison import Comparison
    from multimodel.evaluation import Evaluation
    from multimodel.routing import Route


class Client:
    """Calls any configured OpenAI-compatible provider and returns normalized Results."""

    def __init__(
        self,
        providers: dict[str, dict[str, Any]] | None = None,
        *,
        cache: str | bool | None = None,
        retries: int = 2,
        timeout: float | Timeout | None = None,
        transport: Transport | None = None,
        repair: bool = True,
        limits: Limits | None = None,
    ) -> None:
        """``providers`` overrides built-ins or adds endpoints; ``cache`` a file path, or False for none;
        ``retries`` and ``timeout`` are defaults for every request; ``transport`` swaps how bytes are
        carried (``multimodel.transport.ReplayTransport`` answers in-process); ``repair=False`` sends a request
        a provider rejected as it was (by default a 400 naming a parameter the model does not take is fixed as
        it says, resent once, warned about, listed in the row's ``repaired`` and remembered for the model).
        ``timeout`` is seconds in all or ``mm.Timeout(total, connect, idle)`` (default 600 s, 10 s, 300 s);
        ``limits`` (``mm.Limits``) bounds what one response may hold (default 64 MiB, SSE lines 16 MiB)."""
        if providers is not None and not isinstance(providers, dict):
            raise ConfigError("providers must be a dict of name → settings, e.g. {'deepseek': {'api_key': 'k'}}")
        self.providers: dict[str, ProviderConfig] = {name: build_provider(name, None) for name in BUILTIN_PROVIDERS}
        for name, entry in (providers or {}).items():
            if entry is not None and not isinstance(entry, dict):
                raise ConfigError(f"providers[{name!r}] must be a dict of settings, got {type(entry).__name__}")
            self.providers[name] = build_provider(name, entry)
        self.requests = RequestPreparer(self.providers, retries=retries, timeout=timeout, cache=cache is not False,
                                        repair=repair, limits=limits)
        self.cache = open_cache(cache)
        self.runner = Runner(self.providers, self.cache, transport or AiohttpTransport())
        self.simulated = False
        self.missing_keys: list[str] = []
        self._sim: Any = None

    # ------------------------------------------------------------------ construction helpers
    @classmethod
    def simulated(cls, *, cache: str | bool | None = False, **sim_options: Any) -> Client:
        """Every built-in provider served by the embedded simulator. Without options: the process's shared one
        (a simulator started with ``mm.sim.start()``, else one started once and reused); with options: one of
        this client's own, stopped by ``close()``, when the client is garbage-collected, or at exit."""
        from multimodel import sim

        handle = sim.start(**sim_options) if sim_options else sim.shared()
        providers = {}
        for name, entry in BUILTIN_PROVIDERS.items():
            dialect, api = entry.get("dialect", name), entry.get("api", "chat")
            providers[name] = {"base_url": handle.base_url(dialect, api), "api_key": "sim-key", "dialect": dialect}
        try:
            client = cls(providers=providers, cache=cache)
        except BaseException:
            if sim_options:
                handle.stop()
            raise
        if sim_options:
            handle.bind(client)
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

    @property
    def retries(self) -> int:
        """Retries of retryable failures per request, unless a call says otherwise."""
        return self.requests.retries

    @property
    def timeout(self) -> Timeout | None:
        """Seconds per request (retries included), unless a call or the provider entry says otherwise."""
        return self.requests.timeout

    def close(self) -> None:
        """Stop the simulator this client started (a shared one keeps serving others) and close the cache file:
        both hold a socket or file, and a thread, until then."""
        if self._sim is not None and self._sim.owner is self:
            self._sim.stop()
        if self.cache is not None:
            self.cache.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        kind = "simulated" if self.simulated else "live"
        return f"<multimodel.Client {kind} providers={sorted(self.providers)}>"

    # ------------------------------------------------------------------ SDK access
    def openai_client(self, provider: str) -> Any:
        """The official ``openai.OpenAI`` client pointed at that provider's base URL and key."""
        import openai

        cfg = self._openai_provider(provider)
        return openai.OpenAI(
            base_url=cfg.base_url, api_key=cfg.resolve_key(), default_headers=cfg.default_headers or None
        )

    def async_openai_client(self, provider: str) -> Any:
        """The official ``openai.AsyncOpenAI`` client pointed at that provider."""
        import openai

        cfg = self._openai_provider(provider)
        return openai.AsyncOpenAI(
            base_url=cfg.base_url, api_key=cfg.resolve_key(), default_headers=cfg.default_headers or None
        )

    def _openai_provider(self, name: str) -> ProviderConfig:
        """A provider the openai SDK can talk to: any but one that speaks Anthropic's Messages API."""
        cfg = self._provider(name)
        if cfg.api == "messages":
            raise ConfigError(f"provider {name!r} speaks Anthropic's Messages API, which the openai SDK does not; use "
                              f"anthropic.Anthropic(base_url=...) for it, or openai_client({cfg.dialect!r}) for the "
                              "same provider's OpenAI-compatible API")
        return cfg

    def _provider(self, name: str) -> ProviderConfig:
        cfg = self.providers.get(name)
        if cfg is None:
            raise unknown_provider(name, self.providers)
        return cfg

    # ------------------------------------------------------------------ single requests
    def complete(self, model: str, prompt: Any, **kwargs: Any) -> Result:
        """Send one request and return its Result; works in scripts and inside a running Jupyter kernel."""
        prepared = self.prepare(model, prompt, **kwargs)
        return run_sync(self.runner.execute(prepared))

    async def acomplete(self, model: str, prompt: Any, **kwargs: Any) -> Result:
        """Async twin of complete()."""
        prepared = self.prepare(model, prompt, **kwargs)
        return await run_async(self.runner.execute(prepared))

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
        return prepare_naming_takers(self.requests, model, prompt, **kwargs)

    def capabilities(self, model: str) -> Capabilities:
        """What a model accepts (image, audio, PDF, response formats, tools, n, seed, logprobs) and its size
        limits, each entry with its source; ``.df`` as a table. Provider settings may override entries."""
        return self.requests.capabilities(model)

    def capability_matrix(self, models: Iterable[str]) -> Any:
        """Feature × model table of statuses (then the size limits), for comparing what models accept."""
        import pandas as pd

        columns = {m: self.capabilities(m).df.set_index("feature")["status"] for m in models}
        return pd.DataFrame(columns).reindex([*FEATURES, *LIMITS]).dropna(how="all")

    def models(self, provider: str | None = None, *, live: bool = False) -> Any:
        """The model catalogue as a DataFrame: per model its status (current, deprecated, legacy, retired, with
        dates and replacement), reasoning levels and default, the parameters it rejects, limits, list prices,
        and the source and date of each entry. ``live=True`` asks each provider's ``/models`` too: ``listed``
        says whether the provider lists the entry, and models only the provider lists are added."""
        from multimodel.model_list import models_frame

        return models_frame(self.providers, provider, live=live, transport=self.runner.transport)

    def known_models(self) -> list[str]:
        """Models multimodel knows by name: the simulator's catalogue for a simulated client, else the
        price table's models of the configured built-in providers (the alternatives a refusal names)."""
        return known_models(self.providers)

    def gate(self, provider: str) -> ProviderGate:
        """The admission gate (concurrency, rpm/tpm, learned pauses) of one provider."""
        return self.runner.gate(provider)

    # ------------------------------------------------------------------ fan-out
    def compare(self, prompt: Any, models: Iterable[str] | str | Any, *, fallbacks: dict[str, Any] | None = None,
                live: bool = True, view: Callable[[list[str]], Any] | None = None, **kwargs: Any) -> Comparison:
        """Send the same prompt to several models at once; one Result per model, in the order given.

        In a Jupyter kernel the models' columns fill in live while they stream (``live=False`` turns it
        off; elsewhere nothing is shown until the Comparison is returned).
        ``fallbacks={"anthropic/claude-sonnet-4-6": ["openai/gpt-5.4"]}`` answers from the next model when
        one fails; the row keeps the model as requested in ``model`` and names the one that answered in
        ``answered_by``.
        ``models="auto:3"`` (or ``mm.Router(candidates=[...], n=3)``) picks the models that accept every
        part of the prompt; ``cmp.route.df`` says why each candidate was chosen or excluded.
        ``view=`` takes the models planned and returns a display of your own in place of the live view (the
        terminal's ``compare --stream`` is one): ``on_delta(i, kind, text)``, ``finish(i, result)``, ``close(cmp)``.
        """
        from multimodel.comparison import plan_comparison, run_comparison

        plan, chosen = plan_comparison(self.requests, prompt, models, fallbacks, kwargs)
        return run_comparison(self.runner, plan, prompt, chosen, live=live, simulated=self.simulated, view=view)

    async def acompare(self, prompt: Any, models: Iterable[str] | str | Any, *, fallbacks: dict[str, Any] | None = None,
                       **kwargs: Any) -> Comparison:
        """Async twin of compare()."""
        from multimodel.comparison import arun_comparison, plan_comparison

        plan, chosen = plan_comparison(self.requests, prompt, models, fallbacks, kwargs)
        return await arun_comparison(self.runner, plan, prompt, chosen, simulated=self.simulated)

    def route(self, prompt: Any, candidates: Iterable[str] | None = None, *, n: int = 1,
              prefer: Prefer | Callable[[str], Any] | None = "order", allow_unknown: bool = False,
              **request: Any) -> Route:
        """Which candidates accept every part of this prompt (and the tools / response_format / seed /
        logprobs in ``request``): ``.model`` is the first pick, ``.models`` the ``n`` picks, ``.df`` says
        why each candidate was chosen or excluded. ``prefer``: "order" (as given), "cheapest", or a key."""
        return route(self.requests, prompt, Router(candidates, n=n, prefer=prefer, allow_unknown=allow_unknown),
                     **routing_kwargs(request))

    def evaluate(self, prompts: Any, models: Iterable[str] | str | Any = None, **kwargs: Any) -> Evaluation:
        """Many prompts × models (× repeats) → an Evaluation; resumable, budgeted, with a progress bar.

        Keywords: repeats, scorers (judges among them send their own requests, kept in ``ev.judge_df``), systems
        (system prompts compared like models: a dict name → text), concurrency, budget_usd, budget_override, run_id,
        progress, fallbacks, routes (task → model, for a prompts DataFrame with a ``task`` column), deadline_s (how
        long the whole run may wait out throttling; rows still waiting become ``deadline`` errors), claim_lease_s,
        on_unsupported, and any request parameter. ``models="auto:N"`` or a ``mm.Router`` routes each prompt to
        the models that accept all of it; ``ev.routing`` says why, per prompt and candidate. ``mode``: "live",
        "batch" (the providers' Batch APIs at about half price; resumable) or "auto"; ``on_batch_failure``: "error"
        or "live". A batch run shows its plan first (``batch_plan``); ``plan_only=True`` returns that plan instead
        of running.
        """
        from multimodel.batch_plan import plan_first
        from multimodel.evaluation import evaluate

        planned = plan_first(self.requests, prompts, models, kwargs)
        if planned is not None:
            return planned  # type: ignore[no-any-return]
        return evaluate(self.requests, self.runner, prompts, models, simulated=self.simulated, **kwargs)

    def batch_plan(self, prompts: Any, models: Iterable[str] | str | Any = None, **kwargs: Any) -> Any:
        """What ``evaluate(prompts, models, mode="batch", **kwargs)`` would send where, without sending anything:
        per provider, model and API the rows, batch or live (and why), batches by the provider's limits, and the
        worst-case cost live versus batch (``attrs["estimate_usd"]``: what the budget is checked against)."""
        from multimodel.batch_plan import batch_plan

        return batch_plan(self.requests, prompts, models, **kwargs)

    def batches(self, run_id: str | None = None) -> Any:
        """The Batch API jobs evaluations recorded in the cache (of one run, or all): provider, model, requests,
        state as last seen, when created and collected."""
        from multimodel.batch_runs import batches_frame

        return batches_frame(self.cache, run_id)

    def cancel_batches(self, run_id: str) -> Any:
        """Cancel every batch of an evaluation run still waiting (``ev.run_id``); returns ``batches(run_id)``."""
        from multimodel.batch_runs import cancel_batches

        return cancel_batches(self.runner, run_id)

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


__all__ = ["Client", "ParamWarning"]
