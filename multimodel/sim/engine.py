"""The generation plan: what a simulated model answers, before any dialect shapes it.

A :class:`~.plan.Plan` (defined in :mod:`.plan` with the request and context types) holds token pieces
(reasoning, content), tool calls and the finish reason; a dialect renders it as a JSON body or as SSE
events. Token counts are piece counts.

Two kinds of prompt get a reply of their own instead of the ordinary answer (which quotes the prompt): a judge
prompt gets a verdict (:mod:`.judge`), a question of the known-answer set a short answer, right or wrong
(:mod:`.knowledge`). Their length is their own: a fixed answer length (``x-sim-answer-tokens``) does not pad or
cut them, though ``max_tokens`` still does. Which sample of a request is built is ``ctx.draw`` (:mod:`.sampling`).
"""

from __future__ import annotations

import hashlib
import random
from typing import TYPE_CHECKING, Any

import orjson

from . import judge, knowledge
from .catalogue import AUDIO, EFFORT_FACTOR, IMAGE, PDF
from .plan import Ctx, Plan, Req, ToolCallPlan
from .sampling import variety
from .text import (
    Media,
    PromptInfo,
    answer_pieces,
    part_text,
    pieces_of,
    preamble_pieces,
    reasoning_pieces,
    schema_value,
)

if TYPE_CHECKING:
    from .dialects.base import Dialect

MAX_PARALLEL_CALLS = 3
# alternatives offered in top_logprobs (the chosen piece always comes first)
_ALT_TOKENS = (" the", " a", " and", " of", " to", " it", " is", " that", ",", ".", " this", " in")


class PrefixCache:
    """Deterministic prompt-prefix cache: hits are whole blocks already seen in an earlier prompt."""

    def __init__(self, cap: int = 200_000) -> None:
        self._seen: dict[bytes, None] = {}
        self._cap = cap

    def clear(self) -> None:
        self._seen.clear()

    def lookup_and_store(self, key: str, text: str, block_tokens: int, min_tokens: int, prompt_tokens: int) -> int:
        if prompt_tokens < min_tokens:
            return 0
        block = block_tokens * 4  # chars
        n_blocks = len(text) // block
        if n_blocks == 0:
            return 0
        h = hashlib.blake2b(key.encode(), digest_size=16)
        seen = self._seen
        hits = 0
        counting = True
        for i in range(n_blocks):
            h.update(text[i * block:(i + 1) * block].encode())
            d = h.copy().digest()
            if counting and d in seen:
                hits += 1
            else:
                counting = False
                seen[d] = None
        while len(seen) > self._cap:
            seen.pop(next(iter(seen)))
        cached = hits * block_tokens
        if cached < min_tokens:
            return 0
        return min(cached, prompt_tokens - 1)


def analyze(dialect: Dialect, messages: list[dict[str, Any]]) -> tuple[PromptInfo, str]:
    """PromptInfo (text, roles, every media part as sent) plus the prompt text used for prefix caching."""
    info = PromptInfo()
    chars = 0
    sys_parts: list[str] = []
    leading = True
    texts: list[str] = []
    call_names: dict[str, str] = {}
    trailing_tools: list[tuple[str, str]] = []
    last_user = ""
    media = info.media
    for i, m in enumerate(messages):
        role = m.get("role")
        content = m.get("content")
        t = part_text(content)
        chars += len(t)
        texts.append(f"{role}:{t}")
        if isinstance(content, list):
            for j, p in enumerate(content):
                if isinstance(p, dict) and p.get("type") in _MEDIA_TYPES:
                    media.append(media_of(p, i, j))
        if role in ("system", "developer"):
            if leading or dialect.hoists_system:
                sys_parts.append(t)
            trailing_tools = []
            continue
        leading = False
        if role == "assistant":
            for tc in m.get("tool_calls") or ():
                if isinstance(tc, dict):
                    fn = tc.get("function") or {}
                    call_names[str(tc.get("id"))] = str(fn.get("name", "tool"))
                    chars += len(str(fn.get("arguments", ""))) + len(str(fn.get("name", "")))
            trailing_tools = []
        elif role == "tool":
            name = m.get("name") or call_names.get(str(m.get("tool_call_id")), "tool")
            trailing_tools.append((str(name), t))
        elif role == "user":
            last_user = t
            trailing_tools = []
    info.chars = chars
    info.n_messages = len(messages)
    info.system = "\n".join(sys_parts)
    info.last_user = last_user
    info.tool_results = trailing_tools
    return info, "\n".join(texts)


_MEDIA_TYPES = frozenset({"image_url", "input_audio", "file"})


