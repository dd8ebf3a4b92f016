"""The service answers what its OpenAPI description says: schemathesis over every operation.

One bounded, derandomized run against the real app on a loopback port (SQLite and
real Redis): every operation gets a few valid requests and a few invalid ones; the
moderation routes carry a moderator API token, the author's routes an edit token,
and the `{id}` routes are also called with ids that exist. A response fails the run
when it is a 5xx, has a status or content type the description doesn't list for the
operation, doesn't match its schema, or when valid data is refused / invalid data
accepted.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
import schemathesis
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode, Response
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from commentsvc.auth import Accounts
from commentsvc.config import DEFAULT_RATE_LIMITS
from commentsvc.web.openapi import openapi_spec
from tests.support import drain, live_client, make_settings, runtime_of

Client = TestClient[Any, Any]

# Every limited action far above what the run sends (production defaults stay as they are).
UNLIMITED = ",".join(f"{name}=100000/60" for name in DEFAULT_RATE_LIMITS)
EXAMPLES = 10  # per operation and kind of case: enough to meet every field, bounded in time
STREAM_READ_S = 0.3  # an event stream never ends; read its start, then hang up

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    positive_data_acceptance,
    negative_data_rejection,
]


@dataclass
class Seeds:
    """Things that exist, so the `{id}` routes answer more than 404."""

    api_token: str
    comment_id: str
    edit_token: str
    ban_id: str


@dataclass
class Report:
    cases: int = 0
    failures: dict[tuple[str, str], str] = field(default_factory=dict)

    def add(self, case: Case, response: Response, exc: Failure | FailureGroup) -> None:
        failures = exc.exceptions if isinstance(exc, FailureGroup) else (exc,)
        for failure in failures:
            key = (case.operation.label, failure.title)
            if key in self.failures:
                continue
            sent = {
                "path": case.path_parameters,
                "query": case.query,
                "body": case.body if not isinstance(case.body, bytes) else case.body[:200],
                "mode": case.meta.generation.mode.value if case.meta else "?",
            }
            self.failures[key] = (
                f"{failure.message[:600]}\n  sent: {str(sent)[:1500]}\n"
                f"  got: {response.status_code} {response.text[:400]}"
            )


@pytest.fixture
async def client(
    tmp_path: Path, sqlite_url: str, redis_url: str, redis: aioredis.Redis
) -> AsyncIterator[Client]:
    settings_ = make_settings(tmp_path, sqlite_url, redis_url, COMMENTSVC_RATE_LIMITS=UNLIMITED)
    async with live_client(settings_) as c:
        await runtime_of(c).store.sites.update("default", policy={"flood_max": 100_000})
        runtime_of(c).service.forget_site("default")
        yield c


async def seed(client: Client) -> Seeds:
    runtime = runtime_of(client)
    accounts = Accounts(runtime.store, runtime.keys)
    await accounts.add_moderator("conformance@example.org", "correct horse battery staple", "admin")
    api_token = await accounts.issue_token("conformance@example.org")
    resp = await client.post(
        "/api/v1/comments",
        json={"thread": "conformance/article", "body": "A comment that exists."},
    )
    posted = await resp.json()
    assert resp.status == 202, posted
    await drain(client)
    resp = await client.post(
        "/api/v1/comments",
        json={"thread": "conformance/article", "body": "A reply.", "parent_id": posted["id"]},
    )
    assert resp.status == 202, await resp.text()
    await drain(client)
    resp = await client.post(
        "/api/v1/moderation/bans",
        json={"kind": "name", "value": "Spammer"},
        headers={"Authorization": f"Bearer {api_token}"},
    )
    ban = await resp.json()
    assert resp.status == 201, ban
    return Seeds(api_token, posted["id"], posted["edit_token"], str(ban["ban"]["id"]))


def uses(op: Any, scheme: str) -> bool:
    return any(scheme in req for req in op.definition.raw.get("security", []))


def variants(op: Any, seeds: Seeds) -> Iterator[tuple[str, dict[str, Any], dict[str, str]]]:
    """(name, fixed path parameters, headers) for each way this operation is called."""
    params = {p["name"] for p in op.definition.raw.get("parameters", []) if p["in"] == "path"}
    headers: dict[str, str] = {}
    if uses(op, "apiToken"):
        headers["Authorization"] = f"Bearer {seeds.api_token}"
    yield "generated", {}, headers
    if "id" in params:
        real = seeds.ban_id if "/bans/" in op.path else seeds.comment_id
        if uses(op, "editToken"):
            headers = {"Authorization": f"Bearer {seeds.edit_token}"}
        yield "existing", {"id": real}, headers
    if "site" in params:
        yield "existing", {"site": "default"}, headers


FUTURE = "2100-01-01T00:00:00Z"


def settle(case: Case) -> None:
    """Valid data the description can't tell from stale data: make it current.

    A body's site must exist (only `default` does), a cursor must come from a previous
    page, a ban must end in the future, and bulk `versions` name only ids being decided.
    Negative cases are left as generated.
    """
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    if isinstance(case.body, dict):
        if isinstance(case.body.get("site"), str) and case.body["site"].strip():
            case.body["site"] = "default"
        if isinstance(case.body.get("expires_at"), str) and case.body["expires_at"]:
            case.body["expires_at"] = FUTURE
        versions, ids = case.body.get("versions"), case.body.get("ids")
        if isinstance(versions, dict) and isinstance(ids, list):
            case.body["versions"] = {k: v for k, v in versions.items() if k in ids}
    if case.query:
        case.query.pop("cursor", None)


POLICY_PATH = "/api/v1/sites/{site}/policy"


def restore_policy(base_url: str, headers: dict[str, str]) -> None:
    request = urllib.request.Request(
        base_url + "/api/v1/sites/default/policy",
        data=json.dumps({"flood_max": 100_000}).encode(),
        method="PUT",
        headers={**headers, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.status == 200


def run_operation(
    op: Any,
    base_url: str,
    path_parameters: dict[str, Any],
    headers: dict[str, str],
    mode: GenerationMode,
    report: Report,
) -> None:
    kwargs: dict[str, Any] = {"timeout": STREAM_READ_S} if op.path == "/api/v1/stream" else {}
    strategy = op.as_strategy(generation_mode=mode, path_parameters=path_parameters or None)

    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def test(case: Case) -> None:
        report.cases += 1
        settle(case)
        response = case.call(base_url=base_url, headers=headers, **kwargs)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (Failure, FailureGroup) as exc:
            report.add(case, response, exc)
        if op.path == POLICY_PATH and op.method.upper() in ("PUT", "PATCH"):
            restore_policy(base_url, headers)  # a generated policy may refuse later valid data

    try:
        test()
    except Unsatisfiable:
        # Nothing about this operation can be wrong (no parameters, or all of them fixed)
        assert mode is GenerationMode.NEGATIVE, op.label


def run_all(base_url: str, seeds: Seeds) -> Report:
    schema = schemathesis.openapi.from_dict(openapi_spec())
    report = Report()
    operations = [result.ok() for result in schema.get_all_operations()]
    # Deletions last, so the other operations meet the seeded comment and ban as they are.
    for op in sorted(operations, key=lambda op: (op.method.upper() == "DELETE", op.label)):
        for _name, path_parameters, headers in variants(op, seeds):
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                run_operation(op, base_url, path_parameters, headers, mode, report)
    return report


@pytest.mark.timeout(300)  # one bounded run over every operation: ~60 s quiet, ~100 s loaded
async def test_the_service_answers_what_its_description_says(client: Client) -> None:
    seeds = await seed(client)
    base_url = str(client.make_url("")).rstrip("/")
    report = await asyncio.to_thread(run_all, base_url, seeds)
    lines = [f"{op}: {title}\n{detail}" for (op, title), detail in sorted(report.failures.items())]
    assert not report.failures, f"{len(lines)} failures in {report.cases} cases:\n\n" + "\n\n".join(
        lines
    )
    assert report.cases > 100
