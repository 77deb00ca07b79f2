"""``python -m demo``: the monthly release end to end (see :mod:`demo`)."""

import sys

from demo.run import main

sys.exit(main(sys.argv[1:]))
