"""Comparison: the Results of one prompt sent to several models, as a table, text and HTML."""

from __future__ import annotations

import html
import math
from typing import Any

from multimodel.frames import results_to_frame
from multimodel.results import Result

SUMMARY_COLUMNS = (
    "model", "finish_reason", "ttft_s", "e2e_s", "prompt_tokens", "completion_tokens", "reasoning_tokens",
    "cost_usd", "error_kind",
)


class Comparison:
    """One prompt × several models. ``df`` has one row per model, in the order requested."""

    def __init__(self, prompt: Any, results: list[Result], *, simulated: bool = False) -> None:
        self.prompt = prompt
        self.results = results
        self.simulated = simulated or any(r.simulated for r in results)
        self._df: Any = None

    @property
    def df(self) -> Any:
        if self._df is None:
            self._df = results_to_frame(self.results)
        return self._df

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
            text = (r.content or "").replace("\n", " ")
            text = text if len(text) <= 70 else text[:67] + "..."
            lines.append(f"  {r.model}: ttft={ttft} tokens={r.completion_tokens} cost={cost} {text!r}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = f"<p><b>{html.escape(self._label())}</b></p>"
        cells = []
        for r in self.results:
            if r.error:
                body = f"<p style='color:#b00'><b>{html.escape(r.error.kind)}</b>: {html.escape(r.error.message)}</p>"
            else:
                reasoning = (
                    f"<details><summary>reasoning</summary><pre style='white-space:pre-wrap'>"
                    f"{html.escape(r.reasoning)}</pre></details>"
                    if r.reasoning
                    else "<p><i>no reasoning text returned by the provider</i></p>"
                )
                calls = "".join(
                    f"<li><code>{html.escape(tc.name)}({html.escape(tc.arguments_raw)})</code></li>"
                    for tc in r.tool_calls
                )
                body = (
                    f"<div style='white-space:pre-wrap'>{html.escape(r.content)}</div>{reasoning}"
                    + (f"<ul>{calls}</ul>" if calls else "")
                )
            cost = "n/a" if math.isnan(r.cost_usd) else f"${r.cost_usd:.6f}"
            ttft = "n/a" if r.ttft_s is None else f"{r.ttft_s:.2f}s"
            e2e = "n/a" if r.e2e_s is None else f"{r.e2e_s:.2f}s"
            badges = f"TTFT {ttft} · total {e2e} · {r.completion_tokens} tokens · {cost}"
            cells.append(
                f"<td style='vertical-align:top;min-width:220px'><h4>{html.escape(r.model)}</h4>"
                f"<small>{html.escape(badges)}</small>{body}</td>"
            )
        return f"{head}<table><tr>{''.join(cells)}</tr></table>"
