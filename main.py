"""Casebook: with no arguments, the window; with a subcommand, the command line."""

import sys

from casebook.cli import main

if __name__ == "__main__":
    sys.exit(main())
