"""multimodel.sim: a real loopback HTTP server that speaks six providers' OpenAI-compatible dialects, Anthropic's
Messages API (Anthropic, DeepSeek), OpenAI's Responses API (OpenAI, xAI, OpenRouter, DeepSeek) and the providers'
Batch APIs (OpenAI, xAI and Gemini Files + Batches, Anthropic Message Batches, OpenRouter inline batches), each
batch on a compressed clock (``start(batch_s=2.0)``) with faults of its own (``sim.set_batch_faults(...)``).

    import multimodel as mm
    with mm.sim.start(latency_scale=0) as sim:
        sim.base_url("anthropic")        # http://127.0.0.1:<port>/anthropic/v1
        sim.set_faults({"rate_limit": 0.1}, provider="openai")
        sim.stats()["received"]

What each provider accepts, model by model (status and retirements, reasoning levels, refused parameters),
is the plain-data table ``multimodel.sim.RULES`` (:mod:`multimodel.sim.rules`, one :class:`ModelRules`
per id, sourced); the dialects enforce it with the providers' own statuses and error texts.
What a model accepts (images, audio, PDFs, seed, logprobs) follows the client's capability tables, and
plain answers say what reached the model: "I see 1 image (image/png, 79 bytes)." (the media builders
``sample_png``, ``sample_wav`` and ``sample_pdf`` make small valid inputs); ``sim.requests()`` records
it as ``received``/``dropped``/``seed``.

Answers sample (:mod:`multimodel.sim.sampling`): the n-th identical request gets draw n (new wording, length
and reasoning) unless temperature is 0 or the model honours the request's seed; a fresh simulator with the same
seed gives the same sequence (``sim.requests()`` records each answer's ``draw``). Questions of the shipped
known-answer set (``mm.known_answers()``) get short answers, right with the model's own probability
(:mod:`multimodel.sim.knowledge`: a Rasch model, ``p_correct``, ``expected_accuracy``), and judge prompts get
verdicts (:mod:`multimodel.sim.judge`).

A simulator holds a socket, an event loop and a thread until stopped: ``start()`` returns a handle to
stop (or use ``with``); ``handle.bind(owner)`` stops it when ``owner`` is garbage-collected; ``shared()`` is
the one simulator of the process that no owner holds; every simulator still running is stopped at exit.

``python -m multimodel.sim --port 8787`` runs one in the foreground. Everything it produces is
labelled simulated: the ``x-multimodel-simulated: true`` header and answers that start with
``[simulated <model>]``.
"""

from __future__ import annotations

from .catalogue import CATALOGUE, DIALECTS, SimModel, resolve
from .faults import FAULT_KINDS
from .handle import SimHandle, running, shared, start
from .media import sample_pdf, sample_png, sample_wav
from .rules import RULES, ModelRules, rules_for
from .server import ANSWER_TOKENS_HEADER, SIM_HEADER, SimServer

__all__ = [
    "ANSWER_TOKENS_HEADER",
    "CATALOGUE",
    "DIALECTS",
    "FAULT_KINDS",
    "RULES",
    "SIM_HEADER",
    "ModelRules",
    "SimHandle",
    "SimModel",
    "SimServer",
    "resolve",
    "rules_for",
    "running",
    "sample_pdf",
    "sample_png",
    "sample_wav",
    "shared",
    "start",
]
