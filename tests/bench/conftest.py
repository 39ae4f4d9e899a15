"""Make the `bench` package (at the project root, beside `src/`) importable in these tests.

The benchmarks are not part of the installed `storebridge` distribution, and
pytest runs with ``--import-mode=importlib``, which leaves `sys.path` alone.
"""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
