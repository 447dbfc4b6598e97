"""Prompt sets that ship with the package: ``known_answers()``, questions with one short right answer each.

The known-answer set (``multimodel/data/known_answers.csv``, written by ``multimodel/sim/make_known_answers.py``)
covers arithmetic of graded difficulty, capitals, chemical elements, unit conversions, word tasks, calendar facts
and geometry; every prompt ends with an instruction to answer briefly ("Answer with the number only."). The
simulator knows it: each simulated model answers a question right with its own probability
(``multimodel.sim.knowledge.p_correct``), so offline scores differ between models and vary between repeats.

``category`` groups the questions; it is the natural cluster for clustered standard errors (questions of one kind
succeed or fail together; Miller 2024, "Adding Error Bars to Evals").
"""

from __future__ import annotations

import random
from collections.abc import Iterable

import pandas as pd

from multimodel.errors import ConfigError
from multimodel.sim import knowledge

COLUMNS = ("prompt", "expected", "id", "category", "difficulty", "accepted")


def known_answers(n: int | None = None, *, seed: int = 0, categories: str | Iterable[str] | None = None
                  ) -> pd.DataFrame:
    """The known-answer set as a prompts DataFrame for ``evaluate`` (columns prompt, expected, id, category,
    difficulty 1-3, accepted: other accepted spellings, "|"-separated, "" when none).

    ``categories`` keeps only those categories. ``n`` picks a subset of that size, stratified by category and
    difficulty (each cell keeps its share, rounded by largest remainder) and fixed by ``seed``: the same ``n`` and
    ``seed`` always give the same questions. Rows stay in the file's order."""
    frame = _frame(categories)
    if n is None:
        return frame
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= len(frame):
        raise ConfigError(f"known_answers: n is how many questions to pick, a whole number from 1 to {len(frame)} "
                          f"(None for all of them); got {n!r}")
    keep = _stratified(frame, n, seed)
    return frame.loc[sorted(keep)].reset_index(drop=True)


def _frame(categories: str | Iterable[str] | None) -> pd.DataFrame:
    rows = [{"prompt": q.prompt, "expected": q.expected, "id": q.id, "category": q.category,
             "difficulty": q.difficulty, "accepted": "|".join(q.accepted)} for q in knowledge.questions().values()]
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame["difficulty"] = frame["difficulty"].astype("int64")
    if categories is None:
        return frame
    wanted = [categories] if isinstance(categories, str) else list(categories)
    known = list(dict.fromkeys(frame["category"]))
    unknown = [c for c in wanted if c not in known]
    if unknown or not wanted:
        raise ConfigError(f"known_answers: unknown categories {unknown or wanted!r}; the categories are "
                          f"{', '.join(known)}")
    return frame[frame["category"].isin(wanted)].reset_index(drop=True)


def _stratified(frame: pd.DataFrame, n: int, seed: int) -> list[int]:
    """Row labels of a size-``n`` sample with each (category, difficulty) cell in proportion (largest remainder),
    each cell's rows in a seeded random order."""
    cells = {key: list(group.index) for key, group in frame.groupby(["category", "difficulty"], sort=True)}
    total = len(frame)
    quotas = {key: n * len(rows) / total for key, rows in cells.items()}
    counts = {key: int(q) for key, q in quotas.items()}
    short = n - sum(counts.values())
    by_remainder = sorted(cells, key=lambda key: (-(quotas[key] - counts[key]), key))
    for key in by_remainder[:short]:
        counts[key] += 1
    keep: list[int] = []
    for key, rows in cells.items():
        rng = random.Random(f"{seed}|{key[0]}|{key[1]}")
        keep += rng.sample(rows, counts[key])
    return keep
