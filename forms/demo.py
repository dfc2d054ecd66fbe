"""Reproducible demo households for one real Gansu county (甘谷县, 天水市).

Demos, screenshots and benchmarks need answers that look like a real survey
round: families of about three with consistent ages, valid ID numbers, mostly
poor households whose main cause is illness in about four cases of ten, and
needs written the way cadres write them. Everything comes from one
`random.Random(seed)`, so the same seed gives the same households; only the
survey dates depend on today, and only by being clipped so none is in the future.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypeVar

from forms.demo_needs import household_needs, weighted
from forms.rules import id_number_check_digit

T = TypeVar("T")

COUNTY_CODE = "620523"
COUNTY_NAME = "甘谷县"
CITY_NAME = "天水市"

_SURVEY_START = date(2026, 3, 2)
_SURVEY_END = date(2026, 10, 31)
_AGE_REFERENCE_YEAR = 2026

_VILLAGES = (
    # code, name, township code, township name, households and people registered
    # (户籍人口: about 3.4 a household, a little more in the bigger villages)
    ("620523102201", "石家窑村", "620523102", "磐安镇", 236, 803),
    ("620523102204", "刘家墩村", "620523102", "磐安镇", 185, 611),
    ("620523102209", "王家庄村", "620523102", "磐安镇", 312, 1097),
    ("620523106203", "南坪村", "620523106", "大石镇", 158, 522),
    ("620523106211", "蔡家寺村", "620523106", "大石镇", 274, 948),
)

_UNITS = (
    "甘谷县农业农村局",
    "甘谷县教育局",
    "甘谷县卫生健康局",
    "甘谷县财政局",
    "甘谷县住房和城乡建设局",
    "甘谷县水务局",
    "天水市发展和改革委员会",
    "天水市交通运输局",
)

_SURNAMES = (*"王李张刘陈杨赵马魏汪牛蒋谢巩石姚蔡安雷何吴周董郭朱裴", "令狐")
_MALE_CHARS = "建军国明强伟刚平海斌成福荣贵生忠文俊杰浩宇鹏涛虎林兴旺宝永春有德"
_FEMALE_CHARS = "芳霞英兰梅秀玲娟丽红燕琴萍敏静娜婷雪琳花香桂莲翠艳"

_CHRONIC = (
    "高血压",
    "糖尿病",
    "慢性支气管炎",
    "类风湿性关节炎",
    "腰椎间盘突出症",
    "冠心病",
    "慢性胃炎",
    "慢性阻塞性肺疾病",
    "风湿性心脏病",
    "股骨头坏死",
)
_SERIOUS = (
    "脑梗塞后遗症",
    "胃癌",
    "食管癌",
    "尿毒症",
    "肝硬化",
    "乳腺癌",
    "白血病",
    "重症肺结核",
    "先天性心脏病",
)

# Main causes of poverty for poor households, weighted after 建档立卡 shares (因病 ~42%).
_MAIN_CAUSES = (
    ("illness", 42),
    ("capital", 14),
    ("skills", 11),
    ("labour", 9),
    ("schooling", 7),
    ("disability", 6),
    ("land", 3),
    ("water", 2.5),
    ("transport", 2),
    ("disaster", 1.5),
    ("motivation", 1.5),
    ("other", 0.5),
)
_ALL_CAUSES = tuple(c for c, _ in _MAIN_CAUSES)


def demo_villages() -> list[dict[str, Any]]:
    """Five villages of 甘谷县 in two townships, with their registered households and people."""
    return [
        {
            "code": code,
            "name": name,
            "township_code": township_code,
            "township_name": township_name,
            "county_code": COUNTY_CODE,
            "county_name": COUNTY_NAME,
            "city_name": CITY_NAME,
            "households_registered": registered,
            "population_registered": population,
        }
        for code, name, township_code, township_name, registered, population in _VILLAGES
    ]


def demo_submission_id(seed: int, index: int) -> str:
    """A version-4 UUID fixed by (seed, index), so reloading a demo does not duplicate it."""
    rng = random.Random(f"minsheng-demo:{seed}:{index}")
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


@dataclass
class _Person:
    name: str
    sex: str
    age: int
    relation: str


def demo_households(
    seed: int, villages: list[dict[str, Any]], per_village: int | None = None
) -> Iterator[dict[str, Any]]:
    """Household answers that pass the schema and every rule, village by village.

    per_village None gives each village about 40% of its registered households.
    """
    rng = random.Random(seed)
    today = date.today()
    taken: set[str] = set()  # ID numbers are unique across households too (the head's is its key)
    for village in villages:
        count = per_village
        if count is None:
            count = round(int(village["households_registered"]) * 0.4)
        cadres = [
            (_name(rng, rng.choice("男女")), rng.choice(_UNITS)) for _ in range(rng.randint(4, 8))
        ]
        for _ in range(count):
            yield _household(rng, village, cadres, today, taken)


# ---------------------------------------------------------------- people


def _name(rng: random.Random, sex: str, surname: str | None = None) -> str:
    surname = surname or rng.choice(_SURNAMES)
    chars = _MALE_CHARS if sex in ("male", "男") else _FEMALE_CHARS
    given = rng.choice(chars) if rng.random() < 0.35 else rng.choice(chars) + rng.choice(chars)
    return surname + given


def _family(rng: random.Random) -> list[_Person]:
    """A head and relatives with ages that fit together."""
    size = weighted(rng, [(1, 12), (2, 24), (3, 26), (4, 20), (5, 10), (6, 5), (7, 2), (8, 1)])
    if size == 1:
        sex = "male" if rng.random() < 0.55 else "female"
        return [_Person(_name(rng, sex), sex, rng.randint(52, 86), "head")]

    head_age = rng.randint(26, 78)
    head_sex = "male" if rng.random() < 0.88 else "female"
    family_surname = head_name_surname = rng.choice(_SURNAMES)
    if head_sex == "female":
        family_surname = rng.choice(_SURNAMES)  # the children carry the late husband's surname
    people = [_Person(_name(rng, head_sex, head_name_surname), head_sex, head_age, "head")]
    slots = size - 1

    if rng.random() < 0.88 and not (head_sex == "female" and rng.random() < 0.7):
        spouse_sex = "female" if head_sex == "male" else "male"
        spouse_age = max(20, head_age + rng.randint(-6, 3))
        people.append(_Person(_name(rng, spouse_sex), spouse_sex, spouse_age, "spouse"))
        slots -= 1

    def child_age(parent_age: int) -> int:
        return max(0, parent_age - rng.randint(21, 36))

    if head_age >= 56 and slots >= 2 and rng.random() < 0.65:
        son_age = max(20, child_age(head_age))
        people.append(_Person(_name(rng, "male", family_surname), "male", son_age, "son"))
        people.append(
            _Person(
                _name(rng, "female"),
                "female",
                max(20, son_age + rng.randint(-4, 2)),
                "daughter_in_law",
            )
        )
        slots -= 2
        for _ in range(slots):
            sex = rng.choice(("male", "female"))
            age = rng.randint(0, max(0, son_age - 21))
            people.append(_Person(_name(rng, sex, family_surname), sex, age, "grandchild"))
        return people

    children = min(slots, rng.choice((1, 2, 2, 3, 3, 4)))
    for _ in range(children):
        sex = rng.choice(("male", "female"))
        people.append(
            _Person(
                _name(rng, sex, family_surname),
                sex,
                child_age(head_age),
                "son" if sex == "male" else "daughter",
            )
        )
    slots -= children
    parent_sexes = ["female", "male"]
    while slots > 0 and parent_sexes and head_age <= 60:
        sex = parent_sexes.pop()
        age = min(94, head_age + rng.randint(21, 32))
        surname = head_name_surname if sex == "male" and head_sex == "male" else None
        people.append(_Person(_name(rng, sex, surname), sex, age, "parent"))
        slots -= 1
    for _ in range(slots):
        sex = rng.choice(("male", "female"))
        people.append(_Person(_name(rng, sex), sex, rng.randint(8, 70), "other"))
    return people


def _birth_date(rng: random.Random, age: int) -> date:
    year = _AGE_REFERENCE_YEAR - 1 - age
    return date(year, 1, 1) + timedelta(days=rng.randrange(365))


def _id_number(rng: random.Random, born: date, sex: str, taken: set[str]) -> str:
    while True:
        sequence = rng.randrange(100)
        sex_digit = rng.choice("13579" if sex == "male" else "02468")
        id17 = f"{COUNTY_CODE}{born:%Y%m%d}{sequence:02d}{sex_digit}"
        idn = id17 + id_number_check_digit(id17)
        if idn not in taken:
            taken.add(idn)
            return idn


def _schooling(rng: random.Random, age: int) -> str:
    if 3 <= age <= 5:
        return "preschool" if rng.random() < 0.7 else "not_in_school"
    if 6 <= age <= 11:
        return "primary"
    if 12 <= age <= 14:
        return "junior"
    if 15 <= age <= 17:
        return weighted(rng, [("senior", 55), ("vocational_secondary", 30), ("not_in_school", 15)])
    if 18 <= age <= 21:
        return weighted(rng, [("college", 18), ("vocational_college", 17), ("not_in_school", 65)])
    return "not_in_school"


def _education(rng: random.Random, age: int, schooling: str) -> str:
    if age < 6:
        return "preschool"
    at_school = {
        "primary": "primary",
        "junior": "junior",
        "senior": "senior",
        "vocational_secondary": "senior",
        "vocational_college": "college",
        "college": "college",
    }
    if schooling in at_school:
        return at_school[schooling]
    if age < 18:
        return "junior" if age >= 15 else "primary"
    if age >= 60:
        return weighted(rng, [("illiterate", 45), ("primary", 40), ("junior", 13), ("senior", 2)])
    if age >= 40:
        return weighted(rng, [("illiterate", 12), ("primary", 40), ("junior", 38), ("senior", 10)])
    return weighted(rng, [("primary", 12), ("junior", 52), ("senior", 22), ("college", 14)])


def _health(rng: random.Random, age: int) -> str:
    if age >= 60:
        return weighted(rng, [("healthy", 62), ("chronic", 27), ("serious", 5), ("disabled", 6)])
    if age >= 30:
        return weighted(rng, [("healthy", 84), ("chronic", 10), ("serious", 2), ("disabled", 4)])
    return weighted(rng, [("healthy", 96), ("chronic", 1.5), ("serious", 0.5), ("disabled", 2)])


def _set_health(rng: random.Random, member: dict[str, Any], health: str) -> None:
    for key in ("disease", "disability_type", "disability_grade"):
        member.pop(key, None)
    member["health"] = health
    if health in ("chronic", "serious"):
        member["disease"] = rng.choice(_CHRONIC if health == "chronic" else _SERIOUS)
    elif health == "disabled":
        member["disability_type"] = weighted(
            rng,
            [
                ("physical", 45),
                ("visual", 12),
                ("hearing", 12),
                ("intellectual", 10),
                ("mental", 9),
                ("speech", 4),
                ("multiple", 8),
            ],
        )
        member["disability_grade"] = weighted(
            rng, [("grade_1", 12), ("grade_2", 25), ("grade_3", 30), ("grade_4", 33)]
        )


def _labour(rng: random.Random, age: int, member: dict[str, Any]) -> str:
    if age < 16 or member["schooling"] != "not_in_school":
        return "none"
    health = member["health"]
    if health == "serious" or member.get("disability_grade") in ("grade_1", "grade_2"):
        return "lost"
    if age >= 70:
        return weighted(rng, [("none", 50), ("weak", 45), ("lost", 5)])
    if health in ("chronic", "disabled") or age >= 60:
        return "weak"
    return "skilled" if rng.random() < 0.18 else "ordinary"


def _member(rng: random.Random, person: _Person, ethnicity: str, taken: set[str]) -> dict[str, Any]:
    born = _birth_date(rng, person.age)
    schooling = _schooling(rng, person.age)
    member: dict[str, Any] = {
        "name": person.name,
        "id_number": _id_number(rng, born, person.sex, taken),
        "sex": person.sex,
        "birth_date": born.isoformat(),
        "relation": person.relation,
        "ethnicity": ethnicity,
        "education": _education(rng, person.age, schooling),
        "schooling": schooling,
    }
    _set_health(rng, member, _health(rng, person.age))
    return member


def _finish_member(rng: random.Random, member: dict[str, Any], age: int, dibao: bool) -> None:
    """Labour, work and insurance, once health is final."""
    member["labour"] = _labour(rng, age, member)
    works = member["labour"] in ("ordinary", "skilled") and 18 <= age <= 58
    if works and rng.random() < 0.55:
        member["migrant_work"] = weighted(
            rng, [("township", 10), ("county", 20), ("province", 30), ("outside", 40)]
        )
        member["migrant_months"] = rng.randint(3, 11)
    else:
        member["migrant_work"] = "none"
    member["medical_insurance"] = rng.random() < 0.98
    member["critical_insurance"] = member["medical_insurance"] and rng.random() < 0.92
    member["pension"] = age >= 16 and member["schooling"] == "not_in_school" and rng.random() < 0.85
    member["dibao"] = dibao


# ---------------------------------------------------------------- the household


def _survey_date(rng: random.Random, today: date) -> date:
    surveyed = _SURVEY_START + timedelta(days=rng.randrange((_SURVEY_END - _SURVEY_START).days + 1))
    return min(surveyed, today)


def _household(
    rng: random.Random,
    village: dict[str, Any],
    cadres: list[tuple[str, str]],
    today: date,
    taken: set[str],
) -> dict[str, Any]:
    """One household; `taken` holds every ID number issued so far, so none repeats."""
    family = _family(rng)
    ethnicity = weighted(rng, [("han", 95), ("hui", 4), ("other", 1)])
    members = [_member(rng, person, ethnicity, taken) for person in family]
    ages = [p.age for p in family]

    if len(family) == 1 and family[0].age >= 60 and rng.random() < 0.45:
        category = "tekun_poor"
    else:
        category = weighted(
            rng, [("ordinary_poor", 55), ("dibao_poor", 27), ("tekun_poor", 2), ("non_poor", 16)]
        )
    poor = category != "non_poor"

    main_cause = _main_cause(rng, members, ages) if poor else None
    dibao_members = set(range(len(members))) if category == "dibao_poor" else set()
    if category == "dibao_poor" and len(members) > 3 and rng.random() < 0.5:
        dibao_members = set(rng.sample(range(len(members)), k=len(members) - 1))
    for i, (member, age) in enumerate(zip(members, ages, strict=True)):
        _finish_member(rng, member, age, i in dibao_members)

    head = members[0]
    cadre, unit = rng.choice(cadres)
    answers: dict[str, Any] = {
        "survey": {
            "date": _survey_date(rng, today).isoformat(),
            "surveyor": cadre,
            "surveyor_unit": unit,
            "filled_by": weighted(rng, [("cadre", 60), ("head", 30), ("member", 10)]),
        },
        "household": _household_section(rng, village, head, members, category),
        "members": members,
    }
    production = _production(rng, len(members))
    answers["income"] = _income(rng, members, ages, category, production)
    answers["production"] = production
    answers["living"] = _living(rng, members, ages, main_cause)
    if main_cause is not None:
        others = [c for c in _ALL_CAUSES if c != main_cause]
        causes: dict[str, Any] = {"main_cause": main_cause}
        extra = weighted(rng, [(0, 35), (1, 45), (2, 20)])
        if extra:
            causes["other_causes"] = rng.sample(others, k=extra)
        answers["causes"] = causes
    answers["needs"] = household_needs(rng, answers, ages)
    return answers


def _main_cause(rng: random.Random, members: list[dict[str, Any]], ages: list[int]) -> str:
    """Pick a weighted cause and make the family show it: an ill or disabled member.

    因学 is only drawn for a family that has someone in school.
    """
    has_student = any(m["schooling"] != "not_in_school" for m in members)
    cause = weighted(rng, [(c, w) for c, w in _MAIN_CAUSES if c != "schooling" or has_student])
    if cause == "illness" and not any(m["health"] in ("chronic", "serious") for m in members):
        adults = [i for i, a in enumerate(ages) if a >= 30] or [0]
        i = max(adults, key=lambda i: ages[i] + rng.randint(0, 30))
        _set_health(rng, members[i], "serious" if rng.random() < 0.35 else "chronic")
    elif cause == "disability" and not any(m["health"] == "disabled" for m in members):
        _set_health(rng, members[rng.randrange(len(members))], "disabled")
    return cause


def _household_section(
    rng: random.Random,
    village: dict[str, Any],
    head: dict[str, Any],
    members: list[dict[str, Any]],
    category: str,
) -> dict[str, Any]:
    section: dict[str, Any] = {
        "village_code": village["code"],
        "group": rng.choice("一二三四五六七八") + "组",
        "head_name": head["name"],
    }
    if rng.random() < 0.82:
        prefix = rng.choice(("130", "133", "139", "150", "151", "155", "177", "181", "189", "199"))
        section["phone"] = prefix + f"{rng.randrange(10**8):08d}"
    section["category"] = category
    if category != "non_poor":
        section["status"] = weighted(
            rng, [("not_out", 38), ("expected_out", 24), ("out", 33), ("returned", 5)]
        )
    children = [m for m in members if m["relation"] in ("son", "daughter")]
    special = []
    if rng.random() < 0.03:
        special.append("military")
    if len(children) == 1 and rng.random() < 0.3:
        special.append("one_child")
    if (
        len(children) == 2
        and all(m["relation"] == "daughter" for m in children)
        and rng.random() < 0.6
    ):
        special.append("two_daughters")
    if special:
        section["special"] = special
    return section


def _production(rng: random.Random, size: int) -> dict[str, Any]:
    cultivated = round(size * rng.uniform(1.0, 2.6) + rng.uniform(0, 2), 1)
    irrigated = round(cultivated * rng.uniform(0.1, 0.6), 1) if rng.random() < 0.35 else 0
    production: dict[str, Any] = {
        "cultivated_land": cultivated,
        "irrigated_land": irrigated,
        "forest_land": round(rng.uniform(0.5, 6), 1) if rng.random() < 0.45 else 0,
        "livestock": {
            "cattle": weighted(rng, [(0, 60), (1, 25), (2, 10), (3, 5)]),
            "sheep": rng.choice((0, 0, 0, 0, 5, 8, 12, 20, 30)),
            "pigs": weighted(rng, [(0, 55), (1, 25), (2, 15), (4, 5)]),
            "poultry": rng.choice((0, 0, 5, 8, 10, 12, 15, 20)),
        },
        "cooperative_member": rng.random() < 0.28,
    }
    return production


def _income(
    rng: random.Random,
    members: list[dict[str, Any]],
    ages: list[int],
    category: str,
    production: dict[str, Any],
) -> dict[str, Any]:
    wages = 0.0
    for member in members:
        if member["migrant_work"] != "none":
            monthly = {"township": 1800, "county": 2300, "province": 2900, "outside": 3600}
            wages += (
                member["migrant_months"] * monthly[member["migrant_work"]] * rng.uniform(0.3, 0.6)
            )
        elif member["labour"] in ("ordinary", "skilled") and rng.random() < 0.4:
            wages += rng.uniform(1000, 4000)  # day labour near home
    livestock = production["livestock"]
    business = production["cultivated_land"] * rng.uniform(300, 650) + (
        livestock["cattle"] * rng.uniform(2500, 4500)
        + livestock["sheep"] * rng.uniform(250, 450)
        + livestock["pigs"] * rng.uniform(900, 1500)
        + livestock["poultry"] * rng.uniform(20, 50)
    )
    if category == "non_poor":  # better-off families: more steady work, larger herds
        wages *= rng.uniform(1.5, 2.2)
        business *= rng.uniform(1.1, 1.5)
    expense = business * rng.uniform(0.3, 0.55)
    dibao_people = sum(1 for m in members if m["dibao"])
    transfers = {
        "dibao": round(dibao_people * rng.uniform(1800, 3600)) if dibao_people else 0,
        "pension": round(
            sum(1 for a, m in zip(ages, members, strict=True) if a >= 60 and m["pension"])
            * rng.uniform(1250, 1700)
        ),
        "eco_compensation": round(
            production["forest_land"] * rng.uniform(90, 160)
            + production["cultivated_land"] * rng.uniform(0, 25)
        ),
        "other": round(
            rng.choice((0, 0, 0, 300, 500, 800, 1200))
            + (rng.uniform(4000, 6500) if category == "tekun_poor" else 0)
        ),
    }
    income = {
        "wages": round(wages, -1),
        "business_income": round(business, -1),
        "business_expense": round(expense, -1),
        "property_income": rng.choice((0, 0, 0, 0, 200, 360, 600, 1000, 1500)),
        "transfers": transfers,
    }
    # Keep the household inside what a survey round really sees: a floor of about
    # 1,500 yuan a head (no one reports living on nothing) and a ceiling of 30,000.
    net = (
        income["wages"]
        + income["business_income"]
        - income["business_expense"]
        + income["property_income"]
        + sum(transfers.values())
    )
    per_capita = net / len(members)
    if per_capita < 1500:
        income["wages"] += round((1500 - per_capita) * len(members) + rng.uniform(200, 2500), -1)
    elif per_capita > 30000:
        income["wages"] = max(0, income["wages"] - round((per_capita - 30000) * len(members), -1))
    for key in ("wages", "business_income", "business_expense"):
        income[key] = int(income[key])
    return income


def _living(
    rng: random.Random,
    members: list[dict[str, Any]],
    ages: list[int],
    main_cause: str | None,
) -> dict[str, Any]:
    living: dict[str, Any] = {}
    if rng.random() < 0.02:
        living["floor_area"] = 0
    else:
        living["floor_area"] = (
            round(rng.uniform(45, 180)) if rng.random() < 0.95 else round(rng.uniform(20, 45))
        )
        structure = weighted(
            rng,
            [
                ("brick_wood", 35),
                ("brick_concrete", 30),
                ("adobe", 18),
                ("reinforced_concrete", 8),
                ("cave", 4),
                ("other", 5),
            ],
        )
        living["structure"] = structure
        if structure in ("adobe", "cave"):
            living["dilapidation"] = weighted(
                rng, [("b", 25), ("c", 35), ("d", 25), ("not_assessed", 15)]
            )
        else:
            living["dilapidation"] = weighted(
                rng, [("a", 50), ("b", 32), ("c", 5), ("not_assessed", 13)]
            )
    source = weighted(
        rng,
        [
            ("tap", 76),
            ("protected_well", 10),
            ("rainwater", 7),
            ("unprotected_well", 4),
            ("river_lake", 1),
            ("other", 2),
        ],
    )
    living["water_source"] = source
    hard = source in ("rainwater", "unprotected_well", "river_lake", "other")
    living["water_difficulty"] = rng.random() < (0.7 if hard else 0.04)
    living["water_safe"] = source in ("tap", "protected_well") and rng.random() < 0.95
    living["electricity"] = rng.random() < 0.995
    living["road"] = weighted(rng, [("concrete", 58), ("gravel", 20), ("dirt", 17), ("asphalt", 5)])
    living["sanitary_toilet"] = rng.random() < 0.42
    living["enough_food"] = rng.random() < 0.97
    living["enough_clothing"] = rng.random() < 0.97
    # A dropout is a child of compulsory-school age out of school; only mark one
    # when flipping that child leaves a 因学 household with another student.
    school_age = [
        i for i, a in enumerate(ages) if 12 <= a <= 15 and members[i]["schooling"] == "junior"
    ]
    students = sum(1 for m in members if m["schooling"] != "not_in_school")
    dropout = (
        bool(school_age) and rng.random() < 0.04 and (main_cause != "schooling" or students > 1)
    )
    if dropout:
        members[school_age[0]]["schooling"] = "not_in_school"
    living["dropout"] = dropout
    return living


_ROSTER_CATEGORY = {
    "not_out": "not_out",
    "expected_out": "not_out",
    "out": "out",
    "returned": "monitored",
}


def demo_household_id(seed: int, index: int) -> str:
    """The roster id of demo household `index`, fixed by the seed like its answer's id."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"minsheng-demo-household:{seed}:{index}"))


def roster_entry(seed: int, index: int, answers: dict[str, Any]) -> dict[str, Any]:
    """The roster row a demo household stands for (the county's 建档立卡 roster)."""
    section = answers["household"]
    head = next(m for m in answers["members"] if m["relation"] == "head")
    category = (
        "general"
        if section["category"] == "non_poor"
        else _ROSTER_CATEGORY[section.get("status", "not_out")]
    )
    return {
        "id": demo_household_id(seed, index),
        "roster_no": f"{section['village_code']}{seed % 1000:03d}{index:05d}",
        "village_code": section["village_code"],
        "group_name": section.get("group"),
        "head_name": section["head_name"],
        "head_id_number": head["id_number"],
        "category": category,
        "phone": section.get("phone"),
        "members": [
            {
                "name": m["name"],
                "relation": m["relation"],
                "id_number": m["id_number"],
                "sex": m["sex"],
            }
            for m in answers["members"]
        ],
    }
