"""Where `registry serve` listens unless told: the address `registry demo`'s hints name."""

SERVE_HOST = "127.0.0.1"
SERVE_PORT = 8000
