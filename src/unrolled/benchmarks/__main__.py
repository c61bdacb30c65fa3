"""`python -m unrolled.benchmarks`: see unrolled.benchmarks.cli."""

import sys

from unrolled.benchmarks.cli import main

sys.exit(main())
