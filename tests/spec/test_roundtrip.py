"""Laws: every valid spec dumps to YAML and loads back equal."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from demandos.spec import dump_yaml
from demandos.spec.yamlio import parse_yaml

from . import strategies

STRATEGIES: dict[str, st.SearchStrategy[Any]] = {
    "workspace": strategies.workspace_specs(),
    "kernel": strategies.kernel_specs(),
    "team": strategies.team_specs(),
    "metrics": strategies.metrics_specs(),
    "channels": strategies.channels_specs(),
    "cadence": strategies.cadence_specs(),
    "workflow": strategies.workflow_specs(),
    "stack": strategies.stack_specs(),
    "rollout": strategies.rollout_specs(),
}


def reload(model: BaseModel, *, exclude_unset: bool) -> BaseModel:
    text = dump_yaml(model, exclude_unset=exclude_unset)
    parsed = parse_yaml(text, "roundtrip.yaml")
    assert parsed.ok, (text, [f.render() for f in parsed.findings])
    return type(model).model_validate(parsed.data)


@pytest.mark.parametrize("name", list(STRATEGIES))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_dump_then_load_is_equal(name: str, data: st.DataObject) -> None:
    model = data.draw(STRATEGIES[name])
    assert reload(model, exclude_unset=True) == model
    assert reload(model, exclude_unset=False) == model
