"""Statistics for evaluation results: clustered standard errors, per-prompt reducers, paired comparisons, power.

Pure functions over numpy arrays and pandas DataFrames (nothing here sends a request or draws a chart), so the
evaluation, the charts and a researcher's own notebook all get the same numbers. The method follows Miller (2024),
"Adding Error Bars to Evals: A Statistical Approach to Language Model Evaluations" (arXiv 2411.00640): prompts are
a sample from a larger population of prompts, so a score is an estimate with a standard error; samples of the same
prompt (repeats) or prompts of the same group are not independent, so the error is clustered; two models are
compared on the same prompts through their per-prompt differences; and a power analysis says how many prompts a
comparison needs. The per-prompt reducers follow Inspect AI's epoch reducers (inspect_ai.scorer: mean, mode,
at_least, pass_at, max) where those define a behaviour.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import special as _special

from multimodel.errors import ConfigError

__all__ = [
    "REDUCERS",
    "Estimate",
    "Paired",
    "clustered_mean",
    "minimum_detectable_difference",
    "paired_difference",
    "paired_table",
    "prompts_needed",
    "reduce_per_prompt",
    "reduce_samples",
    "score_table",
]

#: the per-prompt reducers, by name (Inspect AI's names are accepted too: see _ALIASES)
REDUCERS = ("mean", "majority", "pass@k", "at_least_k", "max", "min")
_ALIASES = {"mode": "majority", "pass_at_k": "pass@k", "pass_at": "pass@k", "at_least": "at_least_k"}
_NEEDS_K = ("pass@k", "at_least_k")


# ------------------------------------------------------------------------------------------------ input checks


def _check_probability(value: Any, name: str) -> float:
    """A level, alpha or power: a number strictly between 0 and 1."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise ConfigError(f"{name} must be a number strictly between 0 and 1 (e.g. 0.95), got {value!r}")
    return float(value)


def _as_floats(values: Any, name: str) -> np.ndarray:
    """A 1-D float array (bools become 0/1, None becomes NaN); ConfigError for text or infinities."""
    try:
        if isinstance(values, pd.Series | pd.Index):
            array = values.to_numpy(dtype=float, na_value=np.nan)
        else:
            array = np.asarray(values if isinstance(values, np.ndarray) else list(values), dtype=float)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{name} must be a sequence of numbers (or bools, or NaN for unscored); {exc}") from None
    if array.ndim != 1:
        raise ConfigError(f"{name} must be one-dimensional, got shape {array.shape}")
    if np.isinf(array).any():
        raise ConfigError(f"{name} holds an infinite value; scores must be finite numbers or NaN")
    return array


def _cluster_codes(clusters: Any, size: int, keep: np.ndarray, name: str = "clusters") -> np.ndarray:
    """Integer codes 0..G-1 for the cluster labels of the kept values."""
    if isinstance(clusters, str) or not isinstance(clusters, Iterable):
        raise ConfigError(f"{name} must be a sequence of labels, one per value, got {clusters!r}")
    one_d = isinstance(clusters, pd.Series | pd.Index | np.ndarray) and clusters.ndim == 1
    labels = clusters if one_d else pd.Series(list(clusters), dtype=object)
    if len(labels) != size:
        raise ConfigError(f"{name} has {len(labels)} labels for {size} values; give one label per value")
    codes, _ = pd.factorize(labels)
    missing = keep & (codes < 0)
    if missing.any():
        raise ConfigError(f"{name} has {int(missing.sum())} missing labels on scored values; give every value a "
                          "cluster (a prompt alone can be its own cluster)")
    _, dense = np.unique(codes[keep], return_inverse=True)
    return dense


def _check_k(reducer: str, k: Any) -> int | None:
    if reducer not in _NEEDS_K:
        if k is not None:
            raise ConfigError(f"k applies to the {' and '.join(_NEEDS_K)} reducers, not {reducer!r}; drop k")
        return None
    if k is None:
        raise ConfigError(f"the {reducer} reducer needs k (e.g. k=1)")
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ConfigError(f"k must be a whole number >= 1, got {k!r}")
    return int(k)


def _reducer_name(reducer: Any) -> str:
    name = _ALIASES.get(reducer, reducer) if isinstance(reducer, str) else reducer
    if name not in REDUCERS:
        raise ConfigError(f"unknown reducer {reducer!r}; use one of {', '.join(REDUCERS)}")
    return name


