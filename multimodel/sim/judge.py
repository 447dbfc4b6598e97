"""The simulated judge: replies to the judge prompts of ``mm.scorers.llm_judge`` and ``mm.scorers.pairwise_judge``.

A request whose last user message is a judge prompt (the format below, shared with multimodel/scorers.py) gets a
verdict instead of an ordinary answer::

    You are grading an answer to a question.          |  You are comparing two answers to a question.
    Rubric: <rubric>                                  |  Rubric: <rubric>
    Question:            <<< ... >>>                  |  Question:          <<< ... >>>
    Reference answer:    <<< ... >>>  (may be empty)  |  Reference answer:  <<< ... >>>
    Answer to grade:     <<< ... >>>                  |  Answer A:          <<< ... >>>
    Reply ... a last line "GRADE: n" where n is an    |  Answer B:          <<< ... >>>
    integer from 0 to 10.                             |  Reply ... "WINNER: A", "WINNER: B" or "WINNER: TIE".

(each block is a "<<<" line, the text, a ">>>" line). The reply is the "[simulated <model>]" label on a line of its
own, a one-line justification, then the verdict line, so the last line always parses.

How it decides [INVENTED: a model of a judge, not a measured one]:

- An answer is right when, after its own "[simulated ...]" label is cut off, it states the reference as a whole
  word (case and spacing ignored; a reference "a or b" accepts either; a known question's accepted spellings
  count too). The judge perceives that rightly with probability ``judge_accuracy`` = sigmoid(skill + 1.5)
  (:mod:`.knowledge`), so a weak judge makes more mistakes; each perception is its own draw.
- Single: perceived right → a grade in the top 30% of the scale (7-10 of 10), perceived wrong → the bottom 30%
  (0-3), the exact grade varying by draw. Without a reference it cannot tell, says so, and gives a middling grade
  (4-6 of 10) that varies by draw.
- Pairwise: the answer perceived right wins; when both are perceived alike (both right, both wrong, or no
  reference), a position bias: A with POSITION_BIAS (0.65), B with 0.20, a tie with 0.15 [INFERRED from Zheng et
  al. 2023, "Judging LLM-as-a-Judge with MT-Bench and Chatbot Arena", which measured that judges favour a
  position, most often the first]. A pairwise judge that asks both orders and averages cancels it.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from .catalogue import SimModel
from .knowledge import find_question, judge_accuracy, norm, whole_word

SINGLE_HEADER = "You are grading an answer to a question."
PAIRWISE_HEADER = "You are comparing two answers to a question."
POSITION_BIAS = 0.65  # P(A) when the judge sees no difference
TIE_WHEN_ALIKE = 0.15  # P(TIE) when it sees no difference; B gets the rest (0.20)
_BLOCK = re.compile(r"^(Question|Reference answer|Answer to grade|Answer A|Answer B):[ \t]*\n"
                    r"<<<[ \t]*\n(.*?)^>>>[ \t]*$", re.MULTILINE | re.DOTALL)
_RUBRIC = re.compile(r"^Rubric:[ \t]*(.*)$", re.MULTILINE)
_SCALE = re.compile(r"integer from 0 to (\d+)")
_LABEL = re.compile(r"^\s*\[simulated [^\]\n]*\]")


@dataclass(slots=True)
class JudgePrompt:
    """What a judge prompt asks: single (one answer) or pairwise (A and B)."""

    pairwise: bool
    question: str
    reference: str
    answers: tuple[str, ...]  # (the answer,) or (A, B)
    rubric: str = ""
    scale: int = 10


def parse(text: str) -> JudgePrompt | None:
    """The judge prompt in ``text`` (a last user message), or None when it is not one."""
    body = text.lstrip()
    pairwise = body.startswith(PAIRWISE_HEADER)
    if not pairwise and not body.startswith(SINGLE_HEADER):
        return None
    blocks = {m.group(1): _unescape(m.group(2)) for m in _BLOCK.finditer(body)}
    names = ("Answer A", "Answer B") if pairwise else ("Answer to grade",)
    if "Question" not in blocks or any(n not in blocks for n in names):
        return None
    rubric = _RUBRIC.search(body)
    scale = _SCALE.search(body[-300:])
    return JudgePrompt(pairwise, blocks["Question"], blocks.get("Reference answer", "").strip(),
                       tuple(blocks[n] for n in names), rubric.group(1).strip() if rubric else "",
                       max(1, int(scale.group(1))) if scale else 10)


def _unescape(block: str) -> str:
    return "\n".join(">>>" if line.strip() == "> > >" else line for line in block.removesuffix("\n").split("\n"))


def references(jp: JudgePrompt) -> tuple[str, ...]:
    """Every accepted form of the reference: its " or " alternatives, and a known question's accepted spellings."""
    if not jp.reference:
        return ()
    refs = [r.strip() for r in jp.reference.split(" or ") if r.strip()]
    q = find_question(jp.question)
    if q is not None and any(norm(r) == norm(a) for r in refs for a in q.answers):
        refs += [a for a in q.answers if a not in refs]
    return tuple(refs)


def states(answer: str, refs: tuple[str, ...]) -> bool:
    """Whether ``answer`` (its simulated label cut off) states one of ``refs`` as a whole word."""
    text = _LABEL.sub("", answer, count=1)
    return any(whole_word(r, text) for r in refs)


def _perceived(right: bool, accuracy: float, rng: random.Random) -> bool:
    return right if rng.random() < accuracy else not right


def reply(label: str, model: SimModel, jp: JudgePrompt, rng: random.Random) -> str:
    """The judge's reply: the label line, a one-line justification, then "GRADE: n" or "WINNER: A|B|TIE"."""
    refs = references(jp)
    accuracy = judge_accuracy(model)
    if jp.pairwise:
        return f"[simulated {label}]\n" + _pairwise(refs, jp, accuracy, rng)
    return f"[simulated {label}]\n" + _single(refs, jp, accuracy, rng)


def _single(refs: tuple[str, ...], jp: JudgePrompt, accuracy: float, rng: random.Random) -> str:
    top = jp.scale
    if not refs:
        lo, hi = round(top * 0.4), round(top * 0.6)
        return (f"No reference answer was given, so this simulated judge cannot check correctness and gives a "
                f"middling grade.\nGRADE: {rng.randint(lo, hi)}")
    if _perceived(states(jp.answers[0], refs), accuracy, rng):
        return f"The answer states the reference answer.\nGRADE: {rng.randint(round(top * 0.7), top)}"
    return f"The answer does not state the reference answer.\nGRADE: {rng.randint(0, round(top * 0.3))}"


def _pairwise(refs: tuple[str, ...], jp: JudgePrompt, accuracy: float, rng: random.Random) -> str:
    if refs:
        a, b = (_perceived(states(x, refs), accuracy, rng) for x in jp.answers)
    else:
        a = b = False
    if a != b:
        winner = "A" if a else "B"
        return f"Only answer {winner} states the reference answer.\nWINNER: {winner}"
    u = rng.random()
    winner = "A" if u < POSITION_BIAS else "TIE" if u < POSITION_BIAS + TIE_WHEN_ALIKE else "B"
    why = ("No reference answer was given" if not refs else
           "Both answers state the reference answer" if a else "Neither answer states the reference answer")
    return f"{why}; this simulated judge leans on other impressions.\nWINNER: {winner}"
