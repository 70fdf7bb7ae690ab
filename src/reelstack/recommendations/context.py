"""What every recommendations use case works with."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends

from reelstack.chassis.route_deps import context_dep
from reelstack.ports import Cache, EventLog, WideColumnStore
from reelstack.recommendations.builder import Shape
from reelstack.recommendations.upstream import Upstreams


@dataclass
class RecommendationsContext:
    """The service's ports, upstreams and settings, for one process."""

    store: WideColumnStore
    cache: Cache
    log: EventLog
    upstreams: Upstreams
    shape: Shape
    default_region: str
    store_timeout_s: float
    plays_topic: str = "playback.plays"
    group: str = "recommendations"
    build_s: float = 30.0
    retry_s: float = 2.0
    clock: Callable[[], float] = field(default=time.time)


RecommendationsDep = Annotated[RecommendationsContext, Depends(context_dep(RecommendationsContext))]
