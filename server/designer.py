"""The designer's page: the draft in an editor, a live phone preview, versions and diffs.

Designers and administrators write a form's JSON Schema in a text box; the
page's small script (forms/static/designer.js) reports JSON syntax errors with
line and column as they type, runs the server's check on demand, and re-renders
the phone preview beside the text whenever they pause. Everything else is plain
HTML forms that work without the script: save, check, publish (with the
compatibility report to acknowledge), retire and restore, a diff between two
versions, and a QR code that opens the draft's preview on a real phone.

The preview is the form page the phone would get, rendered by the server from
the text posted (or the saved draft) with forms/static/preview.js in place of
the phone's app: nothing is stored or sent. It is shown in a sandboxed iframe
(scripts run, but in an origin of their own: no cookies, storage or forms), and
its CSP differs from the phone's page only in letting this site frame it and
letting no form be sent.

The QR code carries a short-lived token rather than asking for a login on the
phone: the phone used to try a form is often a shared test phone, or the
designer's own one that is never logged in, and a designer's session left on it
could publish and retire forms. The token shows one form's draft, which holds
no one's personal data, for PREVIEW_MINUTES, and nothing else.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import segno
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from forms.client import client_data
from forms.places import fill_villages, has_mark
from forms.render import build_page, render_template
from forms.schema import form_id_problem
from server.assets import asset_url
from server.audit_log import account_names, local_time
from server.auth import Principal
from server.authz import Form, require
from server.db import Database
from server.errors import AppError
from server.form_design import (
    PREVIEW_MINUTES,
    Checked,
    Problem,
    PublishRequest,
    change_items,
    check_text,
    create_preview,
    designs,
    diff,
    get_draft,
    list_versions,
    previewed_form,
    publish_draft,
    save_draft,
    set_status,
)
from server.form_versions import get_version
from server.html import principal_of, render_page
from server.http import request_lang
from server.pages import CSP, SECURITY_HEADERS
from server.place_answers import example_villages
from server.settings import Settings
from server.xlsform_import import UPLOAD_LIMIT, import_workbook, uploaded

# The phone page's policy, framed by this site only and sending nothing.
PREVIEW_CSP = CSP.replace("frame-ancestors 'none'", "frame-ancestors 'self'").replace(
    "form-action 'self'", "form-action 'none'"
)
PREVIEW_HEADERS = {
    **SECURITY_HEADERS,
    "Content-Security-Policy": PREVIEW_CSP,
    "X-Frame-Options": "SAMEORIGIN",
    "Cache-Control": "no-store",
}


def new_form_text(form_id: str) -> str:
    """Where a new form starts: one section with one question, every label in place."""
    skeleton = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "新调查表",
        "description": "这份调查表的用途，一句话。",
        "x-en": {"title": "New survey", "description": "What this survey is for, in a sentence."},
        "type": "object",
        "properties": {
            "section": {
                "type": "object",
                "title": "第一部分",
                "description": "这一页问什么。",
                "x-en": {"title": "Part one", "description": "What this page asks."},
                "properties": {
                    "question": {
                        "type": "string",
                        "maxLength": 50,
                        "title": "问题",
                        "description": "村民能看懂的一句说明。",
                        "x-en": {"title": "Question", "description": "One sentence of help."},
                    }
                },
                "additionalProperties": False,
            }
        },
        "required": ["section"],
        "additionalProperties": False,
    }
    return json.dumps(skeleton, ensure_ascii=False, indent=2) + "\n"


def _here(request: Request[Any, Any, Any], form_id: str, **query: str) -> str:
    params = {"lang": request_lang(request), **{k: v for k, v in query.items() if v}}
    return f"/design/{form_id}?{urlencode(params)}"


def _form_id(form_id: str) -> str:
    problem = form_id_problem(form_id)
    if problem:
        raise AppError(404, "not_found", problem)
    return form_id


async def _editor(
    request: Request[Any, Any, Any],
    db: Database,
    settings: Settings,
    form_id: str,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response[str]:
    """The designer's page for one form; `extra` is what the last action has to show."""
    lang = request_lang(request)
    draft = await get_draft(db, form_id)
    versions = await list_versions(db, form_id)
    current = next((v for v in versions if v.current), None)
    unsaved = "text" in extra
    if unsaved:
        text = extra.pop("text")
    elif draft is not None:
        text = draft.text
    elif versions:
        schema = (await get_version(db, form_id, (current or versions[0]).version)).schema
        text = json.dumps(schema, ensure_ascii=False, indent=2) + "\n"
    else:
        text = new_form_text(form_id)
    names = await account_names(
        db, {v.retired_by or "" for v in versions} | {v.restored_by or "" for v in versions}
    )
    if draft is not None:
        names.update(await account_names(db, {draft.saved_by}))
    old, new = request.query_params.get("from"), request.query_params.get("to")
    changes, diff_error = None, None
    if old and new:
        try:
            changes = change_items(await diff(db, form_id, old, new), lang)
        except AppError as exc:
            diff_error = exc.detail_in(lang)
    data = {
        "form": form_id,
        "lang": lang,
        "csrf": principal_of(request).csrf or "",
        "same_as_saved": draft is not None and draft.text == text,
        "unsaved": unsaved and (draft is None or draft.text != text),
    }
    return render_page(
        request,
        "design.html",
        status_code=status_code,
        form_id=form_id,
        draft=draft,
        text=text,
        versions=versions,
        current=current,
        names=names,
        when=lambda iso: local_time(iso, settings.timezone) if iso else "",
        diff_from=old or "",
        diff_to=new or "",
        changes=changes,
        diff_error=diff_error,
        done=request.query_params.get("done", ""),
        request_version=request.query_params.get("version", ""),
        data=data,
        **extra,
    )


