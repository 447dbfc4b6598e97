"""What the simulated models know: the shipped known-answer set and each model's chance of answering it right.

The set is ``multimodel/data/known_answers.csv`` (columns id, category, difficulty, prompt, expected,
accepted; written by :mod:`.make_known_answers`). A request whose last user message contains one of its
questions (the prompt without its closing instruction, whitespace and case normalised) gets a short answer
that never repeats the question: right with probability :func:`p_correct`, otherwise a plausible wrong
answer that does not contain the right one as a whole word (:func:`wrong_answer`).

[INVENTED: no real benchmark] Right or wrong follows a Rasch (one-parameter IRT) model::

    P(model m answers question q right) = sigmoid(skill_m - b_q)
    b_q = DIFFICULTY_LOGIT[difficulty_q] + offset_q

``difficulty`` is 1 (easy), 2 (medium) or 3 (hard); ``offset_q`` is a fixed per-question offset, normal
with standard deviation OFFSET_SD, taken from a hash of the question id (so it is the same everywhere and
needs no column). ``skill_m`` is the catalogue's ``SimModel.skill``: set by hand for the five demo models
(``catalogue.SKILLS``) so their expected accuracies on the shipped set spread (0.90, 0.80, 0.75, 0.65, 0.55
for gpt-5.4, claude-sonnet-4-6, gemini-3-flash-preview, deepseek-flash, grok-3-mini: the best and worst far
apart, the middle two close), and derived from the output price for the rest (``catalogue.price_skill``:
pricier models are generally more skilled). The right/wrong draw of a request is its own random stream, seeded
by the request's draw (:mod:`.sampling`), so repeats are independent Bernoulli trials. Because every model
meets the same ``b_q``, models' scores on a question are correlated, as real models' are: paired differences
are tighter than unpaired ones.

Public functions for tests and notebooks: :func:`p_correct`, :func:`expected_accuracy`, :func:`find_question`,
:func:`questions`; :func:`judge_accuracy` is the simulated judge's (:mod:`.judge`).
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import math
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from statistics import NormalDist

from .catalogue import SimModel, resolve

DIFFICULTY_LOGIT = {1: -1.5, 2: 0.0, 3: 1.5}
OFFSET_SD = 0.6
OFFSET_CLIP = 1.5  # offsets are cut at ± this, so no question is impossible or free
MAX_SCAN_CHARS = 20_000  # a longer last message is not searched for a question (none is that long)

# The closing instruction of each prompt; a question is recognised by what comes before it, so a prompt
# that words its instruction differently (or wraps the question in a template) is still recognised.
INSTRUCTIONS = (
    "Answer with the number only.",
    "Answer with the city name only.",
    "Answer with the symbol only.",
    "Answer with the element name only.",
    "Answer with the word only.",
    "Answer with the letter only.",
    "Answer with the day of the week only.",
    "Answer with the month name only.",
    "Answer yes or no.",
)

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
# wrong capitals a person (or a model) plausibly gives: the largest or best-known city
CAPITAL_CONFUSIONS = {
    "Canberra": "Sydney", "Ottawa": "Toronto", "Ankara": "Istanbul", "Brasília": "Rio de Janeiro",
    "Abuja": "Lagos", "Dodoma": "Dar es Salaam", "Rabat": "Casablanca", "Wellington": "Auckland",
    "New Delhi": "Mumbai", "Islamabad": "Karachi", "Bern": "Zurich", "Hanoi": "Ho Chi Minh City",
}


def norm(text: str) -> str:
    """Text with its whitespace collapsed and its case folded: how questions and answers are compared."""
    return " ".join(text.split()).casefold()


def whole_word(needle: str, haystack: str) -> bool:
    """Whether ``needle`` appears in ``haystack`` as a whole word or number, case-insensitively: the rule of the
    ``contains`` scorer ("4" is not found in "gpt-5.4", "12" not in "120" nor in "12.5")."""
    pattern = r"(?<![\w.])" + re.escape(norm(needle)) + r"(?![\w]|\.\d)"
    return re.search(pattern, norm(haystack)) is not None


@dataclass(frozen=True, slots=True)
class Question:
    """One known question; ``answers`` are the expected answer and its accepted spellings."""

    id: str
    category: str
    difficulty: int
    prompt: str
    expected: str
    accepted: tuple[str, ...] = ()

    @property
    def answers(self) -> tuple[str, ...]:
        return (self.expected, *self.accepted)

    @property
    def stem(self) -> str:
        """The prompt without its closing instruction: what is looked for in a request."""
        for tail in INSTRUCTIONS:
            if self.prompt.endswith(tail):
                return self.prompt[: -len(tail)].strip()
        return self.prompt

    @property
    def instruction(self) -> str:
        return self.prompt[len(self.stem):].strip()

    @property
    def b(self) -> float:
        """The Rasch difficulty: the difficulty level's logit plus this question's fixed offset."""
        return DIFFICULTY_LOGIT[self.difficulty] + question_offset(self.id)

    def is_stated_in(self, text: str) -> bool:
        """Whether ``text`` states the answer (any accepted spelling, whole word)."""
        return any(whole_word(a, text) for a in self.answers)


def question_offset(question_id: str) -> float:
    """The fixed per-question part of b_q: N(0, OFFSET_SD) from a hash of the id, cut at ±OFFSET_CLIP."""
    h = hashlib.blake2b(f"known-answer offset|{question_id}".encode(), digest_size=8).digest()
    u = (int.from_bytes(h, "big") + 0.5) / 2**64
    return max(-OFFSET_CLIP, min(OFFSET_CLIP, NormalDist(0.0, OFFSET_SD).inv_cdf(u)))


def parse_rows(text: str) -> list[Question]:
    """The questions of a known-answer CSV text."""
    out = []
    for row in csv.DictReader(io.StringIO(text)):
        accepted = tuple(a for a in (row.get("accepted") or "").split("|") if a)
        out.append(Question(row["id"], row["category"], int(row["difficulty"]), row["prompt"], row["expected"],
                            accepted))
    return out


def csv_text() -> str:
    """The shipped known-answer CSV, as text."""
    return resources.files("multimodel").joinpath("data/known_answers.csv").read_text(encoding="utf-8")


@functools.cache
def questions() -> dict[str, Question]:
    """Every known question by id, in file order (read once)."""
    return {q.id: q for q in parse_rows(csv_text())}


@functools.cache
def _index() -> tuple[dict[str, Question], tuple[tuple[str, Question], ...]]:
    """Exact lookups (whole prompt, stem) and the stems longest first, for the scan."""
    exact: dict[str, Question] = {}
    for q in questions().values():
        exact[norm(q.prompt)] = q
        exact[norm(q.stem)] = q
    stems = tuple(sorted(((norm(q.stem), q) for q in questions().values()), key=lambda s: -len(s[0])))
    return exact, stems


def find_question(text: str) -> Question | None:
    """The known question ``text`` asks (the longest one it contains), or None."""
    if not text or len(text) > MAX_SCAN_CHARS:
        return None
    asked = norm(text)
    exact, stems = _index()
    q = exact.get(asked)
    if q is not None:
        return q
    for stem, q in stems:
        if stem in asked:
            return q
    return None


# ---------------------------------------------------------------- the Rasch model
def sigmoid(x: float) -> float:
    """The logistic function: a Rasch model's probability of a right answer from skill minus difficulty."""
    return 1.0 / (1.0 + math.exp(-x))


