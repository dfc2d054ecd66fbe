from __future__ import annotations


async def test_openapi_describes_the_submission_api(client) -> None:
    doc = (await client.get("/schema/openapi.json")).json()
    create = doc["paths"]["/api/forms/{form_id}/submissions"]["post"]
    body = create["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["id", "version", "answers"]
    assert {"201", "400", "404", "409", "413", "415", "422"} <= set(create["responses"])
    read = doc["paths"]["/api/submissions/{submission_id}"]["get"]
    assert "404" in read["responses"]
    step = doc["paths"]["/api/submissions/{submission_id}/needs/{index}/followups"]["post"]
    step_body = step["requestBody"]["content"]["application/json"]["schema"]
    assert step_body["required"] == ["id", "status", "happened_on"]
    assert "/f/{form_id}" not in doc["paths"]  # pages are for people, not the API
