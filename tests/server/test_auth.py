"""No handler of the extension answers a request without authentication.

The check walks the extension's own route table (``cellops.server.routes``, tracking routes
included), so a handler added later without ``@web.authenticated`` fails here. XSRF checks are
off in this module: otherwise a POST without a token would be refused by the XSRF check alone,
and a handler missing its authentication would go unnoticed.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from tornado.web import RequestHandler

from cellops.server import routes

VERBS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@pytest.fixture
def jp_server_config() -> dict[str, Any]:
    return {
        "ServerApp": {"jpserver_extensions": {"cellops": True}, "disable_check_xsrf": True},
    }


SAMPLES = ("1", "sample-1")


def _sample(group: re.Match[str]) -> str:
    for value in SAMPLES:
        if re.fullmatch(group[1], value):
            return value
    raise AssertionError(f"no sample value matches the route group {group[0]}")


def _concrete(pattern: str) -> str:
    """A URL the pattern matches: each group becomes a harmless sample value it accepts."""
    url = re.sub(r"\((?:\?P<\w+>)?([^)]*)\)", _sample, pattern).rstrip("$")
    assert re.fullmatch(pattern, url), (pattern, url)
    return url


def _implements(handler: type[RequestHandler], verb: str) -> bool:
    method = getattr(handler, verb.lower(), None)
    return method is not None and method is not getattr(RequestHandler, verb.lower())


def test_route_table_covers_every_endpoint_of_the_contract() -> None:
    table = {_concrete(p): h for p, h in routes("/")}
    assert {"/cellops/api/analysis", "/cellops/api/promote", "/cellops/api/runs"} <= set(table)
    assert "/cellops/api/runs/1" in table


async def test_every_route_and_verb_needs_authentication(
    http_server_client: Any, jp_base_url: str
) -> None:
    checked = []
    for pattern, handler in routes(jp_base_url):
        url = f"{_concrete(pattern)}?path=x&package=x&stage=x"
        for verb in VERBS:
            body = b"{}" if verb in ("POST", "PUT", "PATCH") else None
            response = await http_server_client.fetch(
                url, method=verb, body=body, raise_error=False
            )
            expected = {403} if _implements(handler, verb) else {403, 405}
            assert response.code in expected, f"{verb} {url} without a token -> {response.code}"
            checked.append((verb, pattern))
    assert len({p for _, p in checked}) == len(routes(jp_base_url))


async def test_a_token_opens_the_same_routes(jp_fetch: Any) -> None:
    response = await jp_fetch(
        "cellops", "api", "analysis", params={"path": "none.ipynb"}, raise_error=False
    )
    assert response.code == 404  # authenticated, and the notebook does not exist
