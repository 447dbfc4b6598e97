"""multimodel.stats: clustered standard errors checked by hand and against statsmodels, the paired test against
scipy, every reducer on hand cases (pass@k against its closed forms and brute-force enumeration), the power
analysis against its own definition, bad input refused with ConfigError, and a coverage simulation that shows
why clustering matters."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
import scipy.stats

from multimodel.errors import ConfigError
from multimodel.stats import (
    REDUCERS,
    clustered_mean,
    minimum_detectable_difference,
    paired_difference,
    paired_table,
    prompts_needed,
    reduce_per_prompt,
    reduce_samples,
    score_table,
)

TOL = 1e-9

# ------------------------------------------------------------------------- clustered standard errors by hand

# 9 scores in 3 clusters of unequal size: a = [1, 0, 1, 1], b = [0, 0], c = [1, 0, 1]
HAND_VALUES = [1, 0, 1, 1, 0, 0, 1, 0, 1]
HAND_CLUSTERS = ["a", "a", "a", "a", "b", "b", "c", "c", "c"]


def test_clustered_se_matches_the_sums_written_out_by_hand():
    # mean = 5 / 9; the residual sum of each cluster, sum_i (x_i - mean):
    mean = 5 / 9
    sum_a = (1 - mean) + (0 - mean) + (1 - mean) + (1 - mean)  # = 3 - 20/9 = 7/9
    sum_b = (0 - mean) + (0 - mean)  # = -10/9
    sum_c = (1 - mean) + (0 - mean) + (1 - mean)  # = 2 - 15/9 = 3/9
    assert sum_a == pytest.approx(7 / 9) and sum_b == pytest.approx(-10 / 9) and sum_c == pytest.approx(3 / 9)
    g, n = 3, 9
    se = math.sqrt(g / (g - 1) * (sum_a**2 + sum_b**2 + sum_c**2)) / n  # = sqrt(3/2 * 158/81) / 9
    assert se == pytest.approx(math.sqrt(1.5 * 158 / 81) / 9, abs=1e-15)
    half = scipy.stats.t.ppf(0.975, g - 1) * se  # t with G - 1 = 2 degrees of freedom

    est = clustered_mean(HAND_VALUES, HAND_CLUSTERS)
    assert est.mean == pytest.approx(mean, abs=TOL)
    assert est.se == pytest.approx(se, abs=TOL)
    assert (est.ci_low, est.ci_high) == pytest.approx((mean - half, mean + half), abs=TOL)
    assert (est.n, est.clusters, est.df, est.level) == (9, 3, 2, 0.95)
    # the clustered error is larger than the naive one here: rows of a cluster move together
    assert est.se > clustered_mean(HAND_VALUES).se


def _hand_frame() -> pd.DataFrame:
    """Model m: 6 prompts × 2 samples; prompts 0-1 in topic x, 2-4 in y, 5 in z. Model other: noise that must
    not leak into m's figures."""
    samples = {0: [1, 1], 1: [0, 1], 2: [0, 0], 3: [1, 0], 4: [1, 1], 5: [0, 0]}
    topic = {0: "x", 1: "x", 2: "y", 3: "y", 4: "y", 5: "z"}
    rows = [{"model": "m", "prompt_index": p, "topic": topic[p], "score": float(v)}
            for p, values in samples.items() for v in values]
    rows += [{"model": "other", "prompt_index": p, "topic": topic[p], "score": float((p * 7 + i) % 3 == 0)}
             for p in samples for i in range(2)]
    return pd.DataFrame(rows)


