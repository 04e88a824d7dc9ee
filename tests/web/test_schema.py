"""Every endpoint fuzzed from its own OpenAPI schema by schemathesis: whatever a client sends
(wrong types, NaN, lone surrogates, huge numbers, missing fields), the answer is never a 5xx
but an upstream's (the Hub, absent here), and every error body is JSON."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402

from nnsize.web.app import create_app  # noqa: E402

schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(hub=False))


@schema.parametrize()
@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_endpoint_answers_a_5xx(case: schemathesis.Case) -> None:
    response = case.call()
    assert response.status_code < 500, (case.method, case.path, case.body,
                                        response.text[:300])
    response.json()  # every answer, errors included, is JSON
