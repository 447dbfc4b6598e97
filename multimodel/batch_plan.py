"""Which rows of an evaluation go through the providers' Batch APIs, and what that plan costs, shown before a run.

``split_modes`` sorts the slots (mode "live", "batch" or "auto": providers whose dialect has a batch protocol; with
"auto" only groups of at least AUTO_MIN_ROWS rows; a request bigger than a batch, or of an API the provider's batch
endpoint does not carry, runs live with a note), ``estimate_batch_cost`` and ``hold_to_budget`` give their worst
case at batch prices, and ``plan_frame``/``show_plan``/``batch_plan`` show the plan (``evaluate(plan_only=True)``).
The run itself is :mod:`multimodel.batch_runs`.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from multimodel import pricing
from multimodel.batch import DEFAULT_OUTPUT_GUESS, Slot, estimate_cost, plan, prompt_token_guess
from multimodel.batchapi import protocol_for, split
from multimodel.batchapi.base import ENVELOPE_BYTES
from multimodel.errors import ConfigError

MODES = ("live", "batch", "auto")
FAILURE_CHOICES = ("error", "live")
#: mode="auto" sends a (provider, model, API) group by batch only from this many rows on: below it the wait for a
#: batch (minutes to hours) is not worth half the price of a few requests
AUTO_MIN_ROWS = 100


def check_batch_options(mode: Any, on_batch_failure: Any) -> None:
    """Refuse an unknown ``mode`` or ``on_batch_failure`` before anything is planned."""
    if mode not in MODES:
        raise ConfigError(f"mode={mode!r}: pass 'live' (default), 'batch' (the providers' Batch APIs, about half "
                          "price, answers within 24 h) or 'auto' (batch for large groups, live elsewhere)")
    if on_batch_failure not in FAILURE_CHOICES:
        raise ConfigError(f"on_batch_failure={on_batch_failure!r}: pass 'error' (failed batch lines become error "
                          "rows) or 'live' (they are sent again live)")


def custom_id_for(key: str) -> str:
    """A row's id inside a batch, from its request's cache key: stable across re-runs, within every provider's
    custom_id rules (letters, digits, '-', at most 64 characters)."""
    return "mm-" + hashlib.sha256(key.encode()).hexdigest()[:48]


@dataclass
class ModeSplit:
    """Which slots go by batch and which live, and one note per group that runs live in a batch run (why)."""

    batch: list[Slot] = field(default_factory=list)
    live: list[Slot] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    why: dict[int, str] = field(default_factory=dict)  # slot index → why it runs live (or is not sent)


def _batch_refusal(slot: Slot) -> str | None:
    """Why a slot cannot go by batch, or None."""
    req = slot.req
    if req.skip is not None:
        return "not sent"
    if slot.fallbacks:
        return "rows with fallbacks run live (a fallback answers a failure at once)"
    proto = protocol_for(req.provider)
    if proto is None:
        return f"{req.provider.name} has no Batch API multimodel knows of"
    if req.api.name not in proto.apis_for(req.provider):
        return proto.api_message(req.provider, req)
    room = proto.limits_for(req.provider).max_bytes - ENVELOPE_BYTES
    if (size := proto.line_bytes(custom_id_for(req.cache_key), req)) > room:
        return f"one request is {size:,} bytes, more than a {req.provider.name} batch holds ({room:,})"
    return None


def split_modes(slots: Sequence[Slot], mode: str) -> ModeSplit:
    """The slots by how they run: ``mode`` "live" all live; "batch" every slot whose provider has a Batch API;
    "auto" those whose (provider, model, API) group has at least AUTO_MIN_ROWS rows."""
    out = ModeSplit()
    if mode == "live":
        out.live = list(slots)
        out.why = {s.index: "not sent" if s.req.skip is not None else "mode='live'" for s in slots}
        return out
    why = {slot.index: _batch_refusal(slot) for slot in slots}
    groups = Counter((s.req.provider.name, s.req.model_id, s.req.api.name) for s in slots if why[s.index] is None)
    live_notes: Counter[tuple[str, str]] = Counter()
    for slot in slots:
        reason = why[slot.index]
        group = (slot.req.provider.name, slot.req.model_id, slot.req.api.name)
        if reason is None and mode == "auto" and groups[group] < AUTO_MIN_ROWS:
            reason = f"fewer than {AUTO_MIN_ROWS} rows (mode='auto'; pass mode='batch' to batch them anyway)"
        if reason is None:
            out.batch.append(slot)
        else:
            out.live.append(slot)
            out.why[slot.index] = reason
            if reason != "not sent":
                live_notes[(slot.model, reason)] += 1
    out.notes = [f"{n} row(s) of {model} run live: {reason}" for (model, reason), n in live_notes.items()]
    return out


def estimate_batch_cost(slots: Sequence[Slot]) -> tuple[float, int]:
    """Worst-case USD of slots sent by batch (the batch price where one is sourced, else the live price), and how
    many have no price; the same worst case as batch.estimate_cost otherwise."""
    total, unknown = 0.0, 0
    for slot in slots:
        req = slot.req
        price = pricing.price_for(req.provider, req.model_id)
        if price is None or req.audio_input:
            unknown += 1
            continue
        price = price.batch() or price
        out = req.body.get("max_completion_tokens") or req.body.get("max_tokens") or DEFAULT_OUTPUT_GUESS
        total += price.cost(prompt_token_guess(req), int(out), 0)
    return total, unknown


def hold_to_budget(batch: Sequence[Slot], budget_usd: float | None, on_batch_failure: str = "error",
                   answered: Callable[[Slot], bool] | None = None) -> tuple[list[Slot], list[Slot], float]:
    """With a budget (budget_override=True lets a run start past it): the batch rows it covers at their worst case,
    in plan order (submitted), the rest (not sent: budget error rows, as the live path stops), and the worst case
    committed by the submitted ones, which the live rows' spend starts from. A batch row counts at the live price
    when on_batch_failure="live" (a failed line is then paid again live); a row ``answered`` says the cache holds
    counts nothing (it is served, not sent), so re-running the same call gets further each time."""
    estimate = estimate_cost if on_batch_failure == "live" else estimate_batch_cost
    if budget_usd is None:
        return list(batch), [], estimate(batch)[0]
    kept, over, committed = [], [], 0.0
    for slot in batch:
        cost = 0.0 if answered is not None and answered(slot) else estimate([slot])[0]
        if over or committed + cost > budget_usd:
            over.append(slot)
        else:
            kept.append(slot)
            committed += cost
    return kept, over, committed


# ---------------------------------------------------------------------- the plan shown before a batch run
PLAN_COLUMNS = ("provider", "model", "api", "rows", "runs", "why", "batches", "est_live_usd", "est_batch_usd",
                "unpriced")
#: evaluate()'s keywords that are not request parameters: a plan ignores them (they change how the run goes, not
#: which requests it sends where)
RUN_OPTIONS = ("scorers", "concurrency", "budget_usd", "budget_override", "run_id", "progress", "claim_lease_s",
               "deadline_s")


def _batches_needed(slots: Sequence[Slot]) -> int:
    """How many batches these slots (one provider, model and API) take, cut as BatchRun cuts them: identical
    requests share one line, then the provider's documented request and byte limits."""
    lines = list({custom_id_for(s.req.cache_key): s.req for s in slots}.items())
    proto = protocol_for(slots[0].req.provider)
    assert proto is not None
    return len(split(lines, proto.limits_for(slots[0].req.provider), proto.line_bytes))


