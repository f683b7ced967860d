"""The history of federation reports: every report the portal made, kept as signed files.

    history/<id>/report.json     signed by the federation authority (standard §19)
    history/<id>/report.csv      its tables; report.html, its page (their hashes are signed)
    history/<id>/directory.json  the signed directory it was made against, so that it verifies
                                 offline after the authority publishes a newer one

`<id>` is the report's UTC time, `2026-12-07T063000123Z`: folders sort by date. A report is
made in a hidden folder and renamed into place whole, so a crash never leaves half of one in the
history. Folders are 0700 and files 0600. Reading one back verifies it as `hourbridge
verify-report` does (node/reports/verify.py): a stored file that was edited shows as such.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from node.clock import Clock
from node.datadir import make_private_dir
from node.errors import ErrorCode, NotFound
from node.federation import parse_anchor
from node.portal.folder import PortalFolder, write_private
from node.reports import federation
from node.reports.document import CSV_NAME, HTML_NAME, JSON_NAME
from node.reports.evidence import load_directory
from node.reports.verify import ReportInvalid, verify_report
from protocol.canonical import canonical_bytes
from protocol.errors import ProtocolError
from protocol.signing import SigningKey
from protocol.wire import parse_object

REPORT_ID = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{9}Z")
DIRECTORY_NAME = "directory.json"
FILES = (JSON_NAME, CSV_NAME, HTML_NAME, DIRECTORY_NAME)
MAKING_PREFIX = ".making-"
REPORTS_LISTED_MAX = 400  # newest first; older ones stay on disk
REPORT_BYTES_MAX = 64 * 1024 * 1024
CACHED_MAX = 64

ClientFactory = Callable[[], httpx.AsyncClient]


def report_id(now_ms: int) -> str:
    moment = datetime.fromtimestamp(now_ms / 1000, UTC)
    return f"{moment:%Y-%m-%dT%H%M%S}{now_ms % 1000:03d}Z"


@dataclass(frozen=True)
class Kept:
    """One report of the history, read back: `problems` is empty when it verified."""

    id: str
    folder: Path
    document: dict[str, Any]
    problems: tuple[str, ...]


class History:
    def __init__(self, folder: PortalFolder, *, key: SigningKey, clock: Clock,
                 client_factory: ClientFactory | None = None) -> None:
        self.folder = folder
        self.root = folder.history_path
        self.key = key
        self.clock = clock
        self.client_factory = client_factory
        self._cache: dict[tuple[str, int, int], Kept] = {}

    async def make(self, trigger: str) -> Kept:
        """Collect every node's signed report now and keep the federation report."""
        document, held = self.folder.read_directory()
        link_map = self.folder.read_link_map(held)
        anchors = [parse_anchor(a) for a in self.folder.settings().anchors]
        now_ms = self.clock.now_ms()
        rid = report_id(now_ms)
        making = self.root / f"{MAKING_PREFIX}{rid}"
        make_private_dir(self.root)
        make_private_dir(making)
        try:
            write_private(making / DIRECTORY_NAME, canonical_bytes(document))
            client = self.client_factory() if self.client_factory else httpx.AsyncClient()
            async with client:
                await federation.build_async(directory=document, tokens=self.folder.tokens(),
                                             out_dir=making, key=self.key, anchors=anchors,
                                             now_ms=now_ms, client=client,
                                             link_map=link_map)
            for name in FILES:
                os.chmod(making / name, 0o600)
            os.rename(making, self.root / rid)
        finally:
            shutil.rmtree(making, ignore_errors=True)
        self.folder.audit({"at_ms": now_ms, "action": "portal_report_made", "report": rid,
                           "trigger": trigger})
        return self.read(rid)

    def ids(self) -> list[str]:
        """Report ids, newest first (at most REPORTS_LISTED_MAX)."""
        if not self.root.is_dir():
            return []
        found = [p.name for p in self.root.iterdir() if REPORT_ID.fullmatch(p.name)]
        return sorted(found, reverse=True)[:REPORTS_LISTED_MAX]

    def newest(self) -> Kept | None:
        ids = self.ids()
        return self.read(ids[0]) if ids else None

    def file(self, rid: str, name: str) -> Path:
        """A file of a kept report, for download; NotFound for anything else."""
        if not REPORT_ID.fullmatch(rid) or name not in FILES:
            raise NotFound(ErrorCode.ROUTE_NOT_FOUND, f"no file {name} in report {rid}")
        path = self.root / rid / name
        if not path.is_file():
            raise NotFound(ErrorCode.ROUTE_NOT_FOUND, f"no report {rid}")
        return path

    def read(self, rid: str) -> Kept:
        """The report, verified against the directory kept beside it (cached while its files'
        sizes and times stay the same)."""
        path = self.file(rid, JSON_NAME)
        present = [path.parent / name for name in FILES if (path.parent / name).is_file()]
        stamp = max(p.stat().st_mtime_ns for p in present) + len(present)
        key = (rid, stamp, path.stat().st_size)
        if key not in self._cache:
            if len(self._cache) >= CACHED_MAX:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = self._verified(rid, path)
        return self._cache[key]

    def _verified(self, rid: str, path: Path) -> Kept:
        anchors = [parse_anchor(a) for a in self.folder.settings().anchors]
        problems = [f"{name} is missing" for name in FILES
                    if not (path.parent / name).is_file()]
        try:
            directory = load_directory(parse_object(
                (path.parent / DIRECTORY_NAME).read_bytes(), bytes_max=REPORT_BYTES_MAX),
                anchors=anchors)
            verify_report(path, directory=directory)
        except FileNotFoundError:
            pass  # named above
        except ProtocolError as exc:
            problems.append(f"directory.json: {exc.code.value}: {exc.detail}")
        except ReportInvalid as exc:
            problems += exc.problems
        try:
            document = parse_object(path.read_bytes(), bytes_max=REPORT_BYTES_MAX)
        except ProtocolError as exc:
            document, problems = {}, [*problems, f"report.json: {exc.detail}"]
        return Kept(id=rid, folder=path.parent, document=document, problems=tuple(problems))
