"""The edge's Prometheus metrics, read from its counters when scraped (nothing per request)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from reelstack.edge.cache import DiskCache
from reelstack.edge.models import RESULTS, EdgeStats


class EdgeCollector(Collector):
    """``edge_requests_total{result}``, bytes served and fetched, cache bytes, connections."""

    def __init__(self, stats: EdgeStats, cache: DiskCache) -> None:
        self.stats = stats
        self.cache = cache

    def collect(self) -> Iterator[Metric]:
        stats = self.stats
        requests = CounterMetricFamily(
            "edge_requests", "Media requests the edge answered, by result.", labels=["result"]
        )
        for result in RESULTS:
            requests.add_metric([result], stats.results.get(result, 0))
        yield requests
        yield CounterMetricFamily(
            "edge_bytes_served", "Body bytes the edge sent to viewers.", value=stats.bytes_served
        )
        yield CounterMetricFamily(
            "edge_origin_bytes",
            "Bytes the edge fetched from the origin.",
            value=stats.bytes_from_origin,
        )
        yield CounterMetricFamily(
            "edge_origin_fetches",
            "Fetches the edge made from the origin.",
            value=stats.origin_fetches,
        )
        yield GaugeMetricFamily(
            "edge_cache_bytes", "Bytes the disk cache holds or has reserved.", value=self.cache.used
        )
        yield GaugeMetricFamily(
            "edge_cache_capacity_bytes", "The disk cache's capacity.", value=self.cache.capacity
        )
        yield GaugeMetricFamily(
            "edge_connections", "Viewer connections open now.", value=stats.connections
        )
