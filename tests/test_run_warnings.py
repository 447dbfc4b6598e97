"""One warning per run: compare() and evaluate() prepare many requests, and what would have been a wall of
warnings (a missing price per model, a parameter per model, ...) is one warning per category, naming every model
concerned, at the caller's line. Against the simulator."""

from __future__ import annotations

import warnings

import pytest

import multimodel as mm
from multimodel import pricing
from multimodel.request import Note, summarize_notes
from multimodel.sim.media import sample_pdf, sample_wav

UNPRICED = ["loc/gpt-5.4", "loc/gpt-4.1-mini", "loc/gpt-5-mini"]
PDF = mm.pdf(sample_pdf("The code is 7731."), filename="memo.pdf")
UNCHECKED_PDF = ["gemini/gemini-3-flash-preview", "xai/grok-4.3", "deepseek/deepseek-flash"]


@pytest.fixture
def local(sim):
    """A custom endpoint (no price table applies to it) served by the simulator."""
    return mm.Client(providers={"loc": {"base_url": sim.base_url("openai"), "api_key": "k"}}, cache=False)


def caught_run(run):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run()
    return result, [w for w in caught if not issubclass(w.category, ResourceWarning)]


def test_compare_gives_one_price_warning_naming_every_model(local):
    cmp, caught = caught_run(lambda: local.compare("Why is the sky blue?", UNPRICED, live=False))
    assert [w.category for w in caught] == [mm.PriceWarning]
    (w,) = caught
    assert w.filename == __file__  # the caller's line, not multimodel's
    text = str(w.message)
    assert text == pricing.unknown_prices_message(UNPRICED)
    assert text.startswith("no price for loc/gpt-5.4, loc/gpt-4.1-mini, loc/gpt-5-mini: their cost_usd is NaN")
    assert "mm.Client(providers={'loc': {'prices': {'gpt-5.4': {'input': ..." in text
    assert cmp.df["cost_usd"].isna().all() and cmp.df["error"].isna().all()
    # once per client: the same run again says nothing new
    _, again = caught_run(lambda: local.compare("Why is the sky blue?", UNPRICED, live=False))
    assert again == []


def test_compare_gives_one_param_warning_for_inputs_it_cannot_check():
    client = mm.Client.simulated()
    cmp, caught = caught_run(lambda: client.compare(["What is the code?", PDF], UNCHECKED_PDF, live=False,
                                                    on_unsupported="skip"))
    assert [w.category for w in caught] == [mm.ParamWarning]  # was three, one per model
    assert caught[0].filename == __file__
    text = str(caught[0].message)
    assert text.startswith("gemini/gemini-3-flash-preview, xai/grok-4.3, deepseek/deepseek-flash: their "
                           "capability tables do not say whether they accept PDF input (file parts) (PDF memo.pdf")
    assert text.endswith("sent as is and listed in unverified_inputs. Check with client.probe("
                         "'gemini/gemini-3-flash-preview') or declare it: providers={'gemini': {'capabilities': "
                         "{'file_input': 'supported'}}}")
    assert cmp.df["unverified_inputs"].tolist() == [["file_input"]] * 3


def test_several_kinds_of_note_are_listed_under_one_line_naming_every_model():
    client = mm.Client.simulated()
    models = ["anthropic/claude-sonnet-4-6", "xai/grok-4.3", "openai/gpt-5.4"]
    prompt = ["Describe the sound.", mm.audio(sample_wav())]
    cmp, caught = caught_run(lambda: client.compare(prompt, models, live=False, on_unsupported="warn"))
    params = [w for w in caught if w.category is mm.ParamWarning]
    assert len(params) == 1 and params[0].filename == __file__
    first, *lines = str(params[0].message).splitlines()
    assert first == ("some requests are changed, or not checked, before they are sent (3 models: "
                     "anthropic/claude-sonnet-4-6, xai/grok-4.3, openai/gpt-5.4):")
    assert lines[0].startswith("- anthropic/claude-sonnet-4-6 would not receive audio clip")
    assert lines[1].startswith("- xai/grok-4.3: its capability table does not say whether it accepts audio input")
    assert lines[2].startswith("- openai/gpt-5.4 would not receive audio clip")
    assert len(lines) == 3
    # the audio was stripped from those two requests: no warning about an audio rate they are not charged, and
    # their cost comes from the price table
    assert [w for w in caught if w.category is mm.PriceWarning] == []
    assert cmp.df.set_index("model").loc[["anthropic/claude-sonnet-4-6", "openai/gpt-5.4"], "cost_usd"].gt(0).all()


def test_evaluate_gives_one_warning_per_category_for_the_whole_run(local):
    prompts = [f"question {i}" for i in range(6)]
    ev, caught = caught_run(lambda: local.evaluate(prompts, UNPRICED, progress=False, budget_usd=5))
    assert [w.category for w in caught] == [mm.PriceWarning]
    (w,) = caught
    assert w.filename == __file__
    first, *lines = str(w.message).splitlines()
    assert first == ("cost_usd will be NaN for some rows (3 models: loc/gpt-5.4, loc/gpt-4.1-mini, "
                     "loc/gpt-5-mini):")
    assert lines == [f"- {pricing.unknown_prices_message(UNPRICED)}",
                     "- 18 request(s) have no price, so budget_usd cannot count them"]
    assert len(ev.df) == 18


def test_a_refused_run_warns_nothing_and_keeps_its_warnings_for_the_next(local):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(mm.ConfigError, match="did you mean 'loc'"):
            local.compare("hi", [*UNPRICED, "lco/gpt-5.4"], live=False)
    assert [w for w in caught if w.category is mm.PriceWarning] == []
    _, caught = caught_run(lambda: local.compare("hi", UNPRICED[:2], live=False))
    assert [str(w.message) for w in caught] == [pricing.unknown_prices_message(UNPRICED[:2])]


def test_one_request_keeps_its_own_message(local):
    _, caught = caught_run(lambda: local.complete("loc/gpt-5.4", "hi"))
    assert [str(w.message) for w in caught] == [pricing.unknown_price_message("loc", "gpt-5.4")]
    assert caught[0].filename == __file__


def test_summarize_notes_groups_by_category_and_merges_price_lines():
    notes = [Note(mm.PriceWarning, "no price a", "k1", "p/a", "unpriced", pricing.unknown_prices_message),
             Note(mm.ParamWarning, "p/a: dropped seed", "k2", "p/a"),
             Note(mm.PriceWarning, "no price b", "k3", "q/b", "unpriced", pricing.unknown_prices_message),
             Note(mm.PriceWarning, "audio c", "k4", "p/c", "audio", pricing.audio_prices_message)]
    out = summarize_notes(notes)
    assert [category for category, _ in out] == [mm.PriceWarning, mm.ParamWarning]
    price = out[0][1].splitlines()
    assert price[0] == "cost_usd will be NaN for some rows (3 models: p/a, q/b, p/c):"
    assert price[1:] == [f"- {pricing.unknown_prices_message(['p/a', 'q/b'])}",
                         f"- {pricing.audio_prices_message(['p/c'])}"]
    assert out[1][1] == "p/a: dropped seed"  # a category with one note: the note as it is
    assert summarize_notes([]) == []
