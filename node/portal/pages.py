"""The regulator's pages. Every page shows one signed report of the history; every figure on
it links to that report's files, which download as they are kept.

    /portal                                  the newest report's dashboard (the first screen)
    /portal/reports                          every report kept, newest first; "现在生成" (POST)
    /portal/reports/<id>                     an older report's dashboard
    /portal/reports/<id>/nodes/<node>        one node, from its signed node report inside
    /portal/reports/<id>/links/<a>/<b>       one link: both sides, hours past the last cut
    /portal/reports/<id>/files/<name>        report.json/.csv/.html, directory.json
    /portal/reports/<id>/export.csv|.xlsx    the dashboard's tables
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from markupsafe import Markup

from node.errors import ErrorCode, NotFound
from node.portal import export, trend, view
from node.portal.history import Kept
from node.portal.web import (
    PREFIX,
    SECURITY_HEADERS,
    PortalRoute,
    Session,
    portal_of,
    redirect,
    render,
    signed_in,
    signed_in_form,
)
from protocol.addresses import NODE_ID_PATTERN

router = APIRouter(prefix=PREFIX, route_class=PortalRoute, include_in_schema=False)
SessionDep = Annotated[Session, Depends(signed_in)]
ReportId = Annotated[str, Path(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{9}Z$")]
NodeId = Annotated[str, Path(pattern=NODE_ID_PATTERN)]
MEDIA = {"report.json": "application/json", "report.csv": "text/csv; charset=utf-8",
         "report.html": "text/html; charset=utf-8", "directory.json": "application/json"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _kept(request: Request, rid: str | None) -> Kept | None:
    history = portal_of(request).history
    if rid is None:
        return history.newest()
    return history.read(rid)


def _dashboard_context(request: Request, kept: Kept) -> dict[str, Any]:
    names = view.directory_names(kept)
    summary = view.summary_of(kept, names)
    debts = summary.debts if summary else ()
    doc, points = kept.document, trend.points(portal_of(request).history)
    readable = summary is not None
    return {"kept": kept, "top": view.headline(kept, names),
            "nodes": view.node_rows(doc, names) if readable else [],
            "links": view.link_rows(doc, names, debts) if readable else [],
            "ages": view.discrepancy_rows(doc) if readable else [],
            "in_doubt": view.in_doubt_rows(doc, names) if readable else [],
            "service": view.service_rows(doc, names) if readable else [],
            "points": points, "chart": Markup(trend.chart(points))}


async def _dashboard(request: Request, session: Session, rid: str | None) -> Response:
    kept = await run_in_threadpool(_kept, request, rid)
    if kept is None:
        return render("empty.html", session=session)
    context = await run_in_threadpool(_dashboard_context, request, kept)
    made = request.query_params.get("made", "")
    return render("dashboard.html", session=session, newest=rid is None,
                  notice="已生成一份新报告。" if made == kept.id else "", **context)


@router.get("")
async def dashboard(request: Request, session: SessionDep) -> Response:
    return await _dashboard(request, session, None)


@router.get("/reports/{rid}")
async def old_dashboard(request: Request, session: SessionDep, rid: ReportId) -> Response:
    return await _dashboard(request, session, rid)


@router.get("/reports")
async def reports(request: Request, session: SessionDep) -> Response:
    history = portal_of(request).history

    def rows() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for rid in history.ids():
            try:
                kept = history.read(rid)
            except NotFound:  # its report.json is gone: listed, never skipped silently
                found.append({"id": rid, "top": None, "verified": False})
                continue
            top = view.headline(kept, view.directory_names(kept))
            found.append({"id": rid, "top": top, "verified": not kept.problems})
        return found

    return render("reports.html", session=session, rows=await run_in_threadpool(rows))


@router.post("/reports")
async def make_now(request: Request,
                   signed: Annotated[tuple[Session, dict[str, str]], Depends(signed_in_form)]
                   ) -> Response:
    portal = portal_of(request)
    kept = await run_in_threadpool(portal.maker.make, f"on demand by {signed[0].username}")
    return redirect(f"{PREFIX}?made={kept.id}")


@router.get("/reports/{rid}/files/{name}")
async def report_file(request: Request, _: SessionDep, rid: ReportId, name: str) -> Response:
    path = portal_of(request).history.file(rid, name)
    return FileResponse(path, media_type=MEDIA[name], filename=f"{rid}-{name}",
                        headers={**SECURITY_HEADERS, "Cache-Control": "no-store"})


@router.get("/reports/{rid}/nodes/{node}")
async def node_page(request: Request, session: SessionDep, rid: ReportId,
                    node: NodeId) -> Response:
    kept = await run_in_threadpool(_kept, request, rid)
    assert kept is not None
    detail = view.node_detail(kept.document, node, view.directory_names(kept))
    if not detail:
        raise NotFound(ErrorCode.ROUTE_NOT_FOUND, f"no node {node} in report {rid}")
    return render("node.html", session=session, kept=kept, d=detail)


@router.get("/reports/{rid}/links/{a}/{b}")
async def link_page(request: Request, session: SessionDep, rid: ReportId, a: NodeId,
                    b: NodeId) -> Response:
    kept = await run_in_threadpool(_kept, request, rid)
    assert kept is not None
    names = view.directory_names(kept)
    summary = view.summary_of(kept, names)
    detail = view.link_detail(kept.document, a, b, names, summary.debts if summary else ())
    if not detail:
        raise NotFound(ErrorCode.ROUTE_NOT_FOUND, f"no link {a}–{b} in report {rid}")
    return render("link.html", session=session, kept=kept, d=detail)


@router.get("/reports/{rid}/export.{kind}")
async def export_tables(request: Request, _: SessionDep, rid: ReportId, kind: str) -> Response:
    if kind not in ("csv", "xlsx"):
        raise NotFound(ErrorCode.ROUTE_NOT_FOUND, f"no export as {kind}")
    kept = await run_in_threadpool(_kept, request, rid)
    assert kept is not None
    tables = export.tables(kept, view.directory_names(kept))
    body = export.as_csv(tables) if kind == "csv" else export.as_xlsx(tables)
    media = "text/csv; charset=utf-8" if kind == "csv" else XLSX
    return Response(body, media_type=media, headers={
        **SECURITY_HEADERS,
        "Content-Disposition": f'attachment; filename="portal-{rid}.{kind}"'})
