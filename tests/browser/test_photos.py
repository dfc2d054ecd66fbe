"""The house's photo and location on a phone: taken offline, shrunk, sent once with the answer."""

from __future__ import annotations

import io
import json
import random
import sqlite3
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

from tests.browser.conftest import new_phone, new_tab, shot
from tests.browser.test_form_browser import (
    READY,
    api,
    fast_fill,
    open_form,
    stored_count,
    tap,
    to_summary,
    wait_until,
)

pytestmark = pytest.mark.browser
PHOTO = ".media[data-widget=photo]"
LOCATION = ".media[data-widget=location]"
KEPT = """async () => {
  const db = await new Promise((ok, no) => {
    const r = indexedDB.open('minsheng-photos', 1);
    r.onupgradeneeded = () => r.result.createObjectStore('photos', { keyPath: 'id' });
    r.onsuccess = () => ok(r.result);
    r.onerror = () => no(r.error);
  });
  const all = await new Promise((ok) => {
    const q = db.transaction('photos').objectStore('photos').getAll();
    q.onsuccess = () => ok(q.result);
  });
  const out = [];
  for (const p of all) {
    const bitmap = await createImageBitmap(p.blob);
    const { width, height } = bitmap;
    out.push({ id: p.id, size: p.blob.size, type: p.blob.type, width, height });
  }
  db.close();
  return out;
}"""


def camera_photo(path: Path) -> Path:
    """A phone camera's picture: 4000x3000, detailed enough to weigh megabytes."""
    rng = random.Random(9)
    image = Image.linear_gradient("L").resize((4000, 3000)).convert("RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(3000):
        x, y = rng.randrange(4000), rng.randrange(3000)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.rectangle((x, y, x + rng.randrange(4, 90), y + rng.randrange(4, 90)), fill=colour)
    image.paste(Image.effect_noise((4000, 600), 60).convert("RGB"), (0, 2400))
    image.save(path, "JPEG", quality=92)
    return path


def admin_get(server: str, path: str) -> bytes:
    request = urllib.request.Request(
        server + path, headers={"Authorization": "Bearer mst_test_admin"}
    )
    with urllib.request.urlopen(request) as response:
        return bytes(response.read())


def to_page(page: Any, path: str) -> None:
    for _ in range(8):
        if page.is_visible(f'section.page[data-path="{path}"]'):
            return
        tap(page, "#next")
    raise AssertionError(f"no page {path}")


@pytest.fixture
def phone(browser: Any, server: str) -> Any:
    context = new_phone(browser, server)
    context.grant_permissions(["geolocation"])
    context.set_geolocation({"latitude": 34.731234, "longitude": 105.254321, "accuracy": 14})
    yield new_tab(context)
    context.close()


def test_a_photo_and_location_taken_offline_arrive_once_with_the_answer(
    phone, server, household, tmp_path
) -> None:
    page = phone
    big = camera_photo(tmp_path / "IMG_0001.jpg")
    assert big.stat().st_size > 1_500_000
    uploads: list[int] = []

    def count_upload(r: Any) -> None:
        if r.request.method == "PUT" and "/api/media/" in r.url:
            uploads.append(r.status)

    page.on("response", count_upload)
    open_form(page)
    page.evaluate("navigator.serviceWorker.ready")
    wait_until(page, "caches.has('ms-pages-1')")
    page.context.set_offline(True)  # a village without signal: GPS and the camera still work
    fast_fill(page, household)
    to_page(page, "/living")

    page.set_input_files(f"{PHOTO} input[type=file]", str(big))
    page.wait_for_selector(f"{PHOTO} .shot img")
    kept = page.evaluate(KEPT)
    assert len(kept) == 1
    assert kept[0]["size"] <= 200 * 1024 and kept[0]["type"] == "image/jpeg"
    assert max(kept[0]["width"], kept[0]["height"]) <= 1280
    photo_id = kept[0]["id"]
    assert page.input_value(f"{PHOTO} input[type=hidden]") == photo_id
    assert "KB" in page.inner_text(f"{PHOTO} .shot")

    tap(page, f"{LOCATION} .locate")
    wait_until(
        page,
        "document.querySelector('.media[data-widget=location] .fix').textContent.includes('14')",
    )
    assert "34.731234" in page.inner_text(f"{LOCATION} .fix")
    page.locator(PHOTO).scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, -60)")
    shot(page, "photo-location-360")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    to_summary(page)
    assert "住房照片" in page.inner_text("#summary") and "已拍照片" in page.inner_text("#summary")
    before = stored_count(server)
    tap(page, "#send")
    wait_until(page, "document.querySelectorAll('#records li.waiting').length === 1")
    page.reload()  # the phone's browser killed meanwhile: the answer and its photo wait on
    page.wait_for_selector(READY)
    assert stored_count(server) == before and uploads == []

    page.context.set_offline(False)
    wait_until(page, "document.querySelectorAll('#records li.sent').length === 1", timeout=20)
    assert uploads == [201]
    assert stored_count(server) == before + 1
    newest = api(server, "/api/forms/household/submissions?limit=500")["items"][-1]
    living = newest["answers"]["living"]
    assert living["house_photo"] == photo_id
    assert living["location"]["lat"] == 34.731234 and living["location"]["accuracy_m"] == 14
    stored = admin_get(server, f"/api/media/{photo_id}")
    assert len(stored) == kept[0]["size"] and stored[:3] == b"\xff\xd8\xff"
    with Image.open(io.BytesIO(stored)) as image:
        assert max(image.size) <= 1280
    # Sent: the phone lets its copy go, the server has it.
    wait_until(page, "indexedDB.databases().then(() => true)")
    assert page.evaluate(KEPT) == []
    page.evaluate("document.getElementById('send-now').click()")
    page.wait_for_timeout(300)
    assert stored_count(server) == before + 1 and uploads == [201]

    # 更正: the copy names the same photo, which the phone let go; the server has it, and
    # shows it to its uploader.
    tap(page, "#state .correct")
    page.wait_for_selector("#page-0:not([hidden])")
    to_page(page, "/living")
    page.wait_for_selector(f'{PHOTO} .shot img[src="/api/media/{photo_id}"]')
    wait_until(page, f"document.querySelector('{PHOTO} .shot img').naturalWidth > 0")
    to_summary(page)
    tap(page, "#send")
    wait_until(page, "document.querySelectorAll('#records li.sent').length === 2", timeout=20)
    correction = api(server, "/api/forms/household/submissions?limit=500")["items"][-1]
    assert correction["corrects"] == newest["id"]
    assert correction["answers"]["living"]["house_photo"] == photo_id and uploads == [201]
    errors = [e for e in page.console_errors if "ERR_INTERNET_DISCONNECTED" not in e]
    assert not errors, json.dumps(errors)


