"""The probe's tables: one endpoint's rows as a DataFrame, the capability × model status matrix, its long form."""

from __future__ import annotations

from typing import TYPE_CHECKING

from multimodel.errors import ConfigError
from multimodel.probe.battery import CAPABILITIES, Row
from multimodel.probe.messages import MESSAGES_CAPABILITIES

#: every capability of either battery, in display order (the Chat Completions battery's, then the Messages one's)
ALL_CAPABILITIES = tuple(dict.fromkeys(CAPABILITIES + MESSAGES_CAPABILITIES))

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = ("model", "capability", "status", "evidence", "latency_s", "detail", "documented")


def endpoint_frame(model: str, rows: list[Row], chosen: tuple[str, ...], simulated: bool | None,
                   documented: dict[str, str], order: tuple[str, ...] = ALL_CAPABILITIES) -> pd.DataFrame:
    """probe()'s table: one row per chosen capability in its battery's ``order``; ``documented`` is the capability
    table's status by capability. ``attrs`` keeps the model and whether it was the simulator."""
    import pandas as pd

    by_cap = {r.capability: r for r in rows}
    records = []
    for cap in order:
        if cap not in chosen or cap not in by_cap:
            continue
        r = by_cap[cap]
        records.append({"model": model, "capability": cap, "status": r.status, "evidence": r.evidence,
                        "latency_s": r.latency_s, "detail": r.detail, "documented": documented.get(cap)})
    df = pd.DataFrame.from_records(records, columns=list(COLUMNS))
    df["latency_s"] = df["latency_s"].astype(float)
    df.attrs["model"] = model
    df.attrs["simulated"] = bool(simulated)
    return df


def status_matrix(frames: list[pd.DataFrame], models: list[str], chosen: tuple[str, ...]) -> pd.DataFrame:
    """probe_matrix()'s table from each endpoint's probe() table: capability × model statuses, with the long
    form kept as records in ``attrs["long"]`` and each model's simulator flag in ``attrs["simulated"]``."""
    import pandas as pd

    long = pd.concat(frames, ignore_index=True)
    caps = [c for c in dict.fromkeys(long["capability"]) if c in chosen]  # each battery's order, as probed
    wide = long.pivot(index="capability", columns="model", values="status").reindex(index=caps, columns=models)
    wide.columns.name = "model"
    wide.index.name = "capability"
    # records, not a DataFrame: pandas compares attrs in concat/merge, and DataFrames cannot be compared so
    wide.attrs["long"] = long.to_dict("records")
    wide.attrs["simulated"] = {f.attrs.get("model"): f.attrs.get("simulated", False) for f in frames}
    return wide


def long_form(matrix: pd.DataFrame) -> pd.DataFrame:
    """probe_matrix()'s long form: one row per model and capability, with evidence, latency_s and detail."""
    import pandas as pd

    records = matrix.attrs.get("long") if isinstance(matrix, pd.DataFrame) else None
    if records is None:
        raise ConfigError("long_form() takes the DataFrame returned by probe_matrix()")
    df = pd.DataFrame.from_records(records, columns=list(COLUMNS))
    df["latency_s"] = df["latency_s"].astype(float)
    return df


__all__ = ["COLUMNS", "endpoint_frame", "long_form", "status_matrix"]
