"""``python -m clinic``: the project's command line (``clinic.cli``)."""

import sys

from clinic.cli import main

sys.exit(main())