def test_a_photo_the_server_no_longer_has_is_uploaded_again(
    phone, server, seeded, household, tmp_path
) -> None:
    """A photo uploaded, then its answer not sent (the network went), then the photo pruned
    on the server (`minsheng db prune-photos`): the answer's 422 photo_missing makes the
    phone upload it again and send the answer, once."""
    page = phone
    uploads: list[int] = []

    def count_upload(r: Any) -> None:
        if r.request.method == "PUT" and "/api/media/" in r.url:
            uploads.append(r.status)

    page.on("response", count_upload)
    open_form(page)
    fast_fill(page, household)
    to_page(page, "/living")
    page.set_input_files(f"{PHOTO} input[type=file]", str(camera_photo(tmp_path / "a.jpg")))
    page.wait_for_selector(f"{PHOTO} .shot img")
    photo_id = page.evaluate(KEPT)[0]["id"]
    to_summary(page)
    before = stored_count(server)
    # The photo goes up; the answer after it does not (the signal went).
    lost: list[str] = []

    def signal_gone(route: Any) -> None:
        lost.append(route.request.url)
        route.abort()

    page.route("**/api/forms/household/submissions*", signal_gone)
    tap(page, "#send")
    wait_until(page, "document.querySelectorAll('#records li.waiting').length === 1")
    for _ in range(200):  # the record waits at once; its photo and answer go after it
        if lost:
            break
        page.wait_for_timeout(100)
    assert lost and uploads == [201] and stored_count(server) == before
    conn = sqlite3.connect(seeded[0])
    with conn:
        assert conn.execute("DELETE FROM media WHERE id = ?", (photo_id,)).rowcount == 1
    conn.close()
    page.unroute("**/api/forms/household/submissions*")
    page.evaluate("document.getElementById('send-now').click()")
    wait_until(page, "document.querySelectorAll('#records li.sent').length === 1", timeout=20)
    assert uploads == [201, 201] and stored_count(server) == before + 1
    assert admin_get(server, f"/api/media/{photo_id}")[:3] == b"\xff\xd8\xff"


def test_a_discarded_draft_takes_its_photo_with_it(phone, household, tmp_path) -> None:
    page = phone
    open_form(page)
    fast_fill(page, household)
    to_page(page, "/living")
    page.set_input_files(f"{PHOTO} input[type=file]", str(camera_photo(tmp_path / "b.jpg")))
    page.wait_for_selector(f"{PHOTO} .shot img")
    wait_until(page, "document.querySelector('.media[data-widget=photo] input[type=hidden]').value")
    assert len(page.evaluate(KEPT)) == 1
    tap(page, "#to-records")
    wait_until(page, "document.querySelectorAll('#records li.draft').length === 1")
    page.once("dialog", lambda d: d.accept())
    tap(page, "#records li.draft .discard")
    wait_until(page, "document.querySelectorAll('#records li.draft').length === 0")
    wait_until(page, f"({KEPT})().then((kept) => kept.length === 0)", timeout=5)
