"""Read models derived from the event log, each rebuildable from it alone.

Each projection owns its tables and its position in the log; the runner
reads a page of the log once for every read model at the same position and
writes their rows and new positions in one transaction, so a crash or a
concurrent catch-up never applies an event twice.
"""
