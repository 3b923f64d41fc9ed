"""Processes and commands: the CLI, `registry serve`, the demo, the benchmark and the
background processes. Nothing below imports from here."""
