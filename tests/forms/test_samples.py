"""How many real-world form schemas (tests/forms/samples, see its README) the check takes.

Before $ref, allOf merges, object alternatives, enum labels and date-time/time were
rendered, 3 of the 40 passed (with a 2020-12 `$schema` added); most of the others lack the
titles every question needs here (the phone's labels), which no renderer can make up.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from forms.render import build_page, render_template
from forms.schema import SchemaProblem, check_schema
from tests.forms.small_forms import DRAFT

SAMPLES = Path(__file__).parent / "samples"
FILES = sorted(SAMPLES.glob("*/*.json"))
PASSING = {
    "rjsf/alternatives",
    "rjsf/nested",
    "rjsf/numbers",
    "rjsf/simple",
}


def _sample(path: Path) -> dict[str, Any]:
    schema = json.loads(path.read_text(encoding="utf-8"))
    schema.setdefault("$schema", DRAFT)
    return schema


def _passes(path: Path) -> bool:
    try:
        check_schema(_sample(path), str(path))
    except SchemaProblem:
        return False
    return True


def test_the_samples_are_forty() -> None:
    assert len(FILES) == 40


def test_the_check_takes_the_samples_it_can_show() -> None:
    passing = {f"{p.parent.name}/{p.stem}" for p in FILES if _passes(p)}
    assert passing == PASSING


@pytest.mark.parametrize("name", sorted(PASSING))
def test_a_sample_that_passes_renders(name: str) -> None:
    schema = _sample(SAMPLES / f"{name}.json")
    for lang in ("zh", "en"):
        page = build_page(schema, lang)
        html = render_template(
            "form.html",
            lang=lang,
            page=page,
            data={},
            form_id="s",
            version=1,
            action="/",
            notice="",
            asset=lambda name: name,
            switch_url="",
        )
        assert page.pages and "<form" in html