def _model(dialect: str, model_id: str) -> SimModel:
    m = resolve(dialect, model_id)
    if m is None:
        raise ValueError(f"no simulated model {model_id!r} on {dialect!r}")
    return m


def _question(question_id: str) -> Question:
    q = questions().get(question_id)
    if q is None:
        raise ValueError(f"no known question {question_id!r}")
    return q


def p_of(model: SimModel, q: Question) -> float:
    """P(right) for a catalogue model and a question."""
    return sigmoid(model.skill - q.b)


def p_correct(dialect: str, model_id: str, question_id: str) -> float:
    """P(the simulated ``model_id`` on ``dialect`` answers known question ``question_id`` right), per draw."""
    return p_of(_model(dialect, model_id), _question(question_id))


def expected_accuracy(model: str, question_ids: Iterable[str] | None = None) -> float:
    """Mean P(right) of ``model`` ("provider/model-id", e.g. "openai/gpt-5.4") over the questions (all when None)."""
    dialect, _, model_id = model.partition("/")
    m = _model(dialect, model_id)
    ids = list(question_ids) if question_ids is not None else list(questions())
    if not ids:
        raise ValueError("expected_accuracy needs at least one question id")
    return sum(p_of(m, _question(i)) for i in ids) / len(ids)


def judge_accuracy(model: SimModel) -> float:
    """How often a simulated judge perceives an answer's correctness rightly: sigmoid(skill + 1.5) [INVENTED]."""
    return sigmoid(model.skill + 1.5)


# ---------------------------------------------------------------- answers
def right_or_wrong(model: SimModel, q: Question, seed_int: int) -> bool:
    """This draw's outcome: a uniform from the request's draw seed (its own stream) against P(right)."""
    return random.Random(seed_int ^ 0x5EED_C0DE_0001).random() < p_of(model, q)


_NUMBER = re.compile(r"^\d+(\.\d+)?$")


