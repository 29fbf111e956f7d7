"""``python -m histeq.cli``: the command line, as ``python -m histeq``."""

import sys

from . import main

if __name__ == "__main__":  # worker processes import this module again
    sys.exit(main())