def test_the_summary_matches_hand_computed_clustered_errors():
    frame = _hand_frame()
    m = score_table(frame, "score").set_index("model").loc["m"]
    # every sample counts, clustered by prompt: n = 12, mean = 6/12; per-prompt residual sums (sum of the two
    # samples - 2 * 0.5): p0 1, p1 0, p2 -1, p3 0, p4 1, p5 -1 → sum of squares 4, G = 6
    se_by_prompt = math.sqrt(6 / 5 * (1 + 0 + 1 + 0 + 1 + 1)) / 12
    assert m["score_mean"] == pytest.approx(0.5, abs=TOL)
    assert m["score_se"] == pytest.approx(se_by_prompt, abs=TOL)
    half = scipy.stats.t.ppf(0.975, 5) * se_by_prompt
    assert (m["score_ci95_low"], m["score_ci95_high"]) == pytest.approx((0.5 - half, 0.5 + half), abs=TOL)
    assert (m["score_prompts"], m["score_samples"]) == (6, 12)

    # clustered by topic: x = [1, 1, 0, 1] sums to 3 - 4*0.5 = 1, y = [0, 0, 1, 0, 1, 1] to 3 - 3 = 0,
    # z = [0, 0] to -1 → sum of squares 2, G = 3
    by_topic = score_table(frame, "score", cluster="topic").set_index("model").loc["m"]
    assert by_topic["score_se"] == pytest.approx(math.sqrt(3 / 2 * (1 + 0 + 1)) / 12, abs=TOL)
    assert by_topic["score_clusters"] == 3

    # reduced per prompt first (mean of 2 samples): [1, .5, 0, .5, 1, 0], mean .5; residuals per topic:
    # x .5 + 0 = .5, y -.5 + 0 + .5 = 0, z -.5 → sum of squares .5, n = 6 prompts, G = 3
    reduced = score_table(frame, "score", cluster="topic", reducer="mean").set_index("model").loc["m"]
    assert reduced["score_mean"] == pytest.approx(0.5, abs=TOL)
    assert reduced["score_se"] == pytest.approx(math.sqrt(3 / 2 * 0.5) / 6, abs=TOL)
    assert (reduced["score_prompts"], reduced["score_samples"], reduced["score_clusters"]) == (6, 12, 3)


def test_statsmodels_cluster_default_is_cr1_and_agrees_to_1e9():
    sm = pytest.importorskip("statsmodels.api", reason="statsmodels is a dev dependency (pyproject [dev])")
    rng = np.random.default_rng(7)
    sizes = rng.integers(1, 7, 23)
    groups = np.repeat(np.arange(23), sizes)
    y = rng.normal(rng.normal(size=23)[groups], 0.7)
    x = np.ones((y.size, 1))
    fit = sm.OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    raw = sm.OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": groups, "use_correction": False}, use_t=True)
    g = 23
    # the default correction is G/(G-1) * (N-1)/(N-K), which is G/(G-1) with one regressor: CR1
    assert fit.bse[0] / raw.bse[0] == pytest.approx(math.sqrt(g / (g - 1)), abs=TOL)

    est = clustered_mean(y, groups)
    assert est.se == pytest.approx(fit.bse[0], abs=TOL)
    assert est.mean == pytest.approx(fit.params[0], abs=TOL)
    assert est.df == fit.df_resid_inference == g - 1  # statsmodels' t inference uses G - 1 df too
    assert (est.ci_low, est.ci_high) == pytest.approx(tuple(fit.conf_int(alpha=0.05)[0]), abs=TOL)


def test_without_clusters_the_error_is_the_classical_one():
    x = np.array([0.3, 0.9, 0.4, 0.8, 0.1, 0.5, 0.7])
    est = clustered_mean(x)
    assert est.se == pytest.approx(np.std(x, ddof=1) / math.sqrt(7), abs=TOL)
    assert est.se == pytest.approx(scipy.stats.sem(x), abs=TOL)
    low, high = scipy.stats.t.interval(0.9, 6, loc=x.mean(), scale=scipy.stats.sem(x))
    narrow = clustered_mean(x, level=0.9)
    assert (narrow.ci_low, narrow.ci_high) == pytest.approx((low, high), abs=TOL)
    assert (est.n, est.clusters, est.df) == (7, 7, 6)
    # each value its own cluster, spelled out, gives the same figure
    assert clustered_mean(x, list(range(7))).se == pytest.approx(est.se, abs=TOL)


def test_nan_values_leave_with_their_cluster_labels():
    est = clustered_mean([*HAND_VALUES, math.nan, None, math.nan], [*HAND_CLUSTERS, "a", "d", None])
    ref = clustered_mean(HAND_VALUES, HAND_CLUSTERS)
    assert (est.mean, est.se, est.n, est.clusters) == (ref.mean, ref.se, 9, 3)  # cluster d held only a NaN