def plan_frame(modes: ModeSplit, on_batch_failure: str = "error") -> Any:
    """One row per (provider, model, API, how it runs): rows, ``runs`` ("batch", "live" or "not sent") and ``why``
    (live: the reason), the batches it takes by the provider's limits, and the worst-case USD with every row live
    (``est_live_usd``) and as planned (``est_batch_usd``: batch rows at the batch price). ``attrs["estimate_usd"]``
    is the worst case evaluate() checks the budget against (batch rows at the live price when
    on_batch_failure="live", since a failed line is then paid again live)."""
    import pandas as pd

    groups: dict[tuple[str, str, str, str, str], list[Slot]] = {}
    for slot in sorted([*modes.batch, *modes.live], key=lambda s: s.index):
        reason = modes.why.get(slot.index)
        runs = "batch" if reason is None else "not sent" if reason == "not sent" else "live"
        why = "" if reason is None else str(slot.req.skip) if runs == "not sent" else reason
        key = (slot.req.provider.name, slot.model, slot.req.api.name, runs, why)
        groups.setdefault(key, []).append(slot)
    rows = []
    for (provider, model, api, runs, why), slots in groups.items():
        live_usd, unpriced = estimate_cost(slots)
        batch_usd = estimate_batch_cost(slots)[0] if runs == "batch" else live_usd
        rows.append({"provider": provider, "model": model, "api": api, "rows": len(slots), "runs": runs, "why": why,
                     "batches": _batches_needed(slots) if runs == "batch" else 0, "est_live_usd": live_usd,
                     "est_batch_usd": batch_usd, "unpriced": unpriced})
    frame = pd.DataFrame(rows, columns=list(PLAN_COLUMNS))
    frame.attrs["estimate_usd"] = float(frame["est_live_usd" if on_batch_failure == "live" else "est_batch_usd"].sum())
    frame.attrs["on_batch_failure"] = on_batch_failure
    return frame