def _level_tag(level: float) -> str:
    """0.95 → "95", 0.9 → "90", 0.975 → "97.5": how a level or power names a column."""
    return f"{round(level * 100, 6):g}"


def _names(value: str | Iterable[str], what: str) -> tuple[str, ...]:
    names = (value,) if isinstance(value, str) else tuple(value)
    if not all(isinstance(n, str) for n in names):
        raise ConfigError(f"{what} must be a column name or a list of column names, got {value!r}")
    return names


def _require_columns(frame: pd.DataFrame, columns: Iterable[str | None]) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise ConfigError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in dict.fromkeys(columns) if c is not None and c not in frame.columns]
    if missing:
        raise ConfigError(f"column(s) {', '.join(map(repr, missing))} not in the frame; it has: "
                          f"{', '.join(map(str, frame.columns))}")


def _numeric_column(frame: pd.DataFrame, column: str) -> pd.Series:
    try:
        return frame[column].astype(float)
    except (TypeError, ValueError):
        raise ConfigError(f"score column {column!r} holds non-numbers; a scorer must return numbers, bools or "
                          "None (NaN)") from None


def _t(q: float, df: float) -> float:
    """Student t quantile (scipy.special.stdtrit: what scipy.stats.t.ppf computes, without its overhead)."""
    return float(_special.stdtrit(df, q))


# ------------------------------------------------------------------------------------------- clustered means


@dataclass(frozen=True)
class Estimate:
    """A mean with its (clustered) standard error and a Student-t confidence interval at ``level``.

    n: values used (NaN dropped); clusters: G, the independent units; df: G - 1, the t distribution's degrees of
    freedom. se and the interval are NaN when n < 2 or G < 2 (no spread to measure)."""

    mean: float
    se: float
    ci_low: float
    ci_high: float
    n: int
    clusters: int
    df: int
    level: float


def clustered_mean(values: Any, clusters: Any = None, *, level: float = 0.95) -> Estimate:
    """The mean of ``values`` with its CR1 cluster-robust standard error and a t confidence interval.

    se = sqrt(G / (G - 1) * sum_c (sum_{i in c} (x_i - mean))^2) / n, where the outer sum runs over the G clusters
    and n counts the values. This is the sandwich (Liang-Zeger) variance of a regression on a constant with the
    CR1 small-sample factor G/(G-1) (Stata's and statsmodels' default; the (n-1)/(n-k) factor is 1 for k = 1), and
    it is the clustered standard error of Miller (2024, arXiv 2411.00640, the section on clustered standard
    errors): answers to the same prompt, or prompts of the same group, move together, so they count once per
    cluster, not once per row. With ``clusters=None`` every value is its own cluster and the formula reduces
    exactly to the classical s / sqrt(n).

    The interval is mean ± t_{G-1, (1+level)/2} · se. With clustered errors the effective sample size is the
    number of clusters, not of rows, and the variance estimate has G - 1 degrees of freedom; a normal quantile
    (1.96) would make the interval too narrow when G is small (Cameron & Miller 2015, "A Practitioner's Guide to
    Cluster-Robust Inference", on few clusters), so the t quantile with G - 1 df is used, as statsmodels and
    Stata do.

    NaN values (unscored rows: errors, a scorer that could not decide) are dropped with their cluster labels.
    """
    level = _check_probability(level, "level")
    x = _as_floats(values, "values")
    keep = ~np.isnan(x)
    codes = np.arange(int(keep.sum())) if clusters is None else _cluster_codes(clusters, x.size, keep)
    x = x[keep]
    n = int(x.size)
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, math.nan, 0, 0, 0, level)
    mean = float(x.mean())
    g = int(codes.max()) + 1
    if n < 2 or g < 2:
        return Estimate(mean, math.nan, math.nan, math.nan, n, g, max(g - 1, 0), level)
    sums = np.bincount(codes, weights=x - mean, minlength=g)
    se = math.sqrt(g / (g - 1) * float(sums @ sums)) / n
    half = _t((1 + level) / 2, g - 1) * se
    return Estimate(mean, se, mean - half, mean + half, n, g, g - 1, level)


# ------------------------------------------------------------------------------------------ per-prompt reducers


def _pass_at_k(scored: int, passed: int, k: int) -> float:
    """Chen et al. (2021)'s unbiased pass@k: 1 - C(n-c, k) / C(n, k) (exact integer binomials)."""
    if scored < k:
        return math.nan
    return 1.0 - math.comb(scored - passed, k) / math.comb(scored, k)