def test_too_few_values_or_clusters_give_a_mean_without_an_error_bar():
    one = clustered_mean([0.7])
    assert one.mean == 0.7 and math.isnan(one.se) and math.isnan(one.ci_low) and (one.n, one.df) == (1, 0)
    single_cluster = clustered_mean([1, 0, 1], ["q", "q", "q"])
    assert single_cluster.mean == pytest.approx(2 / 3) and math.isnan(single_cluster.se)
    assert single_cluster.clusters == 1
    empty = clustered_mean([math.nan, math.nan])
    assert math.isnan(empty.mean) and empty.n == 0


# --------------------------------------------------------------------------------------------- paired tests

A = np.array([0.9, 0.4, 0.75, 0.2, 1.0, 0.55, 0.3, 0.8, 0.65, 0.1, 0.95, 0.5])
B = np.array([0.7, 0.5, 0.45, 0.1, 0.8, 0.5, 0.35, 0.55, 0.6, 0.2, 0.7, 0.25])


def test_the_paired_test_matches_scipy_ttest_rel():
    ref = scipy.stats.ttest_rel(A, B)
    res = paired_difference(A, B)
    assert res.t == pytest.approx(ref.statistic, abs=TOL)
    assert res.p_value == pytest.approx(ref.pvalue, abs=TOL)
    assert res.df == ref.df == 11
    ci = ref.confidence_interval(confidence_level=0.95)
    assert (res.ci_low, res.ci_high) == pytest.approx((ci.low, ci.high), abs=TOL)
    ci90 = ref.confidence_interval(confidence_level=0.9)
    narrow = paired_difference(A, B, level=0.9)
    assert (narrow.ci_low, narrow.ci_high) == pytest.approx((ci90.low, ci90.high), abs=TOL)
    assert res.difference == pytest.approx(A.mean() - B.mean(), abs=TOL)
    assert (res.mean_a, res.mean_b, res.n) == (pytest.approx(A.mean()), pytest.approx(B.mean()), 12)
    assert res.correlation == pytest.approx(scipy.stats.pearsonr(A, B).statistic, abs=TOL)
    # the minimum detectable difference: (t_{.975, 11} + t_{.8, 11}) * se
    mdd = (scipy.stats.t.ppf(0.975, 11) + scipy.stats.t.ppf(0.8, 11)) * res.se
    assert res.mdd == pytest.approx(mdd, abs=TOL)


def test_the_paired_test_clusters_the_differences_when_asked():
    clusters = ["g1", "g1", "g1", "g2", "g2", "g3", "g3", "g3", "g4", "g4", "g5", "g5"]
    res = paired_difference(A, B, clusters=clusters)
    est = clustered_mean(A - B, clusters)
    assert (res.se, res.df, res.clusters) == (pytest.approx(est.se, abs=TOL), 4, 5)
    assert res.t == pytest.approx(est.mean / est.se, abs=TOL)
    assert res.p_value == pytest.approx(2 * scipy.stats.t.sf(abs(res.t), 4), abs=TOL)
    assert res.mdd == pytest.approx((scipy.stats.t.ppf(0.975, 4) + scipy.stats.t.ppf(0.8, 4)) * est.se, abs=TOL)


def test_the_paired_test_drops_pairs_with_a_nan_and_flags_a_constant_side():
    a = [*A, math.nan, 0.3]
    b = [*B, 0.4, math.nan]
    res = paired_difference(a, b)
    assert res.n == 12 and res.t == pytest.approx(scipy.stats.ttest_rel(A, B).statistic, abs=TOL)
    constant = paired_difference([1, 1, 1, 1], [0, 1, 0, 1])
    assert math.isnan(constant.correlation) and constant.difference == 0.5
    same = paired_difference([0.2, 0.4, 0.9], [0.2, 0.4, 0.9])  # no difference at all: scipy says nan, nan
    assert math.isnan(same.t) and math.isnan(same.p_value) and same.se == 0


# ------------------------------------------------------------------------------------------------- reducers


