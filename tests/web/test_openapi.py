"""The OpenAPI description lists exactly the routes the app serves."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

import jsonschema_rs
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from commentsvc.errors import Invalid
from commentsvc.policy import Policy, PolicyError
from commentsvc.validation import Fields
from commentsvc.web.openapi import OPERATIONS
from commentsvc.web.openapi.core import email_field, site_field, text_field, url_field
from commentsvc.web.openapi.moderation import policy_schemas


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


# ----- the request schemas accept exactly what validation accepts ---------------------------

SPECIAL = "\t\n\r\x0b\x0c\x1c\x1f\x00\x7f\x85\x9f \xa0\u1680\u2003\u2028\u2029\u202e\u2066\ufeff"
TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(SPECIAL),
        st.sampled_from('aZ9@.-_=?:/<"é'),
        st.characters(exclude_categories=["Cs"]),
    ),
    max_size=12,
)
VALUES = st.one_of(TEXT, st.none(), st.integers(-3, 3), st.booleans())
DERANDOMIZED = settings(max_examples=200, derandomize=True, deadline=None, database=None)


def agree(schema: dict[str, Any], value: Any, accepted: Callable[[Any], Any]) -> None:
    """The schema and the service (`accepted` raises Invalid to refuse) say the same."""
    try:
        accepted(value)
        served = True
    except Invalid:
        served = False
    assert _validator(json.dumps(schema)).is_valid(value) is served, (schema, value)


@functools.cache
def _validator(schema: str) -> Any:
    return jsonschema_rs.validator_for(json.loads(schema))


def field(name: str, value: Any) -> Fields:
    return Fields({} if value is _MISSING else {name: value})


_MISSING = object()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_chars": 5},
        {"max_chars": 5, "required": True},
        {"max_chars": 6, "min_chars": 3, "required": True, "multiline": True},
        {"max_chars": 1},
        {"max_chars": 5, "multiline": True, "strip": False},
        {"max_chars": 6, "min_chars": 3, "required": True, "strip": False},
    ],
)
@DERANDOMIZED
@given(value=VALUES)
def test_text_fields_accept_what_fields_text_accepts(kwargs: dict[str, Any], value: Any) -> None:
    def read(raw: Any) -> None:
        f = field("x", raw)
        f.text("x", **kwargs)
        f.done()

    agree(text_field(**kwargs), value, read)


@DERANDOMIZED
@given(value=st.one_of(VALUES, st.builds("{}@{}.{}".format, TEXT, TEXT, TEXT)))
def test_email_site_and_url_fields_agree(value: Any) -> None:
    def email(raw: Any, required: bool) -> None:
        f = field("e", raw)
        f.email("e", required=required)
        f.done()

    def site(raw: Any) -> None:
        f = field("site", raw)
        f.site()
        f.done()

    def url(raw: Any) -> None:
        f = field("u", raw)
        f.url("u")
        f.done()

    agree(email_field(), value, lambda raw: email(raw, False))
    agree(email_field(required=True), value, lambda raw: email(raw, True))
    agree(site_field(), value, site)
    for prefix in ("", "http://", "HTTPS://"):
        candidate = prefix + value if isinstance(value, str) else value
        agree(url_field(), candidate, url)


@DERANDOMIZED
@given(
    value=st.one_of(
        VALUES,
        st.integers(-5, 100_100).map(str),
        st.from_regex(r"\A[ \x1c\t-]{0,2}0{0,2}[0-9]{1,6}[ \n]?\Z"),
    )
)
def test_policy_integers_accept_what_the_policy_accepts(value: Any) -> None:
    schema = policy_schemas()["NewPolicy"]["properties"]["flag_threshold"]
    agree(schema, value, lambda raw: _read_policy({"flag_threshold": raw}))
    schema = policy_schemas()["NewPolicy"]["properties"]["edit_window_s"]
    agree(schema, value, lambda raw: _read_policy({"edit_window_s": raw}))


def _read_policy(data: dict[str, Any]) -> None:
    try:
        Policy.from_json(data)
    except PolicyError as exc:
        raise Invalid(str(exc)) from None
