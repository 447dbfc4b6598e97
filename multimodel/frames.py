"""Results → pandas DataFrame with the DESIGN.md column names (pandas imported on first use)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from multimodel.results import Result

COLUMNS = (
    "model", "provider", "response_model", "content", "reasoning", "tool_calls", "finish_reason",
    "native_finish_reason", "prompt_tokens", "completion_tokens", "reasoning_tokens", "cached_tokens",
    "cost_usd", "cost_source", "ttft_s", "ttfat_s", "e2e_s", "itl_s", "output_tps", "error", "error_kind",
    "error_status", "error_message", "error_retry_after_s", "error_provider_code", "attempts", "cached",
    "simulated", "stream", "request_id", "created_at", "fallback_from",
)
_INT_COLUMNS = ("prompt_tokens", "completion_tokens", "reasoning_tokens", "cached_tokens", "error_status")
_FLOAT_COLUMNS = ("cost_usd", "ttft_s", "ttfat_s", "e2e_s", "itl_s", "output_tps", "error_retry_after_s")


def results_to_frame(results: Iterable[Result], extra: list[dict[str, Any]] | None = None) -> Any:
    """One row per Result; token counts as nullable Int64, times and cost as float (NaN when unknown)."""
    import pandas as pd

    rows = [r.to_dict() for r in results]
    if extra:
        for row, more in zip(rows, extra, strict=True):
            row.update(more)
    df = pd.DataFrame.from_records(rows, columns=list(COLUMNS) + [c for c in (extra[0] if extra else {})
                                                                   if c not in COLUMNS])
    for col in _INT_COLUMNS:
        df[col] = pd.array(df[col], dtype="Int64")
    for col in _FLOAT_COLUMNS:
        df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
    return df
