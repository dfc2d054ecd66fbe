from __future__ import annotations

import asyncio
import io
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from PIL import Image

from server.cli import main
from server.media import MEDIA_LIMIT
from tests.conftest import new_id
from tests.world import A1

SUBMIT = "/api/forms/household/submissions"
JPEG = {"Content-Type": "image/jpeg"}


def jpeg(colour: str = "red", size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


async def upload(client: AsyncTestClient[Any], data: bytes, media_id: str | None = None) -> str:
    media_id = media_id or new_id()
    response = await client.put(f"/api/media/{media_id}", content=data, headers=JPEG)
    assert response.status_code == 201, response.text
    return media_id


def with_photo(household: dict[str, Any], media_id: str) -> dict[str, Any]:
    household["living"]["house_photo"] = media_id
    household["living"]["location"] = {
        "lat": 34.73,
        "lon": 105.25,
        "accuracy_m": 12.5,
        "at": "2026-11-29T08:00:00.000Z",
    }
    return household


async def answer(client: AsyncTestClient[Any], answers: dict[str, Any], **headers: str) -> Any:
    body = {"id": new_id(), "version": 1, "answers": answers, "household_id": A1}
    return await client.post(SUBMIT, json=body, headers=headers)


async def test_a_photo_is_stored_once_and_read_back_by_its_uploader(client) -> None:
    data = jpeg()
    media_id = new_id()
    first = await client.put(f"/api/media/{media_id}", content=data, headers=JPEG)
    again = await client.put(f"/api/media/{media_id}", content=data, headers=JPEG)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert first.json()["size"] == len(data) and first.json()["media_type"] == "image/jpeg"
    read = await client.get(f"/api/media/{media_id}")
    assert read.status_code == 200
    assert read.content == data and read.headers["content-type"] == "image/jpeg"
    rows = await client.app.state.db.fetch_all("SELECT count(*) FROM media")
    assert rows[0][0] == 1


async def test_other_bytes_under_the_same_id_are_a_conflict(client) -> None:
    media_id = await upload(client, jpeg("red"))
    response = await client.put(f"/api/media/{media_id}", content=jpeg("blue"), headers=JPEG)
    assert response.status_code == 409
    assert response.json()["code"] == "media_conflict"
    assert (await client.get(f"/api/media/{media_id}")).content == jpeg("red")


async def _chunked_put(
    client: AsyncTestClient[Any], path: str, chunks: int, size: int, world: Any
) -> tuple[int, int]:
    """PUT `chunks` chunks of `size` bytes straight to the app, with no Content-Length:
    (status, chunks the app read)."""
    read = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal read
        read += 1
        head = b"\xff\xd8\xff" if read == 1 else b""
        return {"type": "http.request", "body": head + bytes(size), "more_body": read < chunks}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    token = world.as_("cadre_a")["Authorization"]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "PUT",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"image/jpeg"), (b"authorization", token.encode())],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
        "state": {},
    }
    await client.app(scope, receive, send)
    return sent[0]["status"], read


async def test_a_photo_over_the_limit_is_refused_while_it_arrives(client, world) -> None:
    too_big = b"\xff\xd8\xff" + bytes(MEDIA_LIMIT)
    response = await client.put(f"/api/media/{new_id()}", content=too_big, headers=JPEG)
    assert response.status_code == 413

    # Without a Content-Length, the body is counted as it comes and reading stops past it.
    status, chunks_read = await _chunked_put(client, f"/api/media/{new_id()}", 40, 10_000, world)
    assert status == 413
    assert chunks_read < 40
    rows = await client.app.state.db.fetch_all("SELECT count(*) FROM media")
    assert rows[0][0] == 0


