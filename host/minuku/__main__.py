"""``python -m minuku`` is the ``minuku`` command (the launcher uses it)."""

import sys

from .cli import main

sys.exit(main())
