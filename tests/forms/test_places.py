"""Village questions (`"x-widget": "village"`, forms/places.py): the page leaves each visitor's
villages to the server, which lists them by township; the check accepts the annotation only
on a text question."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from forms.client import client_data
from forms.places import VillageChoice, fill_villages, has_village_question, village_answers
from forms.render import build_page, render_template
from server.cli import main
from tests.forms.small_forms import form, group, pointers, problems, text
from tests.places_form import schema

VILLAGES = [
    VillageChoice("620523102201", "石家窑村", "620523102", "新兴镇"),
    VillageChoice("620523102202", "<雷>家庄村", "620523102", "新兴镇"),
    VillageChoice("620523106203", "魏家庄村", "620523106", "磐安镇"),
]


def village(title: str = "村", **more: Any) -> dict[str, Any]:
    return text(title, pattern="^[0-9]{12}$", **{"x-widget": "village"}, **more)


def _page(answers: dict[str, Any] | None = None, lang: str = "zh") -> str:
    return render_template(
        "form.html",
        lang=lang,
        page=build_page(schema(), lang, answers),
        data={},
        form_id="visit_place",
        version=1,
        action="/f/visit_place/v/1",
        notice="",
        asset=lambda name: name,
        switch_url="",
    )


def test_a_village_question_is_a_list_whose_villages_the_page_leaves_out() -> None:
    html = _page()
    assert '<select id="f/visit/village" name="/visit/village"' in html
    assert "data-places='{" in html and '"township":"乡镇"' in html
    assert "<!--ms-villages:-->" in html
    assert "<optgroup" not in html and 'value="6205' not in html
    assert '"township":"Township"' in _page(lang="en")


def test_the_servers_villages_are_listed_by_township_with_the_answer_chosen() -> None:
    html = fill_villages(_page({"visit": {"village": "620523102202"}}), VILLAGES)
    assert (
        '<optgroup label="新兴镇"><option value="620523102201">石家窑村</option>'
        '<option value="620523102202" selected>&lt;雷&gt;家庄村</option></optgroup>'
        '<optgroup label="磐安镇"><option value="620523106203">魏家庄村</option></optgroup>'
    ) in html
    assert "ms-villages" not in html


def test_an_answer_that_is_no_code_chooses_nothing() -> None:
    html = fill_villages(_page({"visit": {"village": "--><script>"}}), VILLAGES)
    assert " selected>" not in html and "<script>" not in html.split("<body")[1]


def test_village_answers_are_found_in_groups_and_repeats() -> None:
    schema_ = form(
        s=group(v=village()),
        items={"type": "array", "title": "多项", "items": group(w=village(), n=text())},
    )
    answers = {"s": {"v": "620523102201"}, "items": [{"w": "620523106203"}, {"n": "x"}]}
    assert village_answers(schema_, answers) == [
        ("/s/v", "620523102201"),
        ("/items/0/w", "620523106203"),
    ]
    assert has_village_question(schema_) and not has_village_question(form(s=group(t=text())))


def test_a_village_question_loads_the_phones_extra_code() -> None:
    assert client_data("visit_place", 1, schema(), "zh")["more"] is True
    assert "more" not in client_data("t", 1, form(s=group(t=text())), "zh")


def test_check_accepts_a_village_question_on_text_only() -> None:
    assert problems(form(s=group(v=village()))) == []
    wrong = {"type": "integer", "title": "村", "x-widget": "village"}
    options = village(oneOf=[{"const": "620523102201", "title": "石家窑村"}])
    assert pointers(form(s=group(v=wrong, w=options))) == [
        "/properties/s/properties/v",
        "/properties/s/properties/w",
    ]
    [(_, message), _] = problems(form(s=group(v=wrong, w=options)))
    assert message.startswith("x-widget village needs type string without options")


def test_form_check_names_a_misplaced_village_widget_with_its_line(tmp_path: Path, capsys) -> None:
    broken = tmp_path / "broken.json"
    bad = {"type": "integer", "title": "村", "x-widget": "village"}
    broken.write_text(json.dumps(form(s=group(v=bad)), indent=2, ensure_ascii=False))
    assert main(["form", "check", str(broken)]) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"{broken}: /properties/s/properties/v: x-widget village needs type")
    number = int(line.rsplit("(line ", 1)[1].rstrip(")"))
    assert broken.read_text().splitlines()[number - 1].strip().startswith('"v"')