@pytest.mark.parametrize(("scores", "reducer", "k", "threshold", "expected"), [
    ([1, 0, 1, 1], "mean", None, 1.0, 0.75),
    ([3, 7, 5], "max", None, 1.0, 7.0),
    ([3, 7, 5], "min", None, 1.0, 3.0),
    ([0, 1, 1, 0, 1], "majority", None, 1.0, 1.0),
    ([2, 5, 5, 9], "majority", None, 1.0, 5.0),
    ([1, 0, 0], "at_least_k", 1, 1.0, 1.0),
    ([1, 0, 0], "at_least_k", 2, 1.0, 0.0),
    ([8, 6, 9, 7], "at_least_k", 3, 7.0, 1.0),  # a judge's 0-10 grade passes at >= 7 (Inspect's at_least)
    ([8, 6, 9, 7], "at_least_k", 4, 7.0, 0.0),
    ([1, 0, 0, 0], "pass@k", 1, 1.0, 0.25),  # pass@1 is the share of passing samples
    ([1, 0, 0, 0], "pass@k", 2, 1.0, 0.5),  # 1 - C(3,2)/C(4,2) = 1 - 3/6
    ([0, 0, 0], "pass@k", 2, 1.0, 0.0),
    ([1, 1, 0], "pass@k", 2, 1.0, 1.0),  # n - c < k: every pair holds a pass
    ([0.9, 0.2, 0.95], "pass@k", 1, 0.9, 2 / 3),
    ([True, False, True], "mean", None, 1.0, 2 / 3),
])
def test_each_reducer_on_hand_cases(scores, reducer, k, threshold, expected):
    assert reduce_samples(scores, reducer, k=k, threshold=threshold) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(("scores", "expected"), [
    ([0, 1], 0.0), ([1, 0, 0, 1], 0.0), ([7, 3, 7, 3, 5], 3.0), ([0.5], 0.5),
])
def test_a_majority_tie_goes_to_the_lower_value(scores, expected):
    assert reduce_samples(scores, "majority") == expected
    assert reduce_samples(list(reversed(scores)), "majority") == expected  # order does not matter


@pytest.mark.parametrize(("n", "c", "k"), [(n, c, k) for n in (1, 3, 5, 8) for c in range(n + 1)
                                           for k in range(1, n + 1)])
def test_pass_at_k_matches_its_closed_forms_and_the_enumeration_of_k_subsets(n, c, k):
    samples = [1.0] * c + [0.0] * (n - c)
    got = reduce_samples(samples, "pass@k", k=k)
    subsets = list(itertools.combinations(range(n), k))
    enumerated = sum(any(samples[i] >= 1 for i in subset) for subset in subsets) / len(subsets)
    closed = 1 - math.comb(n - c, k) / math.comb(n, k)
    # the numerically stable product form of Chen et al. (HumanEval's, and Inspect's pass_at)
    product = 1.0 if n - c < k else 1 - float(np.prod(1 - k / np.arange(n - c + 1, n + 1)))
    assert got == pytest.approx(enumerated, abs=1e-12)
    assert got == pytest.approx(closed, abs=1e-12)
    assert got == pytest.approx(product, abs=1e-12)


def test_reducers_leave_unscored_samples_out():
    for reducer in ("mean", "majority", "max", "min"):
        assert reduce_samples([1, math.nan, 1, 0, 1], reducer) == reduce_samples([1, 1, 0, 1], reducer)
        assert math.isnan(reduce_samples([math.nan, None], reducer))
    # pass@k over the scored samples; NaN (not an error) when too few were scored, as Inspect's pass_at
    assert reduce_samples([1, 0, math.nan, 0], "pass@k", k=2) == pytest.approx(1 - 1 / 3)
    assert math.isnan(reduce_samples([1, math.nan, math.nan], "pass@k", k=2))
    assert reduce_samples([1, math.nan, 1], "at_least_k", k=2) == 1.0


def test_inspect_reducer_names_are_accepted():
    assert reduce_samples([1, 0, 0], "mode") == reduce_samples([1, 0, 0], "majority") == 0.0
    assert reduce_samples([1, 0, 0], "pass_at_k", k=2) == reduce_samples([1, 0, 0], "pass@k", k=2)
    assert reduce_samples([1, 0, 1], "at_least", k=2) == 1.0


