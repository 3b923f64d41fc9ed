"""The application service: use cases that load aggregates, command them and save."""
