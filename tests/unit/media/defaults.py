"""The media dataclasses read from their settings' defaults, for tests to vary with ``replace``.

The settings are the one place these defaults are written; a test that needs
another value says which with :func:`dataclasses.replace`.
"""

from __future__ import annotations

from reelstack import settings
from reelstack.config import group_defaults
from reelstack.media import settings as media_settings
from reelstack.media.ladder.select import LadderBounds
from reelstack.media.ladder.trials import TrialConfig
from reelstack.media.packaging.encode import EncodeSettings
from reelstack.media.pipeline import settings as pipeline_settings
from reelstack.media.source.validate import MediaLimits

_REGISTRY = settings.registry()
DEFAULT_LIMITS = group_defaults(_REGISTRY, MediaLimits, media_settings.LIMITS)
DEFAULT_BOUNDS = group_defaults(_REGISTRY, LadderBounds, pipeline_settings.LADDER_BOUNDS)
DEFAULT_TRIALS = group_defaults(_REGISTRY, TrialConfig, pipeline_settings.TRIAL_CONFIG)
DEFAULT_ENCODE = group_defaults(_REGISTRY, EncodeSettings, pipeline_settings.ENCODE_SETTINGS)
