"""The identity service's settings: password hashing, token lifetimes, sign-in throttling.

The argon2id floors (m=19 MiB, t=2, p=1, OWASP ASVS 4.0.3 level 2) are the
parsers' minimums: no configuration, tests included, can go below them.
"""

from __future__ import annotations

from reelstack.config import Setting, parse_int, parse_secret
from reelstack.settings.base import add

# -- passwords --------------------------------------------------------------------------

IDENTITY_ARGON2_MEMORY_KIB = add(
    Setting(
        "identity.argon2_memory_kib",
        parse_int(19_456),
        "19456",
        "argon2id memory cost per password hash, in KiB (at least 19456, 19 MiB).",
    )
)
IDENTITY_ARGON2_TIME_COST = add(
    Setting(
        "identity.argon2_time_cost",
        parse_int(2),
        "2",
        "argon2id passes over the memory per password hash (at least 2).",
    )
)
IDENTITY_ARGON2_PARALLELISM = add(
    Setting(
        "identity.argon2_parallelism",
        parse_int(1, 16),
        "1",
        "argon2id lanes per password hash (at least 1).",
    )
)

# -- tokens -----------------------------------------------------------------------------

IDENTITY_ACCESS_TTL_S = add(
    Setting(
        "identity.access_ttl_s",
        parse_int(30, 3600),
        "600",
        "Lifetime of an access token, in seconds (a signed-out session's token lives this long).",
    )
)
IDENTITY_REFRESH_IDLE_S = add(
    Setting(
        "identity.refresh_idle_s",
        parse_int(60, 86_400),
        "1800",
        "A session not refreshed for this long ends, in seconds (ASVS: 30 min idle).",
    )
)
IDENTITY_SESSION_MAX_S = add(
    Setting(
        "identity.session_max_s",
        parse_int(60, 30 * 86_400),
        "43200",
        "A session ends this long after sign-in whatever its use, in seconds (ASVS: 12 h).",
    )
)
IDENTITY_KEY_PASSPHRASE = add(
    Setting(
        "identity.key_passphrase",
        parse_secret,
        "",
        "Passphrase the signing keys' private halves are encrypted with in the store "
        "(empty: stored unencrypted). Every instance needs the same one.",
    )
)

# -- failed sign-ins --------------------------------------------------------------------

IDENTITY_THROTTLE_WINDOW_S = add(
    Setting(
        "identity.throttle_window_s",
        parse_int(60, 86_400),
        "900",
        "Failed sign-ins are counted over this sliding window, in seconds.",
    )
)
IDENTITY_THROTTLE_PER_ACCOUNT = add(
    Setting(
        "identity.throttle_per_account",
        parse_int(1, 100),
        "10",
        "Failed sign-ins for one email per window before further attempts get 429.",
    )
)
IDENTITY_THROTTLE_PER_ADDRESS = add(
    Setting(
        "identity.throttle_per_address",
        parse_int(1, 10_000),
        "50",
        "Failed sign-ins from one client address per window before further attempts get 429.",
    )
)
