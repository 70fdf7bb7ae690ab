"""The sample service: a greeting, and visits recorded in the relational store.

It exists to exercise the chassis end to end (health, metrics, runtime
properties, adapters, graceful shutdown) and as the benchmark's small JSON.
"""
