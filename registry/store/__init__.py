"""Storage: the engines and their recorders, the hash chain written with the events,
the write lock and reservations, and the tables beside the log (tokens,
idempotency records, access records)."""
