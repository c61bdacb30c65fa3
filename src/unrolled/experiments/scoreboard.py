"""The scoreboard: every real task of the book, its recurrent model against the baselines run
on the same split by the same script, read from the committed results files (never typed).

    python -m unrolled.experiments scoreboard   # rewrites notebooks/results/scoreboard.json

Each entry: {"task", "section", "metric", "lower_is_better", "split", "rnn": {"model", "value",
"range", "seeds"}, "baselines": {name: value}, "rnn_wins": {"median", "every_seed"}}, where
"value" is the median over the seeds. Some tasks also have "combined", a list of models shown
beside the network and not counted as its win: the character model interpolated with the
baseline; the ensemble of the G2P seeds' models (one ensemble, so no range) and the G2P
networks rescoring Phonetisaurus' candidates; ensembles of the language classifier's letter
models (several ensembles of disjoint seeds, with a range).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from unrolled.experiments.common import RESULTS_DIR, dumps, load_results

NAME = "scoreboard"
LAYER_NAMES = {"rnn": "tanh RNN", "gru": "GRU", "lstm": "LSTM"}


def charlm_entry(results: dict[str, Any], directory: Path) -> dict[str, Any] | None:
    """Character language model: test bits per character of the LSTM and the tuned Kneser-Ney
    model, both learning from the whole training text (charlm_refit.json beside charlm's
    results; no entry without it)."""
    path = directory / "charlm_refit.json"
    if not path.is_file():
        return None
    refit = load_results(path)
    kn, model = refit["kneser_ney"], LAYER_NAMES[refit["settings"]["kind"]]
    return {
        "task": "Character language model, Python's help pages",
        "section": "notebooks/06-character-models",
        "metric": "bits per character",
        "lower_is_better": True,
        "split": f"held-out tenth of the corpus ({results['chars']['test']:,} characters)",
        "rnn": _rnn(
            f"{model}, H = {results['settings']['hidden']}, "
            f"{refit['chosen_schedule']} learning-rate schedule (chosen on dev)",
            refit,
            "test_bpc",
        ),
        "baselines": {
            f"Kneser-Ney, order {kn['order']}, D = {kn['discount']} (tuned on dev)": kn[
                "train_test_bpc"
            ],
            "Kneser-Ney, order 7, D = 0.75 (chapter 1)": results["kneser_ney"][
                "untuned_order7_test_bpc"
            ],
        },
        "combined": [
            _rnn(
                f"{model} interpolated with the tuned Kneser-Ney model", refit, "mixture_test_bpc"
            )
        ],
    }


def charlm_dynamic_entry(results: dict[str, Any], directory: Path) -> dict[str, Any]:
    """Character language model, both models learning from each character once scored: the
    LSTM by dynamic evaluation, Kneser-Ney by counting (a cache)."""
    dev, kn = results["dev"], results["kneser_ney"]
    source = results["source_settings"]
    return {
        "task": "Character language model, learning while reading",
        "section": "notebooks/06-character-models",
        "metric": "bits per character",
        "lower_is_better": True,
        "split": "held-out tenth of the corpus, read once in order",
        "rnn": _rnn(
            f"LSTM, H = {source['hidden']}, dynamic evaluation (segment {dev['segment']}, "
            f"SGD rate {dev['lr']}, chosen on dev)",
            results,
            "dynamic_bpc",
        ),
        "baselines": {
            f"Kneser-Ney counting what it reads, order {dev['order']}, D = {dev['discount']} "
            "(tuned on dev)": kn["adaptive_bpc"],
            "Kneser-Ney, static (the row above)": kn["static_bpc"],
        },
        "combined": [
            _rnn(
                "both learning models interpolated (weight chosen on dev)", results, "mixture_bpc"
            )
        ],
    }


def charlm_source_entry(results: dict[str, Any], directory: Path) -> dict[str, Any]:
    """Character language model on 3.6 million characters of Python's library source: the LSTM
    against Kneser-Ney tuned on dev and refitted on fit + dev."""
    kn, settings = results["kneser_ney"], results["settings"]
    lstm = results["models"]["lstm"]
    return {
        "task": "Character language model, Python's library source",
        "section": "notebooks/06-character-models",
        "metric": "bits per character",
        "lower_is_better": True,
        "split": f"held-out modules ({results['chars']['test']:,} characters)",
        "rnn": _rnn(
            f"LSTM, H = {settings['hidden']}, {settings['epochs']} epochs, linear decay",
            lstm,
            "test_bpc",
        ),
        "baselines": {
            f"Kneser-Ney, order {kn['order']}, D = {kn['discount']} (tuned on dev)": kn[
                "test_bpc"
            ],
            "Kneser-Ney, order 7, D = 0.75 (chapter 1)": kn["untuned_order7_test_bpc"],
        },
        "combined": [
            _rnn("LSTM interpolated with the tuned Kneser-Ney model", lstm, "mixture_test_bpc")
        ],
    }


def sunspots_entry(results: dict[str, Any], directory: Path) -> dict[str, Any]:
    """Sunspot forecasting: test RMSE of one-step forecasts."""
    chosen, base = results["chosen"], results["baselines"]
    return {
        "task": "Yearly sunspot numbers, one-step forecast",
        "section": "notebooks/06-trained-models",
        "metric": "RMSE (sunspot number)",
        "lower_is_better": True,
        "split": "test years 1960-2008",
        "rnn": _rnn(
            f"{LAYER_NAMES[chosen['kind']]}, H = {chosen['hidden']}"
            + (f", with an AR({chosen['lags']}) highway" if chosen["lags"] else ""),
            results["rnn"],
            "test_rmse",
        ),
        "baselines": {
            "naive (last value)": base["naive"]["test_rmse"],
            f"AR({base['ar']['p']})": base["ar"]["test_rmse"],
            f"AR({base['sqrt_ar']['p']}) on the square root": base["sqrt_ar"]["test_rmse"],
        },
    }


def langid_entry(results: dict[str, Any], directory: Path) -> dict[str, Any]:
    """Language of a word: test accuracy of the recurrent classifier that was better on dev
    (discriminative, or the generative letter model with Bayes' rule); the ensembles of the
    letter models beside it and, if langid_combined.json is beside it, the letter models
    combined with naive Bayes (each seed's, and ensembles)."""
    nb, letter = results["naive_bayes"], results["generative"]
    if results["best_on_dev"] == "generative":
        rnn = _rnn(
            f"LSTM letter model of each language + Bayes' rule, H = {letter['chosen']['hidden']}",
            letter,
            "test_accuracy",
        )
    else:
        chosen = results["chosen"]
        direction = "bidirectional " if chosen["bidirectional"] else ""
        rnn = _rnn(
            f"{direction}{LAYER_NAMES[chosen['kind']]}, H = {results['settings']['hidden']}",
            results["rnn"],
            "test_accuracy",
        )
    ensembles, size = letter["ensemble_test_accuracy"], len(letter["ensembles"][0]["seeds"])
    combined = [
        {
            "model": f"ensembles of {size} letter models (median of {len(letter['ensembles'])})",
            "value": ensembles["median"],
            "range": [ensembles["min"], ensembles["max"]],
            "seeds": size * len(letter["ensembles"]),
        }
    ]
    path = directory / "langid_combined.json"
    if path.is_file():
        product = load_results(path)
        singles, groups = product["seeds_test_accuracy"], product["ensembles_test_accuracy"]
        combined += [
            {
                "model": "one letter model x naive Bayes, weighted product (chosen on dev)",
                "value": singles["median"],
                "range": [singles["min"], singles["max"]],
                "seeds": len(product["settings"]["seeds"]),
            },
            {
                "model": f"ensembles of {size} letter models x naive Bayes "
                f"(median of {len(product['ensembles'])})",
                "value": groups["median"],
                "range": [groups["min"], groups["max"]],
                "seeds": size * len(product["ensembles"]),
            },
        ]
    return {
        "task": "Language of a word (5 languages)",
        "section": "notebooks/06-trained-models",
        "metric": "accuracy",
        "lower_is_better": False,
        "split": f"held-out fifth of the words ({len(results['test_labels']):,})",
        "rnn": rnn,
        "baselines": {
            f"naive Bayes, 1- to {nb['order']}-grams, alpha = {nb['alpha']} (tuned on dev)": nb[
                "test_accuracy"
            ],
            "naive Bayes, 1- and 2-grams, alpha = 1 (untuned)": nb["untuned_test_accuracy"],
        },
        "combined": combined,
    }


def ner_entry(results: dict[str, Any], directory: Path) -> dict[str, Any]:
    """Named entities: CoNLL entity F1 on the test sentences, in %."""
    lstm, window = results["models"]["lstm"], results["models"]["window"]
    percent = {k: round(100 * v, 2) for k, v in lstm["test_f1"].items()}
    return {
        "task": "Named entities in news, CoNLL-2003",
        "section": "notebooks/06-named-entities",
        "metric": "entity F1 (%)",
        "lower_is_better": False,
        "split": f"the shared task's test sentences ({results['sizes']['test']:,})",
        "rnn": {
            "model": f"bidirectional LSTM, H = {results['settings']['hidden']} each way",
            "value": percent["median"],
            "range": [percent["min"], percent["max"]],
            "seeds": len(lstm["test"]),
        },
        "baselines": {
            f"window of {2 * results['settings']['window'] + 1} words, feed-forward "
            f"(median of {len(window['test'])} seeds)": round(
                100 * window["test_f1"]["median"], 2
            ),
            "most frequent tag of each word": round(
                100 * results["most_frequent_tag"]["test"]["f1"], 2
            ),
        },
    }


def sentiment_entry(results: dict[str, Any], directory: Path) -> dict[str, Any]:
    """Critics' snippets, fresh or rotten: test accuracy; combined: each seed's network and their
    ensemble with naive Bayes."""
    chosen = results["chosen"]
    directions = chosen["directions"]
    network, nb = results["networks"][chosen["network"]], results["naive_bayes"]
    summary = network["test_accuracy"]
    n = results["sizes"]["test"]
    product, seeds = results["combined"], len(network["test"])
    return {
        "task": "Film critics' snippets, fresh or rotten",
        "section": "notebooks/06-sentiment",
        "metric": "accuracy",
        "lower_is_better": False,
        "split": f"snippets of a held-out tenth of the films ({n:,})",
        "rnn": {
            "model": f"{'bidirectional ' if directions == 2 else ''}LSTM, H = "
            f"{results['settings']['hidden']}, mean and max pooling"
            f"{', CBOW-initialised embeddings' if chosen['embeddings'] == 'cbow' else ''}",
            "value": summary["median"],
            "range": [summary["min"], summary["max"]],
            "seeds": len(network["test"]),
        },
        "baselines": {
            f"naive Bayes, 1- to {nb['order']}-grams, alpha = {nb['alpha']}"
            f"{', binary' if nb['binary'] else ''} (tuned on dev)": nb["test_accuracy"],
            "naive Bayes, words, alpha = 1 (untuned)": nb["untuned_test_accuracy"],
            "always fresh": results["majority_test_accuracy"],
        },
        "combined": [
            {
                "model": "one network x naive Bayes, weighted product (chosen on dev)",
                "value": product["test_accuracy"]["median"],
                "range": [product["test_accuracy"]["min"], product["test_accuracy"]["max"]],
                "seeds": seeds,
            },
            {
                "model": f"ensemble of the {seeds} networks x naive Bayes (chosen on dev)",
                "value": product["networks"]["ensemble"]["test_accuracy"],
                "seeds": seeds,
            },
        ],
    }


def _rnn(model: str, results: dict[str, Any], metric: str) -> dict[str, Any]:
    """The recurrent model's entry: median, range and number of seeds of `metric`."""
    summary = results[metric]
    return {
        "model": model,
        "value": summary["median"],
        "range": [summary["min"], summary["max"]],
        "seeds": len(results["runs"]),
    }


def g2p_entry(results: dict[str, Any], directory: Path) -> dict[str, Any] | None:
    """Grapheme-to-phoneme: test WER (any listed pronunciation), in %, against Phonetisaurus
    run on the same split by its own script (no entry without that results file); combined:
    the ensemble of the seeds' models and, if g2p_combined.json is beside it, each seed's
    model and the ensemble rescoring Phonetisaurus' candidates with it."""
    baseline = directory / "phonetisaurus.json"
    if not baseline.is_file():
        return None
    wfst = load_results(baseline)
    percent = [round(100 * e["test"]["beam"]["wer_any"], 2) for e in results["seeds"]]
    beam = results["settings"]["beam_width"]
    combined = [
        {
            "model": f"ensemble of the {len(percent)} seeds' models, beam {beam}",
            "value": round(100 * results["ensemble"]["test"]["beam"]["wer_any"], 2),
            "seeds": len(percent),
        }
    ]
    path = directory / "g2p_combined.json"
    if path.is_file():
        rescored = load_results(path)
        spread = {k: round(100 * v, 2) for k, v in rescored["seeds_test_wer_any"].items()}
        combined += [
            {
                "model": "one seed's model + Phonetisaurus, candidates rescored (chosen on dev)",
                "value": spread["median"],
                "range": [spread["min"], spread["max"]],
                "seeds": len(rescored["settings"]["seeds"]),
            },
            {
                "model": "the ensemble + Phonetisaurus, candidates rescored (chosen on dev)",
                "value": round(100 * rescored["networks"]["ensemble"]["test"]["wer_any"], 2),
                "seeds": len(rescored["settings"]["seeds"]),
            },
        ]
    return {
        "task": "Grapheme-to-phoneme conversion, CMUdict",
        "section": "notebooks/07-seq2seq-attention",
        "metric": "word error rate (%)",
        "lower_is_better": True,
        "split": f"held-out words ({results['sizes']['test']:,})",
        "rnn": {
            "model": f"BiGRU encoder, attention, beam {beam}",
            "value": round(float(np.median(percent)), 2),
            "range": [min(percent), max(percent)],
            "seeds": len(percent),
        },
        "combined": combined,
        "baselines": {
            f"Phonetisaurus, order {wfst['chosen_order']} (tuned on dev)": round(
                100 * wfst["test"]["wer_any"], 2
            )
        },
    }


def captioning_entry(results: dict[str, Any], directory: Path) -> dict[str, Any]:
    """Emoji captions: test BLEU-4 of greedy captions, the variant with the better median dev
    exact match; the retrieval baseline (whose exact match is 0 by construction)."""
    networks = results["networks"]
    attention = max(
        networks, key=lambda a: np.median(networks[a]["dev_exact"][str(networks[a]["lr"])])
    )
    greedy = networks[attention]["test"]["greedy"]
    names = {"none": "picture as initial state", "additive": "attention over regions"}
    baseline = results["nearest_neighbour"]
    return {
        "task": "Emoji captions, unseen skin-tone combinations",
        "section": "notebooks/07-captioning",
        "metric": "BLEU-4",
        "lower_is_better": False,
        "split": f"a held-out tone of every base ({results['sizes']['test']:,} pictures)",
        "rnn": {
            "model": f"CNN + GRU decoder, {names[attention]}, greedy",
            "value": greedy["bleu"]["median"],
            "range": [greedy["bleu"]["min"], greedy["bleu"]["max"]],
            "seeds": len(greedy["seeds"]),
        },
        "baselines": {
            f"nearest training picture, pooled to {baseline['side']} x {baseline['side']} "
            "(tuned on dev)": baseline["test"]["bleu"]
        },
    }


ENTRIES = {
    "charlm": charlm_entry,
    "charlm_dynamic": charlm_dynamic_entry,
    "charlm_source": charlm_source_entry,
    "sunspots": sunspots_entry,
    "langid": langid_entry,
    "ner": ner_entry,
    "sentiment": sentiment_entry,
    "g2p": g2p_entry,
    "captioning": captioning_entry,
}


def build(directory: Path = RESULTS_DIR) -> dict[str, Any]:
    """The scoreboard of every results file present in `directory`, in the book's order (each
    entry function reads its results, and some a baseline's file beside it in `directory`)."""
    tasks = [
        entry(load_results(directory / f"{name}.json"), directory)
        for name, entry in ENTRIES.items()
        if (directory / f"{name}.json").is_file()
    ]
    tasks = [task for task in tasks if task is not None]
    return judge({"description": __doc__.splitlines()[0], "tasks": tasks})


def judge(board: dict[str, Any]) -> dict[str, Any]:
    """Mark each task: does the recurrent model beat the best baseline, by its median and by
    its worst seed? Returns `board`, changed in place."""
    for task in board["tasks"]:
        lower = task["lower_is_better"]
        best = (min if lower else max)(task["baselines"].values())
        median, worst = task["rnn"]["value"], task["rnn"]["range"][1 if lower else 0]
        beats = (lambda v: v < best) if lower else (lambda v: v > best)  # noqa: B023
        task["rnn_wins"] = {"median": beats(median), "every_seed": beats(worst)}
    return board


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m unrolled.experiments scoreboard", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--output", type=Path, default=RESULTS_DIR, help="results directory")
    args = parser.parse_args(argv)
    (args.output / f"{NAME}.json").write_text(dumps(build(args.output)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
