"""What `/readyz` and `/metrics` ask of the read models beyond their lag."""

from __future__ import annotations

from projections.runner import ProjectionRunner


def unbuilt_read_models(runner: ProjectionRunner) -> list[str]:
    """Read models whose tables are not built for this version of the registry.

    `projection_versions` holds each one's version, negated while it is being
    built again from the log (projections/runner.py): until that ends its
    tables hold a part of the log, or another version's rows.
    """
    with runner.store.transaction() as cur:
        built = dict(cur.execute("SELECT name, version FROM projection_versions").fetchall())
    return [p.name for p in runner.projections if built.get(p.name) != p.version]
