"""Deterministic answer text, prompt analysis and schema-valid tool arguments.

Everything here is pure and cheap: no I/O, no regex compiled per request. One "piece" is one
streamed token: the first word, then every following word with its leading space, so
``"".join(pieces)`` gives the text back and ``len(pieces)`` is the token count.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Any

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'\-]*")
_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][a-z]{2,})\b")

_STOP_WORDS = (
    """a an the and or but if then else of to in on at by for with about from into over under as is are was
    were be been being do does did done have has had having i you he she it we they me him her us them my your
    his its our their this that these those what which who whom whose why how when where there here can could
    would should will shall may might must not no yes please tell explain give show write make say just also
    very really some any all each more most other such than too so only own same both few many much one two
    let lets me hi hello hey thanks thank okay ok reply answer exactly word words short briefly"""
)
_STOP = frozenset(_STOP_WORDS.split())

FILLERS = (
    "A good answer about {t} starts with the basic facts and then looks at the details.",
    "The short version is that {t} depends on a few factors working together.",
    "Most explanations of {t} focus on cause and effect, which is a sensible place to begin.",
    "It helps to separate what is well established about {t} from what is still debated.",
    "One practical check is to compare {t} with a simpler example you already know.",
    "People often overlook how much the context changes the answer about {t}.",
    "If you need precise figures on {t}, a primary source is the right place to look.",
    "This reply comes from a simulator, so treat every detail as a placeholder rather than a fact.",
    "In everyday terms, {t} behaves the way you would expect once the main idea is clear.",
    "A second point is that small changes in the assumptions can shift the conclusion.",
    "Experts usually describe {t} with a few simple rules and some well known exceptions.",
    "Taken together, these points give a balanced first picture of {t}.",
    "A worked example would make the idea behind {t} easier to follow.",
    "The details matter less than the overall pattern, at least for a first pass.",
)

REASONING = (
    "The user is asking about {t}.",
    "First I should restate the question in my own words.",
    "Let me recall the key facts about {t}.",
    "I need to check whether any detail in the prompt changes the answer.",
    "A clear structure would be a short summary followed by the details.",
    "I should keep the answer accurate and reasonably concise.",
    "Maybe an example would make {t} easier to follow.",
    "Let me double-check this line of reasoning before answering.",
    "There might be an edge case worth mentioning briefly.",
    "Okay, I think the main points are clear now.",
)

_STRIDES = {len(FILLERS): (), len(REASONING) - 1: ()}


def pieces_of(text: str) -> list[str]:
    """Split text into streamed pieces (tokens): words with their leading space."""
    words = text.split(" ")
    out = [" " + w for w in words]
    out[0] = words[0]
    return out


def _coprimes(n: int) -> tuple[int, ...]:
    from math import gcd

    return tuple(k for k in range(1, n) if gcd(k, n) == 1) or (1,)


for _n in list(_STRIDES):
    _STRIDES[_n] = _coprimes(_n)


def _clip(s: str, n: int) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[: n - 1].rstrip() + "…"


IMAGE_TOKENS = 85  # per image [INFERRED: OpenAI's low-detail figure, used for every dialect]
PDF_TOKENS = 258  # per PDF [INFERRED: Gemini's per-page figure; the sample PDFs have one page]
AUDIO_BYTES_PER_TOKEN = 32
AUDIO_MAX_TOKENS = 4096  # per clip, so a long recording does not dwarf the prompt
MAX_LISTED = 8  # media listed one by one in an answer sentence; the rest are counted


@dataclass(slots=True)
class Media:
    """One image, audio clip or PDF part of a request, measured without decoding it."""

    kind: str  # image | audio | pdf
    part_type: str  # the wire type: image_url | input_audio | file
    msg: int  # index of the message
    part: int  # index of the part in the message's content
    mime: str | None = None  # image/png, application/pdf; for audio the format ("wav")
    nbytes: int | None = None  # decoded size (from the base64 length); None for a link or a file id
    ref: str | None = None  # the URL of a linked image, the file name or id of a PDF

    @property
    def linked(self) -> bool:
        """An image given by URL (the simulator never fetches it, so its type and size are unknown)."""
        return self.kind == "image" and self.nbytes is None

    @property
    def tokens(self) -> int:
        """Prompt tokens it costs: 85 per image, ~1 per 32 bytes of audio (capped), 258 per PDF."""
        if self.kind == "image":
            return IMAGE_TOKENS
        if self.kind == "audio":
            return max(1, min((self.nbytes or 0) // AUDIO_BYTES_PER_TOKEN, AUDIO_MAX_TOKENS))
        return PDF_TOKENS

    def describe(self) -> str:
        """'image/png, 67 bytes', 'linked https://host/a.png', 'wav, 4,844 bytes', 'report.pdf, 1,234 bytes'."""
        if self.kind == "image" and self.nbytes is None:
            return f"linked {_clip(self.ref or '', 100)}"
        if self.kind == "pdf":
            name = _clip(self.ref or "unnamed", 60)
            return name if self.nbytes is None else f"{name}, {_bytes(self.nbytes)}"
        what = self.mime or ("unknown type" if self.kind == "image" else "unknown format")
        return f"{what}, {_bytes(self.nbytes or 0)}"


def _bytes(n: int) -> str:
    return f"{n:,} byte" if n == 1 else f"{n:,} bytes"


def media_sentences(media: list[Media]) -> list[str]:
    """One sentence per modality that reached the model: 'I see 2 images (image/png, 67 bytes; ...).'."""
    out = []
    for kind, verb, noun in (("image", "see", "image"), ("audio", "hear", "audio clip"), ("pdf", "read", "PDF")):
        items = [m for m in media if m.kind == kind]
        if not items:
            continue
        listed = "; ".join(m.describe() for m in items[:MAX_LISTED])
        if len(items) > MAX_LISTED:
            listed += f"; and {len(items) - MAX_LISTED} more"
        plural = "" if len(items) == 1 else "s"
        out.append(f"I {verb} {len(items)} {noun}{plural} ({listed}).")
    return out


@dataclass(slots=True)
class PromptInfo:
    """What the simulated model 'understood' from the messages."""

    last_user: str = ""
    system: str = ""
    media: list[Media] = field(default_factory=list)  # what reaches the model (after the dialect's drops)
    tool_results: list[tuple[str, str]] = field(default_factory=list)  # (tool name, content)
    chars: int = 0  # all text characters, for prompt token estimation
    n_messages: int = 0

    def count(self, kind: str) -> int:
        """How many media of one kind reached the model."""
        return sum(1 for m in self.media if m.kind == kind)

    @property
    def images(self) -> int:
        """Images that reached the model."""
        return self.count("image")

    def media_tokens(self, kind: str | None = None) -> int:
        """Prompt tokens of the media that reached the model (one kind, or all)."""
        return sum(m.tokens for m in self.media if kind is None or m.kind == kind)

    def received(self) -> dict[str, int]:
        """What reached the model, by modality: {"images": 1, "audio": 0, "pdfs": 0}."""
        return {"images": self.count("image"), "audio": self.count("audio"), "pdfs": self.count("pdf")}

    def topic(self) -> str:
        found = _WORD.findall(self.last_user[:2000])
        words = [(i, w) for i, w in enumerate(found) if w.lower() not in _STOP and len(w) > 2]
        if not words:
            return "your question"
        seen: list[str] = []
        for i, w in words:
            # keep proper nouns and acronyms; lower-case the rest (and a capitalised first word)
            lw = w if (w.isupper() or (w[0].isupper() and i > 0)) else w.lower()
            if lw not in seen:
                seen.append(lw)
            if len(seen) == 3:
                break
        return " ".join(seen)

    def proper_noun(self) -> str | None:
        m = _CAPITALISED.search(self.last_user[:2000])
        return m.group(1) if m else None


def part_text(content: Any) -> str:
    """The text of a message content (a string or a list of parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        out = []
        for p in content:
            if isinstance(p, dict) and p.get("type") == "text":
                out.append(str(p.get("text", "")))
            elif isinstance(p, str):
                out.append(p)
        return "\n".join(out)
    return "" if content is None else str(content)


def _compose(sentences: list[str], templates: tuple[str, ...], topic: str, rng: random.Random,
             target: int, exact: bool) -> list[str]:
    words: list[str] = []
    for s in sentences:
        words += s.split(" ")
    n = len(templates)
    # walk the templates in a seeded order: random start, random stride coprime with n (no repeats in a cycle)
    start = rng.randrange(n)
    step = _STRIDES[n][rng.randrange(len(_STRIDES[n]))]
    i = 0
    while len(words) < target:
        words += templates[(start + i * step) % n].format(t=topic).split(" ")
        i += 1
    if exact:
        del words[target:]
    if not words:
        return []
    out = [" " + w for w in words]
    out[0] = words[0]
    return out


def answer_pieces(label: str, info: PromptInfo, rng: random.Random, target: int, exact: bool,
                  *, quote_system: bool = True) -> list[str]:
    """A readable answer that starts with ``[simulated <label>]``, quotes the prompt and lists the media it got."""
    topic = info.topic()
    s: list[str] = [f"[simulated {label}]"]
    if info.tool_results:
        for name, res in info.tool_results[:4]:
            s.append(f"The {name} tool returned “{_clip(res, 160)}”.")
        s.append(f"Based on that result, here is the answer about {topic}.")
    elif info.last_user:
        s.append(f"You asked “{_clip(info.last_user, 90)}”, and here is a simulated answer.")
    else:
        s.append("There was no user message, so here is a general reply.")
    if quote_system and info.system:
        s.append(f"The system prompt I received says “{_clip(info.system, 120)}”, and I will keep to it.")
    if info.media:
        s += media_sentences(info.media)
    return _compose(s, FILLERS, topic, rng, target, exact)


def reasoning_pieces(info: PromptInfo, rng: random.Random, target: int) -> list[str]:
    topic = info.topic()
    first = (f"[simulated reasoning] The tools returned results about {topic}, so I can answer now."
             if info.tool_results else f"[simulated reasoning] The user is asking about {topic}.")
    return _compose([first], REASONING[1:], topic, rng, target, exact=False)


def preamble_pieces(label: str, names: list[str]) -> list[str]:
    """Short text some models write before their tool calls."""
    joined = " and ".join(names[:3])
    tools = "tool" if len(names) == 1 else "tools"
    return pieces_of(f"[simulated {label}] I will call the {joined} {tools} to answer that.")


# ---------------------------------------------------------------- schema-valid arguments

_NAMED = (
    (("city", "location", "place", "town", "destination", "origin", "country", "region"), "Paris"),
    (("date", "day"), "2026-04-20"),
    (("time",), "12:00"),
    (("email",), "user@example.com"),
    (("url", "link", "website", "uri"), "https://example.com"),
    (("path", "file", "filename"), "notes.txt"),
    (("name", "user", "username", "player"), "Alex"),
    (("unit", "units"), "celsius"),
    (("lang", "language"), "en"),
    (("currency",), "EUR"),
    (("id", "identifier"), "item-1"),
)


def _string_for(name: str, schema: dict, info: PromptInfo) -> str:
    fmt = schema.get("format")
    if fmt == "date":
        return "2026-04-20"
    if fmt == "date-time":
        return "2026-04-20T12:00:00Z"
    if fmt == "email":
        return "user@example.com"
    if fmt in ("uri", "url"):
        return "https://example.com"
    lname = name.lower()
    for keys, value in _NAMED:
        if any(k in lname for k in keys):
            if keys[0] == "city":
                return info.proper_noun() or value
            return value
    if any(k in lname for k in ("query", "q", "search", "text", "prompt", "question", "topic")):
        return info.topic()
    v = info.topic()
    mx = schema.get("maxLength")
    if isinstance(mx, int) and mx >= 1:
        v = v[:mx]
    mn = schema.get("minLength")
    if isinstance(mn, int) and len(v) < mn:
        v = v + "x" * (mn - len(v))
    return v


def schema_value(schema: Any, name: str, info: PromptInfo, rng: random.Random, root: dict | None = None,
                 depth: int = 0) -> Any:
    """A plausible JSON value valid against a (simple) JSON schema."""
    if not isinstance(schema, dict) or depth > 6:
        return info.topic()
    root = root if root is not None else schema
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        node: Any = root
        for part in ref[2:].split("/"):
            node = node.get(part, {}) if isinstance(node, dict) else {}
        return schema_value(node, name, info, rng, root, depth + 1)
    if "const" in schema:
        return schema["const"]
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return enum[0]
    for key in ("anyOf", "oneOf", "allOf"):
        opts = schema.get(key)
        if isinstance(opts, list) and opts:
            non_null = [o for o in opts if not (isinstance(o, dict) and o.get("type") == "null")]
            return schema_value((non_null or opts)[0], name, info, rng, root, depth + 1)
    if "default" in schema:
        return schema["default"]
    typ = schema.get("type")
    if isinstance(typ, list):
        typ = next((t for t in typ if t != "null"), "null")
    if typ is None:
        typ = "object" if "properties" in schema else "string"
    if typ == "string":
        return _string_for(name, schema, info)
    if typ == "integer":
        lo, hi = schema.get("minimum"), schema.get("maximum")
        v = 3
        if isinstance(lo, (int, float)) and v < lo:
            v = int(lo) if lo == int(lo) else int(lo) + 1
        if isinstance(hi, (int, float)) and v > hi:
            v = int(hi)
        return v
    if typ == "number":
        lo, hi = schema.get("minimum"), schema.get("maximum")
        v = 2.5
        if isinstance(lo, (int, float)) and v < lo:
            v = float(lo)
        if isinstance(hi, (int, float)) and v > hi:
            v = float(hi)
        return v
    if typ == "boolean":
        return True
    if typ == "null":
        return None
    if typ == "array":
        n = schema.get("minItems") if isinstance(schema.get("minItems"), int) else 1
        n = max(1, min(n, 5))
        item_name = name[:-1] if name.endswith("s") else name
        return [schema_value(schema.get("items", {"type": "string"}), item_name, info, rng, root, depth + 1)
                for _ in range(n)]
    # object
    props = schema.get("properties") or {}
    required = schema.get("required")
    keys = list(required) if isinstance(required, list) else list(props)[:5]
    out = {}
    for k in keys:
        out[k] = schema_value(props.get(k, {"type": "string"}), k, info, rng, root, depth + 1)
    return out


def estimate_tokens(chars: int) -> int:
    return max(1, (chars + 3) // 4)
