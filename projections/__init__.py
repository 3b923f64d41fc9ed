"""Read models derived from the event log, each rebuildable from it alone.

Each projection owns its tables and its position in the log; the runner
writes a projection's rows and its new position in one transaction, so a
crash or a concurrent catch-up never applies an event twice.
"""