def _data_url(url: str) -> tuple[str | None, int | None]:
    """(declared MIME type, decoded size) of a data: URL, from the lengths only; (None, None) otherwise."""
    if not url.startswith("data:"):
        return None, None
    comma = url.find(",")
    if comma < 0:
        return None, 0
    head = url[5:comma]
    mime = head.split(";", 1)[0] or None
    if head.endswith(";base64"):
        return mime, b64_size(url, comma + 1)
    return mime, len(url) - comma - 1


def b64_size(s: str, start: int = 0) -> int:
    """Decoded size of the base64 text ``s[start:]`` (padding aware, no decoding: the sim stays fast)."""
    n = len(s) - start
    if n <= 0:
        return 0
    pad = 0
    if s[-1] == "=":
        pad = 2 if n > 1 and s[-2] == "=" else 1
    return n * 3 // 4 - pad


def media_of(p: dict[str, Any], i: int, j: int) -> Media:
    """Measure one image_url / input_audio / file part (message ``i``, part ``j``) without decoding it."""
    kind = p["type"]
    if kind == "image_url":
        iu = p.get("image_url")
        url = iu.get("url") if isinstance(iu, dict) else iu
        url = url if isinstance(url, str) else ""
        if url.startswith("data:"):
            mime, size = _data_url(url)
            return Media(IMAGE, kind, i, j, mime, size)
        return Media(IMAGE, kind, i, j, None, None, url)
    if kind == "input_audio":
        ia = p.get("input_audio")
        ia = ia if isinstance(ia, dict) else {}
        data = ia.get("data")
        data = data if isinstance(data, str) else ""
        fmt = ia.get("format")
        size = _data_url(data)[1] if data.startswith("data:") else b64_size(data)
        return Media(AUDIO, kind, i, j, fmt if isinstance(fmt, str) else None, size)
    f = p.get("file")
    f = f if isinstance(f, dict) else p  # DeepSeek documents file_data/filename directly on the part
    data = f.get("file_data")
    name = f.get("filename")
    if isinstance(data, str):
        mime, size = _data_url(data) if data.startswith("data:") else ("application/pdf", b64_size(data))
        return Media(PDF, kind, i, j, mime or "application/pdf", size, name if isinstance(name, str) else None)
    fid = f.get("file_id")
    ref = name if isinstance(name, str) else (f"file id {fid}" if isinstance(fid, str) else None)
    return Media(PDF, kind, i, j, "application/pdf", None, ref)


def token_logprobs(pieces: list[str], top: int, seed_int: int) -> list[dict[str, Any]]:
    """Deterministic OpenAI-shaped logprobs: one entry per piece, with ``top`` alternatives (chosen first)."""
    rng = random.Random(seed_int ^ 0x10CB)  # its own stream: asking for logprobs does not change the text
    out = []
    for piece in pieces:
        lp = -round(rng.expovariate(6.0), 6)
        entry: dict[str, Any] = {"token": piece, "logprob": lp, "bytes": list(piece.encode())}
        alts = []
        if top:
            alts.append({"token": piece, "logprob": lp, "bytes": entry["bytes"]})
            low = lp
            for k in range(1, top):
                alt = _ALT_TOKENS[(rng.randrange(len(_ALT_TOKENS)) + k) % len(_ALT_TOKENS)]
                if alt == piece:
                    alt = alt.strip() or "~"
                low = round(low - rng.uniform(0.4, 3.0), 6)
                alts.append({"token": alt, "logprob": low, "bytes": list(alt.encode())})
        entry["top_logprobs"] = alts
        out.append(entry)
    return out


def _fragments(s: str, size: int) -> list[str]:
    return [s[i:i + size] for i in range(0, len(s), size)] or [""]


def _pick_tools(req: Req, info: PromptInfo) -> list[dict[str, Any]]:
    tools = [t for t in req.tools or () if isinstance(t, dict) and isinstance(t.get("function"), dict)]
    if not tools:
        return []
    choice = req.tool_choice
    if choice == "none" or info.tool_results:
        return []
    if isinstance(choice, dict):
        name = (choice.get("function") or {}).get("name")
        return [t for t in tools if t["function"].get("name") == name][:1]
    prompt = info.last_user.lower()

    def mentioned(t: dict[str, Any]) -> bool:  # "get_weather" is mentioned by "...the weather in Paris?"
        words = str(t["function"].get("name", "")).lower().replace("-", "_").split("_")
        return any(len(w) >= 4 and w in prompt for w in words)

    ranked = sorted(range(len(tools)), key=lambda i: (not mentioned(tools[i]), i))
    k = min(len(tools), MAX_PARALLEL_CALLS) if req.parallel and len(tools) >= 2 else 1
    return [tools[i] for i in ranked[:k]]