def test_reduce_per_prompt_gives_one_row_per_model_and_prompt():
    frame = pd.DataFrame({
        "model": ["a"] * 6 + ["b"] * 6,
        "prompt_index": [0, 0, 0, 1, 1, 1] * 2,
        "score": [1, 0, 1, 0, math.nan, 0, 1, 1, 1, 0, 1, math.nan],
    })
    out = reduce_per_prompt(frame, "score", reducer="majority")
    assert out.columns.tolist() == ["model", "prompt_index", "score", "samples", "unscored"]
    assert out.values.tolist() == [["a", 0, 1.0, 3, 0], ["a", 1, 0.0, 2, 1], ["b", 0, 1.0, 3, 0],
                                   ["b", 1, 0.0, 2, 1]]  # b's prompt 1 is a tie 0/1 → the lower value
    means = reduce_per_prompt(frame, "score")
    assert means["score"].tolist() == pytest.approx([2 / 3, 0.0, 1.0, 0.5])
    passed = reduce_per_prompt(frame, "score", reducer="pass@k", k=2)
    assert passed["score"].tolist() == pytest.approx([1.0, 0.0, 1.0, 1.0])
    with pytest.raises(ConfigError, match=r"k=4 needs at least 4 samples per prompt.*'model': 'a'"):
        reduce_per_prompt(frame, "score", reducer="pass@k", k=4)


def test_the_summary_names_the_interval_by_level_and_takes_several_scores():
    frame = _hand_frame().assign(other_score=lambda f: 1 - f["score"])
    out = score_table(frame, ["score", "other_score"], level=0.9)
    assert out.columns.tolist() == [
        "model", "score_mean", "score_se", "score_ci90_low", "score_ci90_high", "score_prompts", "score_samples",
        "other_score_mean", "other_score_se", "other_score_ci90_low", "other_score_ci90_high",
        "other_score_prompts", "other_score_samples"]
    assert out["model"].tolist() == ["m", "other"]
    assert out["other_score_mean"].tolist() == pytest.approx((1 - out["score_mean"]).tolist())
    # an error row (NaN score) counts neither as a sample nor, when it is a prompt's only row, as a prompt
    frame.loc[(frame["model"] == "m") & (frame["prompt_index"] == 5), "score"] = math.nan
    m = score_table(frame, "score").set_index("model").loc["m"]
    assert (m["score_prompts"], m["score_samples"]) == (5, 10)
    assert m["score_mean"] == pytest.approx(0.6)
    pass_at = score_table(frame, "score", reducer="pass@k", k=2).set_index("model").loc["m"]
    assert pass_at["score_mean"] == pytest.approx(np.mean([1, 1, 0, 1, 1]))  # prompt 5 unscored: NaN, left out
    assert pass_at["score_prompts"] == 5
    overall = score_table(frame, "score", by=())
    assert len(overall) == 1 and overall["score_samples"].item() == 22


# ------------------------------------------------------------------------------------------- paired tables


