"""Demo needs and the steps taken on them, written the way cadres write them.

Split from forms/demo.py: the households come from there; this module makes
what a visit records (needs with descriptions that fit the household) and what
happens to them afterwards (referred, in progress, solved... with dates after
the survey and never after today). Same seeds, same output.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any, TypeVar

T = TypeVar("T")

_LEVEL_NAMES = {
    "senior": "高中",
    "vocational_secondary": "中职",
    "vocational_college": "高职",
    "college": "大学",
}


def weighted(rng: random.Random, pairs: Sequence[tuple[T, float]]) -> T:
    """One value of (value, weight) pairs, drawn with `rng`."""
    return rng.choices([v for v, _ in pairs], weights=[w for _, w in pairs])[0]


def household_needs(
    rng: random.Random, answers: dict[str, Any], ages: list[int]
) -> list[dict[str, Any]]:
    members = answers["members"]
    living = answers["living"]
    candidates: list[tuple[float, dict[str, Any]]] = []

    def add(weight: float, category: str, item: str, description: str, urgency: str) -> None:
        candidates.append(
            (
                weight,
                {
                    "category": category,
                    "item": item,
                    "description": description,
                    "urgency": urgency,
                },
            )
        )

    ill = [m for m in members if m["health"] in ("chronic", "serious")]
    for m in ill[:2]:
        if m["health"] == "serious":
            add(
                6,
                "public_health",
                "serious_illness_care",
                f"{m['name']}患{m['disease']}，治疗费用高，去年自付医疗费约"
                f"{rng.randint(2, 9)}万元，希望纳入大病救治并提高报销比例。",
                "urgent",
            )
        else:
            add(
                3,
                "public_health",
                "medical_insurance",
                f"{m['name']}患{m['disease']}需长期服药，每月药费{rng.randint(2, 8)}百元左右，"
                "希望办理慢性病门诊卡，门诊费用能够报销。",
                "normal",
            )
    for m in [m for m in members if m["health"] == "disabled"][:1]:
        add(
            3,
            "social_security",
            "dibao",
            f"{m['name']}残疾，生活不能完全自理，家里需要有人照顾，希望申请低保和残疾人两项补贴。",
            "normal",
        )
    if living.get("dilapidation") in ("c", "d"):
        add(
            6,
            "infrastructure_housing",
            "housing_renovation",
            f"住房为{'土坯房' if living.get('structure') == 'adobe' else '老旧房屋'}，"
            "墙体开裂、屋顶漏雨，"
            f"经鉴定为{living['dilapidation'].upper()}级危房，雨季住着不安全，希望列入危房改造计划。",
            "urgent" if living["dilapidation"] == "d" else "normal",
        )
    if living.get("floor_area") == 0:
        add(
            8,
            "infrastructure_housing",
            "housing_renovation",
            "家中没有自有住房，目前借住在亲戚家，希望得到建房补助或安排易地搬迁。",
            "urgent",
        )
    if living["water_difficulty"]:
        add(
            5,
            "infrastructure_housing",
            "water",
            "家里吃水靠水窖存雨水，天旱时要到几里外拉水，希望自来水管网能接到家门口。"
            if living["water_source"] == "rainwater"
            else "自来水经常停水，一停就是好几天，只能到村外泉眼挑水，希望解决供水问题。",
            "urgent",
        )
    if not living["sanitary_toilet"]:
        add(
            1.5,
            "environment",
            "toilet",
            "家里还是旱厕，夏天气味大、蚊蝇多，希望纳入改厕项目给予补助。",
            "long_term",
        )
    if living["road"] == "dirt":
        add(
            2.5,
            "infrastructure_housing",
            "road",
            "入户路是土路，下雨后泥泞难走，农用车进不来，希望硬化入户路。",
            "normal",
        )
    students = [
        m
        for m in members
        if m["schooling"] in ("senior", "vocational_secondary", "vocational_college", "college")
    ]
    for m in students[:1]:
        add(
            4,
            "education_culture",
            "student_aid",
            f"{m['name']}在读{_LEVEL_NAMES[m['schooling']]}，"
            "学费和生活费每年要好几千元，希望申请助学金或雨露计划补助。",
            "normal",
        )
    workers = [
        m
        for m, a in zip(members, ages, strict=True)
        if m["labour"] in ("ordinary", "skilled") and a <= 50
    ]
    if workers:
        w = rng.choice(workers)
        if w["migrant_work"] == "none":
            add(
                3,
                "employment",
                "job_placement",
                f"{w['name']}在家务农，农闲时想出去打工，希望帮忙联系省内用工企业。",
                "normal",
            )
        trade = rng.choice(("电焊", "挖掘机驾驶", "厨师", "家政服务", "汽车维修", "苹果树修剪"))
        add(
            2.5,
            "employment",
            "skills_training",
            f"{w['name']}想学{trade}，希望参加县上组织的免费技能培训。",
            "normal",
        )
    weak = [m for m, a in zip(members, ages, strict=True) if m["labour"] == "weak" and a < 65]
    if weak:
        add(
            2,
            "employment",
            "welfare_job",
            f"{weak[0]['name']}身体不好干不了重活，希望安排护林员或村保洁员公益岗位。",
            "normal",
        )
    add(
        1.5,
        "development",
        "industry_support",
        f"想扩大{rng.choice(('肉牛', '肉羊', '花椒', '苹果', '蔬菜'))}种养规模，缺少启动资金，"
        "希望得到产业扶持资金或优良品种。",
        "long_term",
    )
    add(
        1.2,
        "development",
        "microcredit",
        f"想申请{rng.choice((2, 3, 5))}万元扶贫小额信贷发展养殖，希望帮助办理贴息贷款。",
        "normal",
    )
    if answers["household"]["category"] == "non_poor":
        add(1, "other", "other", "希望村上多组织农业技术讲座，及时通知惠农政策。", "long_term")

    wanted = weighted(rng, [(0, 12), (1, 30), (2, 30), (3, 18), (4, 10)])
    chosen: list[dict[str, Any]] = []
    pool = list(candidates)
    while pool and len(chosen) < wanted:
        pick = weighted(rng, [(i, w) for i, (w, _) in enumerate(pool)])
        chosen.append(pool.pop(pick)[1])
    return chosen


# ---------------------------------------------------------------- follow-ups

# Who a need is referred to, by item (else by category).
_FOLLOWUP_UNITS = {
    "water": "甘谷县水务局",
    "road": "甘谷县交通运输局",
    "housing_renovation": "甘谷县住房和城乡建设局",
    "relocation": "甘谷县发展和改革局",
    "toilet": "甘谷县农业农村局",
    "dibao": "甘谷县民政局",
    "emergency_relief": "甘谷县民政局",
    "medical_insurance": "甘谷县医疗保障局",
    "serious_illness_care": "甘谷县医疗保障局",
    "student_aid": "甘谷县教育局",
    "microcredit": "甘谷县乡村振兴局",
    "industry_support": "甘谷县农业农村局",
}
_CATEGORY_UNITS = {
    "employment": "甘谷县人力资源和社会保障局",
    "social_security": "甘谷县民政局",
    "public_health": "甘谷县卫生健康局",
    "environment": "甘谷县农业农村局",
    "development": "甘谷县乡村振兴局",
    "education_culture": "甘谷县教育局",
    "infrastructure_housing": "甘谷县住房和城乡建设局",
}
_RESULTS = {
    "water": "自来水管网已延伸入户，试水正常。",
    "road": "入户路已硬化。",
    "housing_renovation": "已列入危房改造计划，新房已建成入住。",
    "toilet": "已完成改厕，补助资金已发放。",
    "dibao": "已纳入农村低保，按月发放。",
    "medical_insurance": "已办理慢性病门诊卡，门诊费用按规定报销。",
    "serious_illness_care": "已纳入大病救治，住院费用按规定报销。",
    "student_aid": "已申请到雨露计划补助。",
    "microcredit": "扶贫小额信贷已发放，享受财政贴息。",
    "industry_support": "产业扶持资金已拨付到户。",
    "skills_training": "已参加县上组织的免费技能培训并取得证书。",
    "job_placement": "已推荐到省内用工企业务工。",
    "welfare_job": "已安排为村保洁员公益岗位。",
}
_CANNOT = "经核实不符合现行政策条件，已向群众当面解释，群众表示理解。"
_SATISFACTION = (("satisfied", 70.0), ("basically_satisfied", 22.0), ("dissatisfied", 8.0))
# How a need's follow-up unfolds: the statuses of its steps, in order.
_PATHS = (
    (("solved_on_spot",), 10.0),
    (("referred", "in_progress", "solved"), 45.0),
    (("referred", "solved"), 10.0),
    (("referred", "in_progress"), 13.0),
    (("referred",), 8.0),
    (("referred", "in_progress", "cannot_solve"), 9.0),
    (("in_progress", "solved"), 5.0),
)


def demo_followup_id(seed: int, index: int, need: int, step: int) -> str:
    """A version-4 UUID fixed by (seed, household, need, step), so a reload does not repeat it."""
    rng = random.Random(f"minsheng-demo-followup:{seed}:{index}:{need}:{step}")
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def demo_followups(
    seed: int, index: int, survey_date: str, needs: list[dict[str, Any]], today: date
) -> list[tuple[int, dict[str, Any]]]:
    """Steps taken on the needs of demo household `index`, as (need index, body).

    About 70% of needs get steps, each after the survey (or on its day, when solved
    on the spot); steps that would fall after `today` have not happened yet and are
    left out. The same seed gives the same steps, with the same ids.
    """
    surveyed = date.fromisoformat(survey_date)
    steps: list[tuple[int, dict[str, Any]]] = []
    for need_index, need in enumerate(needs):
        rng = random.Random(f"minsheng-demo-followup:{seed}:{index}:{need_index}")
        if rng.random() >= 0.7:
            continue
        path = weighted(rng, _PATHS)
        urgent = need.get("urgency") == "urgent"
        unit = _FOLLOWUP_UNITS.get(need.get("item", "")) or _CATEGORY_UNITS.get(
            need.get("category", "")
        )
        day = surveyed
        for step, status in enumerate(path):
            gap = {"referred": (1, 10), "in_progress": (3, 30)}.get(
                status, (7, 45) if urgent else (15, 120)
            )
            if status != "solved_on_spot":
                day += timedelta(days=rng.randint(*gap))
            if day > today:
                break
            body: dict[str, Any] = {
                "id": demo_followup_id(seed, index, need_index, step),
                "status": status,
                "happened_on": day.isoformat(),
            }
            if status != "solved_on_spot":
                body["responsible_unit"] = unit or "乡镇人民政府"
            if status in ("solved", "solved_on_spot"):
                body["note"] = _RESULTS.get(need.get("item", ""), "已按群众诉求办结。")
            elif status == "cannot_solve":
                body["note"] = _CANNOT
            elif status == "in_progress":
                body["note"] = "已受理，正在办理。"
            if status in ("solved", "solved_on_spot", "cannot_solve"):
                body["satisfaction"] = weighted(rng, _SATISFACTION)
            steps.append((need_index, body))
    return steps
