"""The Messages battery of the probe (issue 18): what a Claude Code user needs of an Anthropic-compatible endpoint.

Run against the simulator's Anthropic and DeepSeek Messages endpoints, the probe must tell them apart exactly where
DeepSeek's compatibility table (api-docs.deepseek.com/guides/anthropic_api, read 2026-11-29) says it differs from
Anthropic, and agree where both serve the same thing.
"""

from __future__ import annotations

import warnings

import pytest

import multimodel as mm
from multimodel.probe import probe_matrix
from multimodel.probe.messages import MESSAGES_CAPABILITIES

ANTHROPIC = "anthropic-messages/claude-sonnet-4-6"
DEEPSEEK = "deepseek-messages/deepseek-flash"

#: capability → (Anthropic's status, DeepSeek's status), each with why the two differ
DIFFERENCES = {
    "version_header": ("supported", "ignored"),     # DeepSeek's table: anthropic-version "Ignored"
    "count_tokens": ("supported", "rejected"),      # no count_tokens endpoint in DeepSeek's docs
    "document_input": ("supported", "rejected"),    # DeepSeek's table: type = document "Not Supported"
    "ratelimit_headers": ("supported", "ignored"),  # only Anthropic sends anthropic-ratelimit-*
    "error_shape": ("supported", "partial"),        # DeepSeek's endpoint answers in its own envelope
    "signature_checked": ("supported", "ignored"),  # only Anthropic verifies thinking signatures [INFERRED DeepSeek]
    "cache_control": ("supported", "partial"),      # DeepSeek's table: cache_control "Ignored" (caching is automatic)
}
SHARED = ("plain_completion", "streaming", "tool_calling", "tool_result_round_trip", "streamed_tool_calls",
          "thinking", "image_input")


@pytest.fixture(scope="module")
def matrix():
    with mm.sim.start(latency_scale=0) as sim, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        providers = {}
        for name in ("anthropic-messages", "deepseek-messages"):
            cfg = mm.Client().providers[name]
            providers[name] = {"base_url": sim.base_url(cfg.dialect, cfg.api), "api_key": "sim-key-1234567890"}
        client = mm.Client(providers=providers, cache=False)
        yield probe_matrix(client, [ANTHROPIC, DEEPSEEK], timeout=20)


def test_the_messages_battery_runs_every_check_in_its_own_order(matrix):
    assert list(matrix.index) == list(MESSAGES_CAPABILITIES)
    assert matrix.attrs["simulated"] == {ANTHROPIC: True, DEEPSEEK: True}
    assert not matrix.isin(["unknown"]).any().any(), matrix


@pytest.mark.parametrize("capability", list(DIFFERENCES))
def test_the_probe_tells_anthropic_and_deepseek_apart_where_deepseeks_docs_say_they_differ(matrix, capability):
    assert (matrix.loc[capability, ANTHROPIC], matrix.loc[capability, DEEPSEEK]) == DIFFERENCES[capability]


@pytest.mark.parametrize("capability", SHARED)
def test_both_endpoints_serve_what_a_claude_code_user_relies_on(matrix, capability):
    assert matrix.loc[capability, ANTHROPIC] == "supported" == matrix.loc[capability, DEEPSEEK]


def test_the_evidence_quotes_what_the_endpoint_did_and_never_the_key(matrix):
    from multimodel.probe import long_form

    long = long_form(matrix)
    row = long[(long["model"] == ANTHROPIC) & (long["capability"] == "signature_checked")].iloc[0]
    assert "Invalid `signature` in `thinking` block" in row["evidence"]
    row = long[(long["model"] == DEEPSEEK) & (long["capability"] == "version_header")].iloc[0]
    assert "does not read it" in row["detail"]
    assert not long.apply(lambda r: r.astype(str).str.contains("sim-key-1234567890").any(), axis=1).any()


def test_the_probe_refuses_a_responses_endpoint_with_the_way_round():
    client = mm.Client.simulated()
    with pytest.raises(mm.ConfigError, match="probe the same model through the provider's chat entry"):
        client.probe("openai-responses/gpt-5.4")
    with pytest.raises(mm.ConfigError, match="unknown capabilities"):
        client.probe(ANTHROPIC, capabilities=["seed"])  # a Chat Completions check: not in the Messages battery


def test_the_documented_column_says_what_each_capability_table_promises(matrix):
    """Where the probe and the provider's capability table for the Messages API disagree, the table or the endpoint
    has changed: here they agree (DeepSeek's table: documents not supported; Anthropic's: PDFs read natively)."""
    from multimodel.probe import long_form

    long = long_form(matrix).set_index(["model", "capability"])
    assert long.loc[(ANTHROPIC, "document_input"), "documented"] == "supported"
    assert long.loc[(DEEPSEEK, "document_input"), "documented"] == "rejected"
    assert long.loc[(ANTHROPIC, "image_input"), "documented"] == "supported"
