"""The catalog service's settings: default region, topic, consumer group, artwork paths."""

from __future__ import annotations

from reelstack.config import Setting, parse_float, parse_str
from reelstack.settings.base import add

CATALOG_DEFAULT_REGION = add(
    Setting(
        "catalog.default_region",
        parse_str,
        "US",
        "Region (ISO 3166-1 alpha-2) of a request without the gateway's x-region header.",
    )
)
CATALOG_TITLES_TOPIC = add(
    Setting(
        "catalog.titles_topic",
        parse_str,
        "media.titles",
        "Topic on which media announces published, changed and removed titles.",
    )
)
CATALOG_CONSUMER_GROUP = add(
    Setting(
        "catalog.consumer_group",
        parse_str,
        "catalog",
        "Consumer group of the catalog instances applying title announcements.",
    )
)
CATALOG_PUBLISHED_PREFIX = add(
    Setting(
        "catalog.published_prefix",
        parse_str,
        "media",
        "Blob prefix of published files (media.output_prefix); artwork keys under it"
        " are served at /media/<rest>.",
    )
)
CATALOG_RETRY_S = add(
    Setting(
        "catalog.retry_s",
        parse_float(0.05, 600.0),
        "2",
        "Pause, in seconds, before reading the title topic again after the log or store failed.",
    )
)
CATALOG_TITLE_CACHE_S = add(
    Setting(
        "catalog.title_cache_s",
        parse_float(0.0, 3600.0),
        "2",
        "Seconds an instance keeps a title it read for viewers (0: none); its own writes"
        " empty the cache at once, another instance's show within this time.",
    )
)
