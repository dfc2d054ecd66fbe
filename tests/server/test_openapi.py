from __future__ import annotations

import json
import re
import uuid
from typing import Any

from server.exports_api import MEDIA_TYPES
from tests.world import VILLAGE_A


async def test_openapi_describes_the_submission_api(client) -> None:
    doc = (await client.get("/schema/openapi.json")).json()
    create = doc["paths"]["/api/forms/{form_id}/submissions"]["post"]
    body = create["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["id", "version", "answers"]
    assert {"201", "400", "404", "409", "413", "415", "422"} <= set(create["responses"])
    read = doc["paths"]["/api/submissions/{submission_id}"]["get"]
    assert "404" in read["responses"]
    step = doc["paths"]["/api/needs/{need_id}/steps"]["post"]
    step_body = step["requestBody"]["content"]["application/json"]["schema"]
    assert step_body["required"] == ["id", "status", "happened_on"]
    assert "/f/{form_id}" not in doc["paths"]  # pages are for people, not the API


async def test_openapi_describes_the_report_routes(client) -> None:
    doc = (await client.get("/schema/openapi.json")).json()
    error_body = {"$ref": "#/components/schemas/ErrorBody"}
    for path in ("/reports/village/{filename}", "/reports/county/{filename}"):
        assert {"get", "head"} <= set(doc["paths"][path]), path
        responses = doc["paths"][path]["get"]["responses"]
        pdf = responses["200"]["content"]["application/pdf"]["schema"]
        assert pdf == {"type": "string", "contentMediaType": "application/pdf"}
        for status in ("400", "404", "503"):
            assert responses[status]["content"]["application/json"]["schema"] == error_body
        assert "Retry-After" in responses["503"]["description"]
    assert set(doc["components"]["schemas"]["ErrorBody"]["required"]) == {"code", "detail"}


async def test_api_docs_load_swagger_ui_from_this_server(client) -> None:
    page = await client.get("/schema/swagger")
    assert page.status_code == 200
    assert "cdn." not in page.text and "unpkg" not in page.text
    sources = re.findall(r'(?:src|href)="(/[^"]+)"', page.text)
    assert len(sources) == 3, sources
    for url in sources:
        asset = await client.get(url, headers={"accept-encoding": "br"})
        assert asset.status_code == 200 and len(asset.content) > 10_000
        assert "immutable" in asset.headers["cache-control"]
    assert b"SwaggerUIBundle" in (await client.get(sources[1])).content
    assert (await client.get("/api-docs/app.py")).status_code == 404
    assert (await client.get("/schema/openapi.json")).status_code == 200


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in doc["paths"].items()
        for method, operation in item.items()
        if method in ("get", "put", "post", "delete", "patch", "head")
    ]


async def test_every_error_is_documented_as_error_body(client) -> None:
    doc = (await client.get("/schema/openapi.json")).json()
    for path, method, operation in _operations(doc):
        for status, response in operation["responses"].items():
            text = json.dumps(response)
            assert "status_code" not in text, (path, method, status)
            if status.startswith(("4", "5")):
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (path, status)


async def test_every_json_body_refuses_extra_fields_and_says_so(client, world) -> None:
    doc = (await client.get("/schema/openapi.json")).json()
    bodies = 0
    for path, method, operation in _operations(doc):
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" not in content:
            continue
        bodies += 1
        assert content["application/json"]["schema"]["additionalProperties"] is False, path
        assert {"400", "413", "415"} <= set(operation["responses"]), (path, method)
    assert bodies >= 10
    extra = await client.post(
        "/api/pairings", json={"cadre": "cadre_c", "village_code": VILLAGE_A, "colour": "red"},
        headers=world.as_("admin"),
    )  # fmt: skip
    assert extra.status_code == 400 and "colour" in extra.json()["detail"]


