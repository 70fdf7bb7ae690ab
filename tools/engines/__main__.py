"""``python -m tools.engines up|down|status|env [ENGINE ...]``."""

from __future__ import annotations

import sys

from tools.engines import main

sys.exit(main(sys.argv[1:]))
