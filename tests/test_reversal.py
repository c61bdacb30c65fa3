"""unrolled.experiments.reversal: the task, and the committed results and checkpoint, which the
code that wrote them must reproduce."""

from pathlib import Path

import numpy as np
import pytest
import torch
from results_check import assert_tiny_rerun_close

from unrolled.experiments import reversal
from unrolled.experiments.common import load_results
from unrolled.seq2seq import EOS, PAD

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "notebooks" / "results" / "reversal.json"
CHECKPOINT = ROOT / "notebooks" / "results" / "reversal.pt"


@pytest.fixture(scope="module")
def results():
    return load_results(RESULTS)


def test_a_batch_holds_sequences_and_their_reversals():
    rng = np.random.default_rng(0)
    src, lengths, tgt = reversal.reversal_batch(rng, 50, reversal.SETTINGS)
    low, high = reversal.SETTINGS["lengths"]
    assert src.shape == (50, int(lengths.max())) and tgt.shape == (50, int(lengths.max()) + 1)
    assert lengths.min() >= low and lengths.max() <= high
    for s, n, t in zip(src.tolist(), lengths.tolist(), tgt.tolist(), strict=True):
        assert t[:n] == s[:n][::-1] and t[n] == EOS
        assert set(s[n:]) <= {PAD} and set(t[n + 1 :]) <= {PAD}
        assert all(3 <= x < reversal.vocab_size(reversal.SETTINGS) for x in s[:n])


def test_sequence_accuracy_counts_exact_reversals_only():
    tgt = torch.tensor([[5, 4, EOS], [7, 6, EOS]])
    lengths = torch.tensor([2, 2])
    assert reversal.sequence_accuracy([[5, 4], [7, 6]], tgt, lengths) == 1.0
    assert reversal.sequence_accuracy([[5, 4, 3], [7]], tgt, lengths) == 0.0
    assert reversal.sequence_accuracy([[5, 4], [6, 7]], tgt, lengths) == 0.5


def test_tiny_configuration_reproduces_its_committed_results(results):
    assert_tiny_rerun_close("reversal", results["tiny"])


def test_the_checkpoint_reproduces_the_first_seeds_results(results):
    models = reversal.load_models(CHECKPOINT)
    first = results["settings"]["seeds"][0]
    for attention, model in models.items():
        (entry,) = [
            e for e in results["runs"] if e["attention"] == attention and e["seed"] == first
        ]
        with torch.no_grad():
            measured = reversal.evaluate(model, results["settings"])
        for metric, values in measured.items():
            assert values == pytest.approx(entry[metric], abs=0.011), (attention, metric)


def test_every_run_made_most_of_its_progress_before_its_last_quarter(results):
    """Nine tenths of each run's fall in training loss came before its last quarter: no run
    was cut off while still learning fast (the models without attention still improve slowly,
    which chapter 7 says)."""
    for entry in results["runs"]:
        curve = entry["curve"]
        fall, late = curve[0] - curve[-1], curve[3 * len(curve) // 4] - curve[-1]
        assert late < 0.1 * fall, (entry["attention"], entry["seed"])


def test_the_summary_is_the_median_and_range_of_the_runs(results):
    for attention, summary in results["summary"].items():
        runs = [e for e in results["runs"] if e["attention"] == attention]
        for length, value in summary["sequence_accuracy"].items():
            values = [e["sequence_accuracy"][length] for e in runs]
            assert value["median"] == pytest.approx(np.median(values), abs=1e-4)
            assert (value["min"], value["max"]) == (min(values), max(values))
