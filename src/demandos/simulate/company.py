"""The demo company's workspace: the starter's kernel, cadence, workflows and rollout, with the
company's own team, metric tree, channels and programs, and stack (``simulate/company/*.yaml``).

The ids in these files are the ids the simulation uses (``params.NORTHWIND``), so every program,
channel and segment in the data has its spec.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

from ruamel.yaml import YAML

from demandos.simulate.params import CompanyParams
from demandos.spec import write_starter

COMPANY_DIR = Path(__file__).with_name("company")
OWN_FILES = ("team.yaml", "metrics.yaml", "channels.yaml", "stack.yaml", "assets.yaml")


def write_company(path: Path, params: CompanyParams, *, force: bool = False) -> list[Path]:
    """Write the demo company's complete workspace specs into ``path``."""
    written = write_starter(path, force=force, name=params.name)
    for name in OWN_FILES:
        shutil.copyfile(COMPANY_DIR / name, path / name)
    _set(
        path / "demandos.yaml",
        {
            "description": f"The demand system of {params.name} (simulated)",
            "currency": params.currency,
        },
    )
    # week 1 of the rollout starts on the Monday of the week the company started
    monday = params.start - timedelta(days=params.start.weekday())
    _set(path / "rollout.yaml", {"start_date": monday})
    return written


def _set(path: Path, values: dict[str, object]) -> None:
    """Change top-level values of a YAML file, keeping its comments."""
    yaml = YAML()
    yaml.preserve_quotes = True
    data = yaml.load(path.read_text(encoding="utf-8"))
    for key, value in values.items():
        data[key] = value
    with path.open("w", encoding="utf-8") as fh:
        yaml.dump(data, fh)
