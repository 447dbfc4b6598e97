"""Sampling: which draw a request gets, so that asking again gives another sample, as a sampled model does.

The rule. An answer is a function of (server seed, dialect, model, messages, tools, honoured seed, draw)
(:class:`~.plan.Ctx` hashes the first six; ``Ctx.set_draw`` mixes in the draw). The draw is

- 0 for a greedy request: ``temperature`` 0, or a ``seed`` the model honours (``SimModel.seed ==
  "supported"``; a different seed is a different hash, so a different but repeatable answer);
- otherwise n for the n-th identical request (same dialect, model, messages and tools; counting from 0),
  so repeats differ: the answer's wording (the templates' walk), its length, the reasoning's length and,
  for a known question, an independent right/wrong draw (:mod:`.knowledge`).

Why: a researcher measures sampling variance by asking again (``repeats=5``); a simulator that answers
every repeat alike shows none, and one that varies at temperature 0 or with an honoured seed would make
reproducible runs impossible to test.

What is documented and what is not:

- Temperature absent means the provider's default, 1.0 for all five providers [INFERRED from their API
  references' defaults]. Models that refuse a non-default temperature answer 400 before anything is drawn
  (the rules table).
- Real providers are not even deterministic at temperature 0 or with a seed (OpenAI calls seeded sampling
  "best effort"); the simulator is, on purpose [INVENTED]: a test of "same request, same answer" must be
  able to pass. For the same reason temperature 0 is greedy on every simulated model, although DeepSeek
  documents that its thinking mode ignores temperature (research facts 5): a simulated DeepSeek run at
  temperature 0 is reproducible while thinking, a real one is not (a known gap, kept so that the shared rule
  "temperature 0, one answer" holds everywhere).
- Low temperatures vary less [INVENTED, kept simple]: below LOW_TEMPERATURE the draw cycles through
  ``variants(t)`` answers (2 at t <= 0.1, 5 just under 0.5) and the wording keeps to fewer forms; from
  LOW_TEMPERATURE up every draw is new. Temperature changes nothing else (not P(right)), and ``top_p`` is
  not modelled.
- Concurrent identical requests take draws in the order they reach the model, so which repeat gets which
  draw can change from run to run; the set of answers a fresh server with the same seed gives does not.

The counter keeps at most MAX_KEYS request keys (oldest forgotten first, like the prompt cache's cap): a
forgotten key starts again at draw 0. ``SimServer.reset()`` clears it, so a reset server replays its sequence.
"""

from __future__ import annotations

import math
from typing import Any

DEFAULT_TEMPERATURE = 1.0
LOW_TEMPERATURE = 0.5
MAX_KEYS = 200_000


def temperature_of(body: dict[str, Any]) -> float:
    """The request's temperature: its ``temperature`` when a number, else the provider default (1.0)."""
    t = body.get("temperature")
    if isinstance(t, bool) or not isinstance(t, int | float):
        return DEFAULT_TEMPERATURE
    return max(0.0, float(t))


def variants(t: float) -> int | None:
    """How many distinct draws a temperature cycles through: None (no limit) from LOW_TEMPERATURE up."""
    if t >= LOW_TEMPERATURE:
        return None
    return max(2, math.ceil(t * 10))


def variety(t: float) -> float:
    """The share of answer wordings a temperature uses (1.0 from LOW_TEMPERATURE up)."""
    return 1.0 if t >= LOW_TEMPERATURE else max(0.2, t / LOW_TEMPERATURE)


class Draws:
    """How many times each request key has been sampled: the next draw for a key, bounded to MAX_KEYS keys."""

    def __init__(self, cap: int = MAX_KEYS) -> None:
        self._counts: dict[int, int] = {}
        self._cap = cap

    def __len__(self) -> int:
        return len(self._counts)

    def clear(self) -> None:
        """Forget every count (the simulator's reset): the same requests replay the same sequence of draws."""
        self._counts.clear()

    def next(self, key: int, temperature: float, honoured_seed: bool) -> int:
        """The draw for this request: 0 when greedy (temperature 0 or an honoured seed), else the key's count
        (cycled through ``variants`` at low temperature), which then moves on by one."""
        if temperature <= 0 or honoured_seed:
            return 0
        counts = self._counts
        n = counts.pop(key, 0)  # re-inserted last: the least recently sampled keys are forgotten first
        counts[key] = n + 1
        while len(counts) > self._cap:
            counts.pop(next(iter(counts)))
        cycle = variants(temperature)
        return n if cycle is None else n % cycle
