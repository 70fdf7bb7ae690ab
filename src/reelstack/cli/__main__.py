"""``python -m reelstack.cli``: the same as the ``reelstack`` command."""

from __future__ import annotations

import sys

from reelstack.cli.main import main

sys.exit(main())
