"""Expected normalized Results for the 38 real recordings in tests/corpus/.

Written by reading the recorded bodies (not by running the client), one entry per file id.
Every value is a literal. `why` says in one line why the expectations are what they are, and
names any judgement call. The normalization rules these follow are the ones in issue 2 /
DESIGN.md sections 1-2 (content, reasoning, tool calls, finish_reason, usage folding, cost,
errors, timing).

Conventions
- `provider` is the configured provider name the test uses: one of the six built-ins when the
  recording comes from one of them (t09 counts as anthropic, t05 as gemini), else "rec" with the
  generic "openai" dialect. The test calls ``client.complete(f"{provider}/{file's model}", ...)``.
- Text fields: a str is compared exactly; `Long` is compared by length, prefix, suffix and sha256.
- `native_finish_reason` is the raw `finish_reason` string the provider put on the wire (last
  non-null one), not OpenRouter's separate `native_finish_reason` field (judgement call; s03/u01
  are where the two differ: "stop" vs "completed").
- Tool calls are positional (index / arrival order). `id=SYNTH` means the recording had no usable
  id: assert only non-empty and unique.
- Cost: `Cost.provider(x)` = provider-reported, cost_source "provider"; `PRICE_TABLE` =
  cost_source "price_table" and a finite cost > 0 (the value is the table's business, not the
  recording's); `UNKNOWN` = NaN and cost_source None; `TABLE_OR_UNKNOWN` = either of the last two
  (for a model whose table membership nothing in the repo settles). A model is expected priced iff
  a built-in provider serves it and multimodel/data/prices.csv has a sourced row for its id (dated
  snapshot and -preview spellings fold onto the base id); the generic "rec" provider never is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Long:
    """A long text: exact length, prefix, suffix and sha256 (first 16 hex digits) of the UTF-8 bytes."""

    length: int
    prefix: str
    suffix: str
    sha256_16: str


class _Synth:
    def __repr__(self) -> str:
        return "SYNTH"


SYNTH: Any = _Synth()


@dataclass(frozen=True)
class Call:
    name: str
    arguments: dict[str, Any] | None
    arguments_raw: str
    id: Any = SYNTH  # exact str, or SYNTH (non-empty, unique, value not asserted)


@dataclass(frozen=True)
class Err:
    kind: str
    status: int | None
    provider_code: str | None
    retry_after_s: float | None
    message_contains: tuple[str, ...] = ()


@dataclass(frozen=True)
class Cost:
    mode: str  # "provider" | "price_table" | "unknown" | "table_or_unknown"
    value: float | None = None

    @staticmethod
    def provider(value: float) -> Cost:
        return Cost("provider", value)


PRICE_TABLE = Cost("price_table")
UNKNOWN = Cost("unknown")
TABLE_OR_UNKNOWN = Cost("table_or_unknown")


@dataclass(frozen=True)
class Expect:
    why: str
    provider: str
    response_model: str | None
    content: str | Long
    reasoning: str | Long | None
    tool_calls: list[Call] = field(default_factory=list)
    finish_reason: str = "stop"
    native_finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    reasoning_tokens: int | None = None
    cached_tokens: int | None = None
    cost: Cost = UNKNOWN
    error: Err | None = None


# Built-in provider names and the dialect the test configures for them; everything else is
# served as NAME="rec", dialect "openai".
BUILTIN_DIALECTS = ("openai", "anthropic", "gemini", "xai", "deepseek", "openrouter")


EXPECTATIONS: dict[str, Expect] = {
    # ------------------------------------------------------------------ HTTP errors
    "e01_openrouter_429_upstream_rate_limited": Expect(
        why="OpenRouter 429 envelope: numeric code 429 -> provider_code '429'; message is 'Provider returned "
        "error' plus metadata.raw; no retry-after header and no body field -> retry_after_s None; no usage.",
        provider="openrouter",
        response_model=None,
        content="",
        reasoning=None,
        finish_reason="error",
        error=Err(
            kind="rate_limit",
            status=429,
            provider_code="429",
            retry_after_s=None,
            message_contains=(
                "Provider returned error",
                "google/gemini-2.0-flash-exp:free is temporarily rate-limited upstream",
            ),
        ),
    ),
    "e02_groq_400_tool_use_failed": Expect(
        why="Groq 400 with string code tool_use_failed (type invalid_request_error) -> bad_request; "
        "failed_generation is extra and not part of the message.",
        provider="rec",
        response_model=None,
        content="",
        reasoning=None,
        finish_reason="error",
        error=Err(
            kind="bad_request",
            status=400,
            provider_code="tool_use_failed",
            retry_after_s=None,
            message_contains=(
                "Tool call validation failed: tool call validation failed: parameters for tool "
                "get_something_by_name did not match schema",
            ),
        ),
    ),
    "e03_openai_400_unsupported_system_role": Expect(
        why="Standard OpenAI error envelope, 400 with code unsupported_value -> bad_request; the code (not "
        "the type) is provider_code.",
        provider="openai",
        response_model=None,
        content="",
        reasoning=None,
        finish_reason="error",
        error=Err(
            kind="bad_request",
            status=400,
            provider_code="unsupported_value",
            retry_after_s=None,
            message_contains=("Unsupported value: 'messages[0].role' does not support 'system' with this model.",),
        ),
    ),
    "e04_groq_404_model_not_found": Expect(
        why="Groq 404 model_not_found (no param key) -> not_found.",
        provider="rec",
        response_model=None,
        content="",
        reasoning=None,
        finish_reason="error",
        error=Err(
            kind="not_found",
            status=404,
            provider_code="model_not_found",
            retry_after_s=None,
            message_contains=("The model `non-existent` does not exist or you do not have access to it.",),
        ),
    ),
    "e05_openai_404_model_not_found": Expect(
        why="OpenAI 404 model_not_found with param null and a charset content-type -> not_found.",
        provider="openai",
        response_model=None,
        content="",
        reasoning=None,
        finish_reason="error",
        error=Err(
            kind="not_found",
            status=404,
            provider_code="model_not_found",
            retry_after_s=None,
            message_contains=("The model `gpt-5.2-proo` does not exist or you do not have access to it.",),
        ),
    ),
    # ------------------------------------------------------------------ streaming with reasoning
    "s01_deepseek_reasoner_stream_reasoning_content": Expect(
        why="199 reasoning_content deltas then 12 content deltas; finish_reason+usage in the last chunk; "
        "cached from prompt_tokens_details (0, same as prompt_cache_hit_tokens); deepseek-reasoner is priced "
        "in quirks section 8.",
        provider="deepseek",
        response_model="deepseek-reasoner",
        content="Hello there! 😊 How can I help you today?",
        reasoning=Long(
            882,
            'Hmm, the user just said "Hello". It\'s a simple gre',
            "hey might not reply further - and that's okay too.",
            "d29146ea4f40dfde",
        ),
        finish_reason="stop",
        native_finish_reason="stop",
        prompt_tokens=6,
        completion_tokens=212,
        reasoning_tokens=198,
        cached_tokens=0,
        cost=PRICE_TABLE,
    ),
    "s02_openrouter_claude_sonnet45_stream_reasoning_details": Expect(
        why="Same reasoning text in delta.reasoning and reasoning_details -> counted once; signature-only "
        "details add no text; usage (cost 0.000669, is_byok false) arrives after the stop chunk.",
        provider="openrouter",
        response_model="anthropic/claude-sonnet-4.5",
        content="2 + 2 = 4",
        reasoning="This is a simple arithmetic question. 2+2 equals 4.",
        finish_reason="stop",
        native_finish_reason="stop",
        prompt_tokens=43,
        completion_tokens=36,
        reasoning_tokens=13,
        cached_tokens=0,
        cost=Cost.provider(0.000669),
    ),
    "s03_openrouter_o3_stream_encrypted_reasoning": Expect(
        why="Only a reasoning.encrypted blob -> reasoning None; reported reasoning_tokens 0 kept as-is; "
        "finish_reason 'stop' (OpenRouter's native_finish_reason 'completed' is not what we call native).",
        provider="openrouter",
        response_model="openai/o3",
        content=Long(
            446,
            "I’m ChatGPT, a large-language-model assistant crea",
            "g specific you’d like help with, just let me know!",
            "863c7d8a882d2101",
        ),
        reasoning=None,
        finish_reason="stop",
        native_finish_reason="stop",
        prompt_tokens=9,
        completion_tokens=104,
        reasoning_tokens=0,
        cached_tokens=0,
        cost=Cost.provider(0.00085),
    ),
    "s04_zai_glm47_stream_reasoning_content": Expect(
        why="Z.ai reasoning_content deltas (verbatim, so the leading newline stays) then content '4'; "
        "generic endpoint -> no price.",
        provider="rec",
        response_model="glm-4.7",
        content="4",
        reasoning=Long(
            2173,
            "\n1.  **Analyze the User's Request:** The user is a",
            'is needed.\n\n7.  **Draft the final response:** "4".',
            "960317a214d06504",
        ),
        finish_reason="stop",
        native_finish_reason="stop",
        prompt_tokens=13,
        completion_tokens=564,
        reasoning_tokens=561,
        cached_tokens=0,
        cost=UNKNOWN,
    ),
    "s05_groq_gptoss_stream_reasoning_then_sse_error_event": Expect(
        why="'event: error' with status_code 400 and code tool_use_failed after 93 reasoning deltas -> "
        "bad_request/400, partial reasoning kept; no finish_reason, no usage, no [DONE].",
        provider="rec",
        response_model="openai/gpt-oss-120b",
        content="",
        reasoning=Long(
            412,
            "We need to call the tool with invalid parameters f",
            'Then second call with name: "test". Let\'s do that.',
            "42abcfd444c13a25",
        ),
        finish_reason="error",
        native_finish_reason=None,
        error=Err(
            kind="bad_request",
            status=400,
            provider_code="tool_use_failed",
            retry_after_s=None,
            message_contains=(
                "Tool call validation failed",
                "additionalProperties 'invalid_param' not allowed",
            ),
        ),
    ),
    "s06_groq_gptoss_stream_reasoning_tool_call_usage": Expect(
        why="delta.reasoning (channel 'analysis') then one whole tool call in a single delta; usage in the "
        "finish chunk (x_groq.usage is a duplicate); Groq reports no cached tokens.",
        provider="rec",
        response_model="openai/gpt-oss-120b",
        content="",
        reasoning='We need to call the function with correct parameter "name". Provide a name, e.g., "example".',
        tool_calls=[
            Call(
                name="get_something_by_name",
                arguments={"name": "example"},
                arguments_raw='{"name":"example"}',
                id="fc_bfb39741-3748-4def-9886-a93fc9c64a90",
            )
        ],
        finish_reason="tool_calls",
        native_finish_reason="tool_calls",
        prompt_tokens=304,
        completion_tokens=49,
        reasoning_tokens=23,
        cached_tokens=None,
        cost=UNKNOWN,
    ),
    "s07_mistral_magistral_stream_thinking_content_parts": Expect(
        why="delta.content as arrays of thinking parts -> reasoning (one empty thinking part adds nothing), "
        "then plain string content; usage has no details -> reasoning/cached None.",
        provider="rec",
        response_model="magistral-medium-latest",
        content=Long(
            607,
            "To cross the street safely, follow these steps:\n\n1",
            "owing these steps, you can ensure a safe crossing.",
            "e61ff78a68761d94",
        ),
        reasoning=Long(
            421,
            "Okay, the user is asking how to cross the street. ",
            "his information into a clear and concise response.",
            "fcab447a2e58f5b6",
        ),
        finish_reason="stop",
        native_finish_reason="stop",
        prompt_tokens=10,
        completion_tokens=232,
        reasoning_tokens=None,
        cached_tokens=None,
        cost=UNKNOWN,
    ),
    "s08_xai_grok3mini_stream_reasoning_tool_call": Expect(
        why="xAI: total 560 > 307+26, so completion folds to 560-307=253 with reasoning_tokens 227 from "
        "details; cost 1497500 ticks / 1e10; usage chunk with choices [] after the finish chunk.",
        provider="xai",
        response_model="grok-3-mini",
        content="",
        reasoning=Long(
            1069,
            "First, the user is asking about the weather in San",
            "esult, but for now, this is the logical next step.",
            "7df9a5068fc57ed4",
        ),
        tool_calls=[
            Call(
                name="weather",
                arguments={"location": "San Francisco"},
                arguments_raw='{"location":"San Francisco"}',
                id="call_79382389",
            )
        ],
        finish_reason="tool_calls",
        native_finish_reason="tool_calls",
        prompt_tokens=307,
        completion_tokens=253,
        reasoning_tokens=227,
        cached_tokens=306,
        cost=Cost.provider(0.00014975),
    ),
    "s09_snowflake_cortex_claude_stream_reasoning_details": Expect(
        why="reasoning_details text only (no delta.reasoning); no finish_reason anywhere and no tool calls "
        "-> stop with native None; reported reasoning_tokens 0 kept; id ''/created 0 envelope is irrelevant.",
        provider="rec",
        response_model="claude-sonnet-4-6",
        content="15 × 27 = **405**\n\nHere's the breakdown:\n- 15 × 20 = 300\n- 15 × 7 = 105\n- 300 + 105 = **405**",
        reasoning="15 * 27 = 405",
        finish_reason="stop",
        native_finish_reason=None,
        prompt_tokens=45,
        completion_tokens=73,
        reasoning_tokens=0,
        cached_tokens=0,
        cost=UNKNOWN,
    ),
    "s10_openrouter_minimax_stream_length_then_error_chunk": Expect(
        why="finish 'length' arrives before the in-band {code 400 'Token limit reached'} -> not a failure "
        "(rule 4); reasoning 11 > completion 10 kept as reported; :free cost 0 is a real provider 0.",
        provider="openrouter",
        response_model="minimax/minimax-m2:free",
        content="",
        reasoning="We need to respond to a greeting. The user",
        finish_reason="length",
        native_finish_reason="length",
        prompt_tokens=43,
        completion_tokens=10,
        reasoning_tokens=11,
        cached_tokens=0,
        cost=Cost.provider(0.0),
        error=None,
    ),
    "s11_deepseek_reasoner_stream_tool_call_fragments": Expect(
        why="Arguments arrive in 10 fragments ('{', '\"', 'location', ...) accumulated by index 0; last "
        "chunk has content '' and finish+usage; cached 320 (details and prompt_cache_hit agree).",
        provider="deepseek",
        response_model="deepseek-reasoner",
        content="",
        reasoning=Long(
            191,
            "The user is asking for the weather in San Francisc",
            'ith the location parameter set to "San Francisco".',
            "e9e5190a993cf891",
        ),
        tool_calls=[
            Call(
                name="weather",
                arguments={"location": "San Francisco"},
                arguments_raw='{"location": "San Francisco"}',
                id="call_00_ioIn7yN9p1ZOMNpDLwd4MgAF",
            )
        ],
        finish_reason="tool_calls",
        native_finish_reason="tool_calls",
        prompt_tokens=339,
        completion_tokens=83,
        reasoning_tokens=39,
        cached_tokens=320,
        cost=PRICE_TABLE,
    ),
    "s12_together_via_hf_deepseek_r1_stream_think_tags": Expect(
        why="Inline <think>…</think> at the start of content: inner text stripped -> reasoning, rest "
        "lstripped -> content; usage.cached_tokens at top level (0); retry-after 30 on a 200 is not an "
        "error.",
        provider="rec",
        response_model="deepseek-ai/DeepSeek-R1",
        content=Long(
            2556,
            "Crossing the street safely requires attention and ",
            " these steps every time—it could save your life! 🌟",
            "51de1cf42f947866",
        ),
        reasoning=Long(
            1428,
            'Okay, the user asked "How do I cross the street?" ',
            "fety first, but don't sound like a paranoid robot.",
            "2f56c62fd2aacc15",
        ),
        finish_reason="stop",
        native_finish_reason="stop",
        prompt_tokens=10,
        completion_tokens=955,
        reasoning_tokens=None,
        cached_tokens=0,
        cost=UNKNOWN,
    ),
    # ------------------------------------------------------------------ tool calls
    "t01_deepseek_reasoner_parallel_tool_calls_with_reasoning": Expect(
        why="Non-stream: content AND two indexed calls; response model deepseek-v4-flash differs from the "
        "requested deepseek-reasoner; both ids have sourced price rows, so priced either way.",
        provider="deepseek",
        response_model="deepseek-v4-flash",
        content="Let me get your name and roll the die!",
        reasoning="Great, now I have access to the dice roll tool. Let me first get the player's name and "
        "then roll the die.",
        tool_calls=[
            Call(
                name="get_player_name",
                arguments={},
                arguments_raw="{}",
                id="call_00_6edlnw3Z1MgeMfey687g8451",
            ),
            Call(name="roll_dice", arguments={}, arguments_raw="{}", id="call_01_km02sac7sHxNDPATKLZy7705"),
        ],
        finish_reason="tool_calls",
        native_finish_reason="tool_calls",
        prompt_tokens=875,
        completion_tokens=79,
        reasoning_tokens=26,
        cached_tokens=0,
        cost=PRICE_TABLE,
    ),
    "t02_openai_gpt4o_parallel_tool_calls": Expect(
        why="Canonical OpenAI parallel calls without per-call index, content null -> ''; gpt-4o has a "
        "sourced price row (dated snapshot folds onto it).",
        provider="openai",
        response_model="gpt-4o-2024-08-06",
        content="",
        reasoning=None,
        tool_calls=[
            Call(
                name="delete_file",
                arguments={"path": ".env"},
                arguments_raw='{"path": ".env"}',
                id="call_jYdIdRZHxZTn5bWCq5jlMrJi",
            ),
            Call(
                name="create_file",
                arguments={"path": "test.txt"},
                arguments_raw='{"path": "test.txt"}',
                id="call_TmlTVWQbzrXCZ4jNsCVNbNqu",
            ),
        ],
        finish_reason="tool_calls",
        native_finish_reason="tool_calls",
        prompt_tokens=71,
        completion_tokens=46,
        reasoning_tokens=0,
        cached_tokens=0,
        cost=PRICE_TABLE,
    ),
    "t03_openai_gpt4o_stream_parallel_tool_calls": Expect(
        why="Two calls streamed at index 0 and 1, id+name only on first fragments, args '{}' each; "
        "usage-only chunk with choices []; gpt-4o has a sourced price row.",
        provider="openai",
        response_model="gpt-4o-2024-08-06",
        content="",
        reasoning=None,
        tool_calls=[
            Call(name="get_country", arguments={}, arguments_raw="{}", id="call_q2UyBRP7eXNTzAoR8lEhjc9Z"),
            Call(name="get_product_name", arguments={}, arguments_raw="{}", id="call_b51ijcpFkDiTQG1bQzsrmtW5"),
        ],
        finish_reason="tool_calls",
        native_finish_reason="tool_calls",
        prompt_tokens=364,
        completion_tokens=40,
        reasoning_tokens=0,
        cached_tokens=0,
        cost=PRICE_TABLE,
    ),
    "t04_openai_gpt4omini_tool_call_raw_exact": Expect(
        why="Byte-exact pretty-printed OpenAI JSON, one call, content null; gpt-4o-mini has a sourced price row.",
        provider="openai",
        response_model="gpt-4o-mini-2024-07-18",
        content="",
        reasoning=None,
        tool_calls=[
            Call(
                name="lookup_population",
                arguments={"country": "Crumpet"},
                arguments_raw='{"country":"Crumpet"}',
                id="call_TTY8UFNo7rNCaOBUNtlRSvMG",
            )
        ],
        finish_reason="tool_calls",
        native_finish_reason="tool_calls",
        prompt_tokens=92,
        completion_tokens=17,
        reasoning_tokens=0,
        cached_tokens=0,
        cost=PRICE_TABLE,
    ),
    "t05_gemini_openai_compat_tool_call_empty_id": Expect(
        why="Empty-string call id -> synthesized; total 109 > 35+12 with no details -> completion 74 and "
        "reasoning 62 (folded difference); thought_signature is opaque, not reasoning; the preview "
        "snapshot id folds onto the sourced gemini-2.5-pro row (same published price).",
        provider="gemini",
        response_model="gemini-2.5-pro-preview-05-06",
        content="",
        reasoning=None,
        tool_calls=[Call(name="get_current_time", arguments={}, arguments_raw="{}", id=SYNTH)],
        finish_reason="tool_calls",
        native_finish_reason="tool_calls",
        prompt_tokens=35,
        completion_tokens=74,
        reasoning_tokens=62,
        cached_tokens=None,
        cost=PRICE_TABLE,
    ),
    "t06_groq_llama4_scout_parallel_tool_calls": Expect(
        why="Two calls without index, 9-char ids kept; no content key -> ''; Groq timing fields in usage are "
        "ignored; no details -> reasoning/cached None.",
        provider="rec",
        response_model="meta-llama/llama-4-scout-17b-16e-instruct",
        content="",
        reasoning=None,
        tool_calls=[
            Call(
                name="get_weather",
                arguments={"city": "Paris"},
                arguments_raw='{"city":"Paris"}',
                id="rew01jq49",
            ),
            Call(
                name="final_result",
                arguments={"city": "Paris", "summary": "Current weather in Paris"},
                arguments_raw='{"city":"Paris","summary":"Current weather in Paris"}',
                id="gbpypqxpx",
            ),
        ],
        finish_reason="tool_calls",
        native_finish_reason="tool_calls",
        prompt_tokens=779,
        completion_tokens=65,
        reasoning_tokens=None,
        cached_tokens=None,
        cost=UNKNOWN,
    ),
    "t07_together_via_hf_llama4_parallel_tool_calls": Expect(
        why="content '' and reasoning null with two indexed calls; retry-after 2 on a 200 is not an error; "
        "prompt/completion/total only.",
        provider="rec",
        response_model="meta-llama/Llama-4-Scout-17B-16E-Instruct",
        content="",
        reasoning=None,
        tool_calls=[
            Call(
                name="get_weather",
                arguments={"city": "Paris"},
                arguments_raw='{"city": "Paris"}',
                id="call_c67bb6b901354ca19bd1b70d",
            ),
            Call(
                name="final_result",
                arguments={"city": "Paris", "summary": "Weather in Paris"},
                arguments_raw='{"city": "Paris", "summary": "Weather in Paris"}',
                id="call_1113747bb7de47ce8bffe3e9",
            ),
        ],
        finish_reason="tool_calls",
        native_finish_reason="tool_calls",
        prompt_tokens=720,
        completion_tokens=65,
        reasoning_tokens=None,
        cached_tokens=None,
        cost=UNKNOWN,
    ),
    "t08_mistral_large_tool_call_num_cached_tokens": Expect(
        why="Call without 'type' is still a function call; cached from usage.num_cached_tokens (69).",
        provider="rec",
        response_model="mistral-large-latest",
        content="",
        reasoning=None,
        tool_calls=[
            Call(
                name="get_weather",
                arguments={"city": "Paris"},
                arguments_raw='{"city": "Paris"}',
                id="pcZFHqej8",
            )
        ],
        finish_reason="tool_calls",
        native_finish_reason="tool_calls",
        prompt_tokens=70,
        completion_tokens=12,
        reasoning_tokens=None,
        cached_tokens=69,
        cost=UNKNOWN,
    ),
    "t09_anthropic_compat_stream_tool_call_index_starts_at_1": Expect(
        why="Text then one call whose only index is 1 (empty-argument fragments first); sanitized id kept "
        "(non-empty, unique); no usage chunk -> tokens None and cost unknown even for a built-in.",
        provider="anthropic",
        response_model="claude-haiku-4-5-20251001",
        content="Reading it.",
        reasoning=None,
        tool_calls=[
            Call(
                name="read_file",
                arguments={"path": "a.txt"},
                arguments_raw='{"path": "a.txt"}',
                id="toolu_sanitized",
            )
        ],
        finish_reason="tool_calls",
        native_finish_reason="tool_calls",
        cost=UNKNOWN,
    ),
    "t10_openrouter_openai_gpt41mini_stream_tool_call": Expect(
        why="Call in the first data chunk, second fragment repeats type; usage chunk keeps one empty choice; "
        "cost 0.0000368 provider-reported.",
        provider="openrouter",
        response_model="openai/gpt-4.1-mini",
        content="",
        reasoning=None,
        tool_calls=[Call(name="llm_version", arguments={}, arguments_raw="{}", id="call_o4OCgtJrNoZTmoCRvmlfoHfj")],
        finish_reason="tool_calls",
        native_finish_reason="tool_calls",
        prompt_tokens=48,
        completion_tokens=11,
        reasoning_tokens=0,
        cached_tokens=0,
        cost=Cost.provider(0.0000368),
    ),
    "t11_openrouter_novita_kimi_k2_stream_tool_call_id_0": Expect(
        why="Id '0' is kept (the provider expects it back); the second fragment repeats id/name (idempotent) "
        "and args ''+'{}'; no finish_reason anywhere -> tool_calls with native None.",
        provider="openrouter",
        response_model="moonshotai/kimi-k2",
        content="",
        reasoning=None,
        tool_calls=[Call(name="llm_version", arguments={}, arguments_raw="{}", id="0")],
        finish_reason="tool_calls",
        native_finish_reason=None,
        prompt_tokens=57,
        completion_tokens=17,
        reasoning_tokens=0,
        cached_tokens=0,
        cost=Cost.provider(0.00007159),
    ),
    "t12_openrouter_novita_kimi_k2_stream_tool_call_no_arguments_key": Expect(
        why="First fragment has no arguments key, args come later as '{}'; the leading space before the "
        "first 'data:' only hides a role-only chunk, so nothing asserted depends on it.",
        provider="openrouter",
        response_model="moonshotai/kimi-k2",
        content="",
        reasoning=None,
        tool_calls=[Call(name="llm_version", arguments={}, arguments_raw="{}", id="llm_version:0")],
        finish_reason="tool_calls",
        native_finish_reason="tool_calls",
        prompt_tokens=56,
        completion_tokens=12,
        reasoning_tokens=0,
        cached_tokens=0,
        cost=Cost.provider(0.00005952),
    ),
    "t13_alibaba_qwen3max_stream_tool_call": Expect(
        why="Continuation fragments carry id '' -> merged into index 0 keeping the first id; trailing empty "
        "fragment adds nothing; usage-only chunk with choices [].",
        provider="rec",
        response_model="qwen3-max",
        content="",
        reasoning=None,
        tool_calls=[
            Call(
                name="weather",
                arguments={"location": "San Francisco"},
                arguments_raw='{"location": "San Francisco"}',
                id="call_eee11723464a4b9eb8cee71d",
            )
        ],
        finish_reason="tool_calls",
        native_finish_reason="tool_calls",
        prompt_tokens=295,
        completion_tokens=22,
        reasoning_tokens=None,
        cached_tokens=0,
        cost=UNKNOWN,
    ),
    "t14_xai_grok3mini_tool_call_reasoning_nonstream": Expect(
        why="xAI non-stream: total 588 > 307+26 -> completion 281, reasoning_tokens 255 from details, cached "
        "244; cost 1777000 ticks / 1e10; content '' with one call lacking index.",
        provider="xai",
        response_model="grok-3-mini",
        content="",
        reasoning=Long(
            1194,
            "First, the user is asking about the weather in San",
            't": {"location": "San Francisco"}}</function_call>',
            "bd51900497af9610",
        ),
        tool_calls=[
            Call(
                name="weather",
                arguments={"location": "San Francisco"},
                arguments_raw='{"location":"San Francisco"}',
                id="call_46427107",
            )
        ],
        finish_reason="tool_calls",
        native_finish_reason="tool_calls",
        prompt_tokens=307,
        completion_tokens=281,
        reasoning_tokens=255,
        cached_tokens=244,
        cost=Cost.provider(0.0001777),
    ),
    # ------------------------------------------------------------------ usage variants
    "u01_openrouter_gpt5mini_usage_cost_encrypted_reasoning": Expect(
        why="message.reasoning equals the reasoning.summary detail -> counted once, the encrypted detail is "
        "not text; cost 0.00435825 (is_byok false, upstream_inference_cost null).",
        provider="openrouter",
        response_model="openai/gpt-5-mini",
        content=Long(
            5380,
            "Here’s a concise but thorough overview of Mars — t",
            "de a timeline of exploration and planned missions.",
            "742ef4473d41fa6b",
        ),
        reasoning=Long(
            2509,
            "**Exploring Mars Overview**\n\nThe user wants a comp",
            " structured overview touching on all these topics.",
            "b1c018ccb2f1387a",
        ),
        finish_reason="stop",
        native_finish_reason="stop",
        prompt_tokens=17,
        completion_tokens=2177,
        reasoning_tokens=960,
        cached_tokens=0,
        cost=Cost.provider(0.00435825),
    ),
    "u02_openai_o3mini_reasoning_tokens": Expect(
        why="Hidden reasoning: 768 of 809 completion tokens, no text -> reasoning None; o3-mini has a "
        "sourced (last published) price row.",
        provider="openai",
        response_model="o3-mini-2025-01-31",
        content="That's right—I am a potato! A spud of many talents, here to help you out. How can this "
        "humble potato be of service today?",
        reasoning=None,
        finish_reason="stop",
        native_finish_reason="stop",
        prompt_tokens=11,
        completion_tokens=809,
        reasoning_tokens=768,
        cached_tokens=0,
        cost=PRICE_TABLE,
    ),
    "u03_openai_gpt56_cached_tokens_cache_write_tokens": Expect(
        why="4012 of 4020 prompt tokens cached (cache_write_tokens ignored); gpt-5.6-sol has its own "
        "sourced price row (an exact id, not a 'gpt-5' prefix guess).",
        provider="openai",
        response_model="gpt-5.6-sol",
        content="OK",
        reasoning=None,
        finish_reason="stop",
        native_finish_reason="stop",
        prompt_tokens=4020,
        completion_tokens=4,
        reasoning_tokens=0,
        cached_tokens=4012,
        cost=PRICE_TABLE,
    ),
    "u04_cerebras_gptoss_reasoning_time_info": Expect(
        why="Plain message.reasoning string; top-level time_info ignored; usage details give reasoning 25, cached 0.",
        provider="rec",
        response_model="gpt-oss-120b",
        content="4.",
        reasoning='User asks simple: "What is 2 + 2? Think briefly first." Answer: 4. Probably straightforward.',
        finish_reason="stop",
        native_finish_reason="stop",
        prompt_tokens=79,
        completion_tokens=37,
        reasoning_tokens=25,
        cached_tokens=0,
        cost=UNKNOWN,
    ),
    "u05_groq_gptoss_reasoning_nonstream_usage_timing": Expect(
        why="Groq non-stream message.reasoning; reasoning_tokens 95 from details; no cached field -> None.",
        provider="rec",
        response_model="openai/gpt-oss-120b",
        content="4",
        reasoning=Long(
            376,
            'The user asks: "What is 2+2? Reply with just the n',
            't the number." So just "4".\n\nThus final answer: 4.',
            "f16bef74cf12ec2c",
        ),
        finish_reason="stop",
        native_finish_reason="stop",
        prompt_tokens=84,
        completion_tokens=105,
        reasoning_tokens=95,
        cached_tokens=None,
        cost=UNKNOWN,
    ),
    "u06_mistral_prompt_cache_cached_tokens": Expect(
        why="Mistral cache hits in prompt_tokens_details.cached_tokens (224); tool_calls null -> no calls.",
        provider="rec",
        response_model="mistral-large-latest",
        content="cache probe two.",
        reasoning=None,
        finish_reason="stop",
        native_finish_reason="stop",
        prompt_tokens=268,
        completion_tokens=5,
        reasoning_tokens=None,
        cached_tokens=224,
        cost=UNKNOWN,
    ),
    "u07_perplexity_sonar_citations": Expect(
        why="Citations stay in raw; [n] markers are part of the content; usage before choices changes nothing.",
        provider="rec",
        response_model="sonar",
        content=Long(
            952,
            "The most recent estimates for San Francisco's city",
            "ata, check U.S. Census Bureau updates beyond 2024.",
            "24f50d21f943b6c4",
        ),
        reasoning=None,
        finish_reason="stop",
        native_finish_reason="stop",
        prompt_tokens=10,
        completion_tokens=251,
        reasoning_tokens=None,
        cached_tokens=None,
        cost=UNKNOWN,
    ),
}