async def test_a_resend_of_an_answer_is_documented_and_whole_numbers_may_be_written_1_0(
    client, world
) -> None:
    doc = (await client.get("/schema/openapi.json")).json()
    create = doc["paths"]["/api/forms/{form_id}/submissions"]["post"]["responses"]
    assert (
        create["200"]["content"]["application/json"]["schema"]
        == create["201"]["content"]["application/json"]["schema"]
    )
    body = {
        "id": str(uuid.uuid4()),
        "version": 1.0,  # JSON Schema's integer 1
        "answers": world.answer("A1"),
        "household_id": world.households["A1"],
    }
    first = await client.post("/api/forms/household/submissions", json=body)
    again = await client.post("/api/forms/household/submissions", json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    body["version"] = 1.5
    assert (await client.post("/api/forms/household/submissions", json=body)).status_code == 400


async def test_files_are_last_modified_as_http_dates_and_204_has_no_body(client) -> None:
    doc = (await client.get("/schema/openapi.json")).json()
    pdf = doc["paths"]["/reports/village/{filename}"]["get"]["responses"]["200"]
    last_modified = pdf["headers"]["last-modified"]["schema"]
    assert "format" not in last_modified
    assert re.fullmatch(last_modified["pattern"], "Sun, 06 Nov 1994 08:49:37 GMT")
    assert "content" not in doc["paths"]["/api/session"]["delete"]["responses"]["204"]


async def test_options_allows_every_method_of_the_path(client) -> None:
    for path, methods in (
        ("/api/forms/household/submissions", "GET, OPTIONS, POST"),
        ("/api/users", "GET, OPTIONS, POST"),
        ("/api/users/1", "GET, OPTIONS, PATCH"),
        ("/api/session", "DELETE, OPTIONS, POST"),
    ):
        response = await client.options(path)
        assert (response.status_code, response.headers["allow"]) == (204, methods), path


async def test_an_id_past_sqlites_integers_is_not_found(client, world) -> None:
    huge = "/api/users/20318183225732964926531567616/tokens"
    response = await client.get(huge, headers=world.as_("admin"))
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    doc = (await client.get("/schema/openapi.json")).json()
    assert "404" in doc["paths"]["/api/users/{user_id}/tokens"]["get"]["responses"]


async def test_openapi_says_what_the_designer_and_export_routes_answer(client) -> None:
    doc = (await client.get("/schema/openapi.json")).json()
    save = doc["paths"]["/api/forms/{form_id}/draft"]["put"]
    assert {"200", "201", "400", "413", "415"} <= set(save["responses"])
    assert "application/json" in save["requestBody"]["content"]
    diff = doc["paths"]["/api/forms/{form_id}/diff"]["get"]
    patterns = {p["name"]: p["schema"].get("pattern") for p in diff["parameters"]}
    assert re.fullmatch(patterns["from"], "12") and re.fullmatch(patterns["to"], "draft")
    assert not re.fullmatch(patterns["from"], "00000000000")
    export = doc["paths"]["/api/forms/{form_id}/export"]["get"]["responses"]["200"]
    assert set(export["content"]) == set(MEDIA_TYPES.values())


async def test_openapi_says_what_the_needs_and_review_routes_answer(client) -> None:
    doc = (await client.get("/schema/openapi.json")).json()
    for path in ("/api/needs/{need_id}/steps", "/api/submissions/{submission_id}/reviews"):
        assert {"200", "201", "409"} <= set(doc["paths"][path]["post"]["responses"]), path
    workload = doc["paths"]["/api/needs/workload"]["get"]
    by = next(p for p in workload["parameters"] if p["name"] == "by")
    assert set(by["schema"]["enum"]) == {"cadre", "unit"}


async def test_an_empty_after_is_the_first_page_of_needs(client, world) -> None:
    first = await client.get("/api/needs?limit=5", headers=world.as_("admin"))
    empty = await client.get("/api/needs?limit=5&after=", headers=world.as_("admin"))
    assert first.status_code == empty.status_code == 200, empty.text
    assert first.json() == empty.json()


async def test_openapi_says_which_needs_filters_are_valid(client, world) -> None:
    doc = (await client.get("/schema/openapi.json")).json()
    params = {p["name"]: p["schema"] for p in doc["paths"]["/api/needs"]["get"]["parameters"]}
    status, under = params["status"]["pattern"], params["under"]["pattern"]
    for value, ok in (("solved", True), ("unclosed", True), ("", True), ("active", False)):
        assert bool(re.fullmatch(status, value)) is ok, value
        answer = await client.get(f"/api/needs?status={value}", headers=world.as_("admin"))
        assert (answer.status_code == 200) is ok, (value, answer.text)
    for value, ok in (("62", True), ("620523102201", True), ("620", False), ("÷", False)):
        assert bool(re.fullmatch(under, value)) is ok, value
        answer = await client.get(f"/api/needs?under={value}", headers=world.as_("admin"))
        assert (answer.status_code == 200) is ok, (value, answer.text)
