"""Judges inside evaluate(): the judge requests each answered row needs, and their replies turned back into scores.

A judge (``mm.scorers.llm_judge``, ``mm.scorers.pairwise_judge``) never calls a client itself: evaluate() sends the
requests planned here through its own runner, like any other row (cached, paced, concurrent, resumable), and keeps
them as rows of their own (``ev.judge_df``) with their own cost, so a judged run's spend is visible and a re-run
replays the verdicts instead of paying for them twice.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from multimodel.errors import ConfigError
from multimodel.request import PreparedRequest, RequestPreparer, quiet
from multimodel.results import Result, results_to_frame
from multimodel.scorers import score_row

#: the columns ``ev.judge_df`` puts before the judge's own Result columns (its ``model`` is the judge)
JUDGE_LEAD = ("scorer", "prompt_index", "repeat", "system", "judged_model", "order")


class JudgeCallFailed(RuntimeError):
    """A judge request that ended in an error row: its score is NaN, and the run's warning says why."""


@dataclass
class JudgeAsk:
    """One request to a judge: which scorer, for which evaluation row (its position), in which order."""

    name: str
    judge: Any
    position: int  # the judged row's position in the evaluation's results
    order: int  # 0, or 1 for the second (positions swapped) ask of a pairwise judge
    req: PreparedRequest


def check_judges(preparer: RequestPreparer, judges: dict[str, Any]) -> dict[str, PreparedRequest]:
    """Prepare one request per judge before anything is sent, so an unknown judge model or a parameter it refuses is
    a ConfigError now, not NaN scores after the whole run. A judge's default temperature 0 is left out, silently,
    for a model that takes none (a reasoning model): it was our default, not the user's request. Returns each
    judge's check request (its provider, model id and output cap, for the budget's estimate)."""
    checked: dict[str, PreparedRequest] = {}
    for name, judge in judges.items():
        try:
            if getattr(judge, "default_temperature", False):
                with quiet():
                    req = preparer.prepare(judge.model, "check", **judge.params)
                if "temperature" not in req.body:
                    judge.params = {k: v for k, v in judge.params.items() if k != "temperature"}
            checked[name] = preparer.prepare(judge.model, "check", **judge.params)  # warns once, like any model
        except ConfigError as exc:
            raise ConfigError(f"scorer {name!r}: {exc}") from None
    return checked


def _peers(slots: Sequence[Any], results: Sequence[Result]) -> dict[tuple[Any, ...], dict[str, Result]]:
    """The answers to one prompt, repeat and system prompt, by model: what a pairwise judge compares."""
    peers: dict[tuple[Any, ...], dict[str, Result]] = {}
    for slot, result in zip(slots, results, strict=True):
        peers.setdefault((slot.row_index, slot.repeat, slot.system), {})[slot.model] = result
    return peers


def plan_judges(preparer: RequestPreparer, judges: dict[str, Any], slots: Sequence[Any], results: Sequence[Result],
                rows: Sequence[dict[str, Any]]) -> list[JudgeAsk]:
    """Every judge request the finished rows need, prepared (nothing sent); error rows and a pairwise judge's
    baseline rows ask nothing."""
    peers = _peers(slots, results)
    asks: list[JudgeAsk] = []
    for name, judge in judges.items():
        for position, (slot, result) in enumerate(zip(slots, results, strict=True)):
            same = peers[(slot.row_index, slot.repeat, slot.system)]
            texts = judge.asks(result, rows[slot.row_index], same)
            for order, text in enumerate(texts):
                req = preparer.prepare(judge.model, text, **judge.params)
                asks.append(JudgeAsk(name, judge, position, order, req))
    return asks


@dataclass
class Judged:
    """What the judges said: a score column per judge, the failures per judge, and their requests' rows."""

    columns: dict[str, list[float]]
    failures: dict[str, list[tuple[int, Exception]]]
    asks: list[JudgeAsk]
    results: list[Result]

    def row_costs(self, rows: int) -> list[float]:
        """What the judge requests about each evaluation row cost (NaN where none had a price; 0 where none was
        sent), aligned with the evaluation's rows."""
        costs = [0.0] * rows
        for ask, result in zip(self.asks, self.results, strict=True):
            costs[ask.position] += result.cost_usd
        return costs

    def frame(self, slots: Sequence[Any]) -> Any:
        """``ev.judge_df``: one row per judge request, what it judged first, then the judge's Result columns. A
        request identical to an earlier one (two rows with the same answer) is not sent again: its row is marked
        ``cached`` with cost 0, so the column sums to what was paid."""
        base = results_to_frame(self.results)
        lead = {
            "scorer": [a.name for a in self.asks],
            "prompt_index": [slots[a.position].row_index for a in self.asks],
            "repeat": [slots[a.position].repeat for a in self.asks],
            "system": [slots[a.position].system for a in self.asks],
            "judged_model": [slots[a.position].model for a in self.asks],
            "order": ["AB"[a.order] if hasattr(a.judge, "baseline") else None for a in self.asks],
        }
        for i, (key, values) in enumerate(lead.items()):
            base.insert(i, key, values)
        return base


def judge_scores(judges: dict[str, Any], asks: list[JudgeAsk], replies: list[Result | None],
                 slots: Sequence[Any], results: Sequence[Result], rows: Sequence[dict[str, Any]]) -> Judged:
    """Each judged row's score from its judge replies (a failed judge call reads as None: NaN); rows the judge did
    not ask about are NaN. A reply the judge cannot read is a failure that says what the judge wrote."""
    by_row: dict[tuple[str, int], list[str | None]] = {}
    failures: dict[str, list[tuple[int, Exception]]] = {}
    for ask, reply in zip(asks, replies, strict=True):
        text = None if reply is None or reply.error is not None else reply.content
        by_row.setdefault((ask.name, ask.position), []).append(text)
        if reply is not None and reply.error is not None:  # said once per judge with the others, never silent
            error = reply.error
            failures.setdefault(ask.name, []).append((ask.position, JudgeCallFailed(
                f"the judge request failed ({error.kind}: {error.message}); errors are not cached, so running the "
                "same evaluate() again retries it; the request is in ev.judge_df")))
    columns: dict[str, list[float]] = {}
    for name, judge in judges.items():
        values: list[float] = []
        for position, (slot, result) in enumerate(zip(slots, results, strict=True)):
            said = by_row.get((name, position))
            if said is None:
                values.append(math.nan)
                continue
            value, exc = score_row(judge.score, result, rows[slot.row_index], said)  # an unreadable verdict: NaN
            values.append(value)
            if exc is not None and None not in said:  # a failed call is already counted above
                failures.setdefault(name, []).append((position, exc))
        columns[name] = values
    kept = [r for r in replies if r is not None]
    kept_asks = [a for a, r in zip(asks, replies, strict=True) if r is not None]
    return Judged(columns, failures, kept_asks, kept)


__all__ = ["JUDGE_LEAD", "JudgeAsk", "JudgeCallFailed", "Judged", "check_judges", "judge_scores", "plan_judges"]
