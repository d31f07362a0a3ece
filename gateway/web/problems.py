"""RFC 9457 problem+json responses for every error the API returns, including 404/405/500."""

from __future__ import annotations

import json
import logging

from aiohttp import web

from ..intake import Problem
from .context import REQUEST_ID, SETTINGS

log = logging.getLogger("fakturaport.web")
PROBLEM_TYPE = "application/problem+json"


def problem_response(problem: Problem, *, headers: dict | None = None) -> web.Response:
    return web.Response(
        status=problem.status,
        body=json.dumps(problem.body(), ensure_ascii=False).encode(),
        content_type=PROBLEM_TYPE,
        headers=headers,
    )


@web.middleware
async def problems_middleware(request: web.Request, handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except Problem as problem:
        return problem_response(problem)
    except web.HTTPRequestEntityTooLarge:
        limit = request.app[SETTINGS].max_body_bytes
        return problem_response(
            Problem(
                413,
                "Request body too large",
                f"the limit is {limit} bytes",
                kind="/problems/too-large",
            )
        )
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return problem_response(
            Problem(exc.status, exc.reason, exc.text or exc.reason), headers=_keep(exc)
        )
    except Exception:
        log.exception(
            "unhandled error", extra={"path": request.path, "request_id": request.get(REQUEST_ID)}
        )
        return problem_response(
            Problem(
                500,
                "Internal error",
                "the request failed inside the gateway; it has been logged",
                kind="/problems/internal",
            )
        )


def _keep(exc: web.HTTPException) -> dict:
    return {
        k: v
        for k, v in exc.headers.items()
        if k.lower() in ("allow", "www-authenticate", "retry-after")
    }
