"""``demandos init``: write the commented starter workspace a team edits into its own."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from demandos.errors import WorkspaceError

GITIGNORE = """\
# demandos keeps facts, the operating log and generated reports here: not for git.
.demandos/
"""


def _templates(folder: Traversable, prefix: str = "") -> dict[str, str]:
    """Every ``*.yaml`` template below ``folder``, by path relative to the workspace."""
    out: dict[str, str] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.is_dir() and not entry.name.startswith("__"):
            out.update(_templates(entry, f"{prefix}{entry.name}/"))
        elif entry.is_file() and entry.name.endswith(".yaml"):
            out[prefix + entry.name] = entry.read_text(encoding="utf-8")
    return out


def starter_files(*, name: str | None = None, today: date | None = None) -> dict[str, str]:
    """The starter workspace as ``{relative path: text}``, ready to write.

    ``name`` is written into demandos.yaml; the rollout starts on the Monday of ``today``'s
    week.
    """
    files = _templates(resources.files("demandos.spec") / "starter")
    if name:
        files["demandos.yaml"] = re.sub(
            r"^name: .*$",
            lambda _: f"name: {json.dumps(name, ensure_ascii=False)}",
            files["demandos.yaml"],
            count=1,
            flags=re.MULTILINE,
        )
    today = today or date.today()
    monday = today - timedelta(days=today.weekday())
    files["rollout.yaml"] = re.sub(
        r"^start_date: .*$",
        f"start_date: {monday.isoformat()}",
        files["rollout.yaml"],
        count=1,
        flags=re.MULTILINE,
    )
    files[".gitignore"] = GITIGNORE
    return files


def write_starter(path: Path, *, force: bool = False, name: str | None = None) -> list[Path]:
    """Write the starter workspace into ``path`` and return the files written.

    The workspace is named ``name``, by default after the folder.

    A folder that exists and is not empty is refused (nothing is written) unless ``force``,
    which overwrites the starter's files and leaves any other file alone.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise WorkspaceError(
            f"{path} is a file, not a folder", hint="choose a folder name for the workspace"
        )
    if path.is_dir() and any(path.iterdir()) and not force:
        raise WorkspaceError(
            f"the folder {path} is not empty",
            hint="choose a new or empty folder, or pass --force to overwrite the starter files "
            "in it (your other files are kept)",
        )
    files = starter_files(name=name or path.resolve().name)
    written = []
    for relative, text in files.items():
        target = path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written
