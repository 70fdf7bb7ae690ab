"""The federation router's settings: where its files are, how often it looks, its limits."""

from __future__ import annotations

from pathlib import Path

from reelstack.config import Setting, parse_bool, parse_float, parse_int, parse_str
from reelstack.settings.base import add, under_home

# src/reelstack/router/settings.py -> the repository's router/ folder (npm package).
_PACKAGE = str(Path(__file__).resolve().parents[3] / "router")

ROUTER_FOLDER = add(
    Setting(
        "router.folder",
        parse_str,
        under_home("{home}/router"),
        "Folder of the router instance's supergraph file (supergraph.graphql, replaced"
        " atomically on each good composition); one per instance.",
    )
)
ROUTER_NODE_PACKAGE = add(
    Setting(
        "router.node_package",
        parse_str,
        _PACKAGE,
        "Folder of the router's npm package (compose.mjs, serve.mjs and their installed"
        " node_modules: `make setup` runs npm ci there).",
    )
)
ROUTER_NODE = add(
    Setting("router.node", parse_str, "node", "The Node.js (>= 20) executable that runs them.")
)
ROUTER_POLL_S = add(
    Setting(
        "router.poll_s",
        parse_float(minimum=0.05),
        "5",
        "Seconds between looks at the registry and the subgraphs' SDL; a change composes again.",
    )
)
ROUTER_KEEP_ABSENT_S = add(
    Setting(
        "router.keep_absent_s",
        parse_float(minimum=0),
        "600",
        "Seconds a subgraph whose instances are all gone stays in the supergraph: queries"
        " naming its fields still validate, and get its part as null with an error naming"
        " it, while the rest of the page answers (0: dropped at the next look).",
    )
)
ROUTER_FETCH_TIMEOUT_S = add(
    Setting(
        "router.fetch_timeout_s",
        parse_float(minimum=0.1),
        "5",
        "Seconds a subgraph has to answer `{ _service { sdl } }`.",
    )
)
ROUTER_COMPOSE_TIMEOUT_S = add(
    Setting(
        "router.compose_timeout_s",
        parse_float(minimum=1.0),
        "60",
        "Seconds one composition (a Node process) may take before it is killed.",
    )
)
ROUTER_GATEWAY_PORT = add(
    Setting(
        "router.gateway_port",
        parse_int(minimum=0, maximum=65535),
        "0",
        "Port of the Hive Gateway child on 127.0.0.1 (0: a free port). Only the router"
        " instance talks to it.",
    )
)
ROUTER_UPSTREAM_TIMEOUT_S = add(
    Setting(
        "router.upstream_timeout_s",
        parse_float(minimum=0.1),
        "10",
        "Seconds Hive Gateway waits for a subgraph's answer to one fetch.",
    )
)
ROUTER_FALLBACK_TIMEOUT_S = add(
    Setting(
        "router.fallback_timeout_s",
        parse_float(minimum=0.05),
        "1",
        "Seconds a subgraph with a fallback (recommendations) has to answer before the"
        " router answers its part from the rows its service last cached.",
    )
)
ROUTER_MAX_BODY_BYTES = add(
    Setting(
        "router.max_body_bytes",
        parse_int(minimum=1024),
        "65536",
        "Largest GraphQL request body the router forwards (413 past it).",
    )
)
ROUTER_MAX_DEPTH = add(
    Setting(
        "router.max_depth",
        parse_int(1, 100),
        "10",
        "Deepest selection a query may nest (refused, the limit named, before any resolver).",
    )
)
ROUTER_MAX_ALIASES = add(
    Setting("router.max_aliases", parse_int(0, 1000), "15", "Aliases a query may use.")
)
ROUTER_MAX_TOKENS = add(
    Setting("router.max_tokens", parse_int(10, 100_000), "1000", "Tokens a query may hold.")
)
ROUTER_MAX_COST = add(
    Setting(
        "router.max_cost",
        parse_int(1, 10_000_000),
        "5000",
        "A query's cost (objects 2, scalars 1, times 1.5 per level of depth) at most.",
    )
)
ROUTER_INTROSPECTION = add(
    Setting(
        "router.introspection",
        parse_bool,
        "false",
        "Answer introspection queries (development only: it hands out the whole schema).",
    )
)

# Persisted documents (issue 12 point 3): the web app's operations by hash.
_DOCUMENTS = str(Path(__file__).resolve().parents[3] / "web" / "src" / "graphql")

ROUTER_PERSISTED_DOCUMENTS = add(
    Setting(
        "router.persisted_documents",
        parse_str,
        _DOCUMENTS,
        "Folder of the web app's operations (*.graphql, one named operation each), served"
        ' by the SHA-256 hex of each file\'s text: a body {"documentId": "sha256:H"} or'
        " Apollo's extensions.persistedQuery.sha256Hash runs that document (empty: none).",
    )
)
ROUTER_PERSISTED_ONLY = add(
    Setting(
        "router.persisted_only",
        parse_bool,
        "false",
        "Run only the persisted documents, refusing any query sent as text (production:"
        " true, so no client can send a document the web app does not; development: false).",
    )
)

# The home page's answers per caller (issue 12 point 5; ADR 0019, addendum).
ROUTER_HOME_CACHE_S = add(
    Setting(
        "router.home_cache_s",
        parse_float(minimum=0),
        "5",
        "Seconds the router keeps a caller's answer to the web app's Home operation (keyed"
        " by account, profile, roles, maturity and region; whole answers only; dropped at"
        " once by that account's mutations through the graph). 0: nothing is kept.",
        runtime=True,
    )
)
ROUTER_HOME_CACHE_BYTES = add(
    Setting(
        "router.home_cache_bytes",
        parse_int(minimum=0),
        str(64 * 1024 * 1024),
        "Bytes of home pages the router instance keeps at most (the oldest go first).",
    )
)
