"""The domain: aggregates, value objects and the rules they keep.

Imports nothing of the project but `events/` (and the standard library and
`eventsourcing`): no Flask, no SQL, no storage.
"""
