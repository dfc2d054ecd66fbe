"""What the phone checks with (forms/client.py), and that it agrees with the server."""

from __future__ import annotations

import copy
import json
import subprocess
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from forms import form_post
from forms.client import client_data, validation_schema
from forms.rules import MESSAGES as RULE_MESSAGES
from forms.rules import id_number_check_digit
from forms.validate import check_answers, localize

STATIC = Path(__file__).resolve().parents[2] / "forms" / "static"


def test_validation_schema_keeps_properties_named_like_annotations(schema) -> None:
    stripped = validation_schema(schema)
    assert "title" not in stripped
    assert "description" in stripped["properties"]["needs"]["items"]["properties"]


def _rule_cases(household: dict[str, Any]) -> list[Any]:
    """Answers that, between them, break every form rule and many schema keywords."""
    broken = copy.deepcopy(household)
    broken["survey"].update(date="2024-13-01", surveyor="x", bogus=1)
    broken["household"].update(village_code="12", special=["x", "x"])
    idn = broken["members"][0]["id_number"]
    broken["members"][0].update(
        id_number=idn[:17] + ("0" if idn[17] != "0" else "1"),
        health="disabled",
        migrant_work="none",
        migrant_months=3,
    )
    broken["living"] = {"floor_area": 0, "structure": "adobe"}
    broken["income"]["wages"] = -1
    twins = copy.deepcopy(household)  # the same ID number twice, and two heads
    twins["members"][0].update(migrant_work="county", migrant_months=13, name=5)
    twins["members"].append(copy.deepcopy(twins["members"][0]))
    land = copy.deepcopy(household)  # exact ties, which Python rounds to even
    land["production"].update(cultivated_land=1.375, irrigated_land=2.125)
    land["causes"] = {"main_cause": "illness", "other_causes": ["land", "illness"]}
    land["income"] = {
        "wages": 100000.125,
        "business_income": 0,
        "business_expense": 0,
        "property_income": 0,
        "transfers": {"dibao": 0, "pension": 0, "eco_compensation": 0, "other": 0},
    }
    disabled = copy.deepcopy(household)
    disabled["members"][0].update(health="chronic", disease="高血压", relation="spouse")
    no_birthday = "62052319991340123"  # 1999-13-40
    disabled["members"].append({"id_number": no_birthday + id_number_check_digit(no_birthday)})
    disabled["causes"] = {"main_cause": "disability", "other_causes": ["disability"]}
    disabled["income"]["business_expense"] = 99999.5
    schooling = copy.deepcopy(household)
    member = schooling["members"][0]
    member.update(sex="male" if member["sex"] == "female" else "female", birth_date="2001-02-03")
    schooling["members"] += ["not a member", {"relation": "head", "id_number": "x"}]
    schooling["causes"] = {"main_cause": "schooling"}
    schooling["income"]["transfers"]["other"] = 0.1
    return [household, broken, twins, land, disabled, schooling, [], "not an object"]


def test_phone_finds_the_same_issues_as_the_server(schema, household) -> None:
    cases = _rule_cases(household)
    script = (
        f"import {{ issues, message, useLogic }} from '{STATIC / 'check.js'}';\n"
        f"import * as logic from '{STATIC / 'logic.js'}';\n"
        "useLogic(logic);\n"
        "import fs from 'fs';\n"
        "const [data, cases] = JSON.parse(fs.readFileSync(0, 'utf8'));\n"
        "console.log(JSON.stringify(cases.map((a) => issues(data, a, '2026-01-01')"
        ".map((i) => [i.path, i.code, i.message || message(data, i)]).sort())));\n"
    )
    codes: set[str] = set()
    for lang in ("zh", "en"):
        run = subprocess.run(
            ["node", "--input-type=module", "-e", script],
            input=json.dumps([client_data("household", 1, schema, lang), cases]),
            capture_output=True,
            text=True,
            check=True,
        )
        phone = json.loads(run.stdout)
        for answers, found in zip(cases, phone, strict=True):
            server = localize(check_answers("household", schema, answers, date(2026, 1, 1)), lang)
            codes |= {i["code"] for i in server}
            assert sorted(found) == sorted([i["path"], i["code"], i["message"]] for i in server)
    assert set(RULE_MESSAGES) <= codes, set(RULE_MESSAGES) - codes


def test_phone_reads_typed_text_as_a_plain_post_does(schema) -> None:
    props = schema["properties"]
    nodes = {
        "integer": props["production"]["properties"]["livestock"]["properties"]["cattle"],
        "number": props["income"]["properties"]["wages"],
        "id_number": props["members"]["items"]["properties"]["id_number"],
        "village_code": props["household"]["properties"]["village_code"],
        "name": props["household"]["properties"]["head_name"],
    }
    texts = [
        "8500", "8500-", "36..000", " 12 ", "８５００", "３．５", "-0", "1e3", "1e999", "+7",
        "1,000", "", " 620523197501021231 ", "６２０５２３１９７５０１０２１２３ｘ",
        "620523 1975 0102 123x", "x", "王 芳", "1" * 41, "0." + "0" * 39,
    ]  # fmt: skip
    cases = [[validation_schema(node), text] for node in nodes.values() for text in texts]
    script = (
        f"import {{ typed }} from '{STATIC / 'check.js'}';\n"
        "import fs from 'fs';\n"
        "const cases = JSON.parse(fs.readFileSync(0, 'utf8'));\n"
        "console.log(JSON.stringify(cases.map(([node, text]) => typed(node, text))));\n"
    )
    run = subprocess.run(
        ["node", "--input-type=module", "-e", script],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        check=True,
    )
    server = [form_post.typed(node, text) for node, text in cases]

    def as_json(v: Any) -> Any:  # a JSON number is a double, however it is written
        return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else v

    assert [as_json(v) for v in json.loads(run.stdout)] == [as_json(v) for v in server]
    assert form_post.typed(nodes["id_number"], "620523 1975 0102 123x") == "62052319750102123X"


def test_phone_reads_today_in_the_servers_zone_not_its_own() -> None:
    zones = ["Pacific/Kiritimati", "Pacific/Pago_Pago"]  # 25 hours apart: never the same day
    script = (
        f"import {{ today }} from '{STATIC / 'check.js'}';\n"
        f"console.log(JSON.stringify({json.dumps(zones)}.map(today)));\n"
    )
    run = subprocess.run(
        ["node", "--input-type=module", "-e", script], capture_output=True, text=True, check=True
    )
    assert json.loads(run.stdout) == [datetime.now(ZoneInfo(z)).date().isoformat() for z in zones]
