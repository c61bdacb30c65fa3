"""The experiment registry: `python -m unrolled.experiments NAME [--tiny] [--output DIR]`.

    python -m unrolled.experiments             # list the experiments
    python -m unrolled.experiments sunspots    # run one; it rewrites notebooks/results/
    python -m unrolled.experiments scoreboard  # rebuild scoreboard.json from the results files

Run from the repository's root (results paths are relative to it). `make experiments` runs
them all, `make experiments ONLY=NAME` one.
"""

import importlib
import sys

from unrolled.experiments import EXPERIMENTS


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in EXPERIMENTS:
        width = max(map(len, EXPERIMENTS))
        print(__doc__.splitlines()[0], file=sys.stderr)
        for name, what in EXPERIMENTS.items():
            print(f"  {name:<{width}}  {what}", file=sys.stderr)
        return 0 if not argv else 2
    return importlib.import_module(f"unrolled.experiments.{argv[0]}").main(argv[1:])


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
