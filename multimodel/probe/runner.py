"""Running the capability battery against one endpoint (probe) or several at once (probe_matrix).

Checks run concurrently, each bounded by ``timeout`` × its sequential steps; the 429 check runs last and
alone, and only against the simulator (through its fault injection). A check that crashes or times out
becomes ``unknown`` with the reason: ``probe()`` never raises for an endpoint's behaviour (a caller mistake,
such as an unknown provider or a missing key, is a ``ConfigError`` before anything is sent).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from time import perf_counter
from typing import TYPE_CHECKING

from multimodel.config import split_model
from multimodel.errors import ConfigError
from multimodel.probe import battery, messages  # GROUPS are read through the modules, so a test can swap a check
from multimodel.probe.battery import CAPABILITIES, CheckGroup, ProbeContext, Row, untestable
from multimodel.probe.common import STATUSES, scrub, snippet
from multimodel.probe.frames import endpoint_frame, status_matrix
from multimodel.probe.messages import MESSAGES_CAPABILITIES
from multimodel.transport import run_async, run_sync

if TYPE_CHECKING:
    import pandas as pd

    from multimodel.client import Client

DEFAULT_TIMEOUT = 60.0


async def _run_group(ctx: ProbeContext, group: CheckGroup) -> list[Row]:
    """One row per capability of the group, whatever the check did (time out, crash, miss a row)."""
    t0 = perf_counter()
    bound = ctx.timeout * group.steps + 5.0
    try:
        rows = await asyncio.wait_for(group.run(ctx), bound)
    except TimeoutError:
        return untestable(group.caps, f"the probe timed out after {bound:g}s", perf_counter() - t0)
    except Exception as exc:  # a crashing probe is a row, never an exception out of probe()
        why = f"the probe crashed: {type(exc).__name__}: {exc}"
        return [Row(c, "unknown", snippet(why, 160), perf_counter() - t0, why) for c in group.caps]
    by_cap = {r.capability: r for r in rows}
    out = []
    for cap in group.caps:
        row = by_cap.get(cap) or Row(cap, "unknown", "", perf_counter() - t0, "the probe returned no row")
        if row.status not in STATUSES:
            row = Row(cap, "unknown", row.evidence, row.latency_s, f"invalid status {row.status!r}")
        out.append(row)
    return out


def _battery(client: Client, model: str) -> tuple[tuple[str, ...], tuple[CheckGroup, ...]]:
    """The capabilities and checks for the API the model's provider speaks: Chat Completions' battery, or the
    Messages one (an Anthropic-compatible endpoint, as Claude Code uses it)."""
    cfg, _ = split_model(model, client.providers)
    if cfg.api == "messages":
        return MESSAGES_CAPABILITIES, messages.MESSAGES_GROUPS
    if cfg.api != "chat":
        raise ConfigError(f"probe() tests Chat Completions and Messages endpoints; {cfg.name!r} speaks the {cfg.api} "
                          f"API: probe the same model through the provider's chat entry instead")
    return CAPABILITIES, battery.GROUPS


def _check_capabilities(capabilities: Iterable[str] | None, client: Client, models: list[str]) -> tuple[str, ...]:
    """The capabilities to probe: every one of the models' batteries by default; a name none of them has is refused."""
    known = tuple(dict.fromkeys(c for m in models for c in _battery(client, m)[0]))
    if capabilities is None:
        return known
    if isinstance(capabilities, str):
        capabilities = [capabilities]
    chosen = tuple(capabilities)
    unknown = sorted(set(chosen) - set(known))
    if unknown:
        raise ConfigError(f"unknown capabilities {unknown}; choose from {list(known)}")
    return chosen


