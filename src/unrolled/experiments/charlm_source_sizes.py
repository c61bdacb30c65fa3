"""Chapter 6: the LSTM against Kneser-Ney on a quarter and a sixteenth of the library source.

`charlm_source` found the LSTM 0.10 bits/char ahead of tuned Kneser-Ney on 2.8 million
characters of Python source, where on the pydoc text (0.42 million characters of prose) the
two tied. Several things differ between those runs; this experiment changes only the amount
of training text: charlm_source's procedure and settings (the same LSTM, dropout, epochs and
schedule; Kneser-Ney tuned over the same discounts, orders from 4, on the same dev text; the
same test text), with the fit text cut to whole modules, the first `fractions` of its
characters in the pinned module order (unrolled.data.load_stdlib_corpus(fit_fraction)).
The settings were chosen for the full text and are not re-tuned for the smaller ones, and
the number of epochs is the same, so a smaller text also means fewer updates.

    python -m unrolled.experiments charlm_source_sizes --jobs 2  # ~67 min on 2 cores
    python -m unrolled.experiments charlm_source_sizes --tiny    # seconds; prints JSON

Writes notebooks/results/charlm_source_sizes.json (no checkpoint; the whole text's point is
charlm_source.json); tests/test_charlm_source_sizes.py re-runs the tiny configuration.
"""

from __future__ import annotations

import time
from typing import Any

from unrolled.experiments import charlm, charlm_source
from unrolled.experiments.common import in_parallel_while, provenance, script

NAME = "charlm_source_sizes"
SETTINGS: dict[str, Any] = charlm_source.SETTINGS | {
    "fractions": [0.0625, 0.25],
    "kn_orders": [4, 6, 8, 10, 12, 14, 16],
}
TINY = charlm_source.TINY | {"fractions": [0.25, 0.5], "seeds": [0]}


def size_settings(settings: dict[str, Any], fraction: float) -> dict[str, Any]:
    """charlm_source's settings for the fit text cut to `fraction` of its characters."""
    return {k: v for k, v in settings.items() if k != "fractions"} | {"fit_fraction": fraction}


def run(settings: dict[str, Any], log: bool = False, jobs: int = 1) -> tuple[dict, None]:
    """Every (fraction, seed) LSTM, in `jobs` processes while this one tunes Kneser-Ney for
    each fraction; then each LSTM scored alone and interpolated (charlm.scored)."""
    start = time.perf_counter()
    per_size = [size_settings(settings, f) for f in settings["fractions"]]
    calls = [(seed, s, log) for s in reversed(per_size) for seed in s["seeds"]]  # largest first
    outputs, baselines = in_parallel_while(
        charlm_source.train_seed,
        calls,
        jobs,
        lambda: [charlm.kneser_ney_baseline(charlm_source.texts(s), s) for s in per_size],
    )
    trained = {
        (s["fit_fraction"], seed): out for (seed, s, _), out in zip(calls, outputs, strict=True)
    }
    sizes = []
    for s, (kn, p_kn) in zip(per_size, baselines, strict=True):
        text, vocab, data = charlm.encoded_texts(s, charlm_source.texts)
        ours = [trained[s["fit_fraction"], seed] for seed in s["seeds"]]
        runs, _ = charlm_source.scored_seeds(s, ours, vocab.size, data, p_kn)
        record = charlm.corpus_record(text, vocab, kn)
        sizes.append(
            {
                "fit_fraction": s["fit_fraction"],
                **record,
                "lstm": {"runs": runs, **charlm.summary(runs)},
            }
        )
        if log:
            print(f"fit {len(text['fit'])}: KN {kn['test_bpc']}, LSTM {sizes[-1]['lstm']}")
    results = {"description": __doc__.splitlines()[0], "settings": settings, "sizes": sizes}
    return results | provenance(start), None


def main(argv: list[str] | None = None) -> int:
    return script(NAME, run, SETTINGS, TINY, __doc__, argv, jobs=True)


if __name__ == "__main__":
    raise SystemExit(main())
