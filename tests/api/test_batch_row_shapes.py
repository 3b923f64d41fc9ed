"""A batch row's shape is checked by a short path for rows of the usual shape
(api/batch_rows.py `plain_row`), by WorkerIn for every other: a row the short
path takes must be one WorkerIn takes, loaded to the very same values. And the
answer, sent without marshmallow, is what BatchOut would dump."""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from api.batch_rows import plain_row
from api.schemas.workers import BatchOut, WorkerIn
from registry.entrypoints.bench import workload
from registry.service.intake import WORKBOOK
from tests.builders import AGREEMENTS, nik, post_labusel_pks
from tests.sheets import agency_rows, xlsx_bytes

FIELDS = ("nik", "name", "birth_date", "sex", "occupation", "address", "programs",
          "starts_on")
NEAR = st.sampled_from([None, "", " ", "M", "F", "m", "X", "JKK", "JKM", "JHT", "JKP",
                     "3273014508900001", "327301450890000", "32730145089000012",
                     "３２７３０１４５０８９０００01", "327301450890000a", " 3273014508900001",
                     "2024-02-29", "2023-02-29", "20240101", "2024-W01-1", "1899-12-31",
                     "1900-01-01", "2199-12-31", "2200-01-01", "2024-1-1", " 2024-01-01",
                     "Siti Aminah", "  Siti  ", "Siti\x00", "Siti\x85", "Siti\tAminah",
                     "\ud800", "a" * 200, "a" * 201, " " + "a" * 200 + " ", "a" * 500,
                     "a" * 501, ["JKK"], ["JKK", "JKM", "JHT"], ["JKK"] * 4, [], ["jkk"]])
SCALARS = st.one_of(NEAR, st.booleans(), st.integers(), st.floats(allow_nan=False),
                    st.text(max_size=8))
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=4),
                   st.dictionaries(st.sampled_from(["a"]), SCALARS, max_size=1))


def usual_row() -> dict[str, Any]:
    return {**workload.worker(7), "programs": ["JKK", "JKM"], "starts_on": "2024-03-01"}


TEXTS = ["Siti", " Siti ", "a" * 200, " " + "a" * 200 + " ", "a" * 201, "Siti\tAminah",
         "Siti\x85", "\u3000Siti\u3000", "Siti\u2028", "é" * 200, "", "  ", None, 5]
DAYS = ["2024-02-29", "2023-02-29", "20240101", "2024-W01-1", "1899-12-31", "1900-01-01",
        "2199-12-31", "2200-01-01", "2024-1-1", "2024-01-01T00:00", None, 20240101]
EDGES = {
    "nik": ["3273014508900001", "327301450890000", "３２７３０１４５０８９０００01",
            "327301450890000a", " 3273014508900001", 3273014508900001, None],
    "name": TEXTS, "occupation": TEXTS, "address": [*TEXTS, "a" * 500, "a" * 501],
    "sex": ["M", "F", "m", "", None, ["M"], 1],
    "birth_date": DAYS, "starts_on": DAYS,
    "programs": [["JKK"], ["JKK", "JKM", "JHT"], ["JKK"] * 4, [], ["jkk"], ["JKP"], "JKK",
                 ("JKK",), None, [None]],
}
# Each optional field left out, or its first value (half the time: most rows are then taken), or
# one of its edge values.
EDGE = {k: st.one_of(st.just(v[0]), st.sampled_from(v)) for k, v in EDGES.items()}
REQUIRED = ("nik", "name", "occupation")
EDGY = st.fixed_dictionaries({k: EDGE[k] for k in REQUIRED},
                             optional={k: v for k, v in EDGE.items() if k not in REQUIRED})

ROWS = st.one_of(
    EDGY,
    st.dictionaries(st.sampled_from([*FIELDS, "extra"]), VALUES, max_size=10),
    st.builds(lambda changes, dropped: {k: v for k, v in {**usual_row(), **changes}.items()
                                        if k not in dropped},
              st.dictionaries(st.sampled_from([*FIELDS, "extra"]), NEAR, max_size=3),
              st.sets(st.sampled_from(FIELDS), max_size=2)),
    VALUES)


def same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


@settings(max_examples=1500, deadline=None)
@given(ROWS)
def test_a_row_the_short_path_takes_loads_the_same_through_workerin(row: Any) -> None:
    short = plain_row(row)
    if short is None:
        return
    try:
        loaded = WorkerIn().load(row)
    except ValidationError as e:  # pragma: no cover - the failure this test looks for
        raise AssertionError(f"the short path took a row WorkerIn refuses: {e.messages}") from e
    assert set(short) == set(loaded)
    assert all(same(short[k], loaded[k]) for k in loaded), (short, loaded)


def test_rows_of_the_usual_shapes_take_the_short_path() -> None:
    rows = [*workload.workers(0, 50), usual_row(),
            {"nik": "3273014508900001", "name": " Siti ", "occupation": "petani"}]
    for row in rows:
        assert plain_row(row) == dict(WorkerIn().load(row))
    assert plain_row(usual_row())["starts_on"] == date(2024, 3, 1)  # type: ignore[index]


def test_the_short_path_reads_every_field_of_workerin() -> None:
    assert set(WorkerIn().fields) == set(FIELDS)


def test_each_edge_value_alone_is_taken_only_as_workerin_takes_it() -> None:
    base = {**usual_row(), "address": "Jl. Pemuda 1"}
    for field, values in EDGES.items():
        for value in values:
            row = {**base, field: value}
            short = plain_row(row)
            try:
                loaded = dict(WorkerIn().load(row))
            except ValidationError:
                assert short is None, (field, value)
                continue
            if short is not None:
                assert all(same(short[k], loaded[k]) for k in loaded), (field, value)


def _ordered(value: Any) -> Any:
    # Key order too: the answer is sent as BatchOut would dump it.
    if isinstance(value, dict):
        return [(k, _ordered(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_ordered(v) for v in value]
    return value


def test_a_batch_answer_is_what_batchout_dumps(admin: Any) -> None:
    agreement_id = post_labusel_pks(admin, quota=5)
    rows = agency_rows(3)
    rows[2][0] = "12"  # a bad NIK: a rejected row, with a line and an error
    answers = [
        admin.post(f"{AGREEMENTS}/{agreement_id}/enrollments/batch?atomic=false",
                   data=xlsx_bytes(rows, more_sheets=["Rekap"]),
                   headers={"Content-Type": WORKBOOK}),
        admin.post(f"{AGREEMENTS}/{agreement_id}/enrollments/batch",
                   json={"workers": [{"nik": nik(5, "M"), "name": "Pekerja 5",
                                            "occupation": "petani",
                                            "starts_on": "2022-10-01"}]}),
    ]
    for answer in answers:
        assert answer.status_code == 201, answer.get_data(as_text=True)
        assert _ordered(answer.json) == _ordered(BatchOut().dump(answer.json))
    assert answers[0].json["notes"] and answers[0].json["rejected"] == 1
