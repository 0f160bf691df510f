"""Sharing-hub pages for an authenticated operator: partners, grants and where each came from,
collections, and the audit log with the state of its hash chain.

Operators sign in with a token from ``cyberdip share operator add``; the session is a cookie
signed with the server's secret (HttpOnly, SameSite=Strict, eight hours), checked against the
operators table on every request so that revoking an operator ends their session at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Connection

from cyberdip.interfaces.web.pages import workbench
from cyberdip.interfaces.web.render import Table, cell, page, record_link
from cyberdip.services import sharing, taxii

router = APIRouter(include_in_schema=False)
COOKIE = "cyberdip_operator"
SESSION_SECONDS = 8 * 3600


def _sign(secret: bytes, payload: str) -> str:
    return hmac.new(secret, payload.encode("utf-8"), hashlib.sha256).hexdigest()


def session_cookie(secret: bytes, name: str, now: float | None = None) -> str:
    expires = int((now or time.time()) + SESSION_SECONDS)
    payload = base64.urlsafe_b64encode(f"{expires}|{name}".encode()).decode()
    return f"{payload}.{_sign(secret, payload)}"


def _operator(request: Request, connection: Connection) -> str | None:
    """The signed-in operator, if the cookie is genuine, unexpired and the operator not revoked."""
    raw = request.cookies.get(COOKIE, "")
    payload, _, mac = raw.partition(".")
    if not payload or not hmac.compare_digest(mac, _sign(request.app.state.workbench.settings.secret, payload)):
        return None
    try:
        expires, name = base64.urlsafe_b64decode(payload.encode()).decode().split("|", 1)
    except (ValueError, UnicodeDecodeError):
        return None
    if int(expires) < time.time() or not sharing.operator_active(connection, name):
        return None
    return name


@router.get("/sharing")
def sharing_home(request: Request, partner: str | None = None) -> Response:
    with workbench(request).reading() as connection:
        operator = _operator(request, connection)
        if operator is None:
            return page(request, "sharing_login.html", title="Sharing hub", api=None,
                        status=401 if request.cookies.get(COOKIE) else 200,
                        expired=bool(request.cookies.get(COOKIE)))
        partners = sharing.list_partners(connection)
        collections = sharing.list_collections(connection)
        grants = sharing.list_grants(connection)
        sizes = taxii.collection_sizes(connection)
        chain = sharing.verify_audit(connection)
        entries = sharing.audit_log(connection, partner or None)[-200:][::-1]
    aliases = {c["id"]: c["alias"] for c in collections}
    tables = [
        Table("partners", "Partners", ["partner", "name", "agency", "state"],
              [[p["id"], p["name"], record_link(p["agency_id"]), record_link(p["state_id"]) if p["state_id"] else None]
               for p in partners],
              empty="No partners yet: `cyberdip share partner add AGENCY`, then `cyberdip share key issue PARTNER`."),
        Table("grants", "Grants and where each came from", ["partner", "collection", "read", "write", "up to TLP",
                                                             "basis", "from", "to"],
              [[g.partner_id, aliases.get(g.collection_id, g.collection_id), "yes" if g.can_read else "no",
                "yes" if g.can_write else "no", g.max_tlp.upper(),
                "set by hand" if g.basis == "manual" else record_link(g.basis), g.valid_from, g.valid_to]
               for g in grants],
              empty="No grants: set one with `cyberdip share grant`, or derive them from the instruments with "
                    "`cyberdip share derive`."),
        Table("collections", "Collections", ["alias", "title", "id", "object versions"],
              [[c["alias"], c["title"], c["id"], sizes.get(c["id"], 0)] for c in collections],
              numeric=["object versions"], empty="No collections: `cyberdip share collection add ALIAS --title T`."),
        Table("audit", f"Audit log{' for ' + partner if partner else ''} (latest 200)",
              ["#", "when", "partner", "collection", "action", "objects", "outcome"],
              [[e["seq"], str(e["at"])[:19], e["partner_id"], aliases.get(e["collection_id"], e["collection_id"]),
                e["action"], cell(len(e["object_ids"]), title=", ".join(e["object_ids"][:20])), e["outcome"]]
               for e in entries], numeric=["#", "objects"], empty="Nothing audited yet."),
    ]
    return page(request, "sharing.html", title="Sharing hub", api=None, tables=tables, operator=operator,
                chain=chain, partner=partner or "", partner_ids=[p["id"] for p in partners])


@router.post("/sharing/login")
async def login(request: Request) -> Response:
    body = (await request.body())[:4096].decode("utf-8", errors="replace")
    token = (parse_qs(body).get("token") or [""])[0]
    with workbench(request).reading() as connection:
        name = sharing.authenticate_operator(connection, token)
    if name is None:
        return page(request, "sharing_login.html", title="Sharing hub", api=None, status=401, refused=True)
    response = RedirectResponse("/sharing", status_code=303)
    secret = request.app.state.workbench.settings.secret
    response.set_cookie(COOKIE, session_cookie(secret, name), max_age=SESSION_SECONDS,
                        httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/sharing")
    return response


@router.post("/sharing/logout")
def logout() -> Response:
    response = RedirectResponse("/sharing", status_code=303)
    response.delete_cookie(COOKIE, path="/sharing")
    return response

