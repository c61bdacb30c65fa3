"""unrolled.experiments.phonetisaurus, chapter 7's G2P baseline: the committed results agree with
the code that wrote them, the order was chosen on dev, a re-run of the tiny configuration
reproduces its committed entry, and the helpers around the binaries read and write their
formats."""

import importlib.util
import json
from pathlib import Path

import pytest
from results_check import assert_tiny_rerun_close

from unrolled.experiments import g2p, phonetisaurus
from unrolled.experiments.common import dumps, load_results

needs_binaries = pytest.mark.skipif(
    importlib.util.find_spec("phonetisaurus") is None,
    reason="the phonetisaurus wheel exists for Linux x86-64 only",
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "notebooks" / "results" / "phonetisaurus.json"


@pytest.fixture(scope="module")
def results():
    return load_results(RESULTS)


def test_results_file_is_canonical_and_has_the_code_settings(results):
    assert RESULTS.read_text() == dumps(results)
    assert results["settings"] == json.loads(json.dumps(phonetisaurus.SETTINGS))
    assert results["tiny"]["settings"] == json.loads(json.dumps(phonetisaurus.TINY))
    for key in ("dev_fraction", "test_fraction", "split_seed"):  # g2p's split, g2p's words
        assert phonetisaurus.SETTINGS[key] == g2p.SETTINGS[key]


@pytest.mark.parametrize("entry", ["full", "tiny"])
def test_the_order_is_the_dev_best_and_test_is_scored_on_every_word(results, entry):
    run = results if entry == "full" else results["tiny"]
    grid = run["dev_grid"]
    assert [point["order"] for point in grid] == run["settings"]["orders"]
    best = min(point["dev"]["wer_any"] for point in grid)
    assert run["chosen_order"] == next(p["order"] for p in grid if p["dev"]["wer_any"] == best)
    for rates in [point["dev"] for point in grid] + [run["test"]]:
        assert rates["per_any"] <= rates["per_strict"] and rates["wer_any"] <= rates["wer_strict"]
    if entry == "full":
        _, split, _ = g2p.prepare(g2p.SETTINGS)
        assert run["sizes"] == {name: len(words) for name, words in split.items()}
        assert run["test"]["wer_any"] < 0.5  # a working model: most test words right
        assert run["alignment"]["aligned_words"] > 0.99 * run["sizes"]["train"]


@needs_binaries
def test_a_tiny_rerun_reproduces_the_committed_one(results):
    assert_tiny_rerun_close("phonetisaurus", results["tiny"])


def test_write_lexicon_writes_the_first_pronunciation_of_each_word(tmp_path):
    pronunciations = {"read": [["R", "IY", "D"], ["R", "EH", "D"]], "a": [["AH"], ["EY"]]}
    path = tmp_path / "train.lex"
    phonetisaurus.write_lexicon(path, ["read", "a"], pronunciations)
    assert path.read_text() == "read\tR IY D\na\tAH\n"
    for bad in ({"a_b": [["AH"]]}, {"ab": [["AH", "B|X"]]}, {"ab": [["AH", ""]]}):
        with pytest.raises(ValueError, match="free of"):
            phonetisaurus.write_lexicon(path, list(bad), bad)


def test_parse_nbest_reads_g2pfst_output():
    """Distinct pronunciations, best first, the first (cheapest) line of each; none for a word
    without phonemes or without a line."""
    output = "cat\t5.1\tK AE T\ndog\t99\t\ncat\t6.0\tK AE T\ncat\t7.2\tK AA T\n\n"
    words = ["dog", "cat", "emu"]  # dog: no pronunciation found; emu: no output line
    expected = [[], [(("K", "AE", "T"), 5.1), (("K", "AA", "T"), 7.2)], []]
    assert phonetisaurus.parse_nbest(output, words) == expected
    with pytest.raises(ValueError, match="not in the word list"):
        phonetisaurus.parse_nbest("cow\t1.0\tK AW\n", words)


@needs_binaries
def test_the_binaries_learn_a_toy_lexicon(tmp_path):
    """End to end on five words: the model pronounces its own training words."""
    pronunciations = {
        "bat": [["B", "AE", "T"]],
        "cat": [["K", "AE", "T"]],
        "tab": [["T", "AE", "B"]],
        "cab": [["K", "AE", "B"]],
        "tack": [["T", "AE", "K"]],
    }
    words = sorted(pronunciations)
    phonetisaurus.write_lexicon(tmp_path / "lex", words, pronunciations)
    corpus = tmp_path / "corpus"
    assert phonetisaurus.align(tmp_path / "lex", corpus, phonetisaurus.SETTINGS) == 5
    phonetisaurus.train_model(corpus, 3, tmp_path / "model.fst")
    predictions = phonetisaurus.predict(tmp_path / "model.fst", words, tmp_path)
    assert predictions == [pronunciations[w][0] for w in words]
    nbest = phonetisaurus.decode(tmp_path / "model.fst", words, tmp_path, n=3)
    assert [list(best[0][0]) for best in nbest] == predictions  # the 1-best comes first
    assert all(costs == sorted(costs) for costs in ([c for _, c in best] for best in nbest))
