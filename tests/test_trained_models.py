"""The experiments behind chapter 6's trained models (sunspots, langid, charlm), the registry and
the scoreboard: the committed results agree with the code that wrote them, every reported
summary is computed from the per-seed runs, a re-run of each tiny configuration reproduces its
committed entry, and the checkpoint re-evaluates to its committed score."""

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from results_check import assert_tiny_rerun_close

from unrolled.autoregressive import predict_one_step
from unrolled.experiments import EXPERIMENTS, charlm, langid, scoreboard, sunspots
from unrolled.experiments.__main__ import main as registry_main
from unrolled.experiments.common import dumps, load_results
from unrolled.naive_bayes import NaiveBayes

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "notebooks" / "results"
MODULES = {"sunspots": sunspots, "langid": langid, "charlm": charlm}  # with committed results
HEADLINE = {"sunspots": "test_rmse", "langid": "test_accuracy", "charlm": "test_bpc"}


@pytest.fixture(scope="module", params=sorted(MODULES))
def experiment(request):
    """(name, module, committed results) of each experiment."""
    name = request.param
    return name, MODULES[name], load_results(RESULTS / f"{name}.json")


def test_results_file_is_canonical_and_has_the_code_settings(experiment):
    name, module, results = experiment
    assert (RESULTS / f"{name}.json").read_text() == dumps(results)
    assert results["settings"] == json.loads(json.dumps(module.SETTINGS))
    assert results["tiny"]["settings"] == json.loads(json.dumps(module.TINY))


def summaries(name, results):
    """Every (runs, summary, value of a run) of a results file: one per recurrent model (and,
    for the language models, one per interpolation with Kneser-Ney)."""
    if name == "charlm":
        return [
            entry
            for m in results["models"].values()
            for entry in (
                (m["runs"], m["test_bpc"], lambda r: r["test_bpc"]),
                (m["runs"], m["mixture_test_bpc"], lambda r: r["mixture"]["test_bpc"]),
            )
        ]
    metric = {"sunspots": "rmse", "langid": "accuracy"}[name]
    entries = [(results["rnn"]["runs"], results["rnn"][HEADLINE[name]], lambda r: r[metric])]
    if name == "langid":
        letter = results["generative"]
        entries.append((letter["runs"], letter["test_accuracy"], lambda r: r["accuracy"]))
    return entries


def test_every_seed_is_run_and_summarised(experiment):
    name, _, results = experiment
    for runs, summary, value in summaries(name, results):
        assert [r["seed"] for r in runs] == results["settings"]["seeds"]
        values = [value(r) for r in runs]
        assert len(values) >= 3  # the book's rule for a claim about a trained model
        assert summary == {
            "median": round(float(np.median(values)), 4),
            "min": min(values),
            "max": max(values),
        }


def test_a_tiny_rerun_reproduces_the_committed_one(experiment):
    name, _, results = experiment
    assert_tiny_rerun_close(name, results["tiny"])


def test_the_charlm_checkpoint_scores_what_its_results_say():
    results = load_results(RESULTS / "charlm.json")
    model = charlm.load_model(results, RESULTS / "charlm.pt")
    kind, seed = results["checkpoint"]["kind"], results["checkpoint"]["seed"]
    assert model.kind == kind
    run = next(r for r in results["models"][kind]["runs"] if r["seed"] == seed)
    text = charlm.texts(results["settings"])["test"]
    ids = np.array([results["vocab"].index(c) for c in text])
    assert charlm.bits_per_char(model, ids) == pytest.approx(run["test_bpc"], abs=1e-3)


def test_scoreboard_is_built_from_the_results_files():
    committed = load_results(RESULTS / "scoreboard.json")
    assert committed == json.loads(json.dumps(scoreboard.build(RESULTS)))
    assert {task["task"] for task in committed["tasks"]} == {
        "Character language model, Python's help pages",
        "Character language model, learning while reading",
        "Character language model, Python's library source",
        "Yearly sunspot numbers, one-step forecast",
        "Language of a word (5 languages)",
        "Named entities in news, CoNLL-2003",
        "Film critics' snippets, fresh or rotten",
        "Grapheme-to-phoneme conversion, CMUdict",
        "Emoji captions, unseen skin-tone combinations",
    }