def special_reply(ctx: Ctx) -> str | None:
    """A judge's verdict or a known question's answer for this draw, or None for an ordinary prompt."""
    info = ctx.info
    assert info is not None
    if not info.last_user or info.tool_results:
        return None
    jp = judge.parse(info.last_user)
    if jp is not None:
        return judge.reply(ctx.label, ctx.model, jp, ctx.rng)
    q = knowledge.find_question(info.last_user)
    if q is None:
        return None
    text, _ = knowledge.known_reply(ctx.label, ctx.model, q, ctx.seed_int, ctx.rng,
                                    variety(ctx.temperature))
    return text


def _answer(dialect: Dialect, ctx: Ctx, answer_tokens: int | None) -> list[str]:
    """The answer's pieces when no tool is called: JSON for a response_format the dialect honours, a judge's
    verdict or a known question's answer, else the ordinary answer (exactly ``answer_tokens`` long when given)."""
    req, model, rng, info = ctx.req, ctx.model, ctx.rng, ctx.info
    assert info is not None
    rf = req.response_format
    rf_type = rf.get("type") if isinstance(rf, dict) and dialect.honours_response_format else None
    if rf_type == "json_schema":
        js = rf.get("json_schema") or {}
        val = schema_value(js.get("schema") or {"type": "object"}, "", info, rng)
        return _fragments(orjson.dumps(val).decode(), 4)
    special = special_reply(ctx)
    if rf_type == "json_object":
        text = special or "".join(answer_pieces(ctx.label, info, rng, answer_tokens or 24, True))
        return _fragments(orjson.dumps({"simulated": True, "model": ctx.label, "answer": text}).decode(), 4)
    if special is not None:
        return pieces_of(special)
    exact = answer_tokens is not None
    target = answer_tokens if exact else max(4, round(model.answer_tokens * rng.uniform(0.8, 1.2)))
    return answer_pieces(ctx.label, info, rng, target, exact, quote_system=True)


def build_plan(dialect: Dialect, ctx: Ctx, prompt_tokens: int, cached: int, answer_tokens: int | None) -> Plan:
    """Decide everything the model 'says' for this request."""
    req, model, rng, info = ctx.req, ctx.model, ctx.rng, ctx.info
    assert info is not None
    plan = Plan(prompt_tokens=prompt_tokens, cached_tokens=cached)

    # reasoning
    if ctx.reasoning_on:
        factor = EFFORT_FACTOR.get(ctx.effort or "medium", 1.0)
        n = max(8, round(model.reasoning_tokens * factor * rng.uniform(0.85, 1.15)))
        if ctx.visible:
            plan.reasoning = reasoning_pieces(info, rng, n)
            n = len(plan.reasoning)  # ends on a sentence boundary: count what is streamed
        plan.reasoning_tokens = n
        plan.signature = f"{ctx.seed_int:016x}"

    # tools or answer
    chosen = _pick_tools(req, info)
    if chosen:
        names = [str(t["function"].get("name", "tool")) for t in chosen]
        for i, t in enumerate(chosen):
            fn = t["function"]
            args = schema_value(fn.get("parameters") or {"type": "object", "properties": {}}, "", info, rng)
            if not isinstance(args, dict):
                args = {}
            s = dialect.dump_args(args)
            plan.tool_calls.append(ToolCallPlan(dialect.tool_call_id(ctx, i), str(fn.get("name", "tool")), s,
                                                _fragments(s, 4)))
        if dialect.tool_preamble(ctx):
            plan.content = preamble_pieces(ctx.label, names)
        plan.finish = "tool_calls"
    else:
        plan.content = _answer(dialect, ctx, answer_tokens)
        if req.stop and dialect.honours_stop:
            text = plan.text
            cut = min((i for i in (text.find(s) for s in req.stop if isinstance(s, str) and s.strip()) if i >= 0),
                      default=-1)
            if cut >= 0:
                plan.content = pieces_of(text[:cut]) if cut > 0 else []

    # output cap (max_tokens / max_completion_tokens covers reasoning + answer)
    cap = req.cap
    if cap is not None and plan.output_tokens > cap:
        if plan.reasoning_tokens >= cap:
            plan.reasoning_tokens = cap
            del plan.reasoning[cap:]
            plan.content = []
        else:
            room = cap - plan.reasoning_tokens
            del plan.content[room:]
        plan.tool_calls = []
        plan.finish = "length"

    # faults that change the answer itself
    if ctx.fault == "content_filter":
        plan.tool_calls = []
        keep = 0 if dialect.filter_empties else max(1, len(plan.content) // 3)
        del plan.content[keep:]
        plan.finish = "content_filter"
    elif ctx.fault == "insufficient_system_resource":
        plan.tool_calls = []
        del plan.content[max(1, len(plan.content) // 2):]
        plan.finish = "insufficient_system_resource"
    if ctx.logprobs is not None:
        plan.logprobs = token_logprobs(plan.content, ctx.logprobs, ctx.seed_int)
    return plan
