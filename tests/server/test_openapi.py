from __future__ import annotations

import re


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
