from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from node.api.deps import NodeDep
from node.db.faults import disk_low, storage_fault
from node.db.migrate import require_migrated
from node.errors import ConfigError, ErrorCode, NodeError
from node.forms.models import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="The process is up")
def healthz(node: NodeDep) -> Health:
    return Health(status="ok", node_id=node.config.node_id)


@router.get("/readyz", response_model=Health,
            summary="The database answers, is migrated, and the data folder has room to write")
def readyz(node: NodeDep) -> Health:
    try:
        with node.db.read() as conn:
            conn.execute(text("SELECT 1"))
        require_migrated(node.db)
    except ConfigError:
        raise  # not migrated: 503 not_migrated with what to run
    except Exception as exc:
        fault = storage_fault(exc)  # 503 database_unavailable, with Retry-After
        if fault is not None:
            raise fault from exc
        raise NodeError(ErrorCode.NOT_MIGRATED, f"database not ready: {exc}") from exc
    low = disk_low(node.config.data_path)
    if low is not None:
        raise low  # 507 storage_full: writes would fail
    height, head = 0, ""
    with node.db.read() as conn:
        height, head = node.ledger.head(conn)
    return Health(
        status="ready",
        node_id=node.config.node_id,
        details={"ledger_height": height, "head_hash": head},
    )
