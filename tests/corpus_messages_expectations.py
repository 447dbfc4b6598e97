"""Expected normalized Results for the 20 real Anthropic Messages recordings (m01-m20) in tests/corpus_native/.

Written by reading the recorded bodies (tests/corpus_native/INDEX.md has the wire facts), one entry per file id;
every value is a literal. The normalization rules: content = the text blocks' text in order; reasoning = the
thinking text (None when there is none: redacted thinking is counted, not shown); tool calls = client
``tool_use`` blocks only (server tools such as web_search are the provider's), arguments the concatenated
``input_json_delta`` fragments (``""`` read as ``{}``) or, in a whole body, ``input`` as compact JSON;
finish_reason from ``stop_reason`` (end_turn/stop_sequence -> stop, tool_use -> tool_calls) and
native_finish_reason the raw ``stop_reason``; prompt_tokens = input + cache_read + cache_creation, cached_tokens
= cache_read, cache_write_tokens = cache_creation, completion_tokens = output_tokens, reasoning_tokens =
``output_tokens_details.thinking_tokens`` (None when absent), message_delta's values over message_start's;
``thinking_blocks`` = what ``Result.as_message()`` carries to the next turn.

``call`` holds the arguments the test passes to ``complete`` besides the prompt (what the recorded request asked
for, in multimodel's terms: a thinking budget as ``reasoning=<int>``); ``turn_one`` names the recording whose
answer is this request's assistant turn (the test replays it first and sends ``as_message()`` back), and
``tool_results`` the tool messages' contents that follow it. The recorded request's essential shape (turns,
their blocks, tools, thinking) is then compared with what the client sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from corpus_expectations import Call, Err, Long


@dataclass(frozen=True)
class Block:
    """One echoed block: ``text`` is the thinking text (or a redacted block's data), ``signature`` a thinking
    block's signature (None for a redacted block)."""

    type: str
    text: str | Long
    signature: str | Long | None = None


@dataclass(frozen=True)
class MExpect:
    why: str
    response_model: str | None
    content: str | Long
    reasoning: str | Long | None = None
    tool_calls: list[Call] = field(default_factory=list)
    finish_reason: str = "stop"
    native_finish_reason: str | None = "end_turn"
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    reasoning_tokens: int | None = None
    cached_tokens: int | None = 0
    cache_write_tokens: int | None = 0
    error: Err | None = None
    thinking_blocks: list[Block] = field(default_factory=list)
    call: dict[str, Any] = field(default_factory=dict)
    turn_one: str | None = None
    tool_results: tuple[str, ...] = ()
    #: parts of the recorded request the comparison leaves out (field: why): what a caller cannot ask for
    request_skips: dict[str, str] = field(default_factory=dict)


_PELICAN_TOOL = {"type": "function", "function": {"name": "pelican_name_generator", "description": "",
                                                  "parameters": {"properties": {}, "type": "object"}}}
_VERSION_TOOL = {"type": "function", "function": {"name": "fixed_version",
                                                  "description": "Return a fixed test version string",
                                                  "parameters": {"properties": {}, "type": "object"}}}
_COUNTRY_TOOL = {"type": "function", "function": {"name": "get_user_country", "description": "",
                                                  "parameters": {"additionalProperties": False, "properties": {},
                                                                 "type": "object"}}}
_TEST_TOOL = {"type": "function", "function": {
    "name": "test_tool", "description": "A test tool",
    "parameters": {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
                   "properties": {"count": {"type": "number"}}, "required": ["count"], "additionalProperties": False}}}

_M07_THINKING = Long(180, "The user wants me to:\n1.", "what version it returns.", "7a4548123a7bd849")
_M07_SIGNATURE = Long(524, "EoQDCm0IDhgCKkCDzGs2kL2P", "QQtUVgzhVGhhANWRjSBwUxgB", "1ca0c5e976b11f45")
_M09_THINKING = Long(376, "The user is asking about", "_country function first.", "ce392fc78dba2e1d")
_M09_SIGNATURE = Long(736, "EqEECkYICxgCKkAo3UA4WwDb", "lXKVa+SkcXhw9EK5/JwYAQ==", "a277063a3ae6a45c")


EXPECTATIONS: dict[str, MExpect] = {
    "m01_anthropic_sonnet45_stream_thinking_signature_ratelimit_headers": MExpect(
        why="29 thinking_delta then one signature_delta: reasoning is the thinking text, the block is echoed with "
        "its 512-char signature; message_delta output_tokens 84 wins over message_start's placeholder 3.",
        response_model="claude-sonnet-4-5-20250929",
        content="- Captain\n- Scoop",
        reasoning=Long(218, "The user wants two names", " and keep it very short.", "69648ad455392552"),
        prompt_tokens=46, completion_tokens=84,
        thinking_blocks=[Block("thinking",
                               Long(218, "The user wants two names", " and keep it very short.", "69648ad455392552"),
                               Long(512, "EvoCCkYICxgCKkCY593DZILK", "G+XBiOY0TtfokCiI1P7LGAE=", "8d439df56f0a3bab"))],
        call={"reasoning": 1024, "temperature": 1.0},
    ),
    "m02_anthropic_opus46_stream_adaptive_thinking_text_before_thinking": MExpect(
        why="block 0 is a text block holding only '\\n\\n', thinking is block 1, the answer block 2: the content "
        "keeps the leading blank lines as sent; the empty last thinking_delta adds nothing.",
        response_model="claude-opus-4-6",
        content="\n\n1. **Captain Scoop**\n2. **Gullet**",
        reasoning="Brief answer with two pet pelican names.",
        prompt_tokens=34, completion_tokens=44,
        thinking_blocks=[Block("thinking", "Brief answer with two pet pelican names.",
                               Long(284, "EtABCkYICxgCKkCVRmhlD4SU", "MKik41tZsSGAoENhIz4SWxgB", "a7760717572fee1c"))],
        call={"temperature": 1.0},
        request_skips={"thinking": "the recording asked opus-4-6 for adaptive thinking, which the catalogue's budget"
                                    " control for that model does not send"},
    ),
    "m03_anthropic_sonnet45_stream_redacted_thinking": MExpect(
        why="two redacted_thinking blocks whole in content_block_start: no reasoning text, both echoed with their "
        "data in order; output 88 in message_start, 189 in message_delta (final).",
        response_model="claude-sonnet-4-5-20250929",
        content=Long(359, "I notice that you've sen", "timate task or question?", "33e0d169251b911c"),
        prompt_tokens=92, completion_tokens=189,
        thinking_blocks=[
            Block("redacted_thinking",
                  Long(744, "EqkECkYIBxgCKkA8AZ4noDfV", "AhDIXXjpot45vnBd4ewJ/hgB", "a5fcad0dab0d0189")),
            Block("redacted_thinking",
                  Long(296, "EtgBCkYIBxgCKkDQfGkwzflE", "jRRFuab/DBV3yRYdZ1J0GAE=", "f2ba85446010cd8c")),
        ],
        call={"reasoning": 1024},
    ),
    "m04_anthropic_sonnet45_redacted_thinking_nonstream": MExpect(
        why="whole body: content[0] redacted_thinking (echoed, no text), content[1] text.",
        response_model="claude-sonnet-4-5-20250929",
        content=Long(341, "I notice that your messa", "n assist you with today?", "a350ca9ccbab676b"),
        prompt_tokens=92, completion_tokens=196,
        thinking_blocks=[Block("redacted_thinking",
                               Long(1020, "EvgFCkYIBxgCKkBmxKtCnM3x", "EjDLMdB6OosO0nmiVWAgZhgB", "27ca4e7ff1bea192"))],
        call={"reasoning": 1024},
    ),
    "m05_anthropic_haiku45_stream_parallel_tool_use_empty_input": MExpect(
        why="two parallel tool_use blocks with one partial_json '' each: arguments {} with the raw '' kept; no "
        "text; stop_reason tool_use.",
        response_model="claude-haiku-4-5-20251001",
        content="",
        tool_calls=[Call("pelican_name_generator", {}, "", id="toolu_01LtHJmixrs9NcWQkK8hu8hj"),
                    Call("pelican_name_generator", {}, "", id="toolu_01N8a4jWyf116qKTMqKKmjyt")],
        finish_reason="tool_calls", native_finish_reason="tool_use",
        prompt_tokens=542, completion_tokens=62,
        call={"tools": [_PELICAN_TOOL], "temperature": 1.0},
    ),
    "m06_anthropic_haiku45_stream_after_parallel_tool_results": MExpect(
        why="turn 2 of m05: both tool results go back in ONE user message, in call order; a text answer.",
        response_model="claude-haiku-4-5-20251001",
        content=Long(299, "Here are two great names", "your feathered friend! 🦅", "254bf1c0e6767501"),
        prompt_tokens=678, completion_tokens=82,
        call={"tools": [_PELICAN_TOOL], "temperature": 1.0},
        turn_one="m05_anthropic_haiku45_stream_parallel_tool_use_empty_input", tool_results=("Charles", "Sammy"),
        request_skips={"text": "the assistant turn's whitespace-only text block ' ' llm-anthropic adds: the answer had"
                                " no text, so none is sent (the comparison leaves out whitespace-only text)"},
    ),
    "m07_anthropic_haiku45_stream_thinking_then_tool_use_thinking_tokens": MExpect(
        why="thinking, then a tool_use with an empty partial_json; output_tokens_details.thinking_tokens 53 of 92.",
        response_model="claude-haiku-4-5-20251001",
        content="",
        reasoning=_M07_THINKING,
        tool_calls=[Call("fixed_version", {}, "", id="toolu_01825dXWLSoJwCst1qTsiWdb")],
        finish_reason="tool_calls", native_finish_reason="tool_use",
        prompt_tokens=598, completion_tokens=92, reasoning_tokens=53,
        thinking_blocks=[Block("thinking", _M07_THINKING, _M07_SIGNATURE)],
        call={"tools": [_VERSION_TOOL], "reasoning": 1024, "temperature": 1.0},
    ),
    "m08_anthropic_haiku45_stream_after_tool_result_with_thinking_replay": MExpect(
        why="turn 2 of m07: the thinking block goes back unchanged (text and signature) before the tool_use, then "
        "the tool_result; thinking_tokens 0 is a real 0, not None.",
        response_model="claude-haiku-4-5-20251001",
        content=Long(277, "The version is **0.32a0*", "plenty of room to grow!)", "5f9498ba9558091c"),
        prompt_tokens=707, completion_tokens=89, reasoning_tokens=0,
        call={"tools": [_VERSION_TOOL], "reasoning": 1024, "temperature": 1.0},
        turn_one="m07_anthropic_haiku45_stream_thinking_then_tool_use_thinking_tokens", tool_results=("0.32a0",),
    ),
    "m09_anthropic_sonnet4_thinking_text_tool_use_nonstream": MExpect(
        why="whole body [thinking, text, tool_use]: input {} becomes the raw '{}'; the alias reports its dated model.",
        response_model="claude-sonnet-4-20250514",
        content="I'll help you find the largest city in your country. First, let me determine which country you're"
        " from.",
        reasoning=_M09_THINKING,
        tool_calls=[Call("get_user_country", {}, "{}", id="toolu_01YGzqpRE16Vricda3Aqcejo")],
        finish_reason="tool_calls", native_finish_reason="tool_use",
        prompt_tokens=398, completion_tokens=155,
        thinking_blocks=[Block("thinking", _M09_THINKING, _M09_SIGNATURE)],
        call={"tools": [_COUNTRY_TOOL], "tool_choice": "auto", "reasoning": 3000},
    ),
    "m10_anthropic_sonnet4_after_tool_result_nonstream": MExpect(
        why="turn 2 of m09: thinking (with signature), text, tool_use replayed in that order, then the tool_result.",
        response_model="claude-sonnet-4-20250514",
        content=Long(604, "Based on the information", "ltural center of Mexico.", "3ab8eef023cea02c"),
        prompt_tokens=566, completion_tokens=126,
        call={"tools": [_COUNTRY_TOOL], "tool_choice": "auto", "reasoning": 3000},
        turn_one="m09_anthropic_sonnet4_thinking_text_tool_use_nonstream", tool_results=("Mexico",),
        request_skips={"is_error": "tool_result.is_error false is the default, not sent"},
    ),
    "m11_anthropic_400_invalid_request_error": MExpect(
        why="native envelope {type: error, error: {type, message}, request_id} at HTTP 400: bad_request with the "
        "error type as provider_code; no retry-after.",
        response_model=None, content="", finish_reason="error", native_finish_reason=None,
        cached_tokens=None, cache_write_tokens=None,
        error=Err("bad_request", 400, "invalid_request_error", None,
                  ("This model does not support effort level 'xhigh'. Supported levels: high, low, max, medium.",)),
        request_skips={"output_config": "effort xhigh provoked the 400; the replay asks for no effort"},
    ),
    "m12_anthropic_404_not_found_error": MExpect(
        why="not_found_error at HTTP 404 for a misspelled model: the message names it.",
        response_model=None, content="", finish_reason="error", native_finish_reason=None,
        cached_tokens=None, cache_write_tokens=None,
        error=Err("not_found", 404, "not_found_error", None, ("model: claude-sonet-4-5",)),
    ),
    "m13_anthropic_haiku45_stream_prefill_stop_sequence": MExpect(
        why="assistant prefill '```python' and stop '```': stop_reason stop_sequence -> stop; the answer starts "
        "with the newline after the prefill.",
        response_model="claude-haiku-4-5-20251001",
        content=Long(102, "\ndef pelican():\n    retu", "uch for catching fish.\"\n", "7f25fb5d48dfdb22"),
        native_finish_reason="stop_sequence",
        prompt_tokens=16, completion_tokens=28,
        call={"stop": "```", "temperature": 1.0},
    ),
    "m14_anthropic_sonnet45_cache_read_and_creation_usage": MExpect(
        why="input 3 + cache_read 1111 + cache_creation 418 = prompt 1532; cached 1111, cache writes 418.",
        response_model="claude-sonnet-4-5-20250929",
        content=Long(164, "Python is a beginner-fri", "nd scientific computing.", "1749af1a90f4ff6a"),
        prompt_tokens=1532, completion_tokens=33, cached_tokens=1111, cache_write_tokens=418,
        request_skips={"cache_control": "top-level automatic caching: a field of the caller's extra_body"},
    ),
    "m15_bedrock_invoke_anthropic_haiku45_cache_usage": MExpect(
        why="Bedrock /invoke answers in the Messages shape without service_tier: 3 + 9511 + 1956 = 11470.",
        response_model="claude-haiku-4-5-20251001",
        content=Long(186, "Python evolved from Pyth", "imental JIT compilation.", "dc75a75b226b6f44"),
        prompt_tokens=11470, completion_tokens=44, cached_tokens=9511, cache_write_tokens=1956,
        request_skips={"anthropic_version": "Bedrock's own request form (with cache_control marks)"},
    ),
    "m16_pydantic_gateway_anthropic_retry_after_on_200": MExpect(
        why="a compatible gateway's 200 with retry-after 34 and usage.pydantic_ai_gateway: a plain answer.",
        response_model="claude-sonnet-4-5-20250929",
        content="The capital of France is Paris.",
        prompt_tokens=14, completion_tokens=10,
    ),
    "m17_anthropic_compat_unknown_message_delta_input_tokens": MExpect(
        why="a proxy that reports input 43 in message_start and 61 in message_delta: the final 61 counts; no cache "
        "fields at all, so cached and cache writes are unknown (None); a ping between two text deltas.",
        response_model="claude-opus-4-5-20251101",
        content="pong",
        prompt_tokens=61, completion_tokens=2, cached_tokens=None, cache_write_tokens=None,
    ),
    "m18_anthropic_opus41_stream_web_search_citations_retry_after": MExpect(
        why="server_tool_use and web_search_tool_result are the provider's, not calls to answer; citations_delta "
        "adds no text; input 2039 -> 10423 (search results counted) in message_delta.",
        response_model="claude-opus-4-1-20250805",
        content=Long(650, "Based on the search resu", "ds of rain this weekend.", "8276daa53931f800"),
        prompt_tokens=10423, completion_tokens=341,
        call={"temperature": 1.0},
        request_skips={"tools": "the web_search server tool: not a function tool the client describes"},
    ),
    "m19_anthropic_sonnet4_parallel_tool_use_with_args_nonstream": MExpect(
        why="whole body [text, tool_use{count:1}, tool_use{count:2}]: inputs as compact JSON, ids kept.",
        response_model="claude-sonnet-4-20250514",
        content="I'll use the test_tool twice as requested - first with count 1, then with count 2.",
        tool_calls=[Call("test_tool", {"count": 1}, '{"count":1}', id="toolu_01L8GVQapA1HmggQcrwboukH"),
                    Call("test_tool", {"count": 2}, '{"count":2}', id="toolu_01J5Fvzxu7DP1Uh59c1kr5JD")],
        finish_reason="tool_calls", native_finish_reason="tool_use",
        prompt_tokens=418, completion_tokens=113,
        call={"tools": [_TEST_TOOL], "max_tokens": 1000},
        request_skips={"tool.type": "'custom' is Anthropic's default, not sent"},
    ),
    "m20_anthropic_sonnet4_after_parallel_tool_results_nonstream": MExpect(
        why="turn 2 of m19: [text, tool_use, tool_use] replayed, two tool_result blocks with string content in one "
        "user message.",
        response_model="claude-sonnet-4-20250514",
        content=Long(148, "I've successfully used t", 'returned "Called with 2"', "0cadac2e3dec12ad"),
        prompt_tokens=602, completion_tokens=45,
        call={"tools": [_TEST_TOOL], "max_tokens": 1000},
        turn_one="m19_anthropic_sonnet4_parallel_tool_use_with_args_nonstream",
        tool_results=("Called with 1", "Called with 2"),
        request_skips={"tool.type": "'custom' is Anthropic's default, not sent"},
    ),
}