def reduce_samples(scores: Any, reducer: str, *, k: int | None = None, threshold: float = 1.0) -> float:
    """One prompt's samples (repeats) → one number, NaN scores left out (NaN when none is scored).

    - "mean": the average (Inspect's mean_score).
    - "majority": the most common value; a tie goes to the LOWER value, so a split vote never rounds a prompt up
      (Inspect's mode_score takes whichever tied value came first; order-dependent, so not copied).
    - "pass@k": the probability that at least one of k samples drawn from the n scored ones passes, by the
      unbiased estimator of Chen et al. (2021), "Evaluating Large Language Models Trained on Code" (arXiv
      2107.03374): 1 - C(n-c, k) / C(n, k), c the samples with score >= threshold (Inspect's pass_at). NaN when
      fewer than k samples were scored; ConfigError when fewer than k were drawn at all (ask for more repeats).
    - "at_least_k": 1.0 when at least k samples score >= threshold, else 0.0 (Inspect's at_least); ConfigError
      when fewer than k were drawn.
    - "max" / "min": the best / worst sample.
    Inspect's names (mode, pass_at_k, pass_at, at_least) are accepted as aliases.
    """
    name = _reducer_name(reducer)
    k = _check_k(name, k)
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not math.isfinite(threshold):
        raise ConfigError(f"threshold must be a finite number (a sample passes when score >= threshold), "
                          f"got {threshold!r}")
    x = _as_floats(scores, "scores")
    if k is not None and k > x.size:
        raise ConfigError(f"{name} with k={k} needs at least {k} samples of the prompt, got {x.size}; "
                          f"draw more (repeats >= {k}) or lower k")
    unscored = int(np.count_nonzero(np.isnan(x)))
    x = x[~np.isnan(x)]
    if x.size == 0:
        return math.nan
    if name == "mean":
        return float(x.mean())
    if name == "majority":
        values, counts = np.unique(x, return_counts=True)  # sorted ascending: argmax picks the lowest of a tie
        return float(values[int(np.argmax(counts))])
    if name == "max":
        return float(x.max())
    if name == "min":
        return float(x.min())
    passed = int(np.count_nonzero(x >= threshold))
    if name == "pass@k":
        return _pass_at_k(int(x.size), passed, k)
    if passed >= k:
        return 1.0
    return 0.0 if passed + unscored < k else math.nan  # the unscored samples could still have made k


def reduce_per_prompt(frame: pd.DataFrame, score: str, *, by: str | Sequence[str] = ("model",),
                      prompt: str = "prompt_index", reducer: str = "mean", k: int | None = None,
                      threshold: float = 1.0) -> pd.DataFrame:
    """One row per ``by`` group × prompt: the prompt's samples reduced to one number (see reduce_samples).

    Columns: the ``by`` columns, ``prompt``, ``score`` (the reduced value), ``samples`` (scored samples) and
    ``unscored`` (samples whose score is NaN). Groups keep the order in which they first appear."""
    by = _names(by, "by")
    _require_columns(frame, [*by, prompt, score])
    name = _reducer_name(reducer)
    k = _check_k(name, k)
    keys = [*by, prompt]
    values = _numeric_column(frame, score)
    grouped = values.groupby([frame[c] for c in keys], sort=False, dropna=False)
    if k is not None and len(frame):
        sizes = grouped.size()
        if int(sizes.min()) < k:
            worst = sizes.idxmin()
            where = dict(zip(keys, worst if isinstance(worst, tuple) else (worst,), strict=True))
            raise ConfigError(f"{name} with k={k} needs at least {k} samples per prompt; {where} "
                              f"has {int(sizes.min())}; run with repeats >= {k} or lower k")
    if name == "mean":
        reduced = grouped.mean()
    else:
        reduced = grouped.agg(lambda s: reduce_samples(s.to_numpy(), name, k=k, threshold=threshold))
    out = pd.DataFrame({score: reduced.astype(float), "samples": grouped.count(),
                        "unscored": grouped.size() - grouped.count()})
    out = out.reset_index()
    out.columns = [*keys, score, "samples", "unscored"]
    return out.astype({"samples": int, "unscored": int})


# ---------------------------------------------------------------------------------------------- summary table


