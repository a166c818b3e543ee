"""The worker's HTTP edge: probes, Prometheus metrics and synchronous scoring.

`/v1/score` runs the very same validation and `Scorer` as the stream, and writes nothing anywhere.
"""

from __future__ import annotations

import hmac
import json
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from detectors.pipeline import Scorer
from detectors.schema import ScoreRecord, SourceRef
from sidecar.errors import InvalidMessage
from sidecar.metrics import Metrics
from sidecar.settings import Settings
from sidecar.validate import parse_conversation
from sidecar.worker import WorkerState

STALL_SECONDS = 120.0
MAX_API_CONVERSATIONS = 1000


class ScoreRequest(BaseModel):
    conversations: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_API_CONVERSATIONS)


class ItemError(BaseModel):
    index: int
    reason: str
    detail: str


class ScoreResponse(BaseModel):
    records: list[ScoreRecord]
    errors: list[ItemError]
    detector_failures: list[dict[str, Any]]
    provider: str


def bearer_guard(settings: Settings):  # noqa: ANN201 - a FastAPI dependency
    expected = settings.api_token.get_secret_value().encode() if settings.api_token else None

    def check(authorization: Annotated[str | None, Header()] = None) -> None:
        if expected is None:
            return
        scheme, _, token = (authorization or "").partition(" ")
        # Constant-time compare: the token must not leak through response timing.
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.encode(), expected):
            raise HTTPException(
                status_code=401, detail="missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"}
            )

    return check


def create_app(settings: Settings, scorer: Scorer, metrics: Metrics, state: WorkerState) -> FastAPI:
    app = FastAPI(title="Sahaja", version="0.1.0", docs_url=None, redoc_url=None)
    guard = bearer_guard(settings)

    @app.get("/healthz")
    def healthz() -> Response:
        alive = state.alive(STALL_SECONDS) or not state.models_loaded
        return Response(status_code=200 if alive else 503, content="ok" if alive else "stalled")

    @app.get("/readyz")
    def readyz() -> Response:
        body = {
            "ready": state.ready,
            "models_loaded": state.models_loaded,
            "assigned": state.assigned,
            "connected": state.connected,
        }
        return Response(
            status_code=200 if state.ready else 503, content=json.dumps(body), media_type="application/json"
        )

    @app.get("/metrics")
    def prometheus() -> Response:
        return Response(content=metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")

    @app.post("/v1/score", dependencies=[Depends(guard)])
    async def score(request: Request) -> ScoreResponse:
        raw = await request.body()
        if len(raw) > settings.max_message_bytes * 16:
            raise HTTPException(status_code=413, detail="request body too large")
        try:
            body = ScoreRequest.model_validate_json(raw)
        except ValueError as exc:
            raise HTTPException(status_code=422, detail=f'body must be {{"conversations": [...]}}: {exc}') from None
        return await run_in_threadpool(_score_items, body.conversations, settings, scorer)

    return app


def _score_items(conversations: list[dict[str, Any]], settings: Settings, scorer: Scorer) -> ScoreResponse:
    items, errors = [], []
    for index, payload in enumerate(conversations):
        try:
            raw = json.dumps(payload, ensure_ascii=False).encode()
            items.append(
                parse_conversation(
                    raw,
                    SourceRef(topic="api"),
                    max_bytes=settings.max_message_bytes,
                    max_messages=settings.max_messages,
                )
            )
        except InvalidMessage as exc:
            errors.append(ItemError(index=index, reason=exc.reason, detail=exc.detail))
    outcome = scorer.score(items)
    return ScoreResponse(
        records=outcome.records,
        errors=errors,
        detector_failures=[{"detector": f.detector, "error": f.error} for f in outcome.failures],
        provider=scorer.provider,
    )
