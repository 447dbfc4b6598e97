"""The capability grid: a probe table drawn as capability × endpoint cells, one colour per status."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from multimodel.errors import ConfigError
from multimodel.probe.battery import CAPABILITIES

if TYPE_CHECKING:
    import pandas as pd

STATUS_COLOURS = {
    "supported": "#2e9e5b",
    "partial": "#f0b429",
    "ignored": "#9aa5b1",
    "rejected": "#d64545",
    "unknown": "#e4e7eb",
}


def _wide(matrix: Any) -> pd.DataFrame:
    """A capability × model status table from probe_matrix()'s table, its long form, or a probe() table."""
    import pandas as pd

    if not isinstance(matrix, pd.DataFrame):
        raise ConfigError(f"plot_probe_matrix() takes the DataFrame from probe_matrix() or probe(), "
                          f"got {type(matrix).__name__}")
    if {"capability", "status"} <= set(matrix.columns):
        long = matrix if "model" in matrix.columns else matrix.assign(model=matrix.attrs.get("model", "endpoint"))
        models = list(dict.fromkeys(long["model"]))
        caps = [c for c in CAPABILITIES if c in set(long["capability"])]
        caps += [c for c in dict.fromkeys(long["capability"]) if c not in caps]
        return long.pivot(index="capability", columns="model", values="status").reindex(index=caps, columns=models)
    return matrix


def plot_probe_matrix(matrix: Any, *, title: str | None = None) -> Any:
    """A capability × endpoint grid, one colour per status; returns a matplotlib Figure."""
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    from multimodel import plots

    wide = _wide(matrix)
    caps, models = list(wide.index), list(wide.columns)
    order = list(STATUS_COLOURS)
    codes = [[order.index(v) if v in order else order.index("unknown") for v in wide.loc[c]] for c in caps]
    fig, ax = plots.new_figure((1.6 + 1.55 * max(1, len(models)), 1.2 + 0.32 * max(1, len(caps))))
    ax.imshow(codes, cmap=ListedColormap([STATUS_COLOURS[s] for s in order]), vmin=-0.5, vmax=len(order) - 0.5,
              aspect="auto")
    for i, cap in enumerate(caps):
        for j, m in enumerate(models):
            v = wide.loc[cap, m]
            v = v if isinstance(v, str) else "unknown"
            ax.text(j, i, v, ha="center", va="center", fontsize=7, color="white" if v in ("supported", "rejected")
                    else "#1f2933")
    ax.set_xticks(range(len(models)), [plots.shorten(m, 28) for m in models], rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(len(caps)), caps, fontsize=8)
    ax.set_xticks([x - 0.5 for x in range(1, len(models))], minor=True)
    ax.set_yticks([y - 0.5 for y in range(1, len(caps))], minor=True)
    ax.grid(which="minor", color="white", linewidth=1.5)
    ax.tick_params(which="minor", length=0)
    sim = matrix.attrs.get("simulated") if hasattr(matrix, "attrs") else None
    simulated = any(sim.values()) if isinstance(sim, dict) else bool(sim)
    ax.set_title((title or "Endpoint capabilities") + (plots.SIMULATED_SUFFIX if simulated else ""))
    ax.legend(handles=[Patch(color=STATUS_COLOURS[s], label=s) for s in order], loc="upper left",
              bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return plots.finish_figure(fig, True)


__all__ = ["STATUS_COLOURS", "plot_probe_matrix"]
