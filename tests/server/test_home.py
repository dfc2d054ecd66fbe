from __future__ import annotations

from forms.demo import demo_villages
from server.places import upsert_villages


async def test_home_links_the_surveys_and_every_report(client) -> None:
    app = client.app
    villages = demo_villages()
    await upsert_villages(app.state.db, villages, actor="test")
    response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    html = response.text
    assert 'href="/f/household?lang=zh"' in html
    assert f'href="/reports/county/{villages[0]["county_code"]}.pdf?lang=zh"' in html
    for village in villages:
        assert f'href="/reports/village/{village["code"]}.pdf?lang=zh"' in html


async def test_home_speaks_english_when_asked(client) -> None:
    response = await client.get("/", headers={"Accept-Language": "en"})
    assert "Surveys" in response.text
    assert "Household needs assessment" in response.text
