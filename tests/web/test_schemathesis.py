"""schemathesis against the served app's OpenAPI spec: no generated request gets a 500, as an
editor with an API token (every write allowed) — a bug would show as a server error.

Each operation's requests come from schemathesis's Hypothesis strategy for it and are sent to
the real server (schemathesis's pytest plugin does not run under this pytest).
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from demandos.web.users import Users
from demandos.workspace import Workspace

from .conftest import Served

pytestmark = pytest.mark.slow
EXAMPLES = 20  # per operation


def test_no_generated_request_gets_a_server_error(served: Served) -> None:
    with Workspace.open(served.root) as ws:
        token = Users(ws.log).issue_token("priya", "schemathesis")
    schema = schemathesis.openapi.from_url(f"{served.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    failures: list[str] = []

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        def check(case: Any) -> None:
            response = case.call(
                base_url=served.url, headers={"authorization": f"Bearer {token}"}, timeout=120
            )
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.text[:300]}")
            elif response.status_code >= 400 and "json" in str(response.headers):
                error = response.json()["error"]
                assert set(error) == {"status", "code", "message", "hint"}

        check()
    assert failures == []
