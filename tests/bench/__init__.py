"""The end-to-end benchmark: the bot against a plain Bolt baseline, both served as real processes.

``python -m tests.bench --help`` for the flags; README.md ("Performance") for what it measures and the figures.
"""
