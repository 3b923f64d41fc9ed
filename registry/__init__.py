"""The vulnerable-worker protection registry.

Regional governments (Pemkot/Pemkab) sign agreements with BPJS
Ketenagakerjaan to pay the JKK (work-accident) and JKM (death) contributions
of informal workers. This package holds the domain (aggregates and their
invariants), the application service that is the only way to change state,
configuration and the command line.
"""
