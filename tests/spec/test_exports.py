"""The public API of demandos.spec, and every spec field is documented."""

from __future__ import annotations

from typing import Any, get_args

from pydantic import BaseModel

import demandos.spec as spec
from demandos.spec import SPEC_FILES
from demandos.spec.diagnostics import _is_model, _unwrap  # the same walk the messages use


def test_all_names_exist_and_are_sorted() -> None:
    assert all(hasattr(spec, name) for name in spec.__all__)
    assert sorted(spec.__all__) == sorted(set(spec.__all__))


def _models(tp: Any, seen: set[type[BaseModel]]) -> None:
    for arg in (tp, *get_args(_unwrap(tp))):
        arg = _unwrap(arg)
        if _is_model(arg) and arg not in seen:
            seen.add(arg)
            for info in arg.model_fields.values():
                _models(info.annotation, seen)
        elif get_args(arg):
            for inner in get_args(arg):
                _models(inner, seen)


def test_every_spec_field_is_documented() -> None:
    seen: set[type[BaseModel]] = set()
    for spec_file in SPEC_FILES.values():
        _models(spec_file.model, seen)
    _models(spec.WorkflowSpec, seen)
    assert len(seen) > 25
    undocumented = [
        f"{model.__name__}.{name}"
        for model in seen
        for name, info in model.model_fields.items()
        if not info.description
    ]
    assert undocumented == []
    assert all(model.__doc__ for model in seen)
