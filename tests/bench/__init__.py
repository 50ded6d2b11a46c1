"""The end-to-end benchmark: the bot against a plain Bolt baseline, both served as real processes.

``python -m tests.bench --help`` for the flags; docs/performance.md for what it measures and the figures.
"""
