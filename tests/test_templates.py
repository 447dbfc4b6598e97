"""Prompt templates over variables, and the systems= checks (multimodel/templates.py).

The expansion is pure: these tests build prompts DataFrames and check every row, column and error message; one
test feeds a template sweep through a simulated evaluate() to show the frame is what evaluate() takes.
"""

from __future__ import annotations

import itertools
import math
import warnings

import pandas as pd
import pytest

from multimodel.errors import ConfigError
from multimodel.templating import check_systems, template, templates, with_system


def _no_warnings(fn, *args, **kwargs):
    """Call fn with every warning turned into an error (the suite runs with -W ignore)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args, **kwargs)


# ---- expansion ----------------------------------------------------------------------------------------------


def test_a_dict_of_lists_expands_to_its_product_first_key_slowest():
    words, langs = ["cat", "dog", "owl"], ["French", "German"]
    df = _no_warnings(template, "Translate {word} into {lang}.", {"word": words, "lang": langs}, id="translate")
    assert list(df.columns) == ["prompt", "template", "word", "lang"]
    combos = list(itertools.product(words, langs))
    assert list(zip(df["word"], df["lang"], strict=True)) == combos
    assert df["prompt"].tolist() == [f"Translate {w} into {lang}." for w, lang in combos]
    assert set(df["template"]) == {"translate"}
    assert list(df.index) == list(range(6))


def test_a_scalar_variable_is_one_fixed_value_not_its_characters():
    df = _no_warnings(template, "Say {word} in {lang}.", {"word": ["hi", "bye"], "lang": "French"})
    assert df["prompt"].tolist() == ["Say hi in French.", "Say bye in French."]
    assert df["lang"].tolist() == ["French", "French"]


def test_a_dataframe_gives_one_prompt_per_row_and_carries_its_other_columns():
    variables = pd.DataFrame({"id": [10, 11, 12], "country": ["France", "Japan", "Peru"],
                              "expected": ["Paris", "Tokyo", "Lima"], "difficulty": [1, 2, 2]})
    df = _no_warnings(template, "What is the capital of {country}?", variables)
    assert list(df.columns) == ["prompt", "template", "country", "id", "expected", "difficulty"]  # then its order
    assert df["prompt"].tolist() == [f"What is the capital of {c}?" for c in ["France", "Japan", "Peru"]]
    assert df["template"].tolist() == ["t0"] * 3
    assert df["expected"].tolist() == ["Paris", "Tokyo", "Lima"]
    assert df["id"].tolist() == [10, 11, 12] and pd.api.types.is_integer_dtype(df["id"])
    assert variables.columns.tolist() == ["id", "country", "expected", "difficulty"]  # the input is untouched


def test_a_named_index_is_carried_and_an_unnamed_one_is_not():
    named = pd.DataFrame({"q": ["a", "b"]}, index=pd.Index(["q1", "q2"], name="qid"))
    df = template("Q: {q}", named)
    assert df["qid"].tolist() == ["q1", "q2"] and list(df.index) == [0, 1]
    unnamed = pd.DataFrame({"q": ["a", "b"]}, index=[5, 9])
    assert list(template("Q: {q}", unnamed).columns) == ["prompt", "template", "q"]


def test_a_list_of_dicts_is_a_table_and_its_extra_keys_are_carried_without_warning():
    rows = [{"q": "2+2", "expected": "4"}, {"q": "3+3", "expected": "6"}]
    df = _no_warnings(template, "Compute {q}.", rows)
    assert df[["prompt", "q", "expected"]].values.tolist() == [["Compute 2+2.", "2+2", "4"],
                                                                ["Compute 3+3.", "3+3", "6"]]


def test_several_templates_cross_every_variables_row_template_major():
    variables = pd.DataFrame({"q": ["2+2", "3+3"], "expected": ["4", "6"]})
    df = _no_warnings(templates, {"direct": "{q} =", "polite": "Please compute {q}."}, variables)
    assert df["template"].tolist() == ["direct", "direct", "polite", "polite"]
    assert df["prompt"].tolist() == ["2+2 =", "3+3 =", "Please compute 2+2.", "Please compute 3+3."]
    assert df["expected"].tolist() == ["4", "6", "4", "6"]
    listed = templates(["A {x}", "B {x}", "C {x}"], {"x": [1, 2]})
    assert listed["template"].tolist() == ["t0", "t0", "t1", "t1", "t2", "t2"]
    assert listed["prompt"].tolist() == ["A 1", "A 2", "B 1", "B 2", "C 1", "C 2"]


def test_double_braces_are_literal_braces():
    df = template('Reply as JSON: {{"answer": <{kind}>}} about {{x}}.', {"kind": ["number"]})
    assert df["prompt"].tolist() == ['Reply as JSON: {"answer": <number>} about {x}.']


def test_a_placeholder_inside_a_value_is_not_expanded_again():
    variables = pd.DataFrame({"q": ["{q}", "{other} and {{x}}"], "other": ["SHOULD NOT APPEAR", "nor this"]})
    df = template("Q: {q}", variables)
    assert df["prompt"].tolist() == ["Q: {q}", "Q: {other} and {{x}}"]


def test_values_are_inserted_with_str():
    df = template("{n} {x} {flag}", {"n": [3], "x": [0.1], "flag": [True]})
    assert df["prompt"].tolist() == ["3 0.1 True"]
    assert df["n"].tolist() == [3]  # the column keeps the value, not its text


def test_without_variables_each_template_is_one_prompt():
    df = _no_warnings(templates, {"a": "Hello.", "b": "Goodbye {{sic}}."})
    assert df.to_dict(orient="list") == {"prompt": ["Hello.", "Goodbye {sic}."], "template": ["a", "b"],
                                         "variables_row": [0, 0]}
    assert template("Hi.", id="greet").to_dict(orient="list") == {"prompt": ["Hi."], "template": ["greet"]}


def test_a_placeholder_may_repeat():
    assert template("{w}, {w}!", {"w": ["go"]})["prompt"].tolist() == ["go, go!"]


# ---- expected= -------------------------------------------------------------------------------------------------


def test_expected_is_a_second_template_over_the_same_variables():
    df = _no_warnings(template, "Reply with only the word {word}.", {"word": ["apple", "river"]},
                      expected="{word}")
    assert list(df.columns) == ["prompt", "template", "word", "expected"]
    assert df["expected"].tolist() == ["apple", "river"]
    capitals = pd.DataFrame({"country": ["France", "Peru"], "capital": ["Paris", "Lima"], "id": [1, 2]})
    df = _no_warnings(templates, {"a": "Capital of {country}?", "b": "Name {country}'s capital."}, capitals,
                      expected="{capital}")
    assert list(df.columns) == ["prompt", "template", "country", "capital", "expected", "id", "variables_row"]
    assert df["expected"].tolist() == ["Paris", "Lima", "Paris", "Lima"]
    # which variables row each prompt came from: the two wordings of one question share it
    assert df["variables_row"].tolist() == [0, 1, 0, 1]


def test_expected_placeholders_are_checked_like_the_template():
    with pytest.raises(ConfigError, match=r"expected= \(template 't0'\).*\{capitol\}.*did you mean \{capital\}"):
        template("Capital of {country}?", pd.DataFrame({"country": ["Peru"], "capital": ["Lima"]}),
                 expected="{capitol}")


def test_expected_twice_is_refused():
    with pytest.raises(ConfigError, match=r"already have an 'expected' column.*pick one"):
        template("{q}", pd.DataFrame({"q": ["a"], "expected": ["b"]}), expected="{q}")


# ---- errors --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["About {x.attr}", "About {x[0]}", "About {x!r}", "About {x:>5}"])
def test_anything_but_a_plain_name_is_refused(text):
    with pytest.raises(ConfigError, match=r"template 't0'.*use a plain \{name\}") as info:
        template(text, {"x": ["a"]})
    assert "{{" in str(info.value)  # says how to write a literal brace


def test_json_braces_written_once_point_at_doubling_them():
    with pytest.raises(ConfigError, match=r'\{"answer": 1\}.*literal brace is written twice: \{\{ or \}\}'):
        template('Reply as {"answer": 1}')


@pytest.mark.parametrize("text", ["Q: {}", "Q: {0}"])
def test_positional_placeholders_are_refused(text):
    with pytest.raises(ConfigError, match=r"positional placeholder.*e\.g\. \{question\}"):
        template(text, {"question": ["a"]})


@pytest.mark.parametrize("text", ["Q: {", "Q: }", "Q: {x"])
def test_an_unbalanced_brace_says_how_to_write_a_literal_one(text):
    with pytest.raises(ConfigError, match=r"not a valid template.*written twice: \{\{ or \}\}"):
        template(text, {"x": ["a"]})


def test_a_placeholder_without_a_variable_names_it_the_template_and_the_choices():
    with pytest.raises(ConfigError) as info:
        templates({"direct": "{q}", "polite": "Please answer {qestion}."},
                  pd.DataFrame({"question": ["a"], "q": ["b"]}))
    message = str(info.value)
    for part in ("template 'polite'", "{qestion}", "no variable 'qestion'", "['question', 'q']",
                 "did you mean {question}?"):
        assert part in message, part
    with pytest.raises(ConfigError) as info:
        template("{zzz}", {"word": ["a"]})
    assert "did you mean" not in str(info.value) and "['word']" in str(info.value)


def test_a_placeholder_without_any_variables_says_to_pass_them():
    with pytest.raises(ConfigError, match=r"\{word\} but no variables were given: pass variables=\{'word'"):
        template("Define {word}.")


@pytest.mark.parametrize("column", ["prompt", "template", "messages"])
def test_a_variables_column_the_result_would_overwrite_is_refused(column):
    with pytest.raises(ConfigError, match=f"column '{column}'.*rename it"):
        template("{q}", pd.DataFrame({"q": ["a"], column: ["b"]}))
    with pytest.raises(ConfigError, match=f"column '{column}'"):
        template("{q}", {"q": ["a"], column: ["b"]})


def test_a_missing_value_in_a_used_variable_names_the_row():
    frame = pd.DataFrame({"q": ["a", None, "c"]}, index=["r1", "r2", "r3"])
    with pytest.raises(ConfigError, match=r"variable 'q' is empty \(\w+\) on row 1 \(index 'r2'\).*dropna"):
        template("Q: {q}", frame)
    with pytest.raises(ConfigError, match=r"variable 'x' is empty \(nan\) on row 1"):
        template("{x}", pd.DataFrame({"x": [1.0, math.nan]}))
    with pytest.raises(ConfigError, match=r"variable 'n' is empty \(None\) on row 1 \(word='a', n=None\)"):
        template("{word} {n}", {"word": ["a"], "n": [1, None]})
    with pytest.raises(ConfigError, match=r"on variables\[1\]"):
        template("{q}", [{"q": "a"}, {"other": "b"}])


def test_a_missing_value_in_a_carried_column_is_fine():
    df = _no_warnings(template, "{q}", pd.DataFrame({"q": ["a", "b"], "expected": ["x", None]}))
    assert df["prompt"].tolist() == ["a", "b"] and df["expected"].isna().tolist() == [False, True]


def test_a_prompt_that_expands_to_nothing_names_the_row():
    with pytest.raises(ConfigError, match=r"template 't0' gives an empty prompt on row 1"):
        template("{q}", pd.DataFrame({"q": ["a", "  "]}))


@pytest.mark.parametrize(("variables", "match"), [
    ({"x": []}, r"variables\['x'\] is an empty list"),
    ({"x": {"a", "b"}}, r"variables\['x'\] is a set.*sorted"),
    ({"x": {"a": 1}}, r"variables\['x'\] is a dict"),
    ({"x": object()}, r"variables\['x'\] must be a list of values"),
    ({"": ["a"]}, "variables keys must be non-empty strings"),
    ("x=1", "variables must be a DataFrame.*dict of value lists.*got str"),
    ([1, 2], "variables must be a DataFrame.*got list"),
    ([], "variables must be a DataFrame.*non-empty list of dicts"),
    (pd.Series(["a"]), "got Series"),
    (pd.DataFrame({"x": []}), "DataFrame has no rows"),
    (pd.DataFrame([["a", "b"]], columns=["x", "x"]), r"duplicate columns \['x'\]"),
])
def test_variables_of_the_wrong_shape_are_refused(variables, match):
    with pytest.raises(ConfigError, match=match):
        template("{x}", variables)


@pytest.mark.parametrize(("call", "match"), [
    (lambda: templates("just one {x}", {"x": [1]}), r"for one, use mm\.template"),
    (lambda: templates({}, None), "no templates given"),
    (lambda: templates([], None), "no templates given"),
    (lambda: templates({"a": "same {x}", "b": "same {x}"}, {"x": [1]}), "'a' and 'b' are the same text"),
    (lambda: templates({"": "x"}), "template ids must be non-empty strings"),
    (lambda: templates(42), "got int"),
    (lambda: template(None), "must be a string with {placeholders}, got NoneType"),
    (lambda: template("   "), "template 't0' is empty"),
    (lambda: template("x", id=""), "id must be a non-empty string"),
])
def test_bad_templates_are_refused(call, match):
    with pytest.raises(ConfigError, match=match):
        call()


# ---- warnings ------------------------------------------------------------------------------------------------


def test_a_dict_variable_no_template_uses_is_warned_about():
    with pytest.warns(UserWarning, match=r"variables \['tone'\] are not used by any template.*add \{tone\}") as rec:
        df = template("Say {word}.", {"word": ["a", "b"], "tone": ["calm", "loud", "odd"]})
    assert len(df) == 6  # kept (the caller decides), but said
    assert "6 rows per template where 2 would do" in str(rec[0].message)
    assert len(rec) == 1  # not also the duplicate-prompt warning


def test_a_variable_used_by_one_template_only_is_not_unused_but_its_copies_are_warned():
    with pytest.warns(UserWarning, match=r"'short' \(4 prompts, 2 distinct\) give the same prompt") as rec:
        df = templates({"short": "{q}", "long": "{q} in {lang}"}, {"q": ["a", "b"], "lang": ["en", "fr"]})
    assert not any("not used by any template" in str(w.message) for w in rec)
    assert df["prompt"].tolist()[:4] == ["a", "a", "b", "b"]


def test_unused_dataframe_columns_are_carried_without_a_warning():
    _no_warnings(template, "{q}", pd.DataFrame({"q": ["a", "b"], "notes": ["x", "y"], "cluster": [1, 1]}))


def test_duplicate_dataframe_rows_are_warned_about():
    with pytest.warns(UserWarning, match=r"'t0' \(3 prompts, 2 distinct\).*drop_duplicates"):
        template("{q}", pd.DataFrame({"q": ["a", "b", "a"]}))


def test_the_warning_points_at_the_callers_line():
    with pytest.warns(UserWarning) as rec:
        template("{a}", {"a": [1], "b": [1, 2]})
    assert rec[0].filename == __file__


# ---- systems ---------------------------------------------------------------------------------------------------


def test_check_systems_keeps_names_texts_and_order():
    given = {"terse": "Answer in one word.", "plain": None, "expert": "You are a careful mathematician."}
    assert list(check_systems(given).items()) == list(given.items())
    assert check_systems(["Be brief.", None]) == {"s0": "Be brief.", "s1": None}
    assert check_systems(("Only one.",)) == {"s0": "Only one."}


@pytest.mark.parametrize(("systems", "match"), [
    ("Answer tersely.", "not one string.*e.g. systems=\\{'terse'"),
    ({}, "systems is empty.*e.g. systems="),
    ([], "systems is empty"),
    (None, "got NoneType.*e.g. systems="),
    ({"a", "b"}, "got set"),
    ({1: "text"}, "system names must be non-empty strings.*got 1"),
    ({" ": "text"}, "system names must be non-empty strings"),
    ({"terse": ""}, "system 'terse' must be the system prompt text, or None"),
    ({"terse": 3}, "system 'terse' must be the system prompt text"),
    (["Be brief.", "Be brief."], "systems 's0' and 's1' are the same text"),
    ({"plain": None, "none": None}, r"'plain' and 'none' are the same \(None\)"),
])
def test_check_systems_refuses_what_it_cannot_use(systems, match):
    with pytest.raises(ConfigError, match=match):
        check_systems(systems)


def test_with_system_none_leaves_the_prompt_alone():
    messages = [{"role": "system", "content": "own"}, {"role": "user", "content": "hi"}]
    assert with_system(messages, None) is messages
    assert with_system("hi", None) == "hi"


def test_with_system_turns_a_string_into_system_and_user_messages():
    assert with_system("What is 2+2?", "Answer in one word.") == [
        {"role": "system", "content": "Answer in one word."}, {"role": "user", "content": "What is 2+2?"}]


def test_with_system_puts_the_system_message_first_without_touching_the_input():
    messages = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"},
                {"role": "user", "content": "again"}]
    out = with_system(messages, "Be terse.")
    assert out == [{"role": "system", "content": "Be terse."}, *messages]
    assert len(messages) == 3 and messages[0] == {"role": "user", "content": "hi"}


@pytest.mark.parametrize("role", ["system", "developer"])
def test_with_system_refuses_a_prompt_that_has_its_own(role):
    messages = [{"role": "user", "content": "hi"}, {"role": role, "content": "own"}]
    with pytest.raises(ConfigError, match=rf"already has a {role} message \(messages\[1\]\).*system 'terse'.*"
                                          r"pick one or the other"):
        with_system(messages, "Be terse.", name="terse")


def test_with_system_wraps_text_and_parts_as_one_user_message():
    part = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
    out = with_system(["Describe this", part], "Be terse.")
    assert out == [{"role": "system", "content": "Be terse."},
                   {"role": "user", "content": [{"type": "text", "text": "Describe this"}, part]}]
    assert with_system(part, "Be terse.")[1] == {"role": "user", "content": [part]}


@pytest.mark.parametrize(("prompt", "system", "match"), [
    (["text", {"role": "user", "content": "x"}], "S", "mixes messages"),
    (42, "S", "cannot add the system prompt to a prompt of type int"),
    ([], "S", "cannot add the system prompt to a prompt of type list"),
    ("hi", "", "the system prompt must be non-empty text, or None"),
    ("hi", 5, "must be non-empty text"),
])
def test_with_system_refuses_what_it_cannot_combine(prompt, system, match):
    with pytest.raises(ConfigError, match=match):
        with_system(prompt, system)


# ---- the frame is what evaluate() takes ------------------------------------------------------------------------


def test_a_template_sweep_runs_through_evaluate_with_its_columns_on_every_row():
    import multimodel as mm

    prompts = templates({"bare": "Reply with only the word {word}.", "framed": "Say exactly this word: {word}"},
                        {"word": ["apple", "river"]}, expected="{word}")
    client = mm.Client.simulated(latency_scale=0, cache=False)
    ev = client.evaluate(prompts, ["openai/gpt-5-mini"], progress=False, scorers=[mm.scorers.contains()],
                         max_tokens=16)
    df = ev.df.sort_values("prompt_index")
    assert len(df) == 4
    assert df["template"].tolist() == ["bare", "bare", "framed", "framed"]
    assert df["word"].tolist() == ["apple", "river", "apple", "river"]
    assert df["expected"].tolist() == df["word"].tolist()
    assert df["prompt"].tolist() == prompts["prompt"].tolist()
