"""The benchmark's own parts: its data is valid and its report says what it measured."""

from __future__ import annotations

from datetime import date

from click.testing import CliRunner

from registry.domain import nik
from registry.entrypoints import bench
from registry.entrypoints.bench import workload
from registry.entrypoints.cli import main


def test_bench_workers_have_distinct_niks_that_match_their_details() -> None:
    indices = [*range(0, 30_000, 7), *range(999_000, 1_001_000, 13)]
    rows = [workload.worker(i) for i in indices]
    assert len({r["nik"] for r in rows}) == len(rows)
    for row in rows:
        assert nik.check(row["nik"], date.fromisoformat(row["birth_date"]), row["sex"])


def test_workers_of_different_regions_never_share_a_nik() -> None:
    first = {r["nik"] for r in workload.workers(0, 500, "12.75")}
    second = {r["nik"] for r in workload.workers(0, 500, "36.73")}
    assert not first & second


def _figures(**overrides: float) -> dict[str, object]:
    figures: dict[str, object] = {key: target for key, (_, target) in bench.TARGETS.items()}
    figures.update(engine="sqlite", quick=True, seconds=60.0,
                   machine={"cpus": 2, "python": "3.11", "platform": "linux"})
    figures.update(overrides)
    return figures


def test_a_figure_exactly_on_its_target_meets_it() -> None:
    assert all(bench.met(key, target) for key, (_, target) in bench.TARGETS.items())


def test_the_table_names_each_missed_target() -> None:
    text = bench.table(_figures(bulk_enroll_ratio=0.3, read_p99_ms=35.0))
    missed = [line for line in text.splitlines() if "MISSED" in line]
    assert len(missed) == 2
    assert "library rate" in missed[0] and "p99" in missed[1]



def test_bench_says_plainly_when_postgresql_cannot_be_reached() -> None:
    result = CliRunner().invoke(main, ["bench", "--quick", "--engine", "postgresql",
                                       "--postgres-url", "postgresql://nobody@127.0.0.1:1/x"])
    assert result.exit_code == 1
    assert "cannot use PostgreSQL at postgresql://nobody@127.0.0.1:1/x" in result.output
    assert "Traceback" not in result.output


def test_bench_refuses_a_sqlite_url_as_the_postgresql_server() -> None:
    result = CliRunner().invoke(main, ["bench", "--engine", "postgresql",
                                       "--postgres-url", "sqlite:///x.db"])
    assert result.exit_code == 1
    assert "must be a postgresql:// URL" in result.output


def test_the_national_workload_spans_514_distinct_regencies_and_cities_of_38_provinces() -> None:
    from registry.domain import region_codes
    from registry.entrypoints.bench import national

    codes = national.regions()
    assert len(set(codes)) == 514 and all(region_codes.is_region_code(c) for c in codes)
    assert len({code[:2] for code in codes}) == 38


def test_ten_million_events_are_planned_as_2000_agreements_of_2500_workers() -> None:
    from registry.entrypoints.bench import national

    assert national.plan(10_000_000) == (2_000, 2_500)
    agreements, workers = national.plan(40_000)
    assert agreements * workers * 2 == 40_000


def test_a_figure_in_rounds_is_their_median_and_the_json_keeps_every_round() -> None:
    from registry.entrypoints.bench.rounds import in_rounds

    taken = iter([{"read_ratio": 0.9}, {"read_ratio": 0.3}, {"read_ratio": 0.8}])
    figures = in_rounds(lambda _r: next(taken))
    assert figures == {"read_ratio": 0.8, "read_ratio_rounds": [0.9, 0.3, 0.8]}
    lines = bench.table(_figures(**figures)).splitlines()
    line = next(x for x in lines if "look-ups / health" in x)
    assert "0.80 (0.30-0.90)" in line and "met" in line and "MISSED" not in line


def test_a_phase_with_failed_requests_fails_the_run_naming_the_phase() -> None:
    import pytest

    from registry.entrypoints.bench.harness import BenchError

    with pytest.raises(BenchError, match="phase 'pages on the demo log': 3 requests failed"), \
            bench.phase("pages on the demo log"):
        raise BenchError("3 requests failed; first: HTTP 500")
