"""A one-type subgraph service for bench/bench_router.py, run by the chassis runner."""
