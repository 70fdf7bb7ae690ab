"""The recommendations service's settings."""

from __future__ import annotations

from reelstack.config import Setting, parse_float, parse_int, parse_str
from reelstack.settings.base import add

RECOMMENDATIONS_PLAYS_TOPIC = add(
    Setting(
        "recommendations.plays_topic",
        parse_str,
        "playback.plays",
        "Topic of play starts counted for popularity (playback's playback.plays_topic).",
    )
)
RECOMMENDATIONS_CONSUMER_GROUP = add(
    Setting(
        "recommendations.consumer_group",
        parse_str,
        "recommendations",
        "Consumer group the instances share to count play starts.",
    )
)
RECOMMENDATIONS_BUILD_S = add(
    Setting(
        "recommendations.build_s",
        parse_float(0.5, 86400),
        "30",
        "Seconds between rounds that compute every region's and maturity level's rows.",
    )
)
RECOMMENDATIONS_ROW_SIZE = add(
    Setting(
        "recommendations.row_size",
        parse_int(1, 100),
        "20",
        "Titles in a row (top 10 is always 10).",
    )
)
RECOMMENDATIONS_GENRE_ROWS = add(
    Setting(
        "recommendations.genre_rows",
        parse_int(0, 50),
        "8",
        "Genre rows on a home page, most watched genres first.",
    )
)
RECOMMENDATIONS_DEFAULT_REGION = add(
    Setting(
        "recommendations.default_region",
        parse_str,
        "US",
        "Region of a play or a request without the gateway's x-region (catalog's default).",
    )
)
RECOMMENDATIONS_STORE_TIMEOUT_S = add(
    Setting(
        "recommendations.store_timeout_s",
        parse_float(0.01, 30),
        "0.3",
        "Seconds a request waits for the stored rows before it answers with the cached ones.",
    )
)
RECOMMENDATIONS_RETRY_S = add(
    Setting(
        "recommendations.retry_s",
        parse_float(0.05, 600),
        "2",
        "Seconds before counting or building again after the log, store or catalog failed.",
    )
)