def _near_numbers(value: str) -> list[str]:
    """Near misses of a number: off by one or two, ten too many or few, two digits swapped, a tenth off."""
    if "." in value:
        places = len(value.split(".")[1])
        x = float(value)
        step = 10 ** -places
        cands = [x + step, x - step, x + 1, x - 1, x * 10, x / 10]
        return [f"{c:.{places}f}" for c in cands if c > 0]
    n = int(value)
    cands = [n + 1, n - 1, n + 2, n - 2, n + 10, n - 10]
    digits = list(value)
    for i in range(len(digits) - 1):
        if digits[i] != digits[i + 1] and not (i == 0 and digits[i + 1] == "0"):
            swapped = digits[:]
            swapped[i], swapped[i + 1] = swapped[i + 1], swapped[i]
            cands.append(int("".join(swapped)))
    return [str(c) for c in cands if c >= 0]


def _swap_letters(word: str) -> list[str]:
    """The word with two neighbouring letters swapped (each way that changes it)."""
    out = []
    for i in range(len(word) - 1):
        if word[i] != word[i + 1]:
            out.append(word[:i] + word[i + 1] + word[i] + word[i + 2:])
    return out


_LIST = re.compile(r":\s*([^:?]+)\?\s*$")
_QUOTED = re.compile(r'"([a-z]+)"')


def _candidates(q: Question, rng: random.Random) -> list[str]:
    """Plausible wrong answers for ``q``, most plausible first (before the whole-word filter)."""
    v = q.expected
    if _NUMBER.match(v):
        cands = _near_numbers(v)
        rng.shuffle(cands)
        return cands
    if v in WEEKDAYS:
        i = WEEKDAYS.index(v)
        return [WEEKDAYS[(i + d) % 7] for d in rng.sample((1, -1, 2, -2), 4)]
    if v in MONTHS:
        i = MONTHS.index(v)
        return [MONTHS[(i + d) % 12] for d in rng.sample((1, -1, 2, -2), 4)]
    if v.lower() in ("yes", "no"):
        return ["no" if v.lower() == "yes" else "yes"]
    listed = _LIST.search(q.stem)
    if listed:  # "Which of these words comes first ...: pear, apple, plum?"
        cands = [w.strip() for w in listed.group(1).split(",") if w.strip() and w.strip() != v]
        rng.shuffle(cands)
        return cands
    if len(v) == 1 and v.isalpha():  # a letter of a word: its neighbours in the word or the alphabet
        quoted = _QUOTED.search(q.stem)
        neighbours = {chr((ord(v) - 97 + d) % 26 + 97) for d in (1, -1)}
        cands = sorted({*(quoted.group(1) if quoted else ""), *neighbours} - {v})
        rng.shuffle(cands)
        return cands
    if q.category == "words":
        cands = _swap_letters(v)
        rng.shuffle(cands)
        return cands
    same = [o for o in questions().values()
            if o.category == q.category and o.instruction == q.instruction and o.expected != v]
    rng.shuffle(same)
    same.sort(key=lambda o: o.difficulty != q.difficulty)  # a capital of the same renown first
    return ([CAPITAL_CONFUSIONS[v]] if v in CAPITAL_CONFUSIONS else []) + [o.expected for o in same]


def wrong_answer(q: Question, rng: random.Random) -> str:
    """A plausible wrong answer to ``q`` that does not state any accepted answer as a whole word."""
    for c in _candidates(q, rng):
        if not q.is_stated_in(c):
            return c
    return "unknown"  # no candidate survived (never for the shipped set: tests/test_known_answers.py)


ANSWER_FORMS = (
    "{v}",
    "{v}.",
    "The answer is {v}.",
    "**{v}**",
    "It is {v}.",
    "Answer: {v}",
    "That comes to {v}.",
    "{w}\nThe answer is {v}.",
    "{w}\n**{v}**",
    "Final answer: **{v}**",
    "{v}, as far as this simulated model can tell.",
)
WORKING = {  # one line of working, with no number in it (a number there could match a scorer's expected)
    "arithmetic": "Working it through column by column, then checking the result.",
    "units": "Multiplying by the conversion factor and checking the units.",
    "words": "Going through it letter by letter.",
    "calendar": "Counting along the calendar.",
    "geometry": "Using the standard formula.",
}
DEFAULT_WORKING = "Recalling the standard fact."


def answer_text(label: str, q: Question, value: str, rng: random.Random, variety: float = 1.0) -> str:
    """A short labelled answer stating ``value`` in one of several wordings (the draw picks it); never the question.

    ``variety`` below 1 keeps to the first wordings (low temperature varies less)."""
    forms = ANSWER_FORMS[: max(2, round(len(ANSWER_FORMS) * variety))]
    form = forms[rng.randrange(len(forms))]
    working = WORKING.get(q.category, DEFAULT_WORKING)
    return f"[simulated {label}] " + form.format(v=value, w=working)


def known_reply(label: str, model: SimModel, q: Question, seed_int: int, rng: random.Random,
                variety: float = 1.0) -> tuple[str, bool]:
    """(the answer text, whether it is right) for this draw of ``model`` on known question ``q``."""
    right = right_or_wrong(model, q, seed_int)
    value = q.expected if right else wrong_answer(q, rng)
    return answer_text(label, q, value, rng, variety), right
