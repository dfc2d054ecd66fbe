"""A hostile or broken client: huge, deep or wide answers get a short, clear refusal.

Every body up to the size limit is answered with a bounded amount of work and a
reply well under 64 KB; the timings live in bench/ingest.py, these tests hold the
behaviour: the refusal names the field, and nothing is stored.
"""

from __future__ import annotations

import json
from typing import Any

from litestar.testing import AsyncTestClient

from forms.bounds import MAX_ERRORS
from tests.conftest import form_pairs, new_id
from tests.world import A1

URL = "/api/forms/household/submissions"
REPLY_LIMIT = 64 * 1024


async def _post(client: AsyncTestClient[Any], answers: dict[str, Any]) -> Any:
    body = {"id": new_id(), "version": 1, "answers": answers, "household_id": A1}
    raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    assert len(raw) < 1024 * 1024  # under the size limit: it must be read and answered
    return await client.post(URL, content=raw, headers={"Content-Type": "application/json"})


async def _count(client: AsyncTestClient[Any]) -> int:
    return int((await client.get(URL)).json()["total"])


async def test_a_quarter_million_empty_members_is_one_error_at_members(client, household) -> None:
    household["members"] = [{}] * 250_000
    response = await _post(client, household)
    assert response.status_code == 422
    assert len(response.content) < REPLY_LIMIT
    assert [(e["path"], e["code"]) for e in response.json()["errors"]] == [("/members", "maxItems")]
    assert "20" in response.json()["errors"][0]["message"]
    assert await _count(client) == 0


async def test_thousands_of_unknown_fields_get_a_capped_error_list(client, household) -> None:
    household["members"][0].update({f"x{i}": i for i in range(3000)})
    response = await _post(client, household)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert len(errors) == MAX_ERRORS + 1
    assert errors[-1]["code"] == "more_errors"
    assert len(response.content) < REPLY_LIMIT
    assert await _count(client) == 0


async def test_a_huge_text_answer_is_refused_at_its_field(client, household) -> None:
    household["household"]["head_name"] = "张" * 300_000
    response = await _post(client, household)
    assert response.status_code == 422
    assert [e["path"] for e in response.json()["errors"]] == ["/household/head_name"]
    assert len(response.content) < REPLY_LIMIT


async def test_plain_post_with_a_64kb_number_is_an_error_at_that_field(client, household) -> None:
    pairs = [(k, v) for k, v in form_pairs(household) if k != "/income/wages"]
    pairs.append(("/income/wages", "1" * 65_536 + "x"))
    response = await client.post(
        "/f/household/v/1", data={**dict(pairs), "_id": new_id(), "_action": "send"}
    )
    assert response.status_code == 422
    assert 'id="e/income/wages"' in response.text
    assert (await client.get("/healthz")).status_code == 200
    assert await _count(client) == 0
