"""XLSForm question types as minsheng questions: the table of forms/README.md's XLSForm section.

`typed` gives a row's kind (question, group, repeat, note) and the JSON Schema
of its answer (labels are added by the caller), or None for a type minsheng
cannot ask, with a note saying so. The columns it reads (appearance, default,
read_only, parameters, repeat_count) go into `used`; the caller lists the rest.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from forms.xlsform_sheets import Row, XLSFormError

if TYPE_CHECKING:
    from forms.xlsform_questions import QuestionBuilder

LOCATION_PARTS: dict[str, Any] = {
    "lat": {
        "type": "number",
        "minimum": -90,
        "maximum": 90,
        "title": "纬度",
        "x-en": {"title": "Latitude"},
    },
    "lon": {
        "type": "number",
        "minimum": -180,
        "maximum": 180,
        "title": "经度",
        "x-en": {"title": "Longitude"},
    },
    "accuracy_m": {
        "type": "number",
        "minimum": 0,
        "maximum": 100000,
        "title": "定位精度",
        "x-en": {"title": "Accuracy", "unit": "m"},
        "x-unit": "米",
    },
    "at": {
        "type": "string",
        "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,3})?Z$",
        "title": "定位时间",
        "x-en": {"title": "Time of the fix"},
    },
}
META = {"start", "end", "today", "deviceid", "phonenumber", "username", "email", "simserial"}
META |= {"subscriberid", "imei", "audit", "start-geopoint", "background-geopoint", "uri:email"}
META |= {"uri:phonenumber", "uri:username", "uri:deviceid", "uri:subscriberid", "uri:simserial"}
YES_NO_LISTS = ({"yes", "no"}, {"true", "false"}, {"y", "n"})
# Appearances that change nothing on a minsheng page, so are converted by doing nothing.
QUIET = {"field-list", "w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8", "w9", "w10"}
WIDGETS = {("select_one", "minimal"): "select", ("text", "multiline"): "textarea"}
WIDGETS |= {("select_one", "autocomplete"): "select", ("select_one", "quick"): "radio"}
UNASKED = {
    "audio": ("录音", "audio recordings"),
    "video": ("录像", "video recordings"),
    "file": ("文件上传", "file uploads"),
    "geotrace": ("轨迹", "lines on a map (geotrace)"),
    "geoshape": ("区域", "areas on a map (geoshape)"),
    "rank": ("排序题", "ranking questions"),
    "select_one_from_file": ("外部文件中的选项", "choices from an external file"),
    "select_multiple_from_file": ("外部文件中的选项", "choices from an external file"),
    "select_one_external": ("外部选项", "external choices"),
    "xml-external": ("外部数据", "external data"),
    "csv-external": ("外部数据", "external data"),
    "hidden": ("隐藏值", "hidden values"),
}


def typed(
    builder: QuestionBuilder,
    row: Row,
    kind: str,
    args: str,
    cells: dict[str, str],
    used: set[str],
) -> tuple[str, dict[str, Any]] | None:
    """(item kind, schema of the answer) for a survey row of type `kind`, or None."""

    def note(column: str | None, zh: str, en: str) -> None:
        builder.notes.add(builder.survey.name, row.number, column, zh, en)

    schema: dict[str, Any]
    if kind == "begin_group":
        return "group", {"type": "object", **_appearance(builder, row, kind, cells, used)}
    if kind == "begin_repeat":
        schema = {"type": "array"}
        count = cells.get("repeat_count", "")
        if count:
            used.add("repeat_count")
            if count.isdigit():
                schema.update(minItems=int(count), maxItems=int(count))
            else:
                note(
                    "repeat_count",
                    f"未转换：重复次数只能是固定的数，不能是表达式（{count}）",
                    f"not converted: a repeat count must be a fixed number, not an expression "
                    f"({count})",
                )
        _appearance(builder, row, kind, cells, used)
        return "repeat", schema
    if kind == "note":
        _appearance(builder, row, kind, cells, used)
        note(
            None,
            "说明文字放在所在页或组的说明中",
            "the note's text is put in the description of its page or group",
        )
        return "note", {}
    if kind in META:
        note(
            "type",
            f"{kind} 未转换：minsheng 自己记录提交人、设备和时间",
            f"{kind} is not converted: minsheng records who sent an answer, from where and when "
            "itself",
        )
        return None
    if kind in UNASKED or kind not in _SIMPLE | {"select_one", "select_multiple", "range"}:
        zh, en = UNASKED.get(kind, (f"“{kind}”类型", f"the type {kind!r}"))
        note("type", f"此题未转换：minsheng 不支持{zh}", f"not converted: minsheng has no {en}")
        return None
    if kind in ("select_one", "select_multiple"):
        list_name = args.split()[0] if args else ""
        if not list_name:
            raise _no_list(builder, row, kind)
        if list_name.startswith("${"):
            note(
                "type",
                f"此题未转换：选项来自重复组的答案（{list_name}），minsheng 不支持",
                f"not converted: choices from the answers of a repeat ({list_name}) are not "
                "supported",
            )
            return None
        options = builder.options(row, list_name)
        if kind == "select_one" and is_yes_no(builder, list_name) and "or_other" not in args:
            schema = {"type": "boolean"}
            note(
                "type",
                f"选项列表 {list_name} 是“是/否”，改为是非题（显示为“是”“否”按钮）",
                f"the list {list_name} is yes/no: the question is a yes/no question (shown as "
                "Yes and No buttons)",
            )
        elif kind == "select_one":
            schema = {"type": "string", "oneOf": options}
        else:
            schema = {
                "type": "array",
                "uniqueItems": True,
                "items": {"type": "string", "oneOf": options},
            }
    elif kind == "range":
        schema = _range(builder, row, cells, used)
    else:
        schema = dict(_SIMPLE_SCHEMAS[kind])
        if kind == "calculate":
            schema["readOnly"] = True
        if kind in ("barcode",):
            note("type", "条码改为手动输入文字", "the barcode is typed as text")
    schema.update(_appearance(builder, row, kind, cells, used))
    _read_only(builder, row, cells, used, schema)
    _default(builder, row, kind, cells, used, schema)
    return "question", schema


_SIMPLE_SCHEMAS: dict[str, dict[str, Any]] = {
    "integer": {"type": "integer"},
    "int": {"type": "integer"},
    "decimal": {"type": "number"},
    "text": {"type": "string"},
    "string": {"type": "string"},
    "barcode": {"type": "string", "maxLength": 200},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
    "time": {"type": "string", "format": "time"},
    "image": {
        "type": "string",
        "x-widget": "photo",
        "pattern": "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
    },
    "photo": {
        "type": "string",
        "x-widget": "photo",
        "pattern": "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
    },
    "geopoint": {
        "type": "object",
        "x-widget": "location",
        "properties": LOCATION_PARTS,
        "required": ["lat", "lon", "accuracy_m", "at"],
        "additionalProperties": False,
    },
    "acknowledge": {"type": "boolean"},
    "calculate": {"type": "string"},
}
_SIMPLE = set(_SIMPLE_SCHEMAS)


def _no_list(builder: QuestionBuilder, row: Row, kind: str) -> Exception:
    return XLSFormError(
        f"{kind} 后面缺少选项列表名（list_name）",
        f"{kind} needs the name of its list of choices",
        builder.survey.name,
        row.number,
        "type",
    )


def _appearance(
    builder: QuestionBuilder, row: Row, kind: str, cells: dict[str, str], used: set[str]
) -> dict[str, Any]:
    text = cells.get("appearance", "")
    if not text:
        return {}
    used.add("appearance")
    found: dict[str, Any] = {}
    left = []
    for word in text.split():
        widget = WIDGETS.get((kind, word))
        if widget:
            found["x-widget"] = widget
        elif word not in QUIET:
            left.append(word)
    if left:
        builder.notes.add(
            builder.survey.name,
            row.number,
            "appearance",
            f"外观 {' '.join(left)} 未转换：手机上按默认方式显示",
            f"the appearance {' '.join(left)} is not converted: the phone shows its default",
        )
    return found


def _range(
    builder: QuestionBuilder, row: Row, cells: dict[str, str], used: set[str]
) -> dict[str, Any]:
    given = dict(re.findall(r"(start|end|step)\s*=\s*(-?[0-9.]+)", cells.get("parameters", "")))
    if cells.get("parameters"):
        used.add("parameters")
    numbers = {k: float(v) for k, v in {"start": "1", "end": "10", "step": "1", **given}.items()}
    whole = all(v.is_integer() for v in numbers.values())
    low, high = sorted((numbers["start"], numbers["end"]))
    schema: dict[str, Any] = {
        "type": "integer" if whole else "number",
        "minimum": int(low) if whole else low,
        "maximum": int(high) if whole else high,
    }
    if numbers["step"] != 1:
        builder.notes.add(
            builder.survey.name,
            row.number,
            "parameters",
            f"步长 {given.get('step')} 未转换：可填范围内的任何数",
            f"the step {given.get('step')} is not converted: any number in the range is taken",
        )
    return schema


def _read_only(
    builder: QuestionBuilder, row: Row, cells: dict[str, str], used: set[str], schema: Any
) -> None:
    value = cells.get("read_only", "").strip().lower()
    if not value:
        return
    used.add("read_only")
    if value in ("yes", "true", "1", "true()"):
        schema["readOnly"] = True
    elif value not in ("no", "false", "0", "false()"):
        builder.notes.add(
            builder.survey.name,
            row.number,
            "read_only",
            f"未转换：条件只读（{value}）",
            f"not converted: read-only under a condition ({value})",
        )


def _default(
    builder: QuestionBuilder,
    row: Row,
    kind: str,
    cells: dict[str, str],
    used: set[str],
    schema: dict[str, Any],
) -> None:
    text = cells.get("default", "")
    if not text:
        return
    used.add("default")
    value = _default_value(text, schema)
    if value is None:
        builder.notes.add(
            builder.survey.name,
            row.number,
            "default",
            f"默认值未转换：只能是该题可取的固定值（{text}）",
            f"the default is not converted: it must be a fixed value the question takes ({text})",
        )
        return
    schema["default"] = value


def _default_value(text: str, schema: dict[str, Any]) -> Any:
    from forms.validate import validator_for

    kind = schema.get("type")
    value: Any = text
    try:
        if kind == "integer":
            value = int(text)
        elif kind == "number":
            value = float(text)
        elif kind == "boolean":
            value = {"yes": True, "true": True, "no": False, "false": False}[text.lower()]
        elif kind == "array":
            value = text.split()
        elif kind == "object":
            return None
    except (ValueError, KeyError):
        return None
    if "${" in text or "(" in text:
        return None
    return value if validator_for(schema).is_valid(value) else None


def schema_yes_no(builder: QuestionBuilder, args: str) -> dict[str, bool]:
    """A yes/no list's option names and the boolean each stands for; acknowledge's OK."""
    if not args:
        return {"OK": True, "ok": True, "1": True, "true": True}
    names = [o["const"] for _, o in builder.lists.get(args.split()[0], [])]
    return {name: name.lower() in ("yes", "true", "y") for name in names}


def is_yes_no(builder: QuestionBuilder, list_name: str) -> bool:
    names = {o["const"].lower() for _, o in builder.lists.get(list_name, [])}
    return names in YES_NO_LISTS
