"""Two evaluations of the same prompts, paired: per prompt and model (as requested), the score before and after, the
change, and which prompts got better or worse for each model (``pair_runs``, ``summarize_pairs``).

Rows are paired by prompt text (``on="prompt"``), by ``prompt_index`` (``on="prompt_index"``: the prompts were
reworded, or a system message changed), or ``on="auto"``: by text when any prompt matches, else by index. Repeats
of a prompt are averaged within each run, so a pair is one (prompt, model) whatever the repeats.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from multimodel.errors import ConfigError
from multimodel.notebook.browse_data import missing, row_prompts
from multimodel.notebook.html import attribution

#: what happened to a pair, in the order the summary counts them
CHANGES = ("better", "worse", "same", "fixed", "broke", "failed", "unscored", "changed", "only before", "only after")
PAIRING = ("auto", "prompt", "prompt_index")


@dataclass
class Pairing:
    """The pairs (one row per prompt and model, in the before run's order) and how the rows were matched."""

    pairs: Any
    on: str
    scores: list[str]
    primary: str | None
    positions_before: list[list[int]]  # per pair, the positions of its rows in the before frame ([] if none)
    positions_after: list[list[int]]


def _keys(df: Any, on: str, shared_prompt: Any) -> list[Any]:
    if on == "prompt_index":
        return [None if missing(v) else int(v) for v in df["prompt_index"]]
    return row_prompts(df, shared_prompt)


def choose_pairing(before: Any, after: Any, on: str) -> str:
    """``on="auto"``: by prompt text when the runs share any prompt, else by prompt_index when both have it."""
    if on not in PAIRING:
        raise ConfigError(f"on={on!r}: pair the runs' rows by 'prompt' (the prompt text), 'prompt_index' (the "
                          "position in the prompt list) or 'auto' (text when any prompt matches, else position)")
    has_index = "prompt_index" in before.columns and "prompt_index" in after.columns
    if on == "prompt_index" and not has_index:
        raise ConfigError("on='prompt_index' needs a prompt_index column in both frames (ev.df has one); pair by "
                          "on='prompt' instead")
    if on != "auto":
        return on
    if set(row_prompts(before)) & set(row_prompts(after)):
        return "prompt"
    if has_index:
        return "prompt_index"
    raise ConfigError("the two runs share no prompt text and have no prompt_index column to pair by position: "
                      "compare two evaluations of the same prompts (ev.df of each)")


def common_scores(before: Sequence[str], after: Sequence[str], score: str | None) -> tuple[list[str], str | None]:
    """The score columns both runs have (before's order), and the one the changes are counted on."""
    shared = [s for s in before if s in set(after)]
    if score is not None:
        if score not in shared:
            raise ConfigError(f"score={score!r} is not a score column of both runs; both have {shared or 'none'}")
        shared = [score, *(s for s in shared if s != score)]
    return shared, (shared[0] if shared else None)


def _per_pair(df: Any, keys: list[Any], scores: list[str]) -> Any:
    """One row per (key, model as requested): how many rows, how many failed, each score's mean over the repeats,
    mean time and cost per request, the answers (for "did it change"), and the rows' positions in the frame. A
    fallback's answer counts for the model it stood in for, in this release's frames and older ones' alike."""
    import pandas as pd

    n = len(df)
    work = pd.DataFrame({
        "_key": keys,
        "model": [str(m) for m in attribution(df)[0]],
        "_pos": range(n),
        "_error": df["error_kind"].notna().to_numpy() if "error_kind" in df.columns else [False] * n,
        "_answer": [("" if missing(v) else str(v)) for v in df["content"]] if "content" in df.columns else [""] * n,
        "e2e_s": pd.to_numeric(df["e2e_s"], errors="coerce") if "e2e_s" in df.columns else math.nan,
        "cost_usd": pd.to_numeric(df["cost_usd"], errors="coerce") if "cost_usd" in df.columns else math.nan,
    })
    for s in scores:
        work[s] = pd.to_numeric(df[s], errors="coerce").astype(float).to_numpy()
    grouped = work.groupby(["_key", "model"], sort=False, dropna=False)
    out = grouped.agg(n=("_pos", "size"), errors=("_error", "sum"), e2e_s=("e2e_s", "mean"),
                      cost_usd=("cost_usd", "mean"), rows=("_pos", list), answers=("_answer", list))
    for s in scores:
        out[s] = grouped[s].mean()
    return out.reset_index()


def pair_runs(before: Any, after: Any, *, on: str = "auto", score: str | None = None,
              scores_before: Sequence[str] = (), scores_after: Sequence[str] = (),
              tolerance: float = 1e-9) -> Pairing:
    """Pair the two frames' rows per (prompt, model) and classify each pair (``CHANGES``)."""
    import pandas as pd

    for name, df in (("before", before), ("after", after)):
        if "model" not in df.columns:
            raise ConfigError(f"{name} has no 'model' column: pass an Evaluation or its ev.df")
    on = choose_pairing(before, after, on)
    scores, primary = common_scores(scores_before, scores_after, score)
    b = _per_pair(before, _keys(before, on, None), scores)
    a = _per_pair(after, _keys(after, on, None), scores)
    pairs = b.merge(a, on=["_key", "model"], how="outer", suffixes=("_before", "_after"), sort=False, indicator=True)
    pairs = _order_like_before(pairs, b)
    if not (pairs["_merge"] == "both").any():
        raise ConfigError(f"no (prompt, model) of the after run matches one of the before run (paired by {on}); "
                          "compare two evaluations of the same prompts and models, or pass on='prompt_index'")
    prompts_b = row_prompts(before)
    prompts_a = row_prompts(after)
    out = pd.DataFrame({
        "prompt": [prompts_b[rb[0]] if isinstance(rb, list) else prompts_a[ra[0]]
                   for rb, ra in zip(pairs["rows_before"], pairs["rows_after"], strict=True)],
        "model": pairs["model"].to_numpy(),
    })
    if on == "prompt_index":
        out.insert(0, "prompt_index", pairs["_key"].to_numpy())
    for side in ("before", "after"):
        out[f"n_{side}"] = pairs[f"n_{side}"].fillna(0).astype(int).to_numpy()
        out[f"errors_{side}"] = pairs[f"errors_{side}"].fillna(0).astype(int).to_numpy()
    for s in scores:
        out[f"{s}_before"] = pairs[f"{s}_before"].to_numpy(dtype=float)
        out[f"{s}_after"] = pairs[f"{s}_after"].to_numpy(dtype=float)
        out[f"{s}_delta"] = out[f"{s}_after"] - out[f"{s}_before"]
    same = [isinstance(x, list) and isinstance(y, list) and sorted(x) == sorted(y)
            for x, y in zip(pairs["answers_before"], pairs["answers_after"], strict=True)]
    out["same_answers"] = same
    for s in [*scores, None]:
        out[f"change_{s}" if s else "change_answers"] = classify(out, s, tolerance)
    out["change"] = out[f"change_{primary}" if primary else "change_answers"]
    for metric, label in (("e2e_s", "e2e_s_mean"), ("cost_usd", "cost_per_request_usd")):
        out[f"{label}_before"] = pairs[f"{metric}_before"].to_numpy(dtype=float)
        out[f"{label}_after"] = pairs[f"{metric}_after"].to_numpy(dtype=float)
    positions_b = [r if isinstance(r, list) else [] for r in pairs["rows_before"]]
    positions_a = [r if isinstance(r, list) else [] for r in pairs["rows_after"]]
    out["rows_before"] = [[before.index[p] for p in r] for r in positions_b]
    out["rows_after"] = [[after.index[p] for p in r] for r in positions_a]
    return Pairing(pairs=out, on=on, scores=scores, primary=primary, positions_before=positions_b,
                   positions_after=positions_a)


def _order_like_before(pairs: Any, before_pairs: Any) -> Any:
    """Pairs in the before run's order (prompt, then model), the after run's new pairs last."""
    order = {key: i for i, key in enumerate(zip(before_pairs["_key"], before_pairs["model"], strict=True))}
    rank = [order.get(k, len(order) + i) for i, k in enumerate(zip(pairs["_key"], pairs["model"], strict=True))]
    return pairs.assign(_rank=rank).sort_values("_rank", kind="stable").drop(columns="_rank").reset_index(drop=True)


def classify(pairs: Any, score: str | None, tolerance: float) -> list[str]:
    """Each pair's change on ``score`` (``None``: whether the answers changed). A side that failed on every repeat
    counts as failed: ok → failed is "broke", failed → ok "fixed", failed both times "failed"."""
    out = []
    for i in range(len(pairs)):
        nb, na = pairs["n_before"].iat[i], pairs["n_after"].iat[i]
        if nb == 0 or na == 0:
            out.append("only after" if nb == 0 else "only before")
            continue
        failed_b = pairs["errors_before"].iat[i] == nb
        failed_a = pairs["errors_after"].iat[i] == na
        if failed_b or failed_a:
            out.append("failed" if failed_b and failed_a else "fixed" if failed_b else "broke")
            continue
        if score is None:
            out.append("same" if pairs["same_answers"].iat[i] else "changed")
            continue
        delta = pairs[f"{score}_delta"].iat[i]
        if math.isnan(delta):
            out.append("unscored")
        else:
            out.append("better" if delta > tolerance else "worse" if delta < -tolerance else "same")
    return out


def summarize_pairs(pairs: Any, score: str | None, *, seed: int = 0, resamples: int = 2000) -> Any:
    """Per model: pairs, each change's count, the mean score before and after on the pairs scored in both runs,
    and the mean change with a paired bootstrap 95% interval (prompts resampled)."""
    import numpy as np
    import pandas as pd

    column = f"change_{score}" if score else "change_answers"
    rng = np.random.default_rng(seed)
    rows = []
    for model, g in pairs.groupby("model", sort=False):
        row: dict[str, Any] = {"model": model, "pairs": len(g)}
        counts = g[column].value_counts()
        row.update({c.replace(" ", "_"): int(counts.get(c, 0)) for c in CHANGES})
        if score:
            both = g[g[f"{score}_before"].notna() & g[f"{score}_after"].notna()]
            deltas = both[f"{score}_delta"].to_numpy(dtype=float)
            row.update({"scored_pairs": len(both), f"{score}_mean_before": _mean(both[f"{score}_before"]),
                        f"{score}_mean_after": _mean(both[f"{score}_after"]), "mean_delta": _mean(deltas)})
            low = high = math.nan
            if len(deltas) > 1:
                means = deltas[rng.integers(0, len(deltas), size=(resamples, len(deltas)))].mean(axis=1)
                low, high = float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))
            row["delta_ci95_low"], row["delta_ci95_high"] = low, high
        rows.append(row)
    return pd.DataFrame(rows)


def _mean(values: Any) -> float:
    import numpy as np

    arr = np.asarray(values, dtype=float)
    return float(arr.mean()) if len(arr) else math.nan
