"""One prompt fanned out to several models: the plan (routing, each model's request and its fallbacks, all
checked before anything is sent), the run (live view included), and the Comparison it returns (a table,
text, HTML, charts and a report)."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any

from multimodel.errors import ConfigError
from multimodel.providers.capabilities import UnsupportedInputError
from multimodel.request import PreparedRequest, RequestPreparer, check_fallbacks
from multimodel.results import Result, results_to_frame, streamed_only
from multimodel.routing import Route, as_router, route_or_raise, routing_kwargs, takers
from multimodel.runner import Runner
from multimodel.transport import run_async, run_sync

#: each model's request and the requests of its fallbacks, in the order the models were given
Plan = list[tuple[PreparedRequest, list[PreparedRequest]]]

#: ``cmp.summary()``: one row per model as requested, so ``cost_usd`` and the token counts are that one request's
#: (the fallback's, when ``answered_by`` names one); ``ttft_s`` is empty where ``stream`` is False (the first token's
#: time is only seen on a stream)
SUMMARY_COLUMNS = (
    "model", "answered_by", "ttft_s", "e2e_s", "prompt_tokens", "completion_tokens", "reasoning_tokens", "cost_usd",
    "error_kind", "finish_reason", "stream",
)


def plan_comparison(preparer: RequestPreparer, prompt: Any, models: Any, fallbacks: dict[str, Any] | None,
                    kwargs: dict[str, Any]) -> tuple[Plan, Route | None]:
    """Route (for ``models="auto:N"`` or a Router) and prepare every request; one ConfigError naming every
    model that cannot take the prompt, and the models that could, before anything is sent. The preparation's
    warnings come as one per category (missing prices, changed parameters, ...) naming every model concerned."""
    with preparer.one_warning_per_run():
        return _plan(preparer, prompt, models, fallbacks, kwargs)


def _plan(preparer: RequestPreparer, prompt: Any, models: Any, fallbacks: dict[str, Any] | None,
          kwargs: dict[str, Any]) -> tuple[Plan, Route | None]:
    router = as_router(models)
    chosen = None
    if router is not None:
        chosen = route_or_raise(preparer, prompt, router, **routing_kwargs(kwargs))
        models = chosen.models
    elif isinstance(models, str):
        raise ConfigError("models must be a list of 'provider/model-id' strings (or 'auto:N' to route), "
                          "not one model string")
    elif not isinstance(models, Iterable):
        raise ConfigError(f"models must be a list of 'provider/model-id' strings (or 'auto:N' to route), "
                          f"got {models!r}")
    models = list(models)
    if not models:
        raise ConfigError("compare() needs at least one model, e.g. models=['openai/gpt-5.4', ...]")
    plan: Plan = []
    refused: list[UnsupportedInputError] = []
    tried = 0
    fallbacks = check_fallbacks(fallbacks)
    for m in models:
        fbs = fallbacks.get(m, [])
        prepared = []
        for name, label in [(m, m), *((fb, f"{fb} (fallback of {m})") for fb in fbs)]:
            tried += 1
            try:
                prepared.append(preparer.prepare(name, prompt, **kwargs))
            except UnsupportedInputError as exc:  # collect them all: one error naming every model
                refused.append(UnsupportedInputError([(label, losses) for _, losses in exc.lost]))
        if not refused:
            if chosen is not None:
                prepared[0].route_reason = chosen.reason(m)
            plan.append((prepared[0], prepared[1:]))
    if refused:
        error = UnsupportedInputError.combine(refused, of=tried)
        raise error.with_takers(takers(preparer, prompt, kwargs, exclude="")) from None
    return plan, chosen


def run_comparison(runner: Runner, plan: Plan, prompt: Any, route: Route | None, *, live: bool,
                   simulated: bool, view: Callable[[list[str]], Any] | None = None) -> Comparison:
    """Send the plan on the I/O loop and wait; in Jupyter (``live``) the columns fill in as they stream. ``view``,
    given the planned models, returns another display with the live view's methods: ``on_delta(i, kind, text)``
    and ``finish(i, result)`` (called on the I/O thread), then ``close(comparison)`` (``None`` after a failure)."""
    models = [req.model for req, _ in plan]
    own_view = view is None  # a caller's display is closed, not kept on the comparison as its live view
    if view is not None:
        view = view(models)
    elif live:
        from multimodel.notebook import start_live_view

        view = start_live_view(models, prompt=prompt, simulated=simulated)
    if view is not None:
        for i, (req, fbs) in enumerate(plan):
            for r in (req, *fbs):
                r.on_delta = _chain(r.on_delta, partial(view.on_delta, i))

    async def one(i: int, req: PreparedRequest, fbs: list[PreparedRequest]) -> Result:
        result = await runner.execute_with_fallbacks(req, fbs)
        if view is not None:
            view.finish(i, result)
        return result

    try:
        results = run_sync(_gather([one(i, req, fbs) for i, (req, fbs) in enumerate(plan)]))
    except BaseException:
        if view is not None:
            view.close(None)
        raise
    cmp = Comparison(prompt, results, simulated=simulated, route=route)
    if view is not None:
        view.close(cmp)
        if own_view:
            cmp.live_view = view
    return cmp


async def arun_comparison(runner: Runner, plan: Plan, prompt: Any, route: Route | None, *,
                          simulated: bool) -> Comparison:
    """Async twin of run_comparison() (no live view)."""
    results = await run_async(_gather([runner.execute_with_fallbacks(req, fbs) for req, fbs in plan]))
    return Comparison(prompt, results, simulated=simulated, route=route)


def _chain(first: Callable[[str, str], None] | None,
           second: Callable[[str, str], None]) -> Callable[[str, str], None]:
    """Call the caller's own on_delta (if any) and then the live view's."""
    if first is None:
        return second

    def both(kind: str, text: str) -> None:
        first(kind, text)
        second(kind, text)

    return both


def row_label(result: Result) -> str:
    """The model as requested, and the fallback that answered for it when one did (or, when every model of the
    chain failed, the last one tried)."""
    if result.answered_by in (None, result.model):
        return result.model
    if result.error is not None:
        return f"{result.model} (its fallbacks failed too; the last tried: {result.answered_by})"
    return f"{result.model} (answered by {result.answered_by}, its fallback)"


async def _gather(coros: list[Any]) -> list[Result]:
    return list(await asyncio.gather(*coros))


class Comparison:
    """One prompt × several models. ``df`` has one row per model, in the order requested: ``model`` is the model as
    requested on every row, ``answered_by`` the fallback that answered when the model failed.

    In Jupyter it shows side by side (``_repr_html_``); when the live widget view already showed the
    columns, displaying it again shows a compact summary table instead of the same columns twice.
    ``cmp.plot.<chart>()`` draws the charts of ``multimodel.plots``; ``cmp.to_html(path)`` writes a
    standalone report.
    """

    report_kind = "comparison"  # how write_report lays it out

    def __init__(self, prompt: Any, results: list[Result], *, simulated: bool = False,
                 route: Route | None = None) -> None:
        self.prompt = prompt
        self.results = results
        self.simulated = simulated or any(r.simulated for r in results)
        self.live_view: Any = None  # set by LiveView.close() when the columns were shown live
        self.route = route  # the routing decision when models="auto:N" or a Router chose the models
        self._df: Any = None

    @property
    def df(self) -> Any:
        if self._df is None:
            self._df = results_to_frame(self.results)
        return self._df

    @property
    def plot(self) -> Any:
        """Charts of this comparison: ``cmp.plot.cost_vs_latency()``, ``.latency_distribution()``, …"""
        from multimodel.plots import PlotAccessor

        return PlotAccessor(lambda: self.df)

    def __getitem__(self, model: str) -> Result:
        """The row of ``model`` as requested (a fallback's answer to it included: see its ``answered_by``)."""
        for r in self.results:
            if r.model == model:
                return r
        raise KeyError(f"{model!r} is not in this comparison: {[r.model for r in self.results]}")

    def __len__(self) -> int:
        return len(self.results)

    def summary(self) -> Any:
        """The columns a reader compares first: timings, tokens, cost, errors, and whether the request streamed
        (``ttft_s`` is NaN where it did not: pass ``stream=True`` to measure the time to first token)."""
        return self.df[list(SUMMARY_COLUMNS)]

    def _label(self) -> str:
        return "SIMULATED (multimodel's built-in simulator, not real model output)" if self.simulated else "live"

    def __repr__(self) -> str:
        lines = [f"<Comparison of {len(self.results)} models: {self._label()}>"]
        for r in self.results:
            if r.error:
                lines.append(f"  {row_label(r)}: ERROR {r.error}")
                continue
            cost = "n/a" if math.isnan(r.cost_usd) else f"${r.cost_usd:.6f}"
            first = streamed_only(r, "ttft_s")
            ttft = ("n/a" if r.stream else "n/a (not streamed)") if first is None else f"{first:.2f}s"
            e2e = "n/a" if r.e2e_s is None else f"{r.e2e_s:.2f}s"
            text = (r.content or "").replace("\n", " ")
            text = text if len(text) <= 70 else text[:67] + "..."
            reasoning = "" if r.reasoning is None else f" reasoning={len(r.reasoning)}ch"
            calls = f" tool_calls={len(r.tool_calls)}" if r.tool_calls else ""
            lines.append(
                f"  {row_label(r)}: ttft={ttft} total={e2e} tokens={r.completion_tokens} cost={cost}{reasoning}{calls}"
                f" {text!r}"
            )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from multimodel.notebook.html import comparison_html

        return comparison_html(self.results, prompt=self.prompt, simulated=self.simulated)

    def summary_html(self) -> str:
        """A compact per-model table (timings, tokens, speed, cost, errors) as HTML."""
        from multimodel.notebook.html import simulated_banner, summary_table_html

        head = simulated_banner() if self.simulated else ""
        return f"<div class='mm-comparison-summary'>{head}{summary_table_html(self.df)}</div>"

    def _ipython_display_(self) -> None:
        from IPython.display import display

        if self.live_view is not None:
            # The columns are already on screen in the live view: show the numbers, not the same text twice.
            display({"text/plain": repr(self), "text/html": self.summary_html()}, raw=True)
        else:
            display({"text/plain": repr(self), "text/html": self._repr_html_()}, raw=True)

    def browse(self, **options: Any) -> Any:
        """Search, sort and read the answers in the notebook (:func:`multimodel.notebook.browse.browse`)."""
        from multimodel.notebook.browse import browse

        return browse(self, **options)

    def to_html(self, path: str | Path, **kwargs: Any) -> Path:
        """Write a standalone HTML report (tables and charts embedded; opens with no kernel)."""
        from multimodel.report import write_report

        return write_report(self, path, **kwargs)
