"""``python -m nnstudio`` and the ``nnstudio`` console script."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