def _prompt_clusters(frame: pd.DataFrame, prompt: str, cluster: str) -> pd.Series:
    """prompt → its cluster label; ConfigError unless every prompt sits in exactly one cluster."""
    labels = frame[[prompt, cluster]]
    if labels[cluster].isna().any():
        raise ConfigError(f"cluster column {cluster!r} is empty on {int(labels[cluster].isna().sum())} rows; give "
                          "every prompt a cluster (a prompt alone can be its own cluster)")
    spread = labels.groupby(prompt, sort=False, dropna=False)[cluster].nunique()
    if (spread > 1).any():
        bad = spread[spread > 1].index[:5].tolist()
        raise ConfigError(f"prompt(s) {bad} fall in several {cluster!r} clusters; clusters must group whole prompts "
                          f"(every sample of a prompt in the same cluster): fix the {cluster!r} column")
    return labels.drop_duplicates(prompt).set_index(prompt)[cluster]


def _groups(frame: pd.DataFrame, by: tuple[str, ...]) -> list[tuple[tuple, pd.DataFrame]]:
    if not by:
        return [((), frame)]
    return [(key, part) for key, part in frame.groupby(list(by), sort=False, dropna=False)]


def _score_columns(s: str, est: Estimate, tag: str, prompts: int, samples: int,
                   clustered: bool) -> dict[str, Any]:
    row = {f"{s}_mean": est.mean, f"{s}_se": est.se, f"{s}_ci{tag}_low": est.ci_low,
           f"{s}_ci{tag}_high": est.ci_high, f"{s}_prompts": prompts, f"{s}_samples": samples}
    if clustered:
        row[f"{s}_clusters"] = est.clusters
    return row


def score_table(frame: pd.DataFrame, scores: str | Sequence[str], *, by: str | Sequence[str] = ("model",),
                prompt: str = "prompt_index", cluster: str | None = None, reducer: str | None = None,
                k: int | None = None, level: float = 0.95, threshold: float = 1.0) -> pd.DataFrame:
    """Per ``by`` group and score: mean, clustered standard error, confidence interval, prompts and samples.

    Columns per score s: ``{s}_mean, {s}_se, {s}_ci95_low, {s}_ci95_high, {s}_prompts, {s}_samples`` (the CI named
    by level: ci90 for 0.90), plus ``{s}_clusters`` when ``cluster`` is given. NaN scores (error rows, undecided
    scorers) are left out; ``_samples`` counts the scored rows, ``_prompts`` the prompts with at least one.

    reducer=None: every sample counts, and the standard error is clustered by prompt (several samples of one
    prompt are not independent: Miller 2024), or by the ``cluster`` column (groups of related prompts, which must
    contain whole prompts). With a reducer ("mean", "majority", "pass@k", ...): each prompt's samples are reduced
    to one number first (reduce_per_prompt), then the mean and its error are taken across prompts, clustered by
    ``cluster`` when given.
    """
    level = _check_probability(level, "level")
    scores, by = _names(scores, "scores"), _names(by, "by")
    _require_columns(frame, [*by, prompt, cluster, *scores])
    if reducer is None and k is not None:
        raise ConfigError("k applies to the pass@k and at_least_k reducers; pass reducer= with it, or drop k")
    if reducer is not None:
        _check_k(_reducer_name(reducer), k)
    mapping = _prompt_clusters(frame, prompt, cluster) if cluster is not None else None
    tag = _level_tag(level)
    rows = []
    for key, part in _groups(frame, by):
        row: dict[str, Any] = dict(zip(by, key, strict=True))
        for s in scores:
            if reducer is None:
                values = _numeric_column(part, s)
                est = clustered_mean(values, part[cluster if cluster is not None else prompt], level=level)
                prompts, samples = int(part.loc[values.notna(), prompt].nunique()), int(values.notna().sum())
            else:
                reduced = reduce_per_prompt(part, s, by=by, prompt=prompt, reducer=reducer, k=k, threshold=threshold)
                clusters = reduced[prompt].map(mapping).to_numpy() if mapping is not None else None
                est = clustered_mean(reduced[s], clusters, level=level)
                prompts, samples = int(reduced[s].notna().sum()), int(reduced["samples"].sum())
            row.update(_score_columns(s, est, tag, prompts, samples, cluster is not None))
        rows.append(row)
    return pd.DataFrame(rows, columns=_table_columns(by, scores, tag, cluster is not None))


def _table_columns(by: tuple[str, ...], scores: tuple[str, ...], tag: str, clustered: bool) -> list[str]:
    columns = list(by)
    for s in scores:
        columns += [f"{s}_mean", f"{s}_se", f"{s}_ci{tag}_low", f"{s}_ci{tag}_high", f"{s}_prompts", f"{s}_samples"]
        columns += [f"{s}_clusters"] if clustered else []
    return columns


