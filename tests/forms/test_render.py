from __future__ import annotations

from typing import Any

from forms.render import build_page, render_template


def _fields(node: Any) -> list[Any]:
    return [node] + [f for c in node.children + node.items for f in _fields(c)]


def test_top_level_properties_are_pages_in_document_order(schema) -> None:
    page = build_page(schema, "zh")
    assert [p.name for p in page.pages] == [f"/{k}" for k in schema["properties"]]
    assert page.pages[0].label == schema["properties"]["survey"]["title"]


def test_english_labels_come_from_x_en(schema) -> None:
    page = build_page(schema, "en")
    assert page.title == schema["x-en"]["title"]
    assert page.pages[0].label == "Survey"


def test_widgets_follow_the_schema(schema) -> None:
    fields = {f.name: f for p in build_page(schema).pages for f in _fields(p)}
    assert fields["/survey/date"].kind == "date"
    assert fields["/survey/filled_by"].kind == "radio"
    assert fields["/members/0/relation"].kind == "select"  # 10 options
    assert fields["/household/special"].kind == "checkboxes"
    assert fields["/members/0/pension"].kind == "yesno"
    assert fields["/members"].kind == "repeat" and fields["/members"].min_items == 1
    assert (
        fields["/needs/0/description"].kind == "textarea"
        if "/needs/0/description" in fields
        else fields["/needs"].template.children[2].kind == "textarea"
    )
    assert fields["/household/phone"].kind == "tel"
    assert fields["/production/livestock/cattle"].attrs == {"inputmode": "numeric"}
    assert fields["/income/wages"].attrs == {"inputmode": "decimal"}
    assert fields["/survey/date"].required and not fields["/survey/surveyor_unit"].required


def test_conditional_question_carries_its_condition_after_its_anchor(schema) -> None:
    member = build_page(schema).pages[2].items[0]
    names = [c.name.rsplit("/", 1)[1] for c in member.children]
    assert names.index("disease") == names.index("health") + 1
    disease = member.children[names.index("disease")]
    assert disease.condition is not None and disease.condition.when == "then"
    assert disease.condition.schema["properties"]["health"]["enum"] == ["chronic", "serious"]
    assert "长期慢性病" in disease.condition.hint


def test_errors_are_attached_to_their_fields(schema) -> None:
    errors = [
        {"path": "/members/0/id_number", "message": "bad id"},
        {"path": "/nowhere/else", "message": "left over"},
    ]
    page = build_page(schema, "zh", {"members": [{}]}, errors)
    member = page.pages[2].items[0]
    assert next(c for c in member.children if c.name.endswith("id_number")).errors == ["bad id"]
    assert page.errors == ["left over"]


def test_page_renders_with_autoescape(schema) -> None:
    html = render_template(
        "form.html",
        lang="zh",
        page=build_page(schema, "zh", {"household": {"head_name": "<script>x</script>"}}),
        data={"x": "</script>"},
        form_id="household",
        version=1,
        action="/f/household/v/1",
        submission_id="id",
        notice="",
        asset=lambda n: f"/static/{n}",
        switch_url="/f/household?lang=en",
    )
    assert "<script>x</script>" not in html and "&lt;script&gt;" in html
    assert 'name="/members/__i__/name"' in html and "<template>" in html  # shown again
    assert 'data-if="' in html


def test_a_fresh_page_sends_no_template_its_first_item_can_stand_for(schema) -> None:
    page = build_page(schema)
    fields = {f.name: f for p in page.pages for f in _fields(p)}
    assert fields["/members"].template is None and len(fields["/members"].items) == 1
    assert fields["/needs"].template is not None and not fields["/needs"].items


def test_numbers_are_text_boxes_so_what_a_browser_cannot_read_is_not_dropped(schema) -> None:
    html = render_template(
        "form.html",
        lang="zh",
        page=build_page(schema, "zh", {"income": {"wages": "8500-"}}),
        data={},
        form_id="household",
        version=1,
        action="/f/household/v/1",
        submission_id="id",
        notice="",
        asset=lambda n: f"/static/{n}",
        switch_url="",
    )
    wages = _first_tag(html, 'name="/income/wages"')
    assert 'type="text"' in wages and 'inputmode="decimal"' in wages and 'value="8500-"' in wages
    assert 'type="number"' not in html
    assert "<form" in html and "novalidate" in _first_tag(html, 'id="form"')


def _first_tag(html: str, marker: str) -> str:
    at = html.index(marker)
    return html[html.rindex("<", 0, at) : html.index(">", at) + 1]


def test_code_fields_get_their_length_and_keypad_from_the_pattern(schema) -> None:
    fields = {f.name: f for p in build_page(schema).pages for f in _fields(p)}
    id_number = fields["/members/0/id_number"].attrs
    assert id_number["maxlength"] == 18 and id_number["data-code"] == "X"
    village = fields["/household/village_code"].attrs
    assert village["maxlength"] == 12 and village["inputmode"] == "numeric"
    assert village["data-code"] == ""


def test_english_units_come_from_x_en(schema) -> None:
    zh = {f.name: f for p in build_page(schema, "zh").pages for f in _fields(p)}
    en = {f.name: f for p in build_page(schema, "en").pages for f in _fields(p)}
    assert (zh["/income/wages"].unit, en["/income/wages"].unit) == ("元", "yuan")
    assert (zh["/production/cultivated_land"].unit, en["/production/cultivated_land"].unit) == (
        "亩",
        "mu",
    )


def test_a_yes_no_condition_reads_yes_or_no() -> None:
    schema = {
        "type": "object",
        "properties": {
            "water": {
                "type": "object",
                "properties": {"interrupted": {"type": "boolean", "title": "近一月是否停水"}},
                "allOf": [
                    {
                        "if": {"properties": {"interrupted": {"const": False}}},
                        "then": {"properties": {"days": {"type": "integer", "title": "天数"}}},
                    }
                ],
            }
        },
    }
    for lang, words in (("zh", "为“否”"), ("en", "is No")):
        days = build_page(schema, lang).pages[0].children[1]
        assert days.condition is not None and words in days.condition.hint
        assert "False" not in days.condition.hint
