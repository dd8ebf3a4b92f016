"""The OpenAPI description lists exactly the routes the app serves."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from commentsvc.web.openapi import OPERATIONS


def served_routes(app: web.Application) -> set[tuple[str, str]]:
    out = set()
    for route in app.router.routes():
        if route.method in ("HEAD", "OPTIONS", "*"):
            continue
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter") or info.get("prefix")
        if path is None or str(path).startswith("/static"):
            continue
        out.add((route.method, str(path)))
    return out


async def test_spec_matches_routes(client: TestClient[Any, Any]) -> None:
    resp = await client.get("/api/openapi.json")
    spec = await resp.json()
    assert spec["openapi"].startswith("3.1")
    described = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    assert described == served_routes(client.server.app)  # type: ignore[arg-type]
    assert described == set(OPERATIONS)
    for ops in spec["paths"].values():
        for op in ops.values():
            assert op["summary"] and op["responses"]


async def test_problem_schema_is_referenced(client: TestClient[Any, Any]) -> None:
    spec = await (await client.get("/api/openapi.json")).json()
    post = spec["paths"]["/api/v1/comments"]["post"]
    for status in ("400", "409", "413", "415", "422", "429"):
        assert post["responses"][status]["content"]["application/problem+json"]["schema"][
            "$ref"
        ].endswith("/Problem")