# ------------------------------------------------------------------------------------------ paired comparisons


@dataclass(frozen=True)
class Paired:
    """Model a against model b on the same prompts: the mean per-prompt difference a - b and its inference.

    se is the standard error of the mean difference (CR1-clustered when clusters were given), the interval and
    the two-sided p-value use Student t with df = n - 1 (or G - 1 clustered), correlation is Pearson's r between
    the two models' per-prompt scores (the higher it is, the more pairing narrows the interval compared with two
    separate means), and mdd is the smallest true difference this run detects with probability ``power`` at
    significance ``alpha``."""

    mean_a: float
    mean_b: float
    difference: float
    se: float
    ci_low: float
    ci_high: float
    t: float
    df: int
    p_value: float
    n: int
    clusters: int
    correlation: float
    mdd: float
    level: float
    alpha: float
    power: float


def _mdd(se: float, df: float, alpha: float, power: float) -> float:
    """(t_{1-alpha/2, df} + t_{power, df}) · se: the two-sided test's minimum detectable difference."""
    if math.isnan(se) or df < 1:
        return math.nan
    return (_t(1 - alpha / 2, df) + _t(power, df)) * se


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    if a.size < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return math.nan
    return float(np.corrcoef(a, b)[0, 1])


def paired_difference(a: Any, b: Any, *, clusters: Any = None, level: float = 0.95, alpha: float = 0.05,
                      power: float = 0.8) -> Paired:
    """Compare two models on aligned per-prompt scores (a[i] and b[i] for the same prompt i): a - b.

    Pairs with a NaN on either side are dropped. The differences d_i = a_i - b_i go through clustered_mean, so
    the standard error is sd(d) / sqrt(n) without clusters (t and p then equal scipy.stats.ttest_rel) and the CR1
    clustered error with them. Pairing removes the prompt-difficulty variance both models share (Miller 2024, the
    section on paired differences): with correlation r the variance of the difference is var(a) + var(b) -
    2 r sd(a) sd(b), not var(a) + var(b).
    """
    level = _check_probability(level, "level")
    alpha, power = _check_probability(alpha, "alpha"), _check_probability(power, "power")
    a, b = _as_floats(a, "a"), _as_floats(b, "b")
    if a.size != b.size:
        raise ConfigError(f"a has {a.size} scores and b {b.size}; pair them per prompt (same length, same order)")
    est = clustered_mean(a - b, clusters, level=level)  # a pair with a NaN side is NaN: dropped with its label
    keep = ~(np.isnan(a) | np.isnan(b))
    a, b = a[keep], b[keep]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = float(np.divide(est.mean, est.se))
    p = float(2 * _special.stdtr(est.df, -abs(t))) if est.df >= 1 and not math.isnan(t) else math.nan
    mean_a = float(a.mean()) if a.size else math.nan
    mean_b = float(b.mean()) if b.size else math.nan
    return Paired(mean_a, mean_b, est.mean, est.se, est.ci_low, est.ci_high, t, est.df, p, est.n, est.clusters,
                  _correlation(a, b), _mdd(est.se, est.df, alpha, power), level, alpha, power)