def _batches_text(n: int) -> str:
    return f"{n} batch" if n == 1 else f"{n} batches"


def format_plan(frame: Any) -> str:
    """The plan as text: one line per group, then the totals (what the command line and a script print)."""
    lines = ["batch plan (worst case: prices x max_tokens; rows already in the cache are served, not sent):"]
    for g in frame.itertuples(index=False):
        if g.runs == "batch":
            how = f"by batch in {_batches_text(g.batches)}"
            cost = f"${g.est_batch_usd:.4f} (live: ${g.est_live_usd:.4f})"
        elif g.runs == "live":
            how, cost = f"live ({g.why})", f"${g.est_live_usd:.4f}"
        else:
            how, cost = f"not sent ({g.why})", "$0"
        priced = f", {g.unpriced} without a price" if g.unpriced else ""
        lines.append(f"  {g.model} [{g.api}]: {g.rows:,} rows {how}; {cost}{priced}")
    live_total = float(frame["est_live_usd"].sum())
    batches = _batches_text(int(frame["batches"].sum()))
    lines.append(f"  total: {int(frame['rows'].sum()):,} rows, {batches}; worst case "
                 f"${frame.attrs['estimate_usd']:.4f} as planned, ${live_total:.4f} all live")
    if frame.attrs.get("on_batch_failure") == "live" and (frame["runs"] == "batch").any():
        lines.append("  (on_batch_failure='live': the budget counts batch rows at live prices, since a failed line "
                     "is sent again live)")
    return "\n".join(lines)


def show_plan(frame: Any, file: Any = None) -> None:
    """Show the plan before the run starts: the table in a Jupyter kernel, else its text on ``file`` (stdout)."""
    try:
        from IPython import get_ipython
    except ImportError:
        get_ipython = None  # type: ignore[assignment]
    shell = get_ipython() if get_ipython is not None and file is None else None
    if shell is not None and getattr(shell, "kernel", None) is not None:
        from IPython.display import display

        print(format_plan(frame).splitlines()[-1].strip())
        display(frame)
        return
    print(format_plan(frame), file=file, flush=True)


def batch_plan(preparer: Any, prompts: Any, models: Any = None, *, mode: str = "batch",
               on_batch_failure: str = "error", repeats: int = 1, routes: Any = None, fallbacks: Any = None,
               systems: Any = None, **params: Any) -> Any:
    """The plan of ``evaluate(prompts, models, mode=..., **params)`` without sending anything (plan_frame): the
    same requests, split and estimates evaluate() would use. evaluate()'s run options (scorers, budget, ...) are
    accepted and ignored; judges' requests are not in it (they run live, after the rows)."""
    from multimodel.templating import check_systems

    check_batch_options(mode, on_batch_failure)
    request_params = {k: v for k, v in params.items() if k not in RUN_OPTIONS}
    systems = None if systems is None else check_systems(systems)
    with preparer.one_warning_per_run():
        _, slots, _ = plan(preparer, prompts, models, repeats=repeats, routes=routes, fallbacks=fallbacks,
                           params=request_params, systems=systems)
    return plan_frame(split_modes(slots, mode), on_batch_failure)


def plan_first(preparer: Any, prompts: Any, models: Any, options: dict[str, Any]) -> Any:
    """What client.evaluate() does before running: with ``plan_only=True`` (popped from ``options``) the plan
    itself, returned (nothing is sent); else None."""
    plan_only = options.pop("plan_only", False)
    if not isinstance(plan_only, bool):
        raise ConfigError(f"plan_only must be True or False, got {plan_only!r}")
    if plan_only:
        return batch_plan(preparer, prompts, models, **{"mode": "batch", **options})
    return None  # a batch run shows its plan itself (evaluate()), from the one plan it runs


__all__ = ["AUTO_MIN_ROWS", "FAILURE_CHOICES", "MODES", "PLAN_COLUMNS", "RUN_OPTIONS", "ModeSplit", "batch_plan",
           "check_batch_options", "custom_id_for", "estimate_batch_cost", "format_plan", "hold_to_budget",
           "plan_first", "plan_frame", "show_plan", "split_modes"]
