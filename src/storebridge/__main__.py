"""`python -m storebridge` runs the CLI."""

from storebridge.cli.app import main

main()
