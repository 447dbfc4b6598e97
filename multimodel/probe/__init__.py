"""Endpoint evaluation: a capability probe, a gateway-vs-direct diff, latency percentiles.

    import multimodel as mm
    from multimodel.probe import probe, probe_matrix, plot_probe_matrix, diff, latency

    client = mm.Client.simulated(latency_scale=0)
    probe(client, "anthropic/claude-sonnet-4-6")                      # one row per capability
    m = probe_matrix(client, ["openai/gpt-5.4", "gemini/gemini-3-flash"])  # capability x endpoint
    plot_probe_matrix(m)
    diff(client, "openrouter/deepseek/deepseek-chat", "deepseek/deepseek-chat", ["hi"]).summary()
    latency(client, "openrouter/deepseek/deepseek-chat", n=50, baseline="deepseek/deepseek-chat").summary()
"""

from __future__ import annotations

from multimodel.probe.battery import CAPABILITIES
from multimodel.probe.chart import STATUS_COLOURS, plot_probe_matrix
from multimodel.probe.common import STATUSES
from multimodel.probe.diff import DiffReport, adiff, diff
from multimodel.probe.frames import long_form
from multimodel.probe.latency import LatencyReport, alatency, bootstrap_median_diff, latency
from multimodel.probe.runner import aprobe, aprobe_matrix, probe, probe_matrix
from multimodel.probe.text import format_probe

__all__ = [
    "CAPABILITIES",
    "STATUSES",
    "STATUS_COLOURS",
    "DiffReport",
    "LatencyReport",
    "adiff",
    "alatency",
    "aprobe",
    "aprobe_matrix",
    "bootstrap_median_diff",
    "diff",
    "format_probe",
    "latency",
    "long_form",
    "plot_probe_matrix",
    "probe",
    "probe_matrix",
]