async def _probe_on_loop(client: Client, model: str, timeout: float, chosen: tuple[str, ...]) -> pd.DataFrame:
    ctx = ProbeContext(client, model, timeout)
    order, checks = _battery(client, model)
    groups = [g for g in checks if set(g.caps) & set(chosen)]
    batches = await asyncio.gather(*[_run_group(ctx, g) for g in groups if not g.last])
    rows = [r for batch in batches for r in batch]
    for g in groups:
        if g.last:
            rows += await _run_group(ctx, g)
    for r in rows:
        r.evidence = scrub(r.evidence, ctx.secrets)
        r.detail = scrub(r.detail, ctx.secrets)
    documented = {f: s.status for f, s in client.capabilities(model).features.items()}
    for check, feature in messages.DOCUMENTED_AS.items():  # the Messages battery's names for table features
        if feature in documented:
            documented[check] = documented[feature]
    return endpoint_frame(model, rows, chosen, ctx.simulated, documented, order)


def _validate(client: Client, models: list[str], timeout: float) -> None:
    if not isinstance(timeout, int | float) or timeout <= 0:
        raise ConfigError(f"timeout must be a positive number of seconds, got {timeout!r}")
    for m in models:
        cfg, _ = split_model(m, client.providers)
        cfg.resolve_key()


def probe(client: Client, model: str, *, timeout: float = DEFAULT_TIMEOUT,
          capabilities: Iterable[str] | None = None) -> pd.DataFrame:
    """Run the capability battery against one endpoint; one row per capability (see ``CAPABILITIES``).

    Columns: model, capability, status (supported / partial / ignored / rejected / unknown), evidence,
    latency_s, detail, documented (what the model's capability table says, for the capabilities it covers:
    where the two differ, the table or the endpoint has changed). ``timeout`` bounds each request (and
    each probe: timeout x its sequential steps). ``capabilities`` runs a subset. ``df.attrs["simulated"]``
    says whether the endpoint was the simulator.
    """
    _validate(client, [model], timeout)
    chosen = _check_capabilities(capabilities, client, [model])
    return run_sync(_probe_on_loop(client, model, float(timeout), chosen))


async def aprobe(client: Client, model: str, *, timeout: float = DEFAULT_TIMEOUT,
                 capabilities: Iterable[str] | None = None) -> pd.DataFrame:
    """Async twin of probe()."""
    _validate(client, [model], timeout)
    chosen = _check_capabilities(capabilities, client, [model])
    return await run_async(_probe_on_loop(client, model, float(timeout), chosen))


def _models(models: Iterable[str]) -> list[str]:
    if isinstance(models, str):
        raise ConfigError("models must be a list of 'provider/model-id' strings, not one string")
    out = list(dict.fromkeys(models))  # a model probed twice at once would share its fault-injection scope
    if not out:
        raise ConfigError("probe_matrix() needs at least one model")
    return out


async def _matrix_on_loop(client: Client, models: list[str], timeout: float,
                          chosen: tuple[str, ...]) -> pd.DataFrame:
    frames = await asyncio.gather(*[_probe_on_loop(client, m, timeout, chosen) for m in models])
    return status_matrix(frames, models, chosen)


def probe_matrix(client: Client, models: Iterable[str], *, timeout: float = DEFAULT_TIMEOUT,
                 capabilities: Iterable[str] | None = None) -> pd.DataFrame:
    """probe() across endpoints (concurrently): a capability × model table of statuses.

    The long form (one row per model and capability, with evidence, latency and detail) is
    ``long_form(matrix)`` (kept as records in ``matrix.attrs["long"]``); ``plot_probe_matrix(matrix)`` draws
    the grid.
    """
    models = _models(models)
    _validate(client, models, timeout)
    chosen = _check_capabilities(capabilities, client, models)
    return run_sync(_matrix_on_loop(client, models, float(timeout), chosen))


async def aprobe_matrix(client: Client, models: Iterable[str], *, timeout: float = DEFAULT_TIMEOUT,
                        capabilities: Iterable[str] | None = None) -> pd.DataFrame:
    """Async twin of probe_matrix()."""
    models = _models(models)
    _validate(client, models, timeout)
    chosen = _check_capabilities(capabilities, client, models)
    return await run_async(_matrix_on_loop(client, models, float(timeout), chosen))


__all__ = ["DEFAULT_TIMEOUT", "aprobe", "aprobe_matrix", "probe", "probe_matrix"]
