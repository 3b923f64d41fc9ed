"""Programs, agreement kinds and funding sources: the registry's vocabularies.

JKK (Jaminan Kecelakaan Kerja) insures work accidents, JKM (Jaminan Kematian)
pays a death benefit, JHT (Jaminan Hari Tua) is old-age savings. JP (pension)
and JKP (job-loss) exist only for wage earners, so they are refused here.
MOU is a memorandum of understanding (nota kesepahaman); PKS a cooperation
agreement (perjanjian kerja sama), often signed by one OPD (organisasi
perangkat daerah, a regional agency) under a city's MOU.
APBD is the regional budget, APBDES a village budget, CSR company money.
"""

from __future__ import annotations

PROGRAMS = ("JKK", "JKM", "JHT")
WAGE_EARNER_ONLY_PROGRAMS = ("JP", "JKP")
KINDS = ("MOU", "PKS")
FUNDING_SOURCES = ("APBD", "APBDES", "CSR", "OTHER")

# Monthly contribution per worker in the lowest BPU income band, in Rupiah.
MONTHLY_CONTRIBUTION_IDR = {"JKK": 10_000, "JKM": 6_800, "JHT": 20_000}


def default_monthly_contribution_idr(programs: list[str]) -> int:
    return sum(MONTHLY_CONTRIBUTION_IDR[p] for p in programs)


def normalised(programs: list[str]) -> list[str]:
    """Programs without repeats, in the registry's canonical order."""
    return [p for p in PROGRAMS if p in set(programs)]