def _three_models() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    skill = {"base": 0.0, "better": 0.8, "same": 0.05}
    difficulty = rng.normal(size=40)
    rows = []
    for model, s in skill.items():
        for p in range(40):
            for _ in range(3):
                right = rng.random() < 1 / (1 + math.exp(-(s - difficulty[p])))
                rows.append({"model": model, "prompt_index": p, "group": p // 4, "correct": float(right)})
    return pd.DataFrame(rows)


def test_the_paired_table_compares_each_model_with_the_baseline_on_shared_prompts():
    frame = _three_models()
    frame.loc[(frame["model"] == "same") & (frame["prompt_index"] < 5), "correct"] = math.nan  # 5 prompts lost
    out = paired_table(frame, "correct", baseline="base")
    assert out.columns.tolist() == ["model", "baseline", "score", "prompts", "mean", "baseline_mean", "difference",
                                    "se", "ci95_low", "ci95_high", "t", "df", "p_value", "correlation", "mdd80"]
    assert out["model"].tolist() == ["better", "same"]
    per = frame.groupby(["model", "prompt_index"])["correct"].mean().unstack("model")
    for _, row in out.iterrows():
        pair = per[[row["model"], "base"]].dropna()
        ref = scipy.stats.ttest_rel(pair[row["model"]], pair["base"])
        assert row["prompts"] == len(pair) == (35 if row["model"] == "same" else 40)
        assert (row["t"], row["p_value"]) == pytest.approx((ref.statistic, ref.pvalue), abs=TOL)
        assert row["baseline_mean"] == pytest.approx(pair["base"].mean(), abs=TOL)
        assert row["difference"] == pytest.approx(row["mean"] - row["baseline_mean"], abs=TOL)
    better = out.set_index("model").loc["better"]
    assert better["p_value"] < 0.01 and better["ci95_low"] > 0 and better["correlation"] > 0

    clustered = paired_table(frame, "correct", baseline="base", cluster="group", level=0.9, power=0.9)
    assert {"ci90_low", "ci90_high", "mdd90", "clusters"} <= set(clustered.columns)
    row = clustered.set_index("model").loc["better"]
    pair = per[["better", "base"]]
    ref = paired_difference(pair["better"], pair["base"], clusters=np.arange(40) // 4, level=0.9, power=0.9)
    assert (row["se"], row["df"], row["clusters"]) == (pytest.approx(ref.se, abs=TOL), 9, 10)
    assert row["mdd90"] == pytest.approx(ref.mdd, abs=TOL)
    assert row["se"] > better["se"]  # prompts in a group move together: the clustered error is wider

    majority = paired_table(frame, "correct", baseline="better", reducer="majority")
    assert majority["model"].tolist() == ["base", "same"] and (majority["baseline"] == "better").all()


# ------------------------------------------------------------------------------------------------------ power


@pytest.mark.parametrize(("difference", "sd", "alpha", "power"), [
    (0.1, 0.5, 0.05, 0.8), (0.03, 0.4, 0.05, 0.8), (0.5, 0.5, 0.05, 0.8), (2.0, 0.5, 0.05, 0.8),
    (0.1, 0.3, 0.01, 0.9), (-0.05, 0.25, 0.05, 0.8),
])
def test_prompts_needed_inverts_the_minimum_detectable_difference(difference, sd, alpha, power):
    n = prompts_needed(difference, sd, alpha=alpha, power=power)
    assert minimum_detectable_difference(sd, n, alpha=alpha, power=power) <= abs(difference)
    assert minimum_detectable_difference(sd, n - 1, alpha=alpha, power=power) > abs(difference)
    z = scipy.stats.norm.ppf(1 - alpha / 2) + scipy.stats.norm.ppf(power)
    assert n >= (z * sd / abs(difference)) ** 2  # t quantiles ask for at least the normal approximation's count


def test_a_paired_run_reports_the_mdd_that_prompts_needed_plans_for():
    rng = np.random.default_rng(11)
    d = rng.normal(size=60)
    d = (d - d.mean()) / d.std(ddof=1) * 0.4 + 0.05  # differences with SD exactly 0.4
    res = paired_difference(d, np.zeros(60))
    assert res.se * math.sqrt(60) == pytest.approx(0.4, abs=TOL)  # the pilot's sd, as the docstring says
    assert res.mdd == pytest.approx(minimum_detectable_difference(0.4, 60), abs=TOL)
    needed = prompts_needed(res.mdd, 0.4)
    assert needed == 60


def test_a_perfectly_consistent_difference_needs_the_fewest_prompts():
    assert prompts_needed(0.1, 0.0) == 2
    assert minimum_detectable_difference(0.3, 1) == math.inf


# -------------------------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(("call", "message"), [
    (lambda: clustered_mean([1, 2], level=0), "strictly between 0 and 1"),
    (lambda: clustered_mean([1, 2], level=1), "strictly between 0 and 1"),
    (lambda: clustered_mean([1, 2], level=95), "strictly between 0 and 1"),
    (lambda: clustered_mean([1, 2], level=True), "strictly between 0 and 1"),
    (lambda: clustered_mean(["right", "wrong"]), "numbers"),
    (lambda: clustered_mean([1, math.inf]), "infinite"),
    (lambda: clustered_mean([[1, 2], [3, 4]]), "one-dimensional"),
    (lambda: clustered_mean([1, 2, 3], [1, 2]), "2 labels for 3 values"),
    (lambda: clustered_mean([1, 2, 3], [1, None, 2]), "missing labels"),
    (lambda: clustered_mean([1, 2, 3], "abc"), "sequence of labels"),
    (lambda: reduce_samples([1, 0], "median"), "mean, majority, pass@k, at_least_k, max, min"),
    (lambda: reduce_samples([1, 0], "pass@k"), "needs k"),
    (lambda: reduce_samples([1, 0], "pass@k", k=0), "k must be a whole number >= 1"),
    (lambda: reduce_samples([1, 0], "at_least_k", k=1.5), "k must be a whole number >= 1"),
    (lambda: reduce_samples([1, 0], "mean", k=1), "drop k"),
    (lambda: reduce_samples([1, 0], "pass@k", k=3), "repeats >= 3"),
    (lambda: reduce_samples([1, 0], "at_least_k", k=3), "repeats >= 3"),
    (lambda: reduce_samples([1, 0], "at_least_k", k=1, threshold=math.nan), "threshold"),
    (lambda: score_table(_hand_frame(), "missing"), "'missing' not in the frame"),
    (lambda: score_table(_hand_frame(), "score", k=2), "pass reducer="),
    (lambda: score_table(_hand_frame(), "score", reducer="best"), "use one of"),
    (lambda: score_table(_hand_frame(), "score", level=0.0), "strictly between"),
    (lambda: score_table(_hand_frame().assign(topic=lambda f: f.index % 2), "score", cluster="topic"),
     "several 'topic' clusters"),
    (lambda: score_table(_hand_frame().assign(topic=None), "score", cluster="topic"), "empty on 24 rows"),
    (lambda: score_table(_hand_frame().assign(score="yes"), "score"), "non-numbers"),
    (lambda: score_table(_hand_frame().to_dict(), "score"), "DataFrame"),
    (lambda: paired_difference([1, 2, 3], [1, 2]), "pair them per prompt"),
    (lambda: paired_difference([1, 2, 3], [1, 2, 2], alpha=0), "alpha"),
    (lambda: paired_difference([1, 2, 3], [1, 2, 2], power=1.0), "power"),
    (lambda: paired_table(_hand_frame(), "score", baseline="gpt-9"), "not among the 'model' values here: m, other"),
    (lambda: paired_table(_hand_frame(), "nope", baseline="m"), "'nope' not in the frame"),
    (lambda: paired_table(_hand_frame(), "score", baseline="m", by=["model"]), "one column name"),
    (lambda: prompts_needed(0, 0.5), "non-zero"),
    (lambda: prompts_needed(0.1, -1), "sd must be"),
    (lambda: prompts_needed(0.1, 0.5, power=1.2), "power"),
    (lambda: minimum_detectable_difference(0.5, 0), "prompts must be"),
])
def test_bad_input_raises_a_config_error_that_says_what_to_do(call, message):
    with pytest.raises(ConfigError) as info:
        call()
    assert message in str(info.value)


def test_the_reducer_list_is_what_the_errors_advertise():
    assert REDUCERS == ("mean", "majority", "pass@k", "at_least_k", "max", "min")


# --------------------------------------------------------------------------------------------------- coverage


def test_the_clustered_interval_covers_the_true_mean_and_the_naive_one_does_not():
    """2,000 simulated evaluations: 30 prompts with 3-8 samples each; prompt j is answered right with its own
    probability p_j ~ Beta(1, 1), so the true mean is 0.5 and samples of one prompt are correlated (intra-class
    correlation 1/3). The clustered 95% interval covers 0.5 about 95% of the time; the naive one, which takes
    every sample as independent, is too narrow."""
    rng = np.random.default_rng(20241101)
    reps, prompts = 2000, 30
    clustered = naive = 0
    for _ in range(reps):
        sizes = rng.integers(3, 9, prompts)
        labels = np.repeat(np.arange(prompts), sizes)
        x = (rng.random(labels.size) < rng.beta(1, 1, prompts)[labels]).astype(float)
        c, n = clustered_mean(x, labels), clustered_mean(x)
        clustered += c.ci_low <= 0.5 <= c.ci_high
        naive += n.ci_low <= 0.5 <= n.ci_high
    print(f"coverage of the 95% interval over {reps} runs: clustered {clustered / reps:.3f}, "
          f"naive {naive / reps:.3f}")
    assert 0.93 <= clustered / reps <= 0.97
    assert naive / reps < 0.85


def test_at_least_k_is_unknown_while_unscored_samples_could_still_make_k():
    nan = float("nan")
    assert math.isnan(reduce_samples([1, nan, nan], "at_least_k", k=2))
    assert reduce_samples([1, 1, nan], "at_least_k", k=2) == 1.0
    assert reduce_samples([0, 0, nan], "at_least_k", k=2) == 0.0  # one unscored sample cannot make two