async def _text_field(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The form's fields; the schema's text exactly as typed (not stripped)."""
    form = await request.form()
    fields = {k: v.strip() for k, v in form.items() if isinstance(v, str)}
    text = form.get("text")
    fields["text"] = text.replace("\r\n", "\n") if isinstance(text, str) else ""
    return fields


def _preview_response(html: str) -> Response[str]:
    return Response(html, media_type=MediaType.HTML, headers=PREVIEW_HEADERS)


async def phone_preview(
    request: Request[Any, Any, Any], form_id: str, text: str | None, *, framed: bool = True
) -> Response[str]:
    """The form page a phone would get for `text`, or its problems; `text` None: nothing
    to show yet."""
    lang = request_lang(request)
    checked = Checked(None, []) if text is None else await check_text(text, f"draft of {form_id}")
    if checked.schema is None:
        html = render_template(
            "preview_problems.html",
            lang=lang,
            problems=checked.problems,
            empty=text is None,
            asset=asset_url,
            switch_url="",
        )
        return _preview_response(html)
    zone = request.app.state.settings.timezone
    data = {**client_data(form_id, 0, checked.schema, lang, zone), "csrf": ""}
    html = render_template(
        "preview.html",
        lang=lang,
        page=build_page(checked.schema, lang),
        data=data,
        form_id=form_id,
        version=0,
        action="#",
        csrf="",
        household_id="",
        notice="预览：答案不会发送" if lang == "zh" else "Preview: nothing is sent",
        framed=framed,
        asset=asset_url,
        switch_url="",
    )
    if has_mark(html):  # a village question: how it looks, with some villages of the list
        html = fill_villages(html, await example_villages(request.app.state.db))
    return _preview_response(html)


class DesignerController(Controller):
    path = "/design"
    include_in_schema = False

    @get("/")
    async def index(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
    ) -> Response[Any]:
        """Every form, and a new one by its id (?form=)."""
        await require(db, principal, "form.design")
        wanted = request.query_params.get("form", "").strip()
        error = form_id_problem(wanted) if wanted else None
        if wanted and not error:
            return Redirect(_here(request, wanted), status_code=303)
        return render_page(
            request, "design_list.html", forms=await designs(db), error=error, wanted=wanted
        )

    @get("/{form_id:str}")
    async def editor(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        principal: NamedDependency[Principal],
        form_id: FromPath[str],
    ) -> Response[str]:
        """The form's draft, its phone preview, its versions; ?from=&to= a diff."""
        await require(db, principal, "form.design", Form(form_id))
        return await _editor(request, db, settings, _form_id(form_id))

    @post("/{form_id:str}/draft", status_code=303)
    async def save(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        form_id: FromPath[str],
    ) -> Redirect:
        """Save the text as the form's draft."""
        await require(db, principal, "form.design", Form(form_id))
        fields = await _text_field(request)
        await save_draft(db, principal.actor, _form_id(form_id), fields["text"])
        return Redirect(_here(request, form_id, done="saved"), status_code=303)

    @post("/{form_id:str}/check", status_code=200)
    async def check(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        principal: NamedDependency[Principal],
        form_id: FromPath[str],
    ) -> Response[str]:
        """The page again, with what the check says of the text (not saved)."""
        await require(db, principal, "form.design", Form(form_id))
        text = (await _text_field(request))["text"]
        checked = await check_text(text, f"draft of {form_id}")
        return await _editor(
            request,
            db,
            settings,
            _form_id(form_id),
            text=text,
            problems=checked.problems,
            checked=checked.schema is not None,
        )

    @post("/{form_id:str}/xlsform", status_code=200, request_max_body_size=UPLOAD_LIMIT)
    async def xlsform(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        principal: NamedDependency[Principal],
        form_id: FromPath[str],
    ) -> Response[str]:
        """An XLSForm workbook (the `file` of the form) as the draft; the page again with
        what did not carry over, row by row."""
        await require(db, principal, "form.design", Form(form_id))
        filename, data = await uploaded(request)
        lang = request_lang(request)
        try:
            result, _ = await import_workbook(db, principal.actor, _form_id(form_id), data, lang)
        except AppError as exc:
            if exc.code not in ("no_file", "xlsform_invalid", "too_large"):
                raise
            return await _editor(
                request, db, settings, form_id, status_code=exc.status, refused=exc.detail_in(lang)
            )
        return await _editor(
            request,
            db,
            settings,
            form_id,
            imported_from=filename or "XLSForm",
            xlsform_notes=result.notes,
            problems=result.problems,
            checked=not result.problems,
        )

    @post("/{form_id:str}/publish", status_code=303)
    async def publish(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        principal: NamedDependency[Principal],
        form_id: FromPath[str],
    ) -> Response[Any]:
        """Save the text as the draft and publish it; the compatibility report first when
        answers may not fit, to acknowledge and publish again."""
        await require(db, principal, "form.publish", Form(form_id))
        fields = await _text_field(request)
        draft = await get_draft(db, _form_id(form_id))
        if draft is None or draft.text != fields["text"]:
            draft, _ = await save_draft(db, principal.actor, form_id, fields["text"])
        # The acknowledgement is of the report shown for one text: it counts for that one.
        acknowledged = fields.get("acknowledge") == "1" and fields.get("seen") == draft.text_hash
        ask = PublishRequest(acknowledged, fields.get("note"), draft.text_hash)
        lang = request_lang(request)
        try:
            published = await publish_draft(db, principal.actor, form_id, ask, lang)
        except AppError as exc:
            extra = exc.extra or {}
            if exc.code not in ("acknowledge_required", "schema_invalid", "nothing_changed"):
                raise
            return await _editor(
                request,
                db,
                settings,
                form_id,
                status_code=exc.status,
                report=extra.get("changes"),
                against=extra.get("against"),
                seen=draft.text_hash,
                problems=[Problem(**p) for p in extra.get("problems", [])],
                refused=exc.detail_in(lang),
                note=fields.get("note", ""),
            )
        return Redirect(
            _here(request, form_id, done="published", version=str(published.version)),
            status_code=303,
        )

    @post("/{form_id:str}/versions/{version:int}/retire", status_code=303)
    async def retire(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        form_id: FromPath[str],
        version: FromPath[int],
    ) -> Redirect:
        """Retire one version."""
        await require(db, principal, "form.publish", Form(form_id))
        fields = await _text_field(request)
        await set_status(db, principal.actor, form_id, version, "retired", fields.get("reason"))
        return Redirect(_here(request, form_id, done="retired"), status_code=303)

    @post("/{form_id:str}/versions/{version:int}/restore", status_code=303)
    async def restore(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        form_id: FromPath[str],
        version: FromPath[int],
    ) -> Redirect:
        """Put a retired version back in use."""
        await require(db, principal, "form.publish", Form(form_id))
        fields = await _text_field(request)
        await set_status(db, principal.actor, form_id, version, "published", fields.get("reason"))
        return Redirect(_here(request, form_id, done="restored"), status_code=303)

    @get("/{form_id:str}/preview")
    async def saved_preview(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        form_id: FromPath[str],
    ) -> Response[str]:
        """The saved draft as the phone would show it (the current version without one)."""
        await require(db, principal, "form.design", Form(form_id))
        return await phone_preview(request, form_id, await _saved_text(db, form_id))

    @post("/{form_id:str}/preview", status_code=200)
    async def typed_preview(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        principal: NamedDependency[Principal],
        form_id: FromPath[str],
    ) -> Response[str]:
        """The text posted, as the phone would show it; nothing is saved."""
        await require(db, principal, "form.design", Form(form_id))
        return await phone_preview(request, form_id, (await _text_field(request))["text"])

    @post("/{form_id:str}/qr", status_code=200)
    async def qr(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        principal: NamedDependency[Principal],
        form_id: FromPath[str],
    ) -> Response[str]:
        """A QR code opening the saved draft's preview on a phone, for a while."""
        await require(db, principal, "form.design", Form(form_id))
        token, expires_at = await create_preview(db, principal.actor, _form_id(form_id))
        url = f"{request.base_url}".rstrip("/") + f"/preview/{token}?lang={request_lang(request)}"
        svg = segno.make(url, error="m").svg_inline(scale=4, border=2)
        return await _editor(
            request,
            db,
            settings,
            form_id,
            qr_svg=svg,
            qr_url=url,
            qr_until=local_time(expires_at, settings.timezone),
            qr_minutes=PREVIEW_MINUTES,
        )


async def _saved_text(db: Database, form_id: str) -> str | None:
    draft = await get_draft(db, form_id)
    if draft is not None:
        return draft.text
    try:
        schema = (await get_version(db, form_id)).schema
    except AppError:
        return None
    return json.dumps(schema, ensure_ascii=False)


@get("/preview/{token:str}", include_in_schema=False)
async def phone_preview_by_token(
    request: Request[Any, Any, Any], db: NamedDependency[Database], token: FromPath[str]
) -> Response[str]:
    """A draft's preview on a phone, opened from the designer's QR code: no login, for
    PREVIEW_MINUTES after the code was made."""
    form_id = await previewed_form(db, token)
    if form_id is None:
        raise AppError(
            404,
            "preview_expired",
            "此预览链接无效或已过期，请在设计页面重新生成二维码"
            if request_lang(request) == "zh"
            else "this preview link is not valid or has expired; make a new QR code",
        )
    response = await phone_preview(request, form_id, await _saved_text(db, form_id), framed=False)
    response.headers["Referrer-Policy"] = "no-referrer"  # the token stays in this address
    return response
