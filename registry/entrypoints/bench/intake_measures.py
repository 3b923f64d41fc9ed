"""Files as agencies send them, through `registry serve`'s batch endpoint: 50,000 rows
as a CSV and as an Excel workbook.

Both files are made alike, as an agency in Indonesia saves them: Indonesian
headers, `L`/`P`, birth dates `DD/MM/YYYY`; the CSV `;`-separated with a BOM,
the workbook's cells text, stored as Excel stores them. Each file enrolls the
same 50,000 new workers on a fresh store of its own, through a server of its
own: the same write, so the ratio is what reading a workbook costs over
reading a CSV. `--quick` sends 10,000 rows each, and
the table says so.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Callable
from contextlib import AbstractContextManager as ContextManager
from datetime import date
from typing import Any
from xml.sax.saxutils import escape

from registry.entrypoints.bench import workload
from registry.entrypoints.bench.harness import BenchError, Client, Server, Store, admin_token
from registry.service.intake import WORKBOOK

ROWS, QUICK_ROWS = 50_000, 10_000
HEADER = ("NIK", "Nama", "Tanggal Lahir", "Jenis Kelamin", "Pekerjaan", "Alamat")
FIRST_WORKER, WARM_WORKER = 2_000_000, 4_000_000
TARGETS: dict[str, tuple[str, float]] = {"xlsx_csv_ratio": ("<=", 2.0)}
SHOWN = (
    ("csv_50000_s", "an agency's CSV of 50,000 rows via registry serve (s)"),
    ("xlsx_50000_s", "  the same rows as an .xlsx workbook (s)"),
    ("xlsx_csv_ratio", "  ratio: workbook / CSV"),
    ("csv_read_50000_s", "  reading and checking the CSV's rows alone (s)"),
    ("xlsx_read_50000_s", "  the workbook's (s)"),
    ("intake_rows", "  rows in each file (10,000 with --quick)"),
)


def agency_rows(first: int, count: int) -> list[list[str]]:
    rows = []
    for w in workload.workers(first, count):
        born = date.fromisoformat(w["birth_date"])
        rows.append([w["nik"], w["name"], f"{born:%d/%m/%Y}", "L" if w["sex"] == "M" else "P",
                     w["occupation"], w["address"]])
    return rows


def csv_file(rows: list[list[str]]) -> bytes:
    lines = [";".join(HEADER), *(";".join(r) for r in rows)]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()


def xlsx_file(rows: list[list[str]]) -> bytes:
    """The rows as Excel saves a workbook: text in the shared strings, the sheet's size
    stated. (openpyxl writes every string inline and, in write-only mode, no size:
    reading such a file takes about twice as long.)"""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Pekerja"
    package = io.BytesIO()
    book.save(package)
    strings: dict[str, int] = {}
    sheet_rows = []
    for number, row in enumerate([list(HEADER), *rows], 1):
        cells = "".join(f'<c r="{column}{number}" t="s"><v>{strings.setdefault(text, len(strings))}'
                        f'</v></c>' for column, text in zip("ABCDEF", row, strict=True))
        sheet_rows.append(f'<row r="{number}">{cells}</row>')
    sheet = (f'<worksheet xmlns="{_MAIN}"><dimension ref="A1:F{len(rows) + 1}"/>'
             f'<sheetData>{"".join(sheet_rows)}</sheetData></worksheet>')
    shared = (f'<sst xmlns="{_MAIN}" count="{len(strings)}" uniqueCount="{len(strings)}">'
              + "".join(f"<si><t>{escape(t)}</t></si>" for t in strings) + "</sst>")
    out = io.BytesIO()
    with zipfile.ZipFile(package) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            body = source.read(item).decode()
            if item.filename == "xl/worksheets/sheet1.xml":
                body = sheet
            elif item.filename == "[Content_Types].xml":
                body = body.replace("</Types>", _SHARED_TYPE + "</Types>")
            elif item.filename == "xl/_rels/workbook.xml.rels":
                body = body.replace("</Relationships>", _SHARED_REL + "</Relationships>")
            target.writestr(item.filename, body)
        target.writestr("xl/sharedStrings.xml", shared)
    return out.getvalue()


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_SHARED_TYPE = ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
_SHARED_REL = ('<Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/'
               'relationships/sharedStrings" Target="sharedStrings.xml" Id="rIdShared"/>')


def files(fresh_store: Callable[[], ContextManager[Store]], quick: bool,
          say: Callable[[str], None]) -> dict[str, Any]:
    count = QUICK_ROWS if quick else ROWS
    say(f"intake: making a CSV and an .xlsx of the same {count:,} rows")
    rows = agency_rows(FIRST_WORKER, count)
    made = {"csv": ("text/csv", csv_file(rows)), "xlsx": (WORKBOOK, xlsx_file(rows))}
    figures: dict[str, Any] = {"intake_rows": count}
    for kind, (media, data) in made.items():
        with fresh_store() as store:
            token = admin_token(store)
            with Server(store.url, workers=2, key_file=store.key_file) as server:
                admin = Client(server.port, token)
                warm = _sign(admin, "PKS/BENCH/INTAKE/WARM", 100)
                for n in range(4):  # each worker process, as a running service is
                    small = agency_rows(WARM_WORKER + 10 * n, 10)
                    _send(admin, warm, media,
                          csv_file(small) if kind == "csv" else xlsx_file(small), 10)
                _caught_up(admin)
                agreement = _sign(admin, "PKS/BENCH/INTAKE", count)
                say(f"intake: {count:,} rows as {kind} ({len(data):,} bytes) through "
                    "registry serve, on a fresh store")
                began = time.perf_counter()
                _send(admin, agreement, media, data, count)
                figures[f"{kind}_50000_s"] = time.perf_counter() - began
    figures["xlsx_csv_ratio"] = figures["xlsx_50000_s"] / figures["csv_50000_s"]
    # The part that differs, alone in this process: a noisy machine shows in the above.
    for kind, (media, data) in made.items():
        figures[f"{kind}_read_50000_s"] = _reading(data, media)
    return figures


def _reading(data: bytes, media: str) -> float:
    """Seconds to read the file and check its rows, as the batch endpoint does."""
    from api.batch_rows import file_rows, validated

    began = time.perf_counter()
    sheet = file_rows(data, media == WORKBOOK)
    validated(sheet.rows, sheet=sheet)
    return time.perf_counter() - began


def _caught_up(client: Client, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status, body = client.get("/health")
        lags = json.loads(body).get("projections", {}) if status == 200 else {}
        if lags and not any(lags.values()):
            return
        time.sleep(0.5)
    raise BenchError(f"the read models did not catch up within {seconds:g} s")


def _sign(client: Client, number: str, quota: int) -> str:
    status, body = client.post("/api/v1/agreements", workload.agreement(number, quota))
    if status != 201:
        raise BenchError(f"signing {number} answered {status}: {body}")
    return str(body["id"])


def _send(client: Client, agreement: str, media: str, data: bytes, count: int) -> None:
    status, body = client.post_bytes(f"/api/v1/agreements/{agreement}/enrollments/batch",
                                     data, media)
    if status != 201 or body.get("enrolled") != count:
        raise BenchError(f"a file of {count:,} rows answered {status}: {str(body)[:500]}")
