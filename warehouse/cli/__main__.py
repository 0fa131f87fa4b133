"""`python -m warehouse.cli`: what `mapwh run`'s supervisor starts its child with."""

import sys

from warehouse.cli import main

sys.exit(main())
