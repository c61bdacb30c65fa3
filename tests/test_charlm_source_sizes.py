"""The LSTM and Kneser-Ney on shares of the library source (experiment charlm_source_sizes,
chapter 6): the results file is what the code writes, each size is scored on charlm_source's
dev and test texts, the summaries are the runs', and a tiny re-run agrees."""

import json
from pathlib import Path

import pytest
from charlm_check import check_kn_and_lstm
from results_check import assert_tiny_rerun_close

from unrolled.experiments import charlm_source, charlm_source_sizes
from unrolled.experiments.common import dumps, load_results

RESULTS = Path(__file__).resolve().parent.parent / "notebooks" / "results"


@pytest.fixture(scope="module")
def results():
    return load_results(RESULTS / "charlm_source_sizes.json")


def test_results_file_is_canonical_and_has_the_code_settings(results):
    assert (RESULTS / "charlm_source_sizes.json").read_text() == dumps(results)
    assert results["settings"] == json.loads(json.dumps(charlm_source_sizes.SETTINGS))
    assert results["tiny"]["settings"] == json.loads(json.dumps(charlm_source_sizes.TINY))


def test_only_the_amount_of_fit_text_differs_from_charlm_source(results):
    full = load_results(RESULTS / "charlm_source.json")
    settings = results["settings"]
    assert [size["fit_fraction"] for size in results["sizes"]] == settings["fractions"]
    for size in results["sizes"]:
        one = charlm_source_sizes.size_settings(settings, size["fit_fraction"])
        assert {k: v for k, v in one.items() if k not in ("fit_fraction", "kn_orders")} == {
            k: v for k, v in full["settings"].items() if k != "kn_orders"
        }
        text = charlm_source.texts(one)
        assert size["chars"] == {name: len(t) for name, t in text.items()}
        assert {k: size["chars"][k] for k in ("dev", "test")} == {
            k: full["chars"][k] for k in ("dev", "test")
        }
        assert size["chars"]["fit"] < full["chars"]["fit"]


def test_every_size_has_tuned_kn_and_three_seeds_on_the_schedule(results):
    for size in results["sizes"]:
        check_kn_and_lstm(results["settings"], size["kneser_ney"], size["lstm"])


def test_a_tiny_rerun_reproduces_the_committed_one(results):
    assert_tiny_rerun_close("charlm_source_sizes", results["tiny"])
