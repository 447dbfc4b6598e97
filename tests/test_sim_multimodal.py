"""The simulator's inputs, seed and logprobs per model, as the client's capability tables describe them.

Plain httpx against a running simulator: each modality is read (the answer says so, with count, type and
size), stripped silently (Anthropic: 200 and no sentence) or rejected with the provider's status and body;
seed changes the sampling where the model honours it; logprobs come back in OpenAI's shape where honoured;
Gemini's unknown-field 400s, DeepSeek's json_schema 400, OpenRouter's 404s and PDF parsing, gpt-audio's
400 without audio; and the per-request records show what reached the model.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import httpx
import pytest

import multimodel.sim as msim
from multimodel.sim.media import sample_pdf, sample_png, sample_wav
from tests.test_sim import KEY, data_chunks, stream, streamed

# `sim` (one simulator per module) and `clean_sim` (reset before each test) come from tests/conftest.py
pytestmark = pytest.mark.usefixtures("clean_sim")

PNG = sample_png()  # 79 bytes
JPEG = b"\xff\xd8\xff\xe0" + bytes(1020)  # 1,024 bytes; the simulator trusts the declared type
WAV = sample_wav()  # 4,844 bytes
PDF = sample_pdf()  # 603 bytes
LINK = "https://example.com/cat.png"
_HTTP = httpx.Client(timeout=10.0)


# ---------------------------------------------------------------- helpers
def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def img(data: bytes = PNG, mime: str = "image/png") -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": f"data:{mime};base64,{b64(data)}", "detail": "low"}}


def link(url: str = LINK) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": url}}


def clip(data: bytes = WAV, fmt: str = "wav") -> dict[str, Any]:
    return {"type": "input_audio", "input_audio": {"data": b64(data), "format": fmt}}


def doc(data: bytes = PDF, name: str = "report.pdf") -> dict[str, Any]:
    return {"type": "file", "file": {"filename": name, "file_data": f"data:application/pdf;base64,{b64(data)}"}}


def ask(*parts: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [{"type": "text", "text": "What is in these attachments?"}, *parts]}]


def post(sim, dialect: str, body: dict[str, Any]) -> tuple[httpx.Response, bytes]:
    """Send the body as exact bytes (so serde column numbers can be checked) and return both."""
    raw = json.dumps(body).encode()
    r = _HTTP.post(f"{sim.base_url(dialect)}/chat/completions", content=raw,
                   headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"})
    return r, raw


def answer(sim, dialect: str, model: str, *parts: dict[str, Any], **extra: Any) -> str:
    r, _ = post(sim, dialect, {"model": model, "messages": ask(*parts), **extra})
    assert r.status_code == 200, (dialect, model, r.text)
    return r.json()["choices"][0]["message"]["content"]


def last_record(sim) -> dict[str, Any]:
    return sim.requests(1)[0]


IMAGE_S = "I see 1 image (image/png, 79 bytes)."
AUDIO_S = "I hear 1 audio clip (wav, 4,844 bytes)."
PDF_S = "I read 1 PDF (report.pdf, 603 bytes)."
SENTENCE = {"image": IMAGE_S, "audio": AUDIO_S, "pdf": PDF_S}
PART = {"image": img, "audio": clip, "pdf": doc}


# ---------------------------------------------------------------- the answer sentences
def test_answer_sentences_list_count_type_and_size(sim):
    text = answer(sim, "openai", "gpt-5.4", img(), img(JPEG, "image/jpeg"))
    assert "I see 2 images (image/png, 79 bytes; image/jpeg, 1,024 bytes)." in text
    assert "I see 1 image (linked https://example.com/cat.png)." in answer(sim, "openai", "gpt-5.4", link())
    assert "I see 2 images (image/png, 79 bytes; linked https://example.com/cat.png)." in answer(
        sim, "openai", "gpt-4.1-mini", img(), link())
    text = answer(sim, "openai", "gpt-5.4", doc(), doc(b"%PDF-1.4 tiny", "b.pdf"))
    assert "I read 2 PDFs (report.pdf, 603 bytes; b.pdf, 13 bytes)." in text
    assert AUDIO_S in answer(sim, "openai", "gpt-audio", clip())
    assert "I hear 2 audio clips (wav, 4,844 bytes; mp3, 1 byte)." in answer(
        sim, "gemini", "gemini-3-flash-preview", clip(), clip(b"\x00", "mp3"))
    # unpadded base64 is measured right too (3 chars -> 2 bytes), and one sentence per modality, in order
    text = answer(sim, "gemini", "gemini-3.1-pro-preview", doc(), {"type": "image_url", "image_url": {
        "url": "data:image/png;base64,AAA"}}, clip())
    assert text.index("I see 1 image (image/png, 2 bytes).") < text.index(AUDIO_S) < text.index(PDF_S)
    plain = answer(sim, "openai", "gpt-5.4")
    assert not re.search(r"I (see|hear|read) \d", plain)


def test_sentences_also_stream_and_skip_json_answers(sim):
    r, events = stream(sim, "gemini", {"model": "gemini-3-flash-preview", "messages": ask(img(), clip(), doc())})
    text = streamed(data_chunks(events))
    assert r.status_code == 200 and all(s in text for s in (IMAGE_S, AUDIO_S, PDF_S))
    body = {"model": "gpt-5.4", "messages": ask(img()), "response_format": {"type": "json_object"}}
    content = json.loads(post(sim, "openai", body)[0].json()["choices"][0]["message"]["content"])
    assert content["simulated"] is True and IMAGE_S in content["answer"]  # still one valid JSON object


# ---------------------------------------------------------------- accepted / stripped / rejected, per model
OK, STRIP = "ok", "strip"


def openai_err(part_type: str, j: int = 1) -> dict[str, Any]:
    return {"error": {"message": f"Invalid content type. {part_type} is only supported by certain models.",
                      "type": "invalid_request_error", "param": f"messages.[0].content.[{j}].type",
                      "code": "invalid_value"}}


def xai_err(element: str) -> dict[str, Any]:
    return {"code": "invalid-argument", "error": f"The model does not support content elements of type {element}."}


def serde(variant: str, expected: str, status: int) -> tuple[int, str, str]:
    return status, variant, expected


DS_TEXT = {"image": serde("image_url", "expected `text`", 400), "audio": serde("input_audio", "expected `text`", 422),
           "pdf": serde("file", "expected `text`", 400)}
DS_VISION_AUDIO = serde("input_audio", "expected one of `text`, `image_url`, `file`", 422)
DS_PDF = (400, {"error": {"message": "This model does not support file type application/pdf",
                          "type": "invalid_request_error", "param": None, "code": "invalid_request_error"}})
OR_IMAGE = (404, {"error": {"message": "No endpoints found that support image input", "code": 404}})
OR_AUDIO = (404, {"error": {"message": "No endpoints found that support input audio", "code": 404}})

OPENAI_VISION = ("gpt-5.4", "gpt-5-mini", "gpt-4.1-mini", "gpt-6.2-astra", "gpt-6.2-sol", "gpt-6.1-sol",
                 "gpt-6.1-terra", "gpt-6-sol", "gpt-6-luna", "gpt-6-astra", "gpt-5.6-sol", "gpt-5.6-terra",
                 "gpt-5.6-luna", "gpt-5.5", "gpt-5.4-mini", "gpt-5.4-nano", "gpt-5", "gpt-5-nano", "o3", "gpt-4.1",
                 "gpt-4o", "gpt-4o-mini")
CLAUDES = ("claude-opus-4-7", "claude-sonnet-4-6", "claude-haiku-4-5", "claude-fable-5-2",
           "claude-opus-5-5", "claude-sonnet-5-5", "claude-haiku-5-5", "claude-opus-5", "claude-sonnet-5",
           "claude-opus-4-8", "claude-opus-4-6", "claude-sonnet-4-5", "claude-mythos-5-2")
GEMINIS = ("gemini-3.1-pro-preview", "gemini-3-flash-preview", "gemini-4-argon",
           "gemini-4-hydrogen", "gemini-3.8-flash", "gemini-3.7-flash", "gemini-3.5-flash", "gemini-3.1-flash-lite",
           "gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-4-carbon", "gemini-3.6-flash",
           "gemini-3.5-flash-lite")
GROK_VISION = ("grok-4.3", "grok-4.7", "grok-4.6", "grok-4.5", "grok-4.20-0309-reasoning",
               "grok-4.20-0309-non-reasoning")

# (dialect, model): image, audio, pdf -> OK | STRIP | (status, body) | serde(...)
MATRIX: dict[tuple[str, str], dict[str, Any]] = {
    **{("openai", m): {"image": OK, "audio": (400, openai_err("input_audio")), "pdf": OK} for m in OPENAI_VISION},
    ("openai", "gpt-audio"): {"image": (400, openai_err("image_url")), "audio": OK,
                              "pdf": (400, openai_err("file"))},
    **{("anthropic", m): {"image": OK, "audio": STRIP, "pdf": STRIP} for m in CLAUDES},
    **{("gemini", m): {"image": OK, "audio": OK, "pdf": OK} for m in GEMINIS},
    **{("xai", m): {"image": OK, "audio": (400, xai_err("audio")), "pdf": (400, xai_err("file"))}
       for m in GROK_VISION},
    **{("xai", m): {"image": (400, xai_err("image")), "audio": (400, xai_err("audio")), "pdf": (400, xai_err("file"))}
       for m in ("grok-3-mini", "grok-build-0.1")},
    **{("deepseek", m): {"image": OK, "audio": DS_VISION_AUDIO, "pdf": DS_PDF}
       for m in ("deepseek-v4-flash", "deepseek-flash")},
    ("deepseek", "deepseek-v4-pro"): DS_TEXT,
    **{("openrouter", m): {"image": OK, "audio": OR_AUDIO, "pdf": OK}
       for m in ("openai/gpt-5.4", "openai/gpt-5-mini", "openai/gpt-4.1-mini", "openai/gpt-6.1-sol",
                 "openai/gpt-6.1-terra", "openai/gpt-6-luna", "openai/gpt-5.5", "anthropic/claude-opus-4.7",
                 "anthropic/claude-sonnet-4.6", "anthropic/claude-haiku-4.5", "anthropic/claude-sonnet-4.5",
                 "anthropic/claude-opus-5.5", "anthropic/claude-sonnet-5.5", "anthropic/claude-haiku-5.5",
                 "x-ai/grok-4.7", "x-ai/grok-4.3", "deepseek/deepseek-v4-flash")},
    **{("openrouter", m): {"image": OK, "audio": OK, "pdf": OK}
       for m in ("google/gemini-3.1-pro-preview", "google/gemini-3-flash-preview", "google/gemini-4-argon",
                 "google/gemini-3.8-flash", "google/gemini-2.5-pro", "google/gemini-2.5-flash")},
    **{("openrouter", m): {"image": OR_IMAGE, "audio": OR_AUDIO, "pdf": OK}  # PDFs parsed for any model
       for m in ("x-ai/grok-3-mini", "deepseek/deepseek-chat", "deepseek/deepseek-v3.2", "deepseek/deepseek-r1",
                 "deepseek/deepseek-v4-pro")},
    ("openrouter", "openai/gpt-audio"): {"image": OR_IMAGE, "audio": OK, "pdf": OK},
}


def test_matrix_covers_every_simulated_model():
    served = {(d, m) for (d, m) in msim.CATALOGUE}
    assert served <= set(MATRIX), sorted(served - set(MATRIX))


@pytest.mark.parametrize(("dialect", "model"), sorted(MATRIX))
def test_each_modality_read_stripped_or_rejected(sim, dialect, model):
    for kind, expect in MATRIX[(dialect, model)].items():
        extra = [clip()] if model.endswith("gpt-audio") and kind != "audio" else []
        body = {"model": model, "messages": ask(PART[kind](), *extra)}
        r, raw = post(sim, dialect, body)
        where = (dialect, model, kind)
        if expect in (OK, STRIP):
            assert r.status_code == 200, (where, r.text)
            text = r.json()["choices"][0]["message"]["content"]
            assert (SENTENCE[kind] in text) == (expect == OK), (where, text)
            rec = last_record(sim)
            key = {"image": "images", "audio": "audio", "pdf": "pdfs"}[kind]
            assert rec["received"][key] == (1 if expect == OK else 0), where
            assert rec["dropped"] == (None if expect == OK else {"images": 0, "audio": 0, "pdfs": 0, key: 1}), where
        elif len(expect) == 3:  # DeepSeek serde failure
            status, variant, expected = expect
            err = r.json()["error"]
            m = re.fullmatch(rf"Failed to deserialize the JSON body into the target type: messages\[0\]: unknown "
                             rf"variant `{variant}`, {re.escape(expected)} at line 1 column (\d+)", err["message"])
            assert r.status_code == status and m, (where, r.status_code, err)
            assert raw[:int(m.group(1))].endswith(f'"{variant}"'.encode()), where  # the column points at it
            assert (err["type"], err["param"], err["code"]) == ("invalid_request_error", None, "invalid_request_error")
            assert last_record(sim)["received"] is None
        else:
            status, want = expect
            assert (r.status_code, r.json()) == (status, want), (where, r.text)
            assert last_record(sim)["received"] is None


def test_xai_image_types_and_links(sim):
    for mime in ("image/gif", "image/webp"):
        r, _ = post(sim, "xai", {"model": "grok-4.7", "messages": ask(img(PNG, mime))})
        assert (r.status_code, r.json()) == (400, {"code": "invalid-argument",
                                                   "error": f"Unsupported image type {mime}: use jpg/jpeg or png"})
    assert "I see 1 image (image/jpeg, 1,024 bytes)." in answer(sim, "xai", "grok-4.3", img(JPEG, "image/jpeg"))
    assert "I see 1 image (linked https://example.com/cat.png)." in answer(sim, "xai", "grok-4.7", link())
    u = post(sim, "xai", {"model": "grok-4.7", "messages": ask(img(), img())})[0].json()["usage"]
    assert u["prompt_tokens_details"]["image_tokens"] == 170


def test_gemini_links_seed_and_logprobs(sim):
    r, _ = post(sim, "gemini", {"model": "gemini-3-flash-preview", "messages": ask(link("http://example.com/a.png"))})
    assert (r.status_code, r.json()) == (400, [{"error": {
        "code": 400, "message": "Unsupported file URI type: http://example.com/a.png", "status": "INVALID_ARGUMENT"}}])
    assert "I see 1 image (linked https://example.com/cat.png)." in answer(sim, "gemini", "gemini-3-flash-preview",
                                                                           link())
    for field, value in (("seed", 7), ("logprobs", True), ("top_logprobs", 2)):
        r, _ = post(sim, "gemini", {"model": "gemini-3.1-pro-preview", "messages": ask(), field: value})
        assert (r.status_code, r.json()) == (400, [{"error": {
            "code": 400, "message": f'Invalid JSON payload received. Unknown name "{field}": Cannot find field.',
            "status": "INVALID_ARGUMENT"}}]), field
    r, _ = post(sim, "gemini", {"model": "gemini-3-flash-preview", "messages": ask(), "seed": 1, "logprobs": True})
    assert r.json()[0]["error"]["message"] == ('Invalid JSON payload received. Unknown name "seed": Cannot find '
                                               'field. Unknown name "logprobs": Cannot find field.')


def test_deepseek_json_schema_and_retired_reasoner(sim):
    rf = {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}}
    for model in ("deepseek-v4-pro", "deepseek-v4-flash"):
        r, _ = post(sim, "deepseek", {"model": model, "messages": ask(), "response_format": rf})
        assert (r.status_code, r.json()) == (400, {"error": {
            "message": "This response_format type is unavailable now", "type": "invalid_request_error",
            "param": None, "code": "invalid_request_error"}}), model
    r, _ = post(sim, "deepseek", {"model": "deepseek-v4-pro", "messages": ask(),
                                  "response_format": {"type": "json_object"}})
    assert r.status_code == 200 and json.loads(r.json()["choices"][0]["message"]["content"])
    # deepseek-reasoner (which refused logprobs) was retired on 2026-07-24
    r, _ = post(sim, "deepseek", {"model": "deepseek-reasoner", "messages": ask(), "logprobs": True})
    assert (r.status_code, r.json()) == (400, {"error": {"message": "Model Not Exist",
                                                         "type": "invalid_request_error"}})
    # the developer role is still reported before any content part
    r, _ = post(sim, "deepseek", {"model": "deepseek-v4-pro", "messages": [
        {"role": "developer", "content": "x"}, *ask(img())]})
    assert "unknown variant `developer`" in r.json()["error"]["message"]


def test_gpt_audio_needs_audio(sim):
    want = {"error": {"message": "This model requires that either input content or output modality contain audio.",
                      "type": "invalid_request_error", "param": "model", "code": "invalid_value"}}
    for messages in ([{"role": "user", "content": "hello"}], ask()):
        r, _ = post(sim, "openai", {"model": "gpt-audio", "messages": messages})
        assert (r.status_code, r.json()) == (400, want)
    # through OpenRouter (which parses the PDF, so the upstream sees text only): relayed as a provider error
    r, _ = post(sim, "openrouter", {"model": "openai/gpt-audio", "messages": ask(doc())})
    err = r.json()["error"]
    assert r.status_code == 400 and err["message"] == "Provider returned error"
    assert json.loads(err["metadata"]["raw"]) == want and err["metadata"]["provider_name"] == "OpenAI"
    assert AUDIO_S in answer(sim, "openrouter", "openai/gpt-audio", clip())
    assert msim.CATALOGUE[("openai", "gpt-audio")].price == (2.50, 2.50, 10.00)


def test_openrouter_ignores_n_and_lists_modalities(sim):
    r, _ = post(sim, "openrouter", {"model": "deepseek/deepseek-chat", "messages": ask(doc()), "n": 2})
    assert r.status_code == 200 and len(r.json()["choices"]) == 1
    assert PDF_S in r.json()["choices"][0]["message"]["content"]
    models = {m["id"]: m for m in _HTTP.get(f"{sim.base_url('openrouter')}/models").json()["data"]}
    assert models["google/gemini-3-flash-preview"]["architecture"]["input_modalities"] == [
        "text", "image", "audio", "file"]
    assert models["deepseek/deepseek-chat"]["architecture"]["input_modalities"] == ["text", "file"]
    assert "seed" in models["openai/gpt-5.4"]["supported_parameters"]
    assert "seed" not in models["anthropic/claude-haiku-4.5"]["supported_parameters"]


def test_anthropic_ignores_response_format_silently(sim):
    body = {"model": "claude-haiku-4-5", "messages": ask(img(), clip()), "response_format": {"type": "json_object"}}
    text = post(sim, "anthropic", body)[0].json()["choices"][0]["message"]["content"]
    assert text.startswith("[simulated claude-haiku-4-5]") and IMAGE_S in text and "I hear" not in text


# ---------------------------------------------------------------- seed
HONOURS_SEED = [("openai", "gpt-4.1-mini"), ("openai", "gpt-5.4"), ("xai", "grok-4.7"), ("xai", "grok-3-mini"),
                ("openrouter", "openai/gpt-4.1-mini"), ("openrouter", "x-ai/grok-4.7")]
IGNORES_SEED = [("anthropic", "claude-haiku-4-5"), ("deepseek", "deepseek-v4-pro"), ("deepseek", "deepseek-v4-flash"),
                ("openrouter", "anthropic/claude-haiku-4.5"), ("openrouter", "google/gemini-3-flash-preview"),
                ("openrouter", "deepseek/deepseek-chat")]


@pytest.mark.parametrize(("dialect", "model"), HONOURS_SEED)
def test_seed_reproduces_and_changes_the_answer(sim, dialect, model):
    def text(seed: int | None) -> str:
        extra = {} if seed is None else {"seed": seed}
        return answer(sim, dialect, model, **extra)

    a = text(11)
    assert last_record(sim)["seed"] == 11
    assert text(11) == a and text(12) != a and text(None) != a
    assert last_record(sim)["seed"] is None


@pytest.mark.parametrize(("dialect", "model"), IGNORES_SEED)
def test_seed_ignored(sim, dialect, model):
    """An ignored seed neither replays an answer nor shapes it: the same seed again is the next sample, and the
    greedy answer (temperature 0) is one whatever seed is sent."""
    a = answer(sim, dialect, model, seed=11)
    assert last_record(sim)["seed"] is None
    assert answer(sim, dialect, model, seed=11) != a and last_record(sim)["draw"] >= 1
    greedy = {"temperature": 0}
    once = answer(sim, dialect, model, **greedy)
    assert answer(sim, dialect, model, seed=11, **greedy) == once == answer(sim, dialect, model, seed=12, **greedy)
    assert last_record(sim)["draw"] == 0


# ---------------------------------------------------------------- logprobs
HONOURS_LOGPROBS = [("openai", "gpt-4.1-mini"), ("openai", "gpt-5.4"), ("openai", "gpt-audio"), ("xai", "grok-4.7"),
                    ("deepseek", "deepseek-v4-pro"), ("deepseek", "deepseek-v4-flash"),
                    ("openrouter", "openai/gpt-4.1-mini"), ("openrouter", "deepseek/deepseek-chat")]


def _check_entries(entries: list[dict[str, Any]], text: str, top: int) -> None:
    assert "".join(e["token"] for e in entries) == text  # one entry per answer piece
    for e in entries:
        assert set(e) == {"token", "logprob", "bytes", "top_logprobs"}
        assert isinstance(e["logprob"], float) and e["logprob"] <= 0
        assert e["bytes"] == list(e["token"].encode())
        alts = e["top_logprobs"]
        assert len(alts) == top
        if top:
            assert alts[0] == {"token": e["token"], "logprob": e["logprob"], "bytes": e["bytes"]}
            assert [a["logprob"] for a in alts] == sorted((a["logprob"] for a in alts), reverse=True)
            assert all(set(a) == {"token", "logprob", "bytes"} for a in alts)


@pytest.mark.parametrize(("dialect", "model"), HONOURS_LOGPROBS)
def test_logprobs_returned(sim, dialect, model):
    parts = [clip()] if model == "gpt-audio" else []
    # temperature 0: one answer, so requests can be compared
    greedy = {"temperature": 0}
    body = {"model": model, "messages": ask(*parts), "logprobs": True, "top_logprobs": 3, **greedy}
    r = post(sim, dialect, body)[0].json()
    choice = r["choices"][0]
    lp = choice["logprobs"]
    assert set(lp) == {"content", "refusal"} and lp["refusal"] is None
    _check_entries(lp["content"], choice["message"]["content"], 3)
    again = post(sim, dialect, body)[0].json()["choices"][0]
    assert again["logprobs"] == lp  # deterministic per request
    plain = post(sim, dialect, {"model": model, "messages": ask(*parts), **greedy})[0].json()["choices"][0]
    assert plain["message"]["content"] == choice["message"]["content"] and plain.get("logprobs") is None
    zero = post(sim, dialect, {**body, "top_logprobs": 0})[0].json()["choices"][0]["logprobs"]["content"]
    _check_entries(zero, choice["message"]["content"], 0)
    # streaming: each content chunk carries the entries of its own piece
    _, events = stream(sim, dialect, body)
    chunks = [c for c in data_chunks(events) if c.get("choices")]
    entries = []
    for c in chunks:
        ch = c["choices"][0]
        piece = ch["delta"].get("content")
        if ch.get("logprobs") is not None:
            assert [e["token"] for e in ch["logprobs"]["content"]] == [piece]
            entries += ch["logprobs"]["content"]
        else:
            assert not piece, (dialect, ch)
    _check_entries(entries, streamed(chunks), 3)


# Anthropic: "Ignored"; OpenRouter drops it for upstreams that do not honour it (even gpt-5-mini, which rejects it)
@pytest.mark.parametrize(("dialect", "model"), [("anthropic", "claude-sonnet-4-6"),
                                                ("openrouter", "anthropic/claude-haiku-4.5"),
                                                ("openrouter", "google/gemini-3-flash-preview"),
                                                ("openrouter", "openai/gpt-5-mini")])
def test_logprobs_ignored(sim, dialect, model):
    body = {"model": model, "messages": ask(), "logprobs": True, "top_logprobs": 2}
    r, _ = post(sim, dialect, body)
    assert r.status_code == 200 and r.json()["choices"][0].get("logprobs") is None
    _, events = stream(sim, dialect, body)
    assert all(c["choices"][0].get("logprobs") is None for c in data_chunks(events) if c.get("choices"))


def test_gpt5_mini_rejects_logprobs(sim):
    for field, value in (("logprobs", True), ("top_logprobs", 2)):
        r, _ = post(sim, "openai", {"model": "gpt-5-mini", "messages": ask(), field: value})
        assert (r.status_code, r.json()) == (400, {"error": {
            "message": f"Unsupported parameter: '{field}' is not supported with this model.",
            "type": "invalid_request_error", "param": field, "code": "unsupported_parameter"}})


# ---------------------------------------------------------------- records and prompt tokens
def test_records_show_what_reached_the_model(sim):
    post(sim, "anthropic", {"model": "claude-haiku-4-5", "messages": ask(img(), clip(), doc()), "seed": 5})
    rec = last_record(sim)
    assert rec["received"] == {"images": 1, "audio": 0, "pdfs": 0}
    assert rec["dropped"] == {"images": 0, "audio": 1, "pdfs": 1} and rec["seed"] is None
    post(sim, "gemini", {"model": "gemini-3-flash-preview", "messages": ask(img(), img(), clip(), doc())})
    rec = last_record(sim)
    assert rec["received"] == {"images": 2, "audio": 1, "pdfs": 1} and rec["dropped"] is None
    post(sim, "openai", {"model": "gpt-4.1-mini", "messages": ask(), "seed": 9})
    rec = last_record(sim)
    assert rec["received"] == {"images": 0, "audio": 0, "pdfs": 0} and rec["seed"] == 9
    post(sim, "openai", {"model": "gpt-4.1-mini", "messages": ask(clip())})  # rejected: nothing reached it
    rec = last_record(sim)
    assert rec["status"] == 400 and rec["received"] is None and rec["dropped"] is None


def test_prompt_tokens_grow_with_media(sim):
    def prompt(dialect: str, model: str, *parts: dict[str, Any]) -> int:
        r, _ = post(sim, dialect, {"model": model, "messages": ask(*parts)})
        return r.json()["usage"]["prompt_tokens"]

    base = prompt("gemini", "gemini-3-flash-preview")
    assert prompt("gemini", "gemini-3-flash-preview", img()) == base + 85
    assert prompt("gemini", "gemini-3-flash-preview", img(), link()) == base + 170
    assert prompt("gemini", "gemini-3-flash-preview", clip()) == base + len(WAV) // 32
    assert prompt("gemini", "gemini-3-flash-preview", doc()) == base + 258
    assert prompt("gemini", "gemini-3-flash-preview", clip(bytes(10_000_000))) == base + 4096  # capped per clip
    # stripped inputs cost nothing
    assert prompt("anthropic", "claude-haiku-4-5", clip(), doc()) == prompt("anthropic", "claude-haiku-4-5")
