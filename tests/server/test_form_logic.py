"""A form's own checks and computed values (x-rules, x-calculate) refuse answers through the
API and through a page sent without JavaScript, with the form's words at the field."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from server.form_versions import publish
from tests.conftest import new_id
from tests.logic_form import FORM_ID, schema
from tests.world import A1

API = f"/api/forms/{FORM_ID}/submissions"
WORKED_OUT = "此项由其他答案算出，应为 10"


async def _published(client: Any) -> None:
    assert await publish(client.app.state.db, FORM_ID, schema(), actor="t") == 1


async def _send(client: Any, group: dict[str, Any], lang: str = "zh") -> Any:
    body = {"id": new_id(), "version": 1, "answers": {"group": group}, "household_id": A1}
    return await client.post(f"{API}?lang={lang}", json=body)


async def test_api_refuses_a_broken_rule_at_its_field_in_the_askers_language(client) -> None:
    await _published(client)
    group = {"households": 30, "poor_households": 31, "poor_share": 103.33}
    response = await _send(client, group)
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {"path": "/group/poor_households", "code": "poor_le_total", "message": "贫困户不能多于户数"}
    ]
    english = (await _send(client, group, "en")).json()["errors"]
    assert english[0]["message"] == "Poor households cannot exceed households"


async def test_api_refuses_a_computed_value_other_than_the_one_worked_out(client) -> None:
    await _published(client)
    response = await _send(client, {"households": 30, "poor_households": 3, "poor_share": 12})
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error == {"path": "/group/poor_share", "code": "calculated", "message": WORKED_OUT}
    fine = await _send(client, {"households": 30, "poor_households": 3, "poor_share": 10})
    assert fine.status_code == 201, fine.text
    assert fine.json()["answers"]["group"]["poor_share"] == 10


async def test_page_without_javascript_works_the_value_out_and_refuses_a_broken_rule(
    client,
) -> None:
    await _published(client)
    page = await client.get(f"/f/{FORM_ID}")
    share = re.search(r'<input[^>]*name="/group/poor_share"[^>]*>', page.text)
    assert share and "readonly" in share.group()
    body = [("/group/households", "30"), ("/group/poor_households", "31"), ("_household", A1)]
    refused = await client.post(
        f"/f/{FORM_ID}/v/1",
        content=urlencode(body),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert refused.status_code == 422
    assert re.search(r'id="e/group/poor_households"[^>]*>贫困户不能多于户数<', refused.text)
    assert 'value="103.33"' in refused.text  # worked out by the server, shown read-only
    body[1] = ("/group/poor_households", "3")
    stored = await client.post(
        f"/f/{FORM_ID}/v/1",
        content=urlencode(body),
        headers={"content-type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert stored.status_code == 303, stored.text
    listing = (await client.get(API)).json()["items"]
    assert listing[0]["answers"]["group"] == {
        "households": 30,
        "poor_households": 3,
        "poor_share": 10.0,
    }
