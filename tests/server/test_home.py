from __future__ import annotations

import re
import uuid

from forms.demo import demo_villages
from server.auth import Principal
from server.households import HouseholdCreate, propose_household
from server.places import upsert_villages
from tests.world import COUNTY, OTHER_COUNTY, VILLAGE_A, VILLAGE_B, VILLAGE_C


def _reports(html: str) -> set[str]:
    return set(re.findall(r'href="/reports/((?:county|village)/\d+)\.pdf', html))


async def test_admin_home_links_the_surveys_every_report_and_the_admin_pages(client, world) -> None:
    villages = demo_villages()
    await upsert_villages(client.app.state.db, villages, actor="test")
    response = await client.get("/", headers=world.as_("admin"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"
    html = response.text
    assert 'href="/f/household?lang=zh"' in html
    assert f'href="/reports/county/{villages[0]["county_code"]}.pdf?lang=zh"' in html
    for village in villages:
        assert f'href="/reports/village/{village["code"]}.pdf?lang=zh"' in html
    for page in ("/admin/people", "/admin/pairings", "/admin/import", "/admin/audit"):
        assert f'href="{page}?lang=zh"' in html


async def test_home_speaks_english_when_asked(client, world) -> None:
    response = await client.get("/", headers={"Accept-Language": "en"})
    assert "My households" in response.text and "Propose and survey it" in response.text
    anonymous = await client.get("/", headers={"Accept-Language": "en", **world.as_("anonymous")})
    assert "Household needs assessment" in anonymous.text


async def test_anonymous_home_is_the_way_to_log_in_and_nothing_else(client, world) -> None:
    response = await client.get("/", headers=world.as_("anonymous"))
    assert response.status_code == 200
    assert 'href="/login?lang=zh"' in response.text
    assert not _reports(response.text)
    assert "/f/household" not in response.text
    assert "/admin" not in response.text


async def test_official_home_lists_the_reports_of_their_county_only(client, world) -> None:
    html = (await client.get("/", headers=world.as_("official"))).text
    reports = _reports(html)
    assert f"county/{COUNTY}" in reports and f"village/{VILLAGE_A}" in reports
    assert f"village/{VILLAGE_B}" in reports
    assert f"county/{OTHER_COUNTY}" not in reports and f"village/{VILLAGE_C}" not in reports
    assert "/admin/people" not in html


async def test_official_home_lists_the_households_proposed_in_their_area(client, world) -> None:
    cadre = Principal("user", user_id=world.user_ids["cadre_a"], role="cadre", name="a")
    await propose_household(
        client.app.state.db,
        cadre,
        HouseholdCreate(
            id=uuid.uuid4(), village_code=VILLAGE_A, head_name="新户甲", category="general"
        ),
    )
    mine = (await client.get("/", headers=world.as_("official"))).text
    assert "新户甲" in mine and 'href="/households/proposed?lang=zh"' in mine
    other = (await client.get("/", headers=world.as_("official_other"))).text
    assert "新户甲" not in other


async def test_cadre_home_lists_their_households_and_the_survey(client, world) -> None:
    html = (await client.get("/", headers=world.as_("cadre_a"))).text
    for key in ("A1", "A2"):
        assert f'href="/f/household?household={world.households[key]}&amp;lang=zh"' in html
    assert world.households["B1"] not in html and world.households["C1"] not in html
    assert not _reports(html)  # paired with households, not with a village
    village_cadre = (await client.get("/", headers=world.as_("cadre_b"))).text
    assert _reports(village_cadre) == {f"village/{VILLAGE_B}"}


async def test_cadre_home_groups_households_by_village_with_its_qr_sheet(client, world) -> None:
    html = (await client.get("/", headers=world.as_("cadre_a"))).text
    assert html.count('class="village"') == 1  # A1 and A2 are both of village A
    assert f'href="/reports/village/{VILLAGE_A}/qr.pdf?lang=zh"' in html
    assert f'href="/households/{world.households["A1"]}?lang=zh"' in html
    assert 'href="/f/household?lang=zh"' not in html  # a survey is of a household
    # What the phone's script keeps it with: who the page is for, and the words it speaks.
    assert '"user": "cadre_a"' in html and 'id="ms-words"' in html
    # Proposing a household the roster lacks: in a village the cadre works in.
    assert 'action="/households?lang=zh"' in html
    assert f'<option value="{VILLAGE_A}"' in html and VILLAGE_B not in html


async def test_cadre_proposes_a_household_without_javascript_and_surveys_it(client, world) -> None:
    new_id = str(uuid.uuid4())
    fields = {"id": new_id, "village_code": VILLAGE_A, "head_name": "新户戊", "category": "general"}
    for _ in range(2):  # sent twice (a double tap, a resend): proposed once
        response = await client.post(
            "/households",
            data={**fields, "head_id_number": "", "group_name": "五组"},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        assert response.headers["location"] == f"/f/household?household={new_id}&lang=zh"
    found = await client.get(f"/api/households/{new_id}")
    assert found.json()["status"] == "proposed" and found.json()["group_name"] == "五组"
    assert (await client.get(response.headers["location"])).status_code == 200
    mine = (await client.get("/api/me/households")).json()
    assert [h["status"] for h in mine if h["id"] == new_id] == ["proposed"]


async def test_a_wrong_proposal_is_shown_again_with_what_was_wrong(client, world) -> None:
    fields = {"id": str(uuid.uuid4()), "village_code": VILLAGE_A, "category": "general"}
    response = await client.post(
        "/households", data={**fields, "head_name": "新户己", "head_id_number": "6205 23"}
    )
    assert response.status_code == 422
    assert "身份证号应为 18 位" in response.text and 'value="新户己"' in response.text
    assert f'value="{fields["id"]}"' in response.text  # sent again, still proposed once
    elsewhere = await client.post(
        "/households", data={**fields, "village_code": VILLAGE_B, "head_name": "新户庚"}
    )
    assert elsewhere.status_code == 403  # not a village cadre_a works in


async def test_designer_home_lists_the_forms_and_no_report(client, world) -> None:
    html = (await client.get("/", headers=world.as_("designer"))).text
    assert 'href="/f/household?lang=zh"' in html and 'href="/api/forms/household"' in html
    assert not _reports(html)
    assert "我的联系户" not in html


async def test_a_households_link_home_leads_to_its_form(client, world) -> None:
    html = (await client.get("/", headers=world.as_("household"))).text
    assert 'href="/f/household?lang=zh"' in html
    assert not _reports(html)


async def test_the_period_chosen_on_the_front_page_goes_into_every_report_link(
    client, world
) -> None:
    html = (await client.get("/?from=2026-07-01&to=2026-09-30", headers=world.as_("official"))).text
    assert re.search(r'<form class="period" method="get" action="/">', html)
    assert 'name="from" value="2026-07-01"' in html and 'name="to" value="2026-09-30"' in html
    # The reports, not the households' QR sheets, which no period changes.
    links = re.findall(r'href="(/reports/(?:village|county)/\d+\.pdf[^"]*)"', html)
    assert links
    for link in links:
        assert link.endswith("&amp;from=2026-07-01&amp;to=2026-09-30"), link
    only_start = (await client.get("/?from=2026-07-01", headers=world.as_("official"))).text
    assert f'href="/reports/county/{COUNTY}.pdf?lang=zh&amp;from=2026-07-01"' in only_start


async def test_a_bad_date_on_the_front_page_is_named(client, world) -> None:
    response = await client.get("/?from=2026-13-01", headers=world.as_("official"))
    assert response.status_code == 400
    assert "from" in response.text and "2026-13-01" in response.text


async def test_admins_and_officials_find_the_exports_and_cadres_do_not(client, world) -> None:
    for persona in ("admin", "official"):
        html = (await client.get("/", headers=world.as_(persona))).text
        for format in ("xlsx", "csv", "jsonl"):
            assert f'href="/api/forms/household/export?lang=zh&amp;format={format}"' in html
        assert 'href="/api/forms/household/summary.pdf?lang=zh"' in html
    html = (await client.get("/?from=2026-01-01", headers=world.as_("official"))).text
    assert 'href="/api/forms/household/summary.pdf?lang=zh&amp;from=2026-01-01"' in html
    for persona in ("cadre_a", "designer"):
        assert "/export?" not in (await client.get("/", headers=world.as_(persona))).text