async def test_only_images_are_taken_by_their_bytes_and_their_type(client) -> None:
    for data, media_type in (
        (b"%PDF-1.7 not a photo", "image/jpeg"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/jpeg"),
        (jpeg(), "image/svg+xml"),
        (jpeg(), "application/octet-stream"),
    ):
        response = await client.put(
            f"/api/media/{new_id()}", content=data, headers={"Content-Type": media_type}
        )
        assert response.status_code == 415, media_type
        assert response.json()["code"] == "unsupported_media_type"
    png = io.BytesIO()
    Image.new("RGB", (8, 8)).save(png, "PNG")
    response = await client.put(
        f"/api/media/{new_id()}", content=png.getvalue(), headers={"Content-Type": "image/png"}
    )
    assert response.status_code == 201 and response.json()["media_type"] == "image/png"


async def test_an_answer_naming_a_photo_not_uploaded_is_refused_at_its_field(
    client, household
) -> None:
    response = await answer(client, with_photo(household, new_id()))
    assert response.status_code == 422
    said = response.json()
    assert said["code"] == "photo_missing"
    assert [e["path"] for e in said["errors"]] == ["/living/house_photo"]
    rows = await client.app.state.db.fetch_all("SELECT count(*) FROM submissions")
    assert rows[0][0] == 0


async def test_an_answer_cannot_name_a_photo_someone_else_uploaded(
    client, world, household
) -> None:
    media_id = new_id()
    response = await client.put(
        f"/api/media/{media_id}", content=jpeg(), headers={**JPEG, **world.as_("admin")}
    )
    assert response.status_code == 201
    response = await answer(client, with_photo(household, media_id))
    assert response.status_code == 422 and response.json()["code"] == "photo_missing"


async def test_a_photo_is_stored_beside_its_answer_and_read_as_the_answer_is(
    client, world, household
) -> None:
    media_id = await upload(client, jpeg())
    response = await answer(client, with_photo(household, media_id))
    assert response.status_code == 201, response.text
    submission_id = response.json()["id"]
    db = client.app.state.db
    linked = await db.fetch_all("SELECT submission_id, path, media_id FROM submission_media")
    assert [tuple(r) for r in linked] == [(submission_id, "/living/house_photo", media_id)]
    row = await db.fetch_one("SELECT submission_id, household_id FROM media")
    assert tuple(row) == (submission_id, A1)
    url = f"/api/media/{media_id}"
    for persona, status in (
        ("anonymous", 401),
        ("admin", 200),
        ("designer", 404),
        ("official", 200),
        ("official_other", 404),
        ("cadre_a", 200),
        ("cadre_b", 404),
    ):
        got = await client.get(url, headers=world.as_(persona))
        assert got.status_code == status, persona


async def test_before_an_answer_names_it_only_the_uploader_sees_a_photo(client, world) -> None:
    media_id = await upload(client, jpeg())
    assert (
        await client.get(f"/api/media/{media_id}", headers=world.as_("admin"))
    ).status_code == 200
    for persona in ("official", "cadre_b"):
        response = await client.get(f"/api/media/{media_id}", headers=world.as_(persona))
        assert response.status_code == 404
        assert media_id in response.json()["detail"]  # the id asked for, nothing more
    assert (await client.get(f"/api/media/{new_id()}")).status_code == 404


async def test_a_correction_may_name_the_photo_of_the_answer_it_corrects(client, household) -> None:
    media_id = await upload(client, jpeg())
    first = await answer(client, with_photo(household, media_id))
    assert first.status_code == 201
    household["survey"]["surveyor"] = "另一个人"
    body = {
        "id": new_id(),
        "version": 1,
        "answers": household,
        "household_id": A1,
        "corrects": first.json()["id"],
    }
    response = await client.post(SUBMIT, json=body)
    assert response.status_code == 201, response.text
    rows = await client.app.state.db.fetch_all("SELECT count(*) FROM submission_media")
    assert rows[0][0] == 2


async def test_a_resent_answer_with_a_photo_is_stored_once(client, household) -> None:
    media_id = await upload(client, jpeg())
    body = {
        "id": new_id(),
        "version": 1,
        "answers": with_photo(household, media_id),
        "household_id": A1,
    }
    first = await client.post(SUBMIT, json=body)
    second = await client.post(SUBMIT, json=body)
    assert (first.status_code, second.status_code) == (201, 200)
    rows = await client.app.state.db.fetch_all("SELECT count(*) FROM submission_media")
    assert rows[0][0] == 1


async def test_who_may_upload(client, world) -> None:
    for persona, status in (
        ("anonymous", 401),
        ("designer", 403),
        ("official", 403),
        ("cadre_b", 201),
    ):
        response = await client.put(
            f"/api/media/{new_id()}", content=jpeg(), headers={**JPEG, **world.as_(persona)}
        )
        assert response.status_code == status, persona


async def test_uploads_are_audited(client) -> None:
    media_id = await upload(client, jpeg())
    rows = await client.app.state.db.fetch_all(
        "SELECT action, target FROM audit_log WHERE action = 'media.upload'"
    )
    assert [tuple(r) for r in rows] == [("media.upload", f"media:{media_id}")]


async def test_photos_no_answer_names_are_pruned_after_days_and_named_ones_kept(
    client, household, settings, capsys
) -> None:
    named, retaken, fresh = [await upload(client, jpeg(c)) for c in ("red", "lime", "blue")]
    assert (await answer(client, with_photo(household, named))).status_code == 201
    db = client.app.state.db
    long_ago = "2026-01-01T00:00:00.000Z"
    await db.write_now(
        lambda conn: conn.execute(
            "UPDATE media SET uploaded_at = ? WHERE id IN (?, ?)", (long_ago, named, retaken)
        )
    )
    prune = ["db", "prune-photos", "--db", str(settings.db_path), "--days", "30"]
    assert await asyncio.to_thread(main, prune) == 0  # the command runs its own event loop
    said = capsys.readouterr().out
    assert "1 photos no answer names, uploaded over 30 days ago, deleted" in said
    assert f"({len(jpeg('lime')):,} bytes)" in said
    left = {r[0] for r in await db.fetch_all("SELECT id FROM media")}
    assert left == {named, fresh}  # the named one however old; the unnamed one still young
    assert (await client.get(f"/api/media/{named}")).content == jpeg("red")
    audit_rows = await db.fetch_all("SELECT detail FROM audit_log WHERE action = 'media.prune'")
    assert len(audit_rows) == 1 and '"photos": 1' in audit_rows[0][0]
    with pytest.raises(SystemExit):  # a photo a moment old may be for an answer on its way
        main(["db", "prune-photos", "--db", str(settings.db_path), "--days", "0"])