def test_the_g2p_entry_needs_the_baseline_run_on_the_same_split(tmp_path):
    g2p_results = load_results(RESULTS / "g2p.json")
    assert scoreboard.g2p_entry(g2p_results, tmp_path) is None  # no phonetisaurus.json there
    entry = scoreboard.g2p_entry(g2p_results, RESULTS)
    single = [round(100 * e["test"]["beam"]["wer_any"], 2) for e in g2p_results["seeds"]]
    assert entry["rnn"]["seeds"] == len(single) >= 3
    assert entry["rnn"]["range"] == [min(single), max(single)]
    assert entry["rnn"]["value"] == round(float(np.median(single)), 2)
    ensemble, *rescored = entry["combined"]  # shown, not judged
    assert "range" not in ensemble  # one ensemble: no range
    assert ensemble["value"] == round(100 * g2p_results["ensemble"]["test"]["beam"]["wer_any"], 2)
    combined = load_results(RESULTS / "g2p_combined.json")
    seeds = [
        100 * combined["networks"][str(s)]["test"]["wer_any"]
        for s in combined["settings"]["seeds"]
    ]
    assert rescored[0]["value"] == round(float(np.median(seeds)), 2)
    assert rescored[0]["range"] == [round(min(seeds), 2), round(max(seeds), 2)]
    assert rescored[1]["value"] == round(
        100 * combined["networks"]["ensemble"]["test"]["wer_any"], 2
    )


def test_scoreboard_decides_wins_by_direction(tmp_path):
    entry = {"lower_is_better": True, "rnn": {"value": 1.5, "range": [1.4, 1.7]}}
    entry["baselines"] = {"a": 1.6, "b": 2.0}
    board = {"tasks": [entry]}
    scoreboard.judge(board)
    assert entry["rnn_wins"] == {"median": True, "every_seed": False}
    entry |= {"lower_is_better": False, "baselines": {"a": 1.45}}
    scoreboard.judge(board)
    assert entry["rnn_wins"] == {"median": True, "every_seed": False}
    assert scoreboard.build(tmp_path)["tasks"] == []  # no results files, no entries


def test_registry_lists_and_runs_experiments(capsys):
    assert registry_main([]) == 0
    listing = capsys.readouterr().err
    assert all(name in listing for name in EXPERIMENTS)
    assert registry_main(["no-such-experiment"]) == 2
    for name in EXPERIMENTS:
        module = __import__(f"unrolled.experiments.{name}", fromlist=["main"])
        assert callable(module.main)


# --- sunspots --------------------------------------------------------------------------------


def test_sunspot_periods_split_the_years():
    years = np.arange(1700, 2009)
    masks = sunspots.periods(years)
    assert np.array_equal(masks["fit"] | masks["dev"], masks["train"])
    assert not np.any(masks["fit"] & masks["dev"]) and not np.any(masks["train"] & masks["test"])
    assert years[masks["dev"]][[0, -1]].tolist() == [1910, 1959]
    assert years[masks["test"]][[0, -1]].tolist() == [1960, 2008]


def test_sunspot_ar_forecasts_and_scaler():
    rng = np.random.default_rng(0)
    series = rng.uniform(0, 100, size=80)
    fit_on = np.arange(80) < 60
    plain = sunspots.ar_forecast(series, fit_on, 3, sqrt=False)
    from unrolled.autoregressive import fit_ar

    assert np.allclose(plain, predict_one_step(series, fit_ar(series[:60], 3), 3))
    root = sunspots.ar_forecast(series, fit_on, 3, sqrt=True)
    z = np.sqrt(series)
    assert np.allclose(root, np.maximum(predict_one_step(z, fit_ar(z[:60], 3), 3), 0) ** 2)
    scaler = sunspots.Scaler(series[:60])
    assert np.allclose(scaler.inverse(scaler(series)), series)
    assert abs(scaler(series[:60]).mean()) < 1e-12
    assert sunspots.windows(np.arange(10.0), 4).shape == (7, 4)


def test_sunspot_baselines_choose_p_on_dev():
    results = load_results(RESULTS / "sunspots.json")
    years, activity = sunspots.load_sunspots()
    base = sunspots.baselines(activity, sunspots.periods(years), results["settings"]["ar_orders"])
    for name in ("ar", "sqrt_ar"):
        dev = base[name]["dev_rmse_by_p"]
        assert base[name]["p"] == min(dev, key=dev.get) == results["baselines"][name]["p"]
        for part in ("dev", "test"):
            key = f"{part}_rmse"
            assert round(base[name][key], 4) == results["baselines"][name][key]


