"""Roster and place files as county offices hold them, made from the demo households.

`national_export` writes one row per person grouped by household, with the
columns of the national poverty-alleviation system's export (names of the
province down to the village, 户编号, 人编号, 证件号码, 与户主关系, 贫困户属性,
脱贫状态 ...), so tests and demos import what officials would upload.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from forms.demo import CITY_NAME, COUNTY_NAME, demo_villages, roster_entry

EXPORT_HEADERS = (
    "省", "市", "县", "乡镇", "行政村", "村民小组", "户编号", "人编号", "姓名", "证件号码",
    "与户主关系", "性别", "民族", "文化程度", "健康状况", "贫困户属性", "脱贫状态", "联系电话",
    "帮扶责任人", "帮扶单位",
)  # fmt: skip
_RELATION: dict[str, str | dict[str, str]] = {
    "head": "户主",
    "spouse": "配偶",
    "son": "之子",
    "daughter": "之女",
    "daughter_in_law": "之儿媳",
    "son_in_law": "之女婿",
    "parent": {"male": "之父", "female": "之母"},
    "grandparent": {"male": "之祖父", "female": "之祖母"},
    "grandchild": {"male": "之孙子", "female": "之孙女"},
    "other": "其他",
}
_ATTRIBUTE = {
    "ordinary_poor": "一般贫困户",
    "dibao_poor": "低保贫困户",
    "tekun_poor": "特困供养贫困户",
    "non_poor": "一般农户",
}
_STATUS = {"not_out": "未脱贫", "expected_out": "预脱贫", "out": "已脱贫", "returned": "返贫"}
_ETHNICITY = {"han": "汉族", "hui": "回族", "other": "其他"}
_EDUCATION = {
    "illiterate": "文盲或半文盲",
    "preschool": "学龄前儿童",
    "primary": "小学",
    "junior": "初中",
    "senior": "高中",
    "college": "大专及以上",
}
_HEALTH = {"healthy": "健康", "chronic": "长期慢性病", "serious": "患有大病", "disabled": "残疾"}


def relation_label(member: dict[str, Any]) -> str:
    label = _RELATION[member["relation"]]
    return label if isinstance(label, str) else label[member["sex"]]


def export_rows(seed: int, answers: Iterable[dict[str, Any]]) -> list[dict[str, str]]:
    """One row per person, as the national system exports the roster `roster_entry` makes."""
    villages = {v["code"]: v for v in demo_villages()}
    rows = []
    for index, answer in enumerate(answers):
        entry = roster_entry(seed, index, answer)
        section = answer["household"]
        village = villages.get(entry["village_code"], {})
        for number, member in enumerate(answer["members"], start=1):
            rows.append(
                {
                    "省": "甘肃省",
                    "市": CITY_NAME,
                    "县": COUNTY_NAME,
                    "乡镇": village.get("township_name", ""),
                    "行政村": village.get("name", ""),
                    "村民小组": section.get("group", ""),
                    "户编号": entry["roster_no"],
                    "人编号": f"{entry['roster_no']}{number:02d}",
                    "姓名": member["name"],
                    "证件号码": member["id_number"],
                    "与户主关系": relation_label(member),
                    "性别": "男" if member["sex"] == "male" else "女",
                    "民族": _ETHNICITY[member["ethnicity"]],
                    "文化程度": _EDUCATION[member["education"]],
                    "健康状况": _HEALTH[member["health"]],
                    "贫困户属性": _ATTRIBUTE[section["category"]],
                    "脱贫状态": _STATUS.get(section.get("status", ""), ""),
                    "联系电话": section.get("phone", ""),
                    "帮扶责任人": answer["survey"]["surveyor"],
                    "帮扶单位": answer["survey"].get("surveyor_unit", ""),
                }
            )
    return rows


def to_csv(rows: list[dict[str, str]], headers: Iterable[str] | None = None) -> str:
    out = io.StringIO()
    fields = list(headers or dict.fromkeys(k for row in rows for k in row))
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def national_export(
    seed: int, answers: Iterable[dict[str, Any]], encoding: str = "gb18030"
) -> bytes:
    """The roster of these demo answers as a CSV file in `encoding` (GBK-compatible by default)."""
    return to_csv(export_rows(seed, answers), EXPORT_HEADERS).encode(encoding)


def places_file(villages: list[dict[str, Any]] | None = None, encoding: str = "gb18030") -> bytes:
    """The demo county's places, top down, with 区划代码, 名称 and 户数."""
    villages = villages if villages is not None else demo_villages()
    places: dict[str, tuple[str, str]] = {}
    for v in villages:
        places.setdefault(v["code"][:2].ljust(12, "0"), ("甘肃省", ""))
        places.setdefault(v["code"][:4].ljust(12, "0"), (v["city_name"], ""))
        places.setdefault(v["county_code"].ljust(12, "0"), (v["county_name"], ""))
        places.setdefault(v["township_code"].ljust(12, "0"), (v["township_name"], ""))
        places[v["code"]] = (v["name"], str(v.get("households_registered") or ""))
    rows = [{"区划代码": c, "名称": n, "户数": h} for c, (n, h) in sorted(places.items())]
    return to_csv(rows).encode(encoding)
