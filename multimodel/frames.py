"""Results → pandas DataFrame with the DESIGN.md column names (pandas imported on first use).

Built column by column (one attribute sweep per column, derived metrics vectorized with numpy, the
garbage collector paused while millions of small objects are created): about 2.5x faster than building
row dicts, which matters for 100,000-row evaluations.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable
from typing import Any

from multimodel.results import Result

COLUMNS = (
    "model", "provider", "response_model", "content", "reasoning", "tool_calls", "finish_reason",
    "native_finish_reason", "prompt_tokens", "completion_tokens", "reasoning_tokens", "cached_tokens",
    "cost_usd", "cost_source", "ttft_s", "ttfat_s", "e2e_s", "itl_s", "output_tps", "error", "error_kind",
    "error_status", "error_message", "error_retry_after_s", "error_provider_code", "attempts", "cached",
    "simulated", "stream", "request_id", "created_at", "fallback_from", "dropped_inputs", "unverified_inputs",
    "route_reason", "logprobs",
)
_INT_COLUMNS = ("prompt_tokens", "completion_tokens", "reasoning_tokens", "cached_tokens")
_FLOAT_COLUMNS = ("cost_usd", "ttft_s", "ttfat_s", "e2e_s")
_PLAIN_COLUMNS = ("model", "provider", "response_model", "content", "reasoning", "finish_reason",
                  "native_finish_reason", "cost_source", "attempts", "cached", "simulated", "stream", "request_id",
                  "created_at", "fallback_from", "route_reason", "logprobs")


def _ints(values: list[Any]) -> Any:
    """A nullable Int64 array from ints and Nones."""
    import numpy as np
    import pandas as pd

    mask = np.fromiter((v is None for v in values), dtype=bool, count=len(values))
    data = np.fromiter((0 if v is None else v for v in values), dtype=np.int64, count=len(values))
    return pd.arrays.IntegerArray(data, mask)


def _floats(values: list[Any]) -> Any:
    import numpy as np

    return np.fromiter((np.nan if v is None else v for v in values), dtype=np.float64, count=len(values))


def results_to_frame(results: Iterable[Result]) -> Any:
    """One row per Result; token counts as nullable Int64, times and cost as float (NaN when unknown)."""
    import numpy as np
    import pandas as pd

    results = list(results)
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        cols: dict[str, Any] = {}
        for name in _PLAIN_COLUMNS:
            cols[name] = [getattr(r, name) for r in results]
        cols["tool_calls"] = [[tc.to_dict() for tc in r.tool_calls] if r.tool_calls else [] for r in results]
        cols["dropped_inputs"] = [list(r.dropped_inputs) for r in results]
        cols["unverified_inputs"] = [list(r.unverified_inputs) for r in results]
        for name in _INT_COLUMNS:
            cols[name] = _ints([getattr(r, name) for r in results])
        for name in _FLOAT_COLUMNS:
            cols[name] = _floats([getattr(r, name) for r in results])
        errors = [r.error for r in results]
        cols["error"] = [str(e) if e else None for e in errors]
        cols["error_kind"] = [e.kind if e else None for e in errors]
        cols["error_status"] = _ints([e.status if e else None for e in errors])
        cols["error_message"] = [e.message if e else None for e in errors]
        cols["error_retry_after_s"] = _floats([e.retry_after_s if e else None for e in errors])
        cols["error_provider_code"] = [e.provider_code if e else None for e in errors]
        # derived metrics (DESIGN.md section 2), vectorized; NaN where a Result's property would be None
        ttft, e2e = cols["ttft_s"], cols["e2e_s"]
        completion = cols["completion_tokens"].to_numpy(dtype=np.float64, na_value=np.nan)
        span = e2e - ttft
        with np.errstate(divide="ignore", invalid="ignore"):
            cols["itl_s"] = np.where(completion >= 2, span / (completion - 1), np.nan)
            cols["output_tps"] = np.where((completion > 0) & (span > 0), completion / span, np.nan)
        df = pd.DataFrame({name: cols[name] for name in COLUMNS})
    finally:
        if gc_was_enabled:
            gc.enable()
    return df
