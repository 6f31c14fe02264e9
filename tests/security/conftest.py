"""The security suite reuses the web tests' fixtures (tests/web/websupport.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))
