"""Checking the record: the chain, tokens and read models against the log; export and import."""
