"""``python -m analysis``: see :mod:`analysis._cli`."""

import sys

from ._cli import main

sys.exit(main())