# --- language of a word ----------------------------------------------------------------------


def test_ngrams_of_a_word_with_boundaries():
    assert langid.ngrams("ab", 2) == ["^", "a", "b", "$", "^a", "ab", "b$"]
    assert langid.ngrams("ab", 1) == ["^", "a", "b", "$"]


def test_naive_bayes_matches_its_formula():
    words, labels = ["aa", "ab", "ba", "bb", "b"], np.array([0, 0, 1, 1, 1])
    model = NaiveBayes(alpha=0.5).fit(langid.grams(words, 1), labels)
    grams = sorted(set("^ab$"))
    word = "ab"
    expected = []
    for k in (0, 1):
        counts = {
            g: sum(
                langid.ngrams(w, 1).count(g) for w, y in zip(words, labels, strict=True) if y == k
            )
            for g in grams
        }
        total = sum(counts.values())
        logp = np.log(np.mean(labels == k))
        for g in langid.ngrams(word, 1):
            logp += np.log((counts[g] + 0.5) / (total + 0.5 * len(grams)))
        expected.append(logp)
    assert np.allclose(model.log_posterior(langid.ngrams(word, 1)), expected)
    assert model.predict(langid.grams(["aa", "bb"], 1)).tolist() == [0, 1]


def test_naive_bayes_skips_unseen_features_and_names_bad_input():
    model = NaiveBayes(alpha=1.0).fit([["a"], ["b"]], np.array([0, 1]))
    assert np.array_equal(model.log_posterior(["a", "zzz"]), model.log_posterior(["a"]))
    with pytest.raises(ValueError, match=r"alpha: expected a positive number, received 0"):
        NaiveBayes(alpha=0)
    with pytest.raises(ValueError, match=r"labels: expected one per document \(2\), received 1"):
        NaiveBayes(alpha=1.0).fit([["a"], ["b"]], np.array([0]))


def test_langid_ensembles_are_disjoint_seeds_and_summarised():
    results = load_results(RESULTS / "langid.json")
    letter, seeds = results["generative"], results["settings"]["seeds"]
    groups = [e["seeds"] for e in letter["ensembles"]]
    assert len(groups) == results["settings"]["generative"]["ensembles"] >= 3
    assert sorted(sum(groups, [])) == list(range(len(seeds) * len(groups)))  # disjoint
    assert groups[0] == seeds  # the single models reported are the first ensemble's
    truth = np.array(results["test_labels"])
    values = []
    for entry in letter["ensembles"]:
        values.append(round(float((np.array(entry["predictions"]) == truth).mean()), 4))
        assert entry["accuracy"] == values[-1]
    assert letter["ensemble_test_accuracy"] == {
        "median": round(float(np.median(values)), 4),
        "min": min(values),
        "max": max(values),
    }
    medians = {
        "generative": np.median(letter["chosen"]["dev_accuracy"]),
        "discriminative": np.median(
            next(
                e["dev_accuracy"]
                for e in results["search"]
                if e["kind"] == results["chosen"]["kind"]
                and e["bidirectional"] == results["chosen"]["bidirectional"]
            )
        ),
    }
    assert results["best_on_dev"] == max(medians, key=medians.get)


def letter_model(seed=0):
    """A small untrained letter model over the letters a, b, c and two languages."""
    torch.manual_seed(seed)
    cfg = {"embed": 4, "language_embed": 3}
    return langid.LetterLM(3, 2, hidden=5, dropout=0.5, cfg=cfg), {"a": 1, "b": 2, "c": 3}


def test_letter_targets_shift_the_word_between_boundaries():
    inputs, targets = langid.letter_targets(["ab", "c"], {"a": 1, "b": 2, "c": 3})
    assert inputs.tolist() == [[1, 2, 3], [1, 4, 0]]  # "^ab", "^c" (letters shifted to 2..)
    assert targets.tolist() == [[2, 3, 1], [4, 1, 0]]  # "ab$", "c$", 0 pads


def test_word_log_likelihood_is_the_chain_rule_over_prefixes():
    model, letters = letter_model()
    words = ["abca", "b", "cc"]
    scores = langid.word_log_likelihoods(model, words, letters, 2)  # batched, padded
    model.eval()
    for n, word in enumerate(words):
        symbols = [1] + [letters[c] + 1 for c in word] + [1]  # ^ word $
        for k in range(2):
            total = 0.0
            for t in range(1, len(symbols)):  # p(symbol t | the prefix alone, language k)
                prefix = torch.tensor([symbols[:t]])
                with torch.no_grad():
                    logits = model(prefix, torch.tensor([k]))[0, -1]
                total += torch.log_softmax(logits, -1)[symbols[t]].item()
            assert scores[n, k] == pytest.approx(total, abs=1e-5)


