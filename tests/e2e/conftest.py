"""Lets the e2e test import its harness module (tests/e2e is not a package)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
