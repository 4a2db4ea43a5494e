"""Operator actions: the alerts feed and acknowledgement, the audited SQL console, the audit log.

SQL statements and alert decisions are audited write-ahead (``cloud.audit.writeahead``): the intent is durable
before the statement or decision runs, or it does not run and the answer is 503 ``audit_unavailable``.
"""

from __future__ import annotations

import logging
from typing import Any

import duckdb
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from cloud.audit.writeahead import begin
from cloud.cockpit.alerts import Action, Alert, RuleFeedback
from cloud.cockpit.auth import current_user, require
from cloud.cockpit.jsonsafe import cell
from cloud.cockpit.errors import NotFound, QueryFailed, QueryRefusedError, QueryTimedOut
from cloud.cockpit.routes_auth import cockpit_of
from cloud.cockpit.users import User
from cloud.twin.readonly import QueryRefused, QueryTimeout

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api", tags=["operations"])


class SqlRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sql: str = Field(min_length=1, max_length=20_000, title="One read-only SELECT statement")


class SqlResponse(BaseModel):
    columns: list[str]
    rows: list[list[Any]] = Field(title="Rows as lists, in column order")
    row_count: int
    truncated: bool = Field(title="True when the row limit cut the result")
    elapsed_ms: float


@router.get("/alerts", summary="The alerts feed: firing first, then newest first", response_model=list[Alert])
def alerts(request: Request, limit: int = Query(100, ge=1, le=500), user: User = Depends(current_user)) -> list[Alert]:
    return cockpit_of(request).alerts.recent(limit)


@router.get("/alerts/feedback", summary="Alerts fired and false alarms per rule, for tuning thresholds",
            response_model=list[RuleFeedback])
def feedback(request: Request, user: User = Depends(current_user)) -> list[RuleFeedback]:
    return cockpit_of(request).alerts.feedback()


def _act(alert_id: str, action: Action, request: Request, user: User) -> Alert:
    require("ack", user)
    cockpit = cockpit_of(request)
    with begin(cockpit.audit, user.username, f"alert.{action}", {"alert": alert_id}) as step:
        alert = cockpit.alerts.act(alert_id, action, user.username)
        if alert is None:
            step.note(error="no such alert")
            raise NotFound(f"no alert with id {alert_id!r}")
        step.note(rule=alert.rule, subject=alert.subject)
    return alert


@router.post("/alerts/{alert_id}/ack", summary="Acknowledge an alert: reminders stop (operator or admin)", response_model=Alert)
def acknowledge(alert_id: str, request: Request, user: User = Depends(current_user)) -> Alert:
    return _act(alert_id, "ack", request, user)


@router.post("/alerts/{alert_id}/false-alarm", summary="Mark an alert a false alarm, counted against its rule",
             response_model=Alert)
def false_alarm(alert_id: str, request: Request, user: User = Depends(current_user)) -> Alert:
    return _act(alert_id, "false_alarm", request, user)


@router.post("/alerts/{alert_id}/resolve", summary="Resolve an alert by hand; the rule re-arms", response_model=Alert)
def resolve(alert_id: str, request: Request, user: User = Depends(current_user)) -> Alert:
    return _act(alert_id, "resolve", request, user)


@router.post("/sql", summary="Run one read-only SQL statement against the twin (audited before it runs)",
             response_model=SqlResponse)
def sql(body: SqlRequest, request: Request, user: User = Depends(current_user)) -> SqlResponse:
    cockpit = cockpit_of(request)
    with begin(cockpit.audit, user.username, "sql.query", {"sql": body.sql}) as step:
        try:
            with cockpit.lock.read():
                result = cockpit.twin.query(body.sql)
        except QueryRefused as exc:
            step.note(refused=True, reason=str(exc), rows=0)
            raise QueryRefusedError(str(exc)) from None
        except QueryTimeout as exc:
            step.note(refused=False, error=str(exc), rows=0)
            raise QueryTimedOut(str(exc)) from None
        except duckdb.Error as exc:
            step.note(refused=False, error=str(exc), rows=0)
            raise QueryFailed(f"the query failed: {exc}") from None
        step.note(refused=False, rows=len(result.rows), truncated=result.truncated, elapsed_ms=round(result.elapsed_ms, 1))
        cockpit.series.query("sql", result.elapsed_ms / 1000)
    return SqlResponse(columns=result.columns, rows=[[cell(v) for v in row] for row in result.rows], row_count=len(result.rows),
                       truncated=result.truncated, elapsed_ms=result.elapsed_ms)


@router.get("/audit", summary="The newest audit records (auditor or admin)")
def audit(request: Request, last: int = Query(50, ge=1, le=1000), user: User = Depends(current_user)) -> list[dict[str, Any]]:
    require("audit", user)
    return cockpit_of(request).audit.records(last)[::-1]
