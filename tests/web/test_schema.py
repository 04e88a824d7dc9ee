"""Every endpoint fuzzed from its own OpenAPI schema by schemathesis: whatever a client sends
(wrong types, NaN, lone surrogates, huge numbers, missing fields), the answer is never a 5xx
but an upstream's (the Hub, absent here), and every error body is JSON."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")
from fastapi.testclient import TestClient  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

from nnsize.web.app import create_app  # noqa: E402

# the app's own schema, read with one request of a test client whose event-loop thread ends
# with it: schemathesis' own loading (from_asgi) leaves its thread running for the rest of the
# session, and a process with threads forks no child (nnsize.child), so every test collected
# beside this file would count with transformers in slower children
app = create_app(hub=False)
schema = schemathesis.openapi.from_dict(TestClient(app).get("/openapi.json").json())
schema.app, schema.location = app, "/openapi.json"


@schema.parametrize()
@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_endpoint_answers_a_5xx(case: schemathesis.Case) -> None:
    response = case.call()
    assert response.status_code < 500, (case.method, case.path, case.body,
                                        response.text[:300])
    response.json()  # every answer, errors included, is JSON