def test_letter_model_probabilities_of_all_short_words_sum_below_one():
    model, letters = letter_model(1)
    words = ["".join(w) for n in (1, 2) for w in itertools.product("abc", repeat=n)]
    for k in range(2):
        total = np.exp(langid.word_log_likelihoods(model, words, letters, 2)[:, k]).sum()
        assert 0 < total < 1  # a distribution over all words, of which these are some


def test_bayes_rule_and_the_ensemble_average_probabilities():
    log_likelihood = np.log(np.array([[0.2, 0.1], [0.01, 0.03]]))
    log_prior = np.log(np.array([0.25, 0.75]))
    posterior = np.exp(langid.bayes_log_posterior(log_likelihood, log_prior))
    joint = np.exp(log_likelihood + log_prior)
    assert np.allclose(posterior, joint / joint.sum(axis=1, keepdims=True))
    # two models say language 0 weakly, one says 1 strongly: the mean probability picks 1,
    # where a majority vote would pick 0
    p = np.array([[[0.55, 0.45]], [[0.55, 0.45]], [[0.05, 0.95]]])
    assert langid.ensemble_predict(np.log(p)).tolist() == [1]


def test_langid_splits_keep_chapter_3s_test_words():
    labels = np.zeros(1000, dtype=np.int64)
    parts = langid.splits(labels, langid.SETTINGS)
    chapter3 = np.random.default_rng(0).permutation(1000)[:200]
    assert np.array_equal(parts["test"], chapter3)
    assert sorted(np.concatenate([parts["fit"], parts["dev"]])) == sorted(parts["train"])
    assert not set(parts["train"]) & set(parts["test"])


# --- character language model ----------------------------------------------------------------


def test_charlm_mixture_and_overlap():
    nats = np.log(np.array([2.0, 4.0]))  # the network gives p = 1/2 and 1/4
    p_kn = np.array([0.25, 0.25])
    expected = -np.mean(np.log2([0.5 * 0.5 + 0.5 * 0.25, 0.5 * 0.25 + 0.5 * 0.25]))
    assert charlm.mixture_bpc(nats, p_kn, 0.5) == pytest.approx(expected)
    assert charlm.mixture_bpc(nats, p_kn, 1.0) == pytest.approx(1.5)  # the network alone
    assert charlm.overlap("abcdef", "xxbcdxx", k=3) == round(3 / 7, charlm.DECIMALS)
    assert charlm.overlap("abc", "xyz", k=2) == 0.0


def test_charlm_kneser_ney_probabilities_give_its_bits_per_char():
    lm = charlm.KneserNeyLM(3).fit("the cat sat on the mat. " * 5)
    text = "the rat sat."
    p = charlm.kn_probabilities(lm, text)
    whole = lm.bits_per_char(text) * len(text)  # includes the first character
    first = -np.log2(lm.prob("", text[0]))
    assert -np.log2(p).sum() == pytest.approx(whole - first)


def test_charlm_texts_and_kneser_ney_tuning():
    text = charlm.texts(charlm.TINY)
    assert text["fit"] + text["dev"] == text["train"]
    tuned = charlm.tune_kneser_ney(text["fit"][:3000], text["dev"][:500], [2, 3], [0.5, 0.9])
    grid = tuned["dev_bpc"]
    assert f"{tuned['order']}:{tuned['discount']}" == min(grid, key=grid.get)
    assert len(grid) == 4


def test_charlm_scores_a_text_the_same_in_any_chunking():
    torch.manual_seed(0)
    model = charlm.CharLM("lstm", 7, 4, 5, 0.5)  # dropout is off in bits_per_char
    ids = np.random.default_rng(0).integers(0, 7, size=50)
    whole = charlm.bits_per_char(model, ids, chunk=1000)
    assert charlm.bits_per_char(model, ids, chunk=7) == pytest.approx(whole, rel=1e-6)
    with pytest.raises(ValueError, match="kind must be one of"):
        charlm.CharLM("transformer", 7, 4, 5, 0.0)
