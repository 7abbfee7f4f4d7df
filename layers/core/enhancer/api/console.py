"""Routes for the web console: its static files at ``/`` and ``/console/…``, the operations panel (queue and
DLQ depths, redrive, stuck documents) and the latest eval report.

The eval report is a local file (``EVAL_REPORT``, which ``doc-enhancer serve`` and ``console`` set); on
Lambda there is none and the route answers 404."""

import json
import os
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel

from enhancer.api import operations
from enhancer.api.errors import NotFound
from enhancer.console import ASSETS, asset

EVAL_REPORT_ENV = "EVAL_REPORT"
QUEUE_PATTERN = r"^[a-z_]{1,32}$"

router = Router()


def _services() -> Any:
    from enhancer.api.app import services  # the app module owns the services cache

    return services()


def _static(name: str) -> Response[str]:
    return Response(
        status_code=HTTPStatus.OK,
        content_type=ASSETS[name],
        body=asset(name).read_text(encoding="utf-8"),
        headers={
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
            # Nothing but this origin's own files and API: a document's text can never become script.
            "Content-Security-Policy": (
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                "connect-src 'self' http: https:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
            ),
        },
    )


@router.get("/", include_in_schema=False)
def get_console() -> Response[str]:
    return _static("index.html")


@router.get("/console/eval-report", include_in_schema=False)
def get_eval_report() -> Response[str]:  # registered before /console/<name>, which would match it
    path = os.environ.get(EVAL_REPORT_ENV)
    if not path or not os.path.isfile(path):
        raise NotFound("no eval report (run doc-enhancer eval, then serve with --eval-report)")
    with open(path, encoding="utf-8") as handle:
        report = json.load(handle)
    return Response(status_code=HTTPStatus.OK, content_type="application/json", body=json.dumps(report))


@router.get("/console/<name>", include_in_schema=False)
def get_console_asset(name: str) -> Response[str]:
    if name not in ASSETS:
        raise NotFound(f"no console file {name!r}")
    return _static(name)


class Profiles(BaseModel):
    profiles: list[str]


@router.get("/profiles", summary="The extraction profiles an upload may name", tags=["documents"])
def get_profiles() -> Profiles:
    return Profiles(profiles=sorted(_services().profiles))


@router.get("/operations/queues", summary="Every queue's depth and its DLQ's", tags=["operations"])
def get_queues() -> operations.QueueDepths:
    return operations.queue_depths(_services())


@router.post(
    "/operations/queues/<queue>/redrive",
    summary="Move a queue's dead-lettered messages back to it",
    tags=["operations"],
)
def post_redrive(queue: Annotated[str, Path(pattern=QUEUE_PATTERN)]) -> operations.Redriven:
    return operations.redrive(_services(), queue)


@router.get(
    "/operations/stuck", summary="Documents in a non-terminal status for too long", tags=["operations"]
)
def get_stuck(
    older_than_minutes: Annotated[int, Query(ge=0, le=7 * 24 * 60)] = 15,
) -> operations.StuckDocuments:
    return operations.stuck_documents(_services(), older_than_minutes)
