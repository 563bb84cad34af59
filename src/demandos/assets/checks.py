"""What `demandos check` says about the asset library in the store: a library that breaks the
lifecycle or the derivatives tree, assets naming pillars, segments or personas kernel.yaml does
not have, and production targets for a type the library has never held.

All are warnings: they are data to mend, not specs that fail to load, and nothing is changed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator

from demandos.assets.library import AssetError, Library, load_library
from demandos.errors import Finding, Location
from demandos.spec.rules import finding
from demandos.spec.specs import Specs
from demandos.store.facts import FactStore
from demandos.suggest import did_you_mean

TABLE = Location("assets table")
SHOWN = 5  # ids listed per finding


def _listing(ids: Iterable[str]) -> str:
    ids = sorted(ids)
    more = f" and {len(ids) - SHOWN} more" if len(ids) > SHOWN else ""
    return ", ".join(ids[:SHOWN]) + more


def library_findings(facts: FactStore, specs: Specs) -> list[Finding]:
    """The warnings on the library in ``facts`` for the workspace ``specs``."""
    try:
        library = load_library(facts)
    except AssetError as exc:
        return [
            Finding(
                "warning",
                TABLE,
                "",
                f"the asset library: {exc.message}",
                f"{exc.hint}; then reload the assets (nothing was changed)"
                if exc.hint
                else "fix the assets and reload them (nothing was changed)",
                rule="asset_library",
            )
        ]
    return [*_kernel_refs(library, specs), *_target_types(library, specs)]


def _kernel_refs(library: Library, specs: Specs) -> Iterator[Finding]:
    known = {
        "pillar": set(specs.pillar_ids),
        "segment": set(specs.segment_ids),
        "persona": {p.id for p in specs.kernel.personas},
    }
    unknown: dict[str, dict[str, list[str]]] = {kind: {} for kind in known}
    for asset in library.assets.values():
        named = {
            "pillar": [asset.pillar] if asset.pillar else [],
            "segment": list(asset.segments),
            "persona": [asset.persona] if asset.persona else [],
        }
        for kind, values in named.items():
            for value in values:
                if value not in known[kind]:
                    unknown[kind].setdefault(value, []).append(asset.asset_id)
    for kind, found in unknown.items():
        for value, ids in sorted(found.items()):
            guess = did_you_mean(value, known[kind])
            options = ", ".join(sorted(known[kind])) or "none yet"
            yield Finding(
                "warning",
                TABLE,
                kind,
                f"{len(ids)} asset(s) name the {kind} {value!r}, which kernel.yaml does not "
                f"have: {_listing(ids)}",
                f"{guess + ' ' if guess else ''}(kernel.yaml's {kind}s: {options}); fix the "
                "assets, or add the "
                f"{kind} to kernel.yaml",
                rule="asset_kernel_refs",
            )


def _target_types(library: Library, specs: Specs) -> Iterator[Finding]:
    types = Counter(a.type for a in library.assets.values())
    if not types:
        return
    for i, target in enumerate(specs.assets.production):
        if target.type in types:
            continue
        guess = did_you_mean(target.type, types)
        found = finding(
            specs,
            "assets.yaml",
            ("production", i, "type"),
            f"no asset of type {target.type!r} is in the library, so its target counts nothing",
            f"{guess + ' ' if guess else ''}(types in the library: {', '.join(sorted(types))})",
            severity="warning",
        )
        yield Finding(
            found.severity, found.location, found.field, found.message, found.hint,
            rule="production_types",
        )  # fmt: skip
