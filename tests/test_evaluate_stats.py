"""Evaluation results a researcher can defend: clustered standard errors, paired differences, attribution of
fallback rows, templates and system prompts as dimensions, judges as rows of their own: through evaluate() against
the simulator, the known-answer set included."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

import multimodel as mm
from multimodel.sim import knowledge

FIVE = ["openai/gpt-5.4", "anthropic/claude-sonnet-4-6", "gemini/gemini-3-flash-preview", "xai/grok-3-mini",
        "deepseek/deepseek-flash"]


@pytest.fixture(scope="module")
def client():
    """A simulated client on its own zero-latency simulator."""
    c = mm.Client.simulated(cache=False, latency_scale=0)
    yield c
    c.sim.stop()


def fixed_scorer(result, row):
    """A score fixed by the prompt row and the model, so the summary can be checked against sums written out."""
    return row[f"s{FIVE.index(result.model)}"]


def test_summary_clustered_standard_errors_match_a_hand_computation(client):
    # 8 prompts in 3 groups, two models; each model's score per prompt fixed in the row
    scores = {0: [1, 0, 1, 1, 0, 0, 1, 1], 1: [0, 0, 1, 0, 1, 0, 0, 1]}
    groups = ["a", "a", "a", "b", "b", "c", "c", "c"]
    prompts = pd.DataFrame({"prompt": [f"Say the word number {i}." for i in range(8)], "group": groups,
                            "s0": scores[0], "s1": scores[1]})
    ev = client.evaluate(prompts, FIVE[:2], scorers=[fixed_scorer], progress=False, temperature=0)
    summary = ev.summary(cluster="group").set_index("model")
    for m in (0, 1):
        x = np.array(scores[m], dtype=float)
        n, mean = len(x), x.mean()
        # CR1: G/(G-1) times the sum over groups of (the group's summed residual) squared, over n squared
        residual_sums = {}
        for value, group in zip(x, groups, strict=True):
            residual_sums[group] = residual_sums.get(group, 0.0) + (value - mean)
        g = len(residual_sums)
        se = math.sqrt(g / (g - 1) * sum(r * r for r in residual_sums.values())) / n
        half = sps.t.ppf(0.975, g - 1) * se
        row = summary.loc[FIVE[m]]
        assert abs(row["fixed_scorer_mean"] - mean) < 1e-12
        assert abs(row["fixed_scorer_se"] - se) < 1e-9
        assert abs(row["fixed_scorer_ci95_low"] - (mean - half)) < 1e-9
        assert abs(row["fixed_scorer_ci95_high"] - (mean + half)) < 1e-9
        assert (row["fixed_scorer_prompts"], row["fixed_scorer_samples"]) == (8, 8)
    # without a cluster column every prompt is its own cluster: the classical standard error
    plain = ev.summary().set_index("model")
    x = np.array(scores[0], dtype=float)
    assert abs(plain.loc[FIVE[0], "fixed_scorer_se"] - x.std(ddof=1) / math.sqrt(8)) < 1e-12


def test_paired_matches_scipy_on_per_prompt_means(client):
    prompts = mm.known_answers(60)
    ev = client.evaluate(prompts, FIVE[:3], repeats=2, scorers=[mm.scorers.contains()], progress=False)
    table = ev.paired("contains", baseline=FIVE[0]).set_index("model")
    assert list(table.index) == FIVE[1:3]
    per_prompt = ev.df.groupby(["model", "prompt_index"])["contains"].mean().unstack(0)
    for model in FIVE[1:3]:
        a, b = per_prompt[model].to_numpy(), per_prompt[FIVE[0]].to_numpy()
        test = sps.ttest_rel(a, b)
        row = table.loc[model]
        assert row["prompts"] == 60
        assert abs(row["difference"] - (a - b).mean()) < 1e-12
        assert abs(row["t"] - test.statistic) < 1e-9 and abs(row["p_value"] - test.pvalue) < 1e-9
        low, high = test.confidence_interval(0.95)
        assert abs(row["ci95_low"] - low) < 1e-9 and abs(row["ci95_high"] - high) < 1e-9
        assert abs(row["correlation"] - np.corrcoef(a, b)[0, 1]) < 1e-9
        assert row["mdd80"] > 0


def test_known_answer_set_separates_best_from_worst_and_overlaps_the_middle(client):
    prompts = mm.known_answers(200)
    ev = client.evaluate(prompts, FIVE, scorers=[mm.scorers.contains()], progress=False, temperature=0)
    summary = ev.summary().set_index("model")
    assert (summary["contains_prompts"] == 200).all()
    implied = {m: knowledge.expected_accuracy(m, list(prompts["id"])) for m in FIVE}
    best, worst = max(implied, key=implied.get), min(implied, key=implied.get)
    assert summary.loc[best, "contains_ci95_low"] > summary.loc[worst, "contains_ci95_high"]
    alike = apart = 0
    for i, a in enumerate(FIVE):
        for b in FIVE[i + 1:]:
            gap = abs(implied[a] - implied[b])
            # two intervals overlap when the means are closer than the sum of their half-widths
            reach = sum(summary.loc[m, "contains_ci95_high"] - summary.loc[m, "contains_mean"] for m in (a, b))
            overlap = (summary.loc[a, "contains_ci95_low"] <= summary.loc[b, "contains_ci95_high"]
                       and summary.loc[b, "contains_ci95_low"] <= summary.loc[a, "contains_ci95_high"])
            if gap < 0.5 * reach:  # the probabilities say these two are alike at n=200: the intervals overlap
                assert overlap, (a, b, implied[a], implied[b])
                alike += 1
            elif gap > 1.5 * reach:  # and these two are far apart: the intervals separate
                assert not overlap, (a, b, implied[a], implied[b])
                apart += 1
    assert alike >= 1 and apart >= 1, (alike, apart)  # the middle models are close by design, the ends far apart


def test_repeats_at_temperature_one_give_distinct_answers(client):
    prompts = mm.known_answers(20)
    ev = client.evaluate(prompts, FIVE, repeats=5, progress=False, temperature=1)
    distinct = ev.df.groupby(["prompt_index", "model"])["content"].nunique()
    assert (distinct >= 2).mean() >= 0.8, distinct.describe()


def test_fallback_rows_keep_the_requested_model_and_the_summary_lists_every_model(sim_dead_anthropic):
    client = sim_dead_anthropic
    prompts = [f"Question {i}: name a colour." for i in range(3)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ev = client.evaluate(prompts, ["anthropic/claude-sonnet-4-6", "openai/gpt-5.4"], repeats=2, progress=False,
                             fallbacks={"anthropic/claude-sonnet-4-6": ["openai/gpt-5.4"]})
    df = ev.df
    fell = df[df["model"] == "anthropic/claude-sonnet-4-6"]
    assert len(fell) == 6 and (fell["answered_by"] == "openai/gpt-5.4").all() and fell["error_kind"].isna().all()
    own = df[df["model"] == "openai/gpt-5.4"]
    assert (own["answered_by"] == "openai/gpt-5.4").all()
    summary = ev.summary().set_index("model")
    assert list(summary.index) == ["anthropic/claude-sonnet-4-6", "openai/gpt-5.4"]
    assert summary.loc["anthropic/claude-sonnet-4-6", "n"] == 6 and summary.loc["openai/gpt-5.4", "n"] == 6
    assert summary.loc["anthropic/claude-sonnet-4-6", "fallback_rate"] == 1.0
    assert summary.loc["openai/gpt-5.4", "fallback_rate"] == 0.0


@pytest.fixture(scope="module")
def sim_dead_anthropic():
    """Every provider simulated except Anthropic, which points at a port nothing listens on."""
    import socket

    with mm.sim.start(latency_scale=0) as sim:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            dead = s.getsockname()[1]
        providers = {p: {"base_url": sim.base_url(p), "api_key": "k", "dialect": p} for p in ("openai", "anthropic")}
        providers["anthropic"]["base_url"] = f"http://127.0.0.1:{dead}/v1"
        yield mm.Client(providers=providers, cache=False, retries=0)


def test_templates_and_system_prompts_are_dimensions(client):
    prompts = mm.template("What is {a} plus {b}? Answer with the number only.", {"a": [2, 3], "b": [10, 20]},
                          expected="{a}")
    systems = {"terse": "Answer in as few words as possible.", "none": None}
    ev = client.evaluate(prompts, FIVE[:2], systems=systems, progress=False, scorers=[mm.scorers.numeric()])
    df = ev.df
    assert len(df) == 4 * 2 * 2
    assert set(df["system"]) == {"terse", "none"} and set(df["template"]) == {"t0"}
    assert {"a", "b", "expected"} <= set(df.columns)
    summary = ev.summary()
    assert len(summary) == 4 and list(summary.columns[:2]) == ["model", "system"]
    by_template = ev.summary(by="template")
    assert list(by_template.columns[:3]) == ["model", "system", "template"]
    table = ev.paired("numeric", baseline="none", by="system")
    assert set(table["model"]) == set(FIVE[:2]) and set(table["system"]) == {"terse"}
    with pytest.raises(mm.ConfigError, match="pair by 'model', or by 'system'"):
        ev.paired("numeric", baseline="none", by="template")
    # the chart draws one point per model and system prompt, and its labels say which
    fig = ev.plot.score_vs_cost("numeric")
    fig.canvas.draw()
    labels = " ".join(t.get_text() for t in mm.plot.point_labels(fig))
    assert labels.count("· terse") == 2 and labels.count("· none") == 2, labels


def test_judges_are_rows_of_their_own_with_their_own_cost(client):
    prompts = mm.known_answers(6)
    judge = mm.scorers.llm_judge("openai/gpt-5.4-mini")
    pairwise = mm.scorers.pairwise_judge("openai/gpt-5.4-mini", baseline=FIVE[0])
    ev = client.evaluate(prompts, FIVE[:2], scorers=[mm.scorers.contains(), judge, pairwise], progress=False)
    judged = ev.judge_df
    single = judged[judged["scorer"] == judge.__name__]
    pair = judged[judged["scorer"] == pairwise.__name__]
    answered = ev.df["error_kind"].isna().sum()
    assert len(single) == answered
    assert len(pair) == 2 * ev.df[(ev.df["model"] == FIVE[1]) & ev.df["error_kind"].isna()].shape[0]
    assert set(pair["order"]) == {"A", "B"} and (judged["model"] == "openai/gpt-5.4-mini").all()
    assert judged["cost_usd"].gt(0).all()
    scores = ev.df[judge.__name__]
    assert scores.between(0, 1).all()
    assert ev.df.loc[ev.df["model"] == FIVE[0], pairwise.__name__].isna().all()
    summary = ev.summary().set_index("model")
    for model in FIVE[:2]:
        want = judged.loc[judged["judged_model"] == model, "cost_usd"].sum()
        assert summary.loc[model, "judge_cost_usd_total"] == pytest.approx(want, rel=1e-12)
    # the judges' spend is not in the answers' cost
    assert summary["cost_usd_total"].sum() == pytest.approx(ev.df["cost_usd"].sum(), rel=1e-12)


def test_a_missing_expected_column_is_named_before_anything_is_sent(client):
    before = client.sim.stats()["received"]
    with pytest.warns(UserWarning, match="'expected'") as caught:
        ev = client.evaluate(["What is 2 + 2?"], FIVE[:1], scorers=[mm.scorers.contains()], progress=False)
    assert ev.df["contains"].isna().all()
    assert client.sim.stats()["received"] == before + 1
    assert any("contains" in str(w.message) for w in caught)


def test_a_failing_scorer_says_which_row_and_why(client):
    def picky(result, row):
        raise KeyError("difficulty")

    with pytest.warns(RuntimeWarning, match="picky") as caught:
        client.evaluate(["Hello there"], FIVE[:1], scorers=[picky], progress=False)
    message = str(caught[0].message)
    assert "KeyError" in message and "difficulty" in message and "prompt_index 0" in message


def test_reducers_and_per_prompt(client):
    prompts = mm.known_answers(10)
    ev = client.evaluate(prompts, FIVE[:1], repeats=4, scorers=[mm.scorers.contains()], progress=False)
    per = ev.per_prompt("contains", reducer="at_least_k", k=1)
    raw = ev.df.groupby("prompt_index")["contains"].max()
    assert (per.set_index("prompt_index")["contains"].sort_index().to_numpy() == raw.sort_index().to_numpy()).all()
    pass2 = ev.summary(reducer="pass@k", k=2).iloc[0]
    mean = ev.summary().iloc[0]
    assert pass2["contains_mean"] >= mean["contains_mean"] - 1e-12
    assert pass2["contains_prompts"] == 10 and mean["contains_samples"] == 40
    with pytest.warns(FutureWarning, match="seed= and resamples="):
        ev.summary(seed=1)


def test_a_failed_judge_call_is_named_in_a_warning(client):
    client.sim.set_faults({"server_error": 1.0}, provider="gemini")
    try:
        with pytest.warns(RuntimeWarning, match="judge request failed") as caught:
            ev = client.evaluate(mm.known_answers(3), FIVE[:1], retries=0, progress=False,
                                 scorers=[mm.scorers.llm_judge("gemini/gemini-3-flash-preview")])
    finally:
        client.sim.set_faults(None, provider="gemini")
    assert ev.df["judge_gemini-3-flash-preview"].isna().all()
    assert (ev.judge_df["error_kind"] == "server").all()
    assert any("judge_gemini-3-flash-preview" in str(w.message) for w in caught)


def test_the_budget_counts_the_judges_before_anything_is_sent(client):
    prompts = mm.known_answers(20)
    before = client.sim.stats()["received"]
    plain = client.evaluate(prompts, FIVE[:1], max_tokens=50, progress=False, budget_usd=10)
    with pytest.raises(mm.ConfigError, match="worst-case cost estimate") as refused:
        client.evaluate(prompts, FIVE[:1], max_tokens=50, progress=False, budget_usd=plain.estimate_usd * 1.01,
                        scorers=[mm.scorers.llm_judge("anthropic/claude-opus-4-6")])
    judged_estimate = float(str(refused.value).split("$")[1].split(" ")[0])
    assert judged_estimate > plain.estimate_usd * 1.5  # opus judging 20 answers costs more than the answers
    assert client.sim.stats()["received"] == before + 20  # only the plain run was sent


def test_a_pairwise_baseline_outside_the_run_is_refused_before_sending(client):
    with pytest.raises(mm.ConfigError, match=r"baseline 'openai/gpt-5\.4-typo' is not among the models"):
        client.evaluate(["hi"], FIVE[:2], progress=False,
                        scorers=[mm.scorers.pairwise_judge("openai/gpt-5.4", baseline="openai/gpt-5.4-typo")])


def test_identical_judge_requests_are_sent_once_and_paid_once(client):
    prompts = mm.known_answers(4)
    judge = mm.scorers.llm_judge("openai/gpt-5.4-mini")
    before = client.sim.stats()["received"]
    ev = client.evaluate(prompts, FIVE[:1], repeats=3, temperature=0, progress=False, scorers=[judge])
    sent = client.sim.stats()["received"] - before
    distinct = ev.df["content"].nunique()
    assert sent == 12 + distinct  # every answer, then one judge request per distinct answer
    judged = ev.judge_df
    assert len(judged) == 12 and (~judged["cached"]).sum() == distinct
    assert judged.loc[judged["cached"], "cost_usd"].eq(0).all()
    assert ev.summary()["judge_cost_usd_total"].sum() == pytest.approx(judged["cost_usd"].sum(), rel=1e-12)
    assert ev.df[judge.__name__].notna().all()


def test_judge_cost_follows_the_summary_groups(client):
    prompts = mm.known_answers(8)
    ev = client.evaluate(prompts, FIVE[:1], progress=False, scorers=[mm.scorers.llm_judge("openai/gpt-5.4-mini")])
    by_category = ev.summary(by="category")
    assert by_category["judge_cost_usd_total"].sum() == pytest.approx(ev.judge_df["cost_usd"].sum(), rel=1e-12)


def test_a_prompt_column_named_system_is_kept_without_systems(client):
    prompts = pd.DataFrame({"prompt": ["Hello there"], "system": ["linux"]})
    ev = client.evaluate(prompts, FIVE[:1], progress=False)
    assert ev.df["system"].tolist() == ["linux"]


def test_several_templates_are_kept_apart_and_paired_per_question(client):
    questions = mm.known_answers(30).rename(columns={"prompt": "question"})
    sweep = mm.templates({"bare": "{question}", "careful": "Read carefully. {question}"}, questions)
    ev = client.evaluate(sweep, FIVE[:1], progress=False, scorers=[mm.scorers.contains()])
    summary = ev.summary()
    assert list(summary.columns[:2]) == ["model", "template"] and len(summary) == 2
    assert (summary["contains_prompts"] == 30).all()
    table = ev.paired("contains", baseline="bare", by="template")
    assert table["prompts"].tolist() == [30]  # the two wordings of a question pair up, 30 pairs, not 60 prompts
    wide = ev.df.pivot_table(index="variables_row", columns="template", values="contains")
    test = sps.ttest_rel(wide["careful"], wide["bare"])
    got = table["t"].iloc[0]
    assert abs(got - test.statistic) < 1e-9 or (np.isnan(test.statistic) and np.isnan(got))


def test_the_notebook_view_shows_each_scores_clustered_interval(client):
    ev = client.evaluate(mm.known_answers(12), FIVE[:2], repeats=2, progress=False, scorers=[mm.scorers.contains()])
    html = ev._repr_html_()
    summary = ev.summary().set_index("model")
    low, high = summary.loc[FIVE[0], "contains_ci95_low"], summary.loc[FIVE[0], "contains_ci95_high"]
    assert "contains (95% CI)" in html and f"{low:.3f}–{high:.3f} (12 prompts)" in html


def test_a_judge_sees_the_accepted_spellings():
    judge = mm.scorers.llm_judge("openai/gpt-5.4")
    row = {"prompt": "What is 49 squared?", "expected": "2401", "accepted": "2,401"}
    answer = mm.Result(model="openai/gpt-5.4", provider="openai", content="2,401")
    text = judge.asks(answer, row, {})[0]
    assert "<<<\n2401 or 2,401\n>>>" in text
