"""`python -m bench.soak`: see `bench.soak.cli`."""

from bench.soak.cli import main

raise SystemExit(main())
