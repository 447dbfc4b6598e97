"""Expected normalized Results for the 15 real Responses API recordings (r01–r15) in tests/corpus_native/.

Written by reading the recorded bodies (the deltas of each channel concatenated, the final ``response`` object's
usage and output), not by running the client; every value is a literal. ``why`` names the judgement calls.
Conventions follow tests/corpus_expectations.py (``Long``, ``Call``, ``Err``, costs); in addition:
- ``provider``/``dialect``: the built-in whose endpoint the recording comes from, else "rec" with dialect "openai"
  (Azure r14, Bedrock mantle r15); every entry has ``api: "responses"``.
- ``messages``/``tools``/``params``/``reasoning``: the Chat Completions request that is the recorded request's
  equivalent (its input as messages, its tools nested); recordings without a recorded request get a plain prompt.
- ``native_finish_reason``: the final response's ``status`` ("completed"), or ``incomplete_details.reason``.
- Reasoning: summary parts (and separate reasoning items) joined with a blank line; raw ``reasoning_text`` as is;
  encrypted-only reasoning is None.
- ``reasoning_items``: what ``provider_state["reasoning_items"]`` must hold for the next turn, (id, encrypted_content,
  summary part count, has readable content), from the FINAL response object (r09: OpenRouter's final id
  ``rs_tmp_ku4i7pagjwn`` differs from the streamed ``rs_tmp_2kbe7x16sax``); items with neither encrypted_content nor
  readable content are not echoed (store=false: the provider could not resolve them by id).
- ``request_items``: the essential shape of the recorded request's ``input`` that the translation must give
  (items as (kind, call_id, name, arguments or output)); None when no request was recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from corpus_expectations import PRICE_TABLE, UNKNOWN, Call, Cost, Err, Long

_PLAIN = [{"role": "user", "content": "hello"}]


@dataclass(frozen=True)
class RItem:
    """One reasoning item of the echo state: id, encrypted_content (None: absent), summary parts, readable content."""

    id: str
    encrypted: str | Long | None
    summary_parts: int
    has_content: bool


@dataclass(frozen=True)
class NExpect:
    why: str
    provider: str
    dialect: str
    model: str
    response_model: str | None
    content: str | Long
    reasoning: str | Long | None
    messages: list[dict[str, Any]] = field(default_factory=lambda: list(_PLAIN))
    tools: list[dict[str, Any]] | None = None
    params: dict[str, Any] = field(default_factory=dict)
    reasoning_choice: str | None = None
    tool_calls: list[Call] = field(default_factory=list)
    finish_reason: str = "stop"
    native_finish_reason: str | None = "completed"
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    reasoning_tokens: int | None = None
    cached_tokens: int | None = None
    cost: Cost = UNKNOWN
    error: Err | None = None
    reasoning_items: list[RItem] = field(default_factory=list)
    request_items: list[tuple[Any, ...]] | None = None


def _tool(name: str, description: str | None, parameters: dict[str, Any], strict: bool) -> dict[str, Any]:
    """A Chat Completions function tool (what the caller passes); the request carries it flattened."""
    return {"type": "function", "function": {"name": name, "description": description, "parameters": parameters,
                                             "strict": strict}}


_SIMPLE_TOOL = _tool("simple_tool", "A simple tool", {"properties": {"number": {"type": "string"}},
                                                      "required": ["number"], "type": "object"}, False)
_R02_CALL = {"id": "call_sNntVegw8ViC8Zc4EIjqEKbo", "type": "function",
             "function": {"name": "simple_tool", "arguments": "{\"number\": \"5\"}"}}

EXPECTATIONS: dict[str, NExpect] = {
    "r01_openai_gpt51codexmax_stream_reasoning_summary_encrypted_function_call": NExpect(
        why="32 summary deltas of one part -> the summary; encrypted_content of the FINAL item (the output_item.added "
            "blob differs) echoed; reasoning_tokens 0 despite the summary, as sent; model not priced.",
        provider="openai", dialect="openai", model="gpt-5.1-codex-max", response_model="gpt-5.1-codex-max",
        messages=[{"role": "user", "content": "What is (12 + 7) * 3 * 10? Use the calculator once per step."}],
        content="",
        reasoning=Long(163, "**Calculating step-by-step usi", "g the final product.", "e8c4cd892aeccd1f"),
        tool_calls=[Call("calculator", {"a": 12, "b": 7, "op": "add"}, "{\"a\":12,\"b\":7,\"op\":\"add\"}",
                         id="call_AB6AaRZ1FYZB2RwS6A5vbdqn")],
        finish_reason="tool_calls", prompt_tokens=134, completion_tokens=28, reasoning_tokens=0, cached_tokens=0,
        reasoning_items=[RItem("rs_01830d662ab3856501693c321405c88190be3ab04d5782d5f9",
                               Long(1060, "gAAAAABpPDIVYBwu2ljdVyeU-6Xu1R", "fRZ0JO77p3N5iD1gzQ==",
                                    "a96b014e16b605ea"), 1, False)],
    ),
    "r02_openai_gpt5mini_stream_function_call_obfuscation": NExpect(
        why="empty reasoning item (no summary, no encrypted_content): no text, counted as hidden reasoning, and not "
            "echoed; 5 argument deltas with obfuscation padding; call_id, not the fc_ item id.",
        provider="openai", dialect="openai", model="gpt-5-mini", response_model="gpt-5-mini-2025-08-07",
        messages=[{"role": "user", "content": "Call simple_tool passing 5"}], tools=[_SIMPLE_TOOL],
        content="", reasoning=None,
        tool_calls=[Call("simple_tool", {"number": "5"}, "{\"number\":\"5\"}", id="call_sNntVegw8ViC8Zc4EIjqEKbo")],
        finish_reason="tool_calls", prompt_tokens=46, completion_tokens=148, reasoning_tokens=128, cached_tokens=0,
        cost=PRICE_TABLE,
        request_items=[("user", "Call simple_tool passing 5")],
    ),
    "r03_openai_gpt5mini_stream_after_function_call_output": NExpect(
        why="turn 2 of r02: the request replays the function_call and adds function_call_output (the plugin's extra "
            "empty user item is not part of the essential shape); 31 output_text deltas.",
        provider="openai", dialect="openai", model="gpt-5-mini", response_model="gpt-5-mini-2025-08-07",
        messages=[{"role": "user", "content": "Call simple_tool passing 5"},
                  {"role": "assistant", "content": None, "tool_calls": [_R02_CALL]},
                  {"role": "tool", "tool_call_id": "call_sNntVegw8ViC8Zc4EIjqEKbo",
                   "content": "This is a simple tool, 5"}],
        tools=[_SIMPLE_TOOL],
        content=Long(115, "I called simple_tool with 5; i", "me to run or change?", "d72854714ffef30f"),
        reasoning=None, prompt_tokens=85, completion_tokens=101, reasoning_tokens=64, cached_tokens=0,
        cost=PRICE_TABLE,
        request_items=[("user", "Call simple_tool passing 5"),
                       ("function_call", "call_sNntVegw8ViC8Zc4EIjqEKbo", "simple_tool", "{\"number\": \"5\"}"),
                       ("function_call_output", "call_sNntVegw8ViC8Zc4EIjqEKbo", "This is a simple tool, 5")],
    ),
    "r04_openai_gpt4omini_nonstream_raw_exact": NExpect(
        why="byte-exact 2025-03 body: one message with one output_text part; max_tokens -> max_output_tokens 24.",
        provider="openai", dialect="openai", model="gpt-4o-mini", response_model="gpt-4o-mini-2024-07-18",
        messages=[{"role": "user", "content": "say hi"}], params={"max_tokens": 24},
        content="Hi there! How can I assist you today?", reasoning=None,
        prompt_tokens=27, completion_tokens=11, reasoning_tokens=0, cached_tokens=0, cost=PRICE_TABLE,
        request_items=[("user", "say hi")],
    ),
    "r05_openai_gpt5_reasoning_summary_encrypted_function_call_nonstream": NExpect(
        why="whole body: 5 summary parts joined with blank lines; encrypted reasoning echoed; the recorded "
            "instructions are a system input message here (kept in place, see apis/responses.py).",
        provider="openai", dialect="openai", model="gpt-5", response_model="gpt-5-2025-08-07",
        messages=[{"role": "system", "content": "You are a helpful assistant that uses planning. You MUST use the "
                   "update_plan tool and continually update it as you make progress against the user's prompt"},
                  {"role": "user", "content": "Compose a 12-line poem where the first letters of the odd-numbered "
                   "lines form the name \"SAMIRA\" and the first letters of the even-numbered lines spell out "
                   "\"DAWOOD.\" Additionally, the first letter of each word in every line should create the capital"
                   " of a country"}],
        tools=[_tool("update_plan", None, {"additionalProperties": False, "properties": {"plan": {"type": "string"}},
                                           "required": ["plan"], "type": "object"}, True)],
        params={"tool_choice": "auto"}, reasoning_choice="low",
        content="",
        reasoning=Long(2919, "**Creating a structured poem**", "_plan tool for that!", "3f24d47f04c2d992"),
        tool_calls=[Call("update_plan", {"plan": "Plan:\n1) Determine required first-letter acrostics for lines: odd "
                         "lines -> SAMIRA; even lines -> DAWOOD (12 total lines).\n2) For each line, select a world "
                         "capital whose name begins with the required first letter.\n3) Compose each line so that the"
                         " first letter of every word spells that chosen capital (word-initial acrostic), while "
                         "keeping imagery poetic and coherent.\n4) Double-check all acrostics (line-initial and "
                         "word-initial) for accuracy.\n5) Deliver the 12-line poem."},
                         "{\"plan\":\"Plan:\\n1) Determine required first-letter acrostics for lines: odd lines -> "
                         "SAMIRA; even lines -> DAWOOD (12 total lines).\\n2) For each line, select a world capital "
                         "whose name begins with the required first letter.\\n3) Compose each line so that the first "
                         "letter of every word spells that chosen capital (word-initial acrostic), while keeping "
                         "imagery poetic and coherent.\\n4) Double-check all acrostics (line-initial and word-initial)"
                         " for accuracy.\\n5) Deliver the 12-line poem.\"}", id="call_gL7JE6GDeGGsFubqO2XGytyO")],
        finish_reason="tool_calls", prompt_tokens=124, completion_tokens=1926, reasoning_tokens=1792, cached_tokens=0,
        cost=PRICE_TABLE,
        reasoning_items=[RItem("rs_68c42d29124881968e24c1ca8c1fc7860e8bc41441c948f6",
                               Long(9572, "gAAAAABoxC0_aDtrISw_zls0dyams-", "QHJJkMht7Mq865810g==",
                                    "bfb08ccedb60da60"), 5, False)],
        request_items=[("system", "You are a helpful assistant that uses planning. You MUST use the update_plan tool"
                        " and continually update it as you make progress against the user's prompt"),
                       ("user", "Compose a 12-line poem where the first letters of the odd-numbered lines form the "
                        "name \"SAMIRA\" and the first letters of the even-numbered lines spell out \"DAWOOD.\" "
                        "Additionally, the first letter of each word in every line should create the capital of a "
                        "country")],
    ),
    "r06_openai_gpt5_stream_encrypted_reasoning_no_summary_function_call": NExpect(
        why="encrypted reasoning, no reasoning events: reasoning None but hidden reasoning counted; the done/final "
            "blob (not the added one) is echoed; tool_choice required kept.",
        provider="openai", dialect="openai", model="gpt-5", response_model="gpt-5-2025-08-07",
        messages=[{"role": "user", "content": "Calculate 100 * 200 / 3"}],
        tools=[_tool("final_result", "The final response which ends this conversation",
                     {"additionalProperties": False, "properties": {"result": {"type": "integer"}},
                      "required": ["result"], "type": "object"}, True)],
        params={"tool_choice": "required"}, reasoning_choice="low",
        content="", reasoning=None,
        tool_calls=[Call("final_result", {"result": 6666}, "{\"result\":6666}", id="call_CWXgs68YprAjp6t0371hiPOI")],
        finish_reason="tool_calls", prompt_tokens=53, completion_tokens=469, reasoning_tokens=448, cached_tokens=0,
        cost=PRICE_TABLE,
        reasoning_items=[RItem("rs_0050471a34b36ae60068c97bac4dcc819595fd0f80d6b3c405",
                               Long(3896, "gAAAAABoyXvynDJ_tG_Xp4Uzjn4eVm", "0TLaxAwkaFdVIh2lKDw=",
                                    "330e6ffcad007085"), 0, False)],
        request_items=[("user", "Calculate 100 * 200 / 3")],
    ),
    "r07_openai_400_invalid_request_error": NExpect(
        why="pre-stream 400 as plain JSON: OpenAI envelope, code decimal_below_min_value; no usage, no retry-after.",
        provider="openai", dialect="openai", model="gpt-4o", response_model=None,
        messages=[{"role": "user", "content": "What is the capital of France?"}],
        content="", reasoning=None, finish_reason="error", native_finish_reason=None,
        error=Err("bad_request", 400, "decimal_below_min_value", None,
                  ("Invalid 'temperature': decimal below minimum value",)),
        request_items=[("user", "What is the capital of France?")],
    ),
    "r08_openai_stream_error_event_response_failed": NExpect(
        why="in-stream error event (insufficient_quota: billing, not retryable) then response.failed; the error event"
            " wins; no usage; the model named by response.created.",
        provider="openai", dialect="openai", model="gpt-5-nano-2025-08-07", response_model="gpt-5-nano-2025-08-07",
        content="", reasoning=None, finish_reason="error", native_finish_reason=None,
        error=Err("billing", None, "insufficient_quota", None, ("You exceeded your current quota",)),
    ),
    "r09_openrouter_gptoss20b_stream_reasoning_text_interleaved_done": NExpect(
        why="interleaved items: the message closes while the reasoning item is open; reasoning_text deltas; "
            "': OPENROUTER PROCESSING' and [DONE]; cost from usage.cost; the final response's reasoning item (its "
            "own id) echoed for its readable content.",
        provider="openrouter", dialect="openrouter", model="openai/gpt-oss-20b", response_model="openai/gpt-oss-20b",
        messages=[{"role": "user", "content": "What is 2+2?"}],
        content="4",
        reasoning="The user asks: \"What is 2+2?\" They expect a straightforward answer: 4. Just answer 4.",
        prompt_tokens=78, completion_tokens=37, reasoning_tokens=22, cached_tokens=0, cost=Cost.provider(1.13e-05),
        reasoning_items=[RItem("rs_tmp_ku4i7pagjwn", None, 0, True)],
        request_items=[("user", "What is 2+2?")],
    ),
    "r10_xai_grok_code_fast_stream_reasoning_summary_encrypted": NExpect(
        why="xAI: 64 summary deltas, 578 text deltas; encrypted_content only at done/completed; usage extras "
            "(num_sources_used) but no cost_in_usd_ticks, and the model has no price row: cost unknown.",
        provider="xai", dialect="xai", model="grok-code-fast-1", response_model="grok-code-fast-1",
        messages=[{"role": "user", "content": "What is specifically notable about the style of Sonoran food?"}],
        content=Long(2786, "### Overview of Sonoran Cuisin", " approachable meals.", "5d8c257390c6c871"),
        reasoning=Long(754, "First, the question is: \"What ", "ections for clarity.", "9a3bf7461267a1f1"),
        prompt_tokens=216, completion_tokens=831, reasoning_tokens=253, cached_tokens=192,
        reasoning_items=[RItem("rs_0b824fe9-3250-2588-0bbf-0810402fc822",
                               Long(1731, "WjtnRFdCMihgUoZ7mSMscKCe3dmgPF", "P0aSa0/yrz+mjndXaAUM",
                                    "a2db2446299b3b74"), 1, False)],
    ),
    "r11_deepseek_v4flash_stream_reasoning_text": NExpect(
        why="DeepSeek /responses (no /v1): reasoning_text deltas, UUID ids, phase final_answer ignored.",
        provider="deepseek", dialect="deepseek", model="deepseek-v4-flash", response_model="deepseek-v4-flash",
        messages=[{"role": "user", "content": "What is the capital of France?"}],
        content="The capital of France is Paris.", reasoning="We need answer capital of France.",
        prompt_tokens=90, completion_tokens=15, reasoning_tokens=7, cached_tokens=0, cost=PRICE_TABLE,
        reasoning_items=[RItem("b594b7e1-3dbb-4b65-b8c2-f4f5aae4ee80", None, 0, True)],
        request_items=[("user", "What is the capital of France?")],
    ),
    "r12_deepseek_v4flash_stream_reasoning_then_function_call": NExpect(
        why="DeepSeek: reasoning_text then a function_call with call_id call_00_…; arguments with a space after the "
            "colon kept raw; cached 256 of 366.",
        provider="deepseek", dialect="deepseek", model="deepseek-v4-flash", response_model="deepseek-v4-flash",
        messages=[{"role": "user", "content": "What is the temperature in Tokyo?"}],
        tools=[_tool("get_temperature", "Get the current temperature in a city.",
                     {"additionalProperties": False, "properties": {"city": {"type": "string"}},
                      "required": ["city"], "type": "object"}, True)],
        params={"tool_choice": "auto"},
        content="", reasoning="The user asks about temperature in Tokyo. I'll call the tool.",
        tool_calls=[Call("get_temperature", {"city": "Tokyo"}, "{\"city\": \"Tokyo\"}",
                         id="call_00_xjY8Z2BvSlzgEmmw0DtH0464")],
        finish_reason="tool_calls", prompt_tokens=366, completion_tokens=59, reasoning_tokens=14, cached_tokens=256,
        cost=PRICE_TABLE,
        reasoning_items=[RItem("fa6f3a83-5d25-46e8-9d03-1a89ce5cf2ba", None, 0, True)],
        request_items=[("user", "What is the temperature in Tokyo?")],
    ),
    "r13_deepseek_responses_400_octet_stream_error": NExpect(
        why="OpenAI envelope served as application/octet-stream, read all the same; the request interleaves "
            "assistant text between two calls, and the translation keeps that order (text, call, text, call, "
            "outputs, user).",
        provider="deepseek", dialect="deepseek", model="deepseek-v4-flash", response_model=None,
        messages=[{"role": "assistant", "content": "<think>\ninspect inputs\n</think>",
                   "tool_calls": [{"id": "call-a", "type": "function",
                                   "function": {"name": "read", "arguments": "{\"path\":\"a\"}"}}]},
                  {"role": "assistant", "content": "<think>\ninspect views\n</think>",
                   "tool_calls": [{"id": "call-b", "type": "function",
                                   "function": {"name": "view", "arguments": "{\"path\":\"b\"}"}}]},
                  {"role": "tool", "tool_call_id": "call-a", "content": "contents"},
                  {"role": "tool", "tool_call_id": "call-b", "content": "rendered"},
                  {"role": "user", "content": "Reply exactly: done"}],
        content="", reasoning=None, finish_reason="error", native_finish_reason=None,
        error=Err("bad_request", 400, "invalid_request_error", None, ("No tool output found for tool call call-a.",)),
        request_items=[("assistant", "<think>\ninspect inputs\n</think>"),
                       ("function_call", "call-a", "read", "{\"path\":\"a\"}"),
                       ("assistant", "<think>\ninspect views\n</think>"),
                       ("function_call", "call-b", "view", "{\"path\":\"b\"}"),
                       ("function_call_output", "call-a", "contents"),
                       ("function_call_output", "call-b", "rendered"),
                       ("user", "Reply exactly: done")],
    ),
    "r14_azure_gpt55_encrypted_reasoning_content_filters": NExpect(
        why="Azure v1 Responses (generic 'rec' provider): content_filters and phase ignored; encrypted reasoning with"
            " content [] echoed; no price for 'rec'.",
        provider="rec", dialect="openai", model="gpt-5.5", response_model="gpt-5.5",
        messages=[{"role": "user", "content": "What is the capital of France? Answer in one word."}],
        content="Paris", reasoning=None,
        prompt_tokens=18, completion_tokens=16, reasoning_tokens=9, cached_tokens=0,
        reasoning_items=[RItem("rs_0bb4c92b9ee53ce5006a677122b34c8195a75850e455531675",
                               Long(952, "gAAAAABqZ3Ej2IXPgSMWFI-ZE38Oav", "kVDTmMH_xCANRKEifSo=",
                                    "6361c9a7dd8c2a3d"), 0, False)],
        request_items=[("user", "What is the capital of France? Answer in one word.")],
    ),
    "r15_bedrock_mantle_gptoss120b_reasoning_text_nonstream": NExpect(
        why="Bedrock mantle: reasoning item with reasoning_text content and a msg_ id; created_at a float; "
            "reasoning_tokens 0 as sent despite visible reasoning.",
        provider="rec", dialect="openai", model="openai.gpt-oss-120b", response_model="openai.gpt-oss-120b",
        messages=[{"role": "user", "content": "Reply with exactly OSS."}],
        content="OSS",
        reasoning=Long(170, "User says: \"Reply with exactly", "no extra characters.", "45f5e3b41491daa1"),
        prompt_tokens=72, completion_tokens=45, reasoning_tokens=0, cached_tokens=0,
        reasoning_items=[RItem("msg_bcb37c51bdc5b9cc", None, 0, True)],
        request_items=[("user", "Reply with exactly OSS.")],
    ),
}
