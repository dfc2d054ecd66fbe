from __future__ import annotations

from typing import Any

from forms.form_post import answers_from_form
from forms.media import photo_refs
from forms.render import build_page
from forms.schema import shipped_forms
from tests.forms.small_forms import form, group, pointers, text


def photo(title: str = "照片") -> dict[str, Any]:
    return text(title, **{"x-widget": "photo"})


def location(**parts: Any) -> dict[str, Any]:
    number = {"type": "number", "title": "数"}
    props = parts or {
        "lat": number,
        "lon": number,
        "accuracy_m": number,
        "at": {"type": "string", "title": "时"},
    }
    return {
        "type": "object",
        "title": "位置",
        "x-widget": "location",
        "properties": props,
        "required": ["lat", "lon"],
    }


def test_photo_refs_finds_photos_in_groups_repeats_and_branches() -> None:
    schema = form(
        house=group(photo=photo(), note=text()),
        members={"type": "array", "title": "成员", "items": group(face=photo())},
        later={
            **group(has=text()),
            "allOf": [{"if": {"required": ["has"]}, "then": {"properties": {"shot": photo()}}}],
        },
    )
    answers = {
        "house": {"photo": "p1", "note": "p9"},
        "members": [{"face": "p2"}, {}, {"face": "p3"}],
        "later": {"has": "x", "shot": "p4"},
    }
    assert photo_refs(schema, answers) == [
        ("/house/photo", "p1"),
        ("/members/0/face", "p2"),
        ("/members/2/face", "p3"),
        ("/later/shot", "p4"),
    ]


def test_photo_refs_ignores_answers_of_the_wrong_shape() -> None:
    schema = form(house=group(photo=photo()))
    assert photo_refs(schema, {"house": {"photo": 3}}) == []
    assert photo_refs(schema, {"house": "nothing"}) == []
    assert photo_refs(schema, {}) == []


def test_the_check_accepts_a_photo_and_a_location() -> None:
    assert pointers(form(s=group(p=photo(), where=location()))) == []


def test_the_check_refuses_a_photo_that_is_not_a_string() -> None:
    bad = {"type": "integer", "title": "照片", "x-widget": "photo"}
    assert pointers(form(s=group(p=bad))) == ["/properties/s/properties/p"]


def test_the_check_refuses_a_location_of_another_shape() -> None:
    number = {"type": "number", "title": "数"}
    where = location(lat=number, height=number, lon={"type": "string", "title": "经"})
    assert pointers(form(s=group(where=where))) == [
        "/properties/s/properties/where/properties/height",
        "/properties/s/properties/where/properties/lon/type",
    ]
    assert "/properties/s/properties/where/properties" in pointers(
        form(s=group(where=location(lat=number)))
    )


def test_the_household_form_asks_for_a_photo_and_a_location_of_the_house() -> None:
    living = shipped_forms()["household"]["properties"]["living"]
    assert living["properties"]["house_photo"]["x-widget"] == "photo"
    assert living["properties"]["location"]["x-widget"] == "location"
    assert "house_photo" not in living.get("required", [])


def test_a_location_renders_as_hidden_parts_with_its_errors_on_the_question() -> None:
    schema = form(s=group(where=location()))
    page = build_page(
        schema, "zh", {"s": {"where": {"lat": 95}}}, [{"path": "/s/where/lat", "message": "太大"}]
    )
    where = page.pages[0].children[0]
    assert where.kind == "location"
    assert [c.name for c in where.children] == [
        "/s/where/lat",
        "/s/where/lon",
        "/s/where/accuracy_m",
        "/s/where/at",
    ]
    assert where.errors == ["太大"]
    assert page.issues == [("f/s/where", "位置", "太大")]


def test_a_plain_post_without_a_location_has_no_location() -> None:
    schema = form(s=group(where=location(), note=text()))
    posted = [("/s/where/lat", ""), ("/s/where/lon", ""), ("/s/note", "好")]
    assert answers_from_form(schema, posted) == {"s": {"note": "好"}}
    posted = [("/s/where/lat", "35.5"), ("/s/where/lon", "105")]
    assert answers_from_form(schema, posted) == {"s": {"where": {"lat": 35.5, "lon": 105}}}


def test_photo_refs_keyed_by_schema_hash_finds_the_same_and_nothing_without_photos() -> None:
    schema = form(house=group(photo=photo()), members={"type": "array", "items": group(n=text())})
    answers = {"house": {"photo": "p1"}, "members": [{"n": "a"}]}
    assert photo_refs(schema, answers, "key-with") == photo_refs(schema, answers)
    assert photo_refs(schema, answers, "key-with") == [("/house/photo", "p1")]
    plain = form(house=group(note=text()))
    assert photo_refs(plain, {"house": {"note": "p1"}}, "key-without") == []
