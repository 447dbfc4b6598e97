"""Comparison: the Results of one prompt sent to several models, as a table, text, HTML, charts and a report."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from multimodel.frames import results_to_frame
from multimodel.results import Result

SUMMARY_COLUMNS = (
    "model", "finish_reason", "ttft_s", "e2e_s", "prompt_tokens", "completion_tokens", "reasoning_tokens",
    "cost_usd", "error_kind",
)


class Comparison:
    """One prompt × several models. ``df`` has one row per model, in the order requested.

    In Jupyter it shows side by side (``_repr_html_``); when the live widget view already showed the
    columns, displaying it again shows a compact summary table instead of the same columns twice.
    ``cmp.plot.<chart>()`` draws the charts of ``multimodel.plots``; ``cmp.to_html(path)`` writes a
    standalone report.
    """

    def __init__(self, prompt: Any, results: list[Result], *, simulated: bool = False) -> None:
        self.prompt = prompt
        self.results = results
        self.simulated = simulated or any(r.simulated for r in results)
        self.live_view: Any = None  # set by LiveView.close() when the columns were shown live
        self.route: Any = None  # the routing decision when models="auto:N" or a Router chose the models
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
        for r in self.results:
            if r.model == model:
                return r
        raise KeyError(f"{model!r} is not in this comparison: {[r.model for r in self.results]}")

    def __len__(self) -> int:
        return len(self.results)

    def summary(self) -> Any:
        """The columns a reader compares first: timings, tokens, cost, errors."""
        return self.df[list(SUMMARY_COLUMNS)]

    def _label(self) -> str:
        return "SIMULATED (multimodel's built-in simulator, not real model output)" if self.simulated else "live"

    def __repr__(self) -> str:
        lines = [f"<Comparison of {len(self.results)} models: {self._label()}>"]
        for r in self.results:
            if r.error:
                lines.append(f"  {r.model}: ERROR {r.error}")
                continue
            cost = "n/a" if math.isnan(r.cost_usd) else f"${r.cost_usd:.6f}"
            ttft = "n/a" if r.ttft_s is None else f"{r.ttft_s:.2f}s"
            e2e = "n/a" if r.e2e_s is None else f"{r.e2e_s:.2f}s"
            text = (r.content or "").replace("\n", " ")
            text = text if len(text) <= 70 else text[:67] + "..."
            reasoning = "" if r.reasoning is None else f" reasoning={len(r.reasoning)}ch"
            calls = f" tool_calls={len(r.tool_calls)}" if r.tool_calls else ""
            lines.append(
                f"  {r.model}: ttft={ttft} total={e2e} tokens={r.completion_tokens} cost={cost}{reasoning}{calls}"
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

    def to_html(self, path: str | Path, **kwargs: Any) -> Path:
        """Write a standalone HTML report (tables and charts embedded; opens with no kernel)."""
        from multimodel.report import write_report

        return write_report(self, path, **kwargs)
