"""Officials review answers; the cadre reads the latest word; reports leave rejected ones out."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from reports.draw import Period, Scope
from reports.figures import build_report
from tests.conftest import new_id
from tests.server.test_needs import days_ago, store
from tests.world import A1, VILLAGE_A

LINE = 2952.0


async def review(
    client: Any, world: Any, sid: str, decision: str, comment: str | None = None
) -> Any:
    """An official of the county's review of answer `sid`."""
    body = {"id": new_id(), "decision": decision, **({"comment": comment} if comment else {})}
    return await client.post(
        f"/api/submissions/{sid}/reviews", json=body, headers=world.as_("official")
    )


async def test_an_official_reviews_and_the_cadre_reads_the_latest_word(
    client, world, household
) -> None:
    sid = await store(client, household)
    first = await review(client, world, sid, "has_issues", "家庭成员的出生日期与身份证号不符")
    assert first.status_code == 201, first.text
    assert first.json()["reviewer_name"] == "测试official"
    second = await review(client, world, sid, "approved")
    assert second.status_code == 201

    answer = (await client.get(f"/api/submissions/{sid}")).json()  # as cadre_a
    assert (answer["review"]["decision"], answer["review"]["comment"]) == ("approved", None)
    history = (await client.get(f"/api/submissions/{sid}/reviews")).json()
    assert [r["decision"] for r in history] == ["has_issues", "approved"]  # kept, in order
    mine = (await client.get("/api/me/reviews")).json()
    assert [(r["submission_id"], r["review"]["decision"]) for r in mine] == [(sid, "approved")]
    assert mine[0]["head_name"] == household["household"]["head_name"]
    assert (await client.get("/api/me/reviews", headers=world.as_("cadre_b"))).json() == []


async def test_a_review_finding_fault_needs_a_comment_in_the_askers_language(
    client, world, household
) -> None:
    sid = await store(client, household)
    for decision in ("has_issues", "rejected"):
        response = await review(client, world, sid, decision)
        assert response.status_code == 422
        assert [(e["path"], e["code"]) for e in response.json()["errors"]] == [
            ("/comment", "required")
        ]
    english = await client.post(
        f"/api/submissions/{sid}/reviews?lang=en",
        json={"id": new_id(), "decision": "maybe"},
        headers=world.as_("official"),
    )
    assert english.json()["errors"][0]["message"].startswith("Decision must be one of")
    long = await review(client, world, sid, "rejected", "错" * 501)
    assert long.json()["errors"][0]["code"] == "maxLength"