def paired_table(frame: pd.DataFrame, score: str, *, baseline: Any, by: str = "model", prompt: str = "prompt_index",
                 cluster: str | None = None, reducer: str = "mean", k: int | None = None, level: float = 0.95,
                 alpha: float = 0.05, power: float = 0.8, threshold: float = 1.0) -> pd.DataFrame:
    """Every other ``by`` group (model) against ``baseline`` on the prompts both have, one row per other model.

    Each model's samples of a prompt are reduced first (``reducer``, mean by default), then paired_difference
    runs on the prompts where both the model and the baseline have a value. Columns: the ``by`` column, baseline,
    score, prompts, mean, baseline_mean (both over the paired prompts), difference (model - baseline), se,
    ci95_low, ci95_high (named by level), t, df, p_value, correlation, mdd80 (named by power), plus clusters when
    ``cluster`` is given. p-values are per comparison: with many models, correct for multiplicity yourself.
    """
    level = _check_probability(level, "level")
    alpha, power = _check_probability(alpha, "alpha"), _check_probability(power, "power")
    if not isinstance(by, str):
        raise ConfigError(f"by must be one column name (the models being compared), got {by!r}")
    _require_columns(frame, [by, prompt, cluster, score])
    groups = list(pd.unique(frame[by]))
    if baseline not in groups:
        raise ConfigError(f"baseline {baseline!r} is not among the {by!r} values here: "
                          f"{', '.join(map(str, groups))}")
    mapping = _prompt_clusters(frame, prompt, cluster) if cluster is not None else None
    reduced = reduce_per_prompt(frame, score, by=(by,), prompt=prompt, reducer=reducer, k=k, threshold=threshold)
    wide = reduced.pivot(index=prompt, columns=by, values=score)
    clusters = wide.index.map(mapping).to_numpy() if mapping is not None else None
    tag, power_tag = _level_tag(level), _level_tag(power)
    rows = []
    for other in groups:
        if other == baseline:
            continue
        res = paired_difference(wide[other].to_numpy(), wide[baseline].to_numpy(), clusters=clusters, level=level,
                                alpha=alpha, power=power)
        row = {by: other, "baseline": baseline, "score": score, "prompts": res.n, "mean": res.mean_a,
               "baseline_mean": res.mean_b, "difference": res.difference, "se": res.se,
               f"ci{tag}_low": res.ci_low, f"ci{tag}_high": res.ci_high, "t": res.t, "df": res.df,
               "p_value": res.p_value, "correlation": res.correlation, f"mdd{power_tag}": res.mdd}
        if cluster is not None:
            row["clusters"] = res.clusters
        rows.append(row)
    columns = [by, "baseline", "score", "prompts", "mean", "baseline_mean", "difference", "se", f"ci{tag}_low",
               f"ci{tag}_high", "t", "df", "p_value", "correlation", f"mdd{power_tag}"]
    return pd.DataFrame(rows, columns=[*columns, *(["clusters"] if cluster is not None else [])])


# ------------------------------------------------------------------------------------------------------- power


def minimum_detectable_difference(sd: float, prompts: int, *, alpha: float = 0.05, power: float = 0.8) -> float:
    """The smallest true paired difference that ``prompts`` independent prompts detect with probability
    ``power`` in a two-sided test at ``alpha``: (t_{1-alpha/2, n-1} + t_{power, n-1}) · sd / sqrt(n), sd the
    standard deviation of the per-prompt differences. Infinite for one prompt (no variance to test against)."""
    alpha, power = _check_probability(alpha, "alpha"), _check_probability(power, "power")
    if isinstance(sd, bool) or not isinstance(sd, int | float) or not math.isfinite(sd) or sd < 0:
        raise ConfigError(f"sd must be a finite number >= 0 (the SD of per-prompt differences), got {sd!r}")
    if isinstance(prompts, bool) or not isinstance(prompts, int | np.integer) or prompts < 1:
        raise ConfigError(f"prompts must be a whole number >= 1, got {prompts!r}")
    if prompts == 1:
        return math.inf
    return _mdd(sd / math.sqrt(prompts), prompts - 1, alpha, power)


def prompts_needed(difference: float, sd: float, *, alpha: float = 0.05, power: float = 0.8) -> int:
    """How many prompts a paired comparison needs to detect a true ``difference`` (in score units; its sign is
    ignored) with probability ``power`` at two-sided significance ``alpha`` (Miller 2024, the power-analysis
    section): the smallest n with minimum_detectable_difference(sd, n) <= |difference|, searched with t quantiles
    (the normal-quantile formula n = ((z_{1-alpha/2} + z_power) · sd / difference)^2 undercounts small runs).

    sd is the standard deviation of the per-prompt differences between the two models. Take it from a pilot run:
    a paired_table row gives it as se * sqrt(prompts). A pilot clustered by ``cluster`` folds the clustering into
    that figure, so the answer then counts prompts in clusters of the pilot's size.
    """
    if isinstance(difference, bool) or not isinstance(difference, int | float) or not math.isfinite(difference) \
            or difference == 0:
        raise ConfigError(f"difference must be a finite, non-zero number (the effect to detect), got {difference!r}")
    target = abs(float(difference))
    minimum_detectable_difference(sd, 2, alpha=alpha, power=power)  # checks sd, alpha and power
    z = float(_special.ndtri(1 - alpha / 2) + _special.ndtri(power))
    n = max(2, math.ceil((z * sd / target) ** 2))
    while minimum_detectable_difference(sd, n, alpha=alpha, power=power) > target:
        n += 1
    while n > 2 and minimum_detectable_difference(sd, n - 1, alpha=alpha, power=power) <= target:
        n -= 1
    return n
