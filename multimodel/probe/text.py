"""A probe table as plain text, for terminals (the CLI's ``probe`` command prints this)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from multimodel.probe.common import snippet

if TYPE_CHECKING:
    import pandas as pd


def format_probe(df: pd.DataFrame, *, evidence_width: int = 70) -> str:
    """A plain-text table of a probe() result (or a long form) for terminals: capability, status, evidence."""
    lines = []
    multi = "model" in df.columns and df["model"].nunique() > 1
    for rec in df.to_dict("records"):
        ev = snippet(rec.get("evidence") or "", evidence_width)
        lat = rec.get("latency_s")
        lat_s = f"{lat:6.2f}s" if isinstance(lat, float) and lat == lat else "      -"
        head = f"{rec['model'][:34]:34} " if multi else ""
        doc = rec.get("documented")
        differs = f"  [documented: {doc}]" if isinstance(doc, str) and doc not in (rec["status"], "unknown") else ""
        lines.append(f"{head}{rec['capability']:24} {rec['status']:9} {lat_s}  {ev}{differs}")
    return "\n".join(lines)


__all__ = ["format_probe"]