async def test_resend_is_200_other_body_409_and_each_review_is_audited(
    client, world, household, settings
) -> None:
    sid = await store(client, household)
    body = {"id": new_id(), "decision": "rejected", "comment": "调查日期有误"}
    url, headers = f"/api/submissions/{sid}/reviews", world.as_("official")
    first = await client.post(url, json=body, headers=headers)
    again = await client.post(url, json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    other = await client.post(url, json={**body, "comment": "另一条"}, headers=headers)
    assert other.status_code == 409
    with sqlite3.connect(settings.db_path) as conn:
        rows = conn.execute(
            "SELECT actor, target, detail FROM audit_log WHERE action = 'submission.review'"
        ).fetchall()
    assert rows == [
        (
            f"user:{world.user_ids['official']}",
            f"submission:{sid}",
            json.dumps({"decision": "rejected", "review": body["id"]}),
        )
    ]


async def test_only_officials_of_the_area_and_admins_review(client, world, household) -> None:
    sid = await store(client, household)
    for persona, status in (
        ("official_other", 404),
        ("cadre_a", 404),
        ("designer", 404),
        ("admin", 201),
        ("anonymous", 401),
    ):
        response = await client.post(
            f"/api/submissions/{sid}/reviews",
            json={"id": new_id(), "decision": "approved"},
            headers=world.as_(persona),
        )
        assert response.status_code == status, persona


async def test_reports_leave_a_rejected_answer_out_and_count_the_one_before(
    client, world, household
) -> None:
    earlier = json.loads(json.dumps(household))
    earlier["survey"]["date"] = days_ago(40)
    earlier["household"]["category"] = "tekun_poor"
    household["survey"]["date"] = days_ago(5)
    household["household"]["category"] = "dibao_poor"
    first = await store(client, earlier)
    later = await store(client, household)

    def drawn() -> dict[str, int]:
        report = build_report(
            client.app.state.settings.db_path, Scope("village", VILLAGE_A), Period(), LINE
        )
        return {c: hh for c, hh, _ in report.figures.categories if hh}

    assert drawn() == {"dibao_poor": 1}
    assert (await review(client, world, later, "rejected", "收入填错")).status_code == 201
    assert drawn() == {"tekun_poor": 1}  # its last answer not rejected, counted once
    assert (await review(client, world, first, "rejected", "也有误")).status_code == 201
    assert drawn() == {}  # nothing of it is counted while every answer is rejected
    # The rejected answer is corrected: the correction counts, the rejected one is kept.
    fixed = await store(client, household, corrects=later)
    assert drawn() == {"dibao_poor": 1}
    rejected = (await client.get(f"/api/submissions/{later}")).json()
    assert (rejected["corrected_by"], rejected["review"]["decision"]) == (fixed, "rejected")
    assert rejected["household_id"] == A1


async def test_an_official_reviews_on_the_answers_page_without_javascript(
    client, world, household
) -> None:
    import re
    from urllib.parse import urlencode

    sid = await store(client, household)
    official = world.as_("official")
    listing = await client.get("/answers?state=unreviewed", headers=official)
    assert f'href="/answers/{sid}?lang=zh"' in listing.text
    page = await client.get(f"/answers/{sid}", headers=official)
    assert page.status_code == 200 and "提交审核意见" in page.text
    review_id = re.search(r'name="_id" value="([0-9a-f-]{36})"', page.text)
    assert review_id
    form = {"Content-Type": "application/x-www-form-urlencoded", **official}
    missing = await client.post(
        f"/answers/{sid}/review",
        content=urlencode({"_id": review_id.group(1), "decision": "rejected"}),
        headers=form,
    )
    assert missing.status_code == 422 and "须写明原因" in missing.text
    body = {"_id": review_id.group(1), "decision": "rejected", "comment": "人均纯收入明显偏高"}
    for _ in range(2):  # the second tap stores nothing more
        sent = await client.post(
            f"/answers/{sid}/review", content=urlencode(body), headers=form, follow_redirects=False
        )
        assert sent.status_code == 303
    assert len((await client.get(f"/api/submissions/{sid}/reviews")).json()) == 1
    assert "人均纯收入明显偏高" in (await client.get(f"/answers/{sid}", headers=official)).text
    rejected = await client.get("/answers?state=rejected", headers=official)
    assert f"/answers/{sid}?" in rejected.text
    # The cadre reads it, on the answer's page and on the needs page, with no form.
    mine = await client.get(f"/answers/{sid}")
    assert "人均纯收入明显偏高" in mine.text and "提交审核意见" not in mine.text
    assert "人均纯收入明显偏高" in (await client.get("/needs/mine")).text


async def test_a_review_changes_the_report_cache_fingerprint(client, world, household) -> None:
    from reports.draw import connect_readonly, fingerprint_row

    sid = await store(client, household)

    def fingerprint(code: str) -> tuple[object, ...]:
        conn = connect_readonly(client.app.state.settings.db_path)
        try:
            return fingerprint_row(conn, Scope("village", code), Period())
        finally:
            conn.close()

    before, elsewhere = fingerprint(VILLAGE_A), fingerprint("620523106203")
    assert (await review(client, world, sid, "approved")).status_code == 201
    assert fingerprint(VILLAGE_A) != before
    assert fingerprint("620523106203") == elsewhere  # another village's report stays cached
