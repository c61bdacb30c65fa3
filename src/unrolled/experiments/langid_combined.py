"""Chapter 6: naive Bayes and the letter models combined, a product of two experts.

The letter models (unrolled.experiments.langid's generative networks) and naive Bayes on
letter n-grams reach about the same development accuracy but disagree on many words: naive
Bayes counts n-grams as if independent, the letter model reads the word in order. Here each
word's language is chosen by a weighted product of the two posteriors,

    k(w) = argmax_k (1 - a) log p_net(k | w) + a log p_NB(k | w),

with a = 0 the network alone and a = 1 naive Bayes alone (unrolled.experiments.experts).
Everything the langid experiment chose on dev is kept (the letter model's width and dropout,
naive Bayes' order and alpha, read from its results file); only a is new:

- dev: the letter models of langid's seeds and naive Bayes trained on the fit words score the
  dev words; a is chosen per network (each seed and the ensemble of all seeds, which averages
  their probabilities) as the dev-best value on a grid (ties to the smaller a);
- test: the same models retrained on all training words, as langid trained them, score the
  test words once with each network's a. The two further ensembles of langid use the
  ensemble's a. The networks alone agree with langid's to within a word or two (a check
  that the two runs agree; runs on different processors round differently in training).

    python -m unrolled.experiments langid_combined          # ~25 min on one core
    python -m unrolled.experiments langid_combined --tiny   # seconds; prints the results as JSON

Reads notebooks/results/langid.json; writes notebooks/results/langid_combined.json, which
chapter 6 and the scoreboard load.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from unrolled.data import load_language_words
from unrolled.experiments import langid
from unrolled.experiments.common import RESULTS_DIR, load_results, provenance, script, spread
from unrolled.experiments.experts import (
    accuracy,
    combine,
    combined,
    ensemble_log_posterior,
    normalised,
)
from unrolled.naive_bayes import NaiveBayes

NAME = "langid_combined"
SETTINGS: dict[str, Any] = langid.SETTINGS | {
    "source": str(RESULTS_DIR / "langid.json"),  # the choices made on dev
    "weights": [0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0],
}
TINY = langid.TINY | {"source": SETTINGS["source"], "weights": [0.0, 0.1, 0.5, 1.0]}


def naive_bayes_log_posteriors(
    words: list[str], labels: np.ndarray, train: np.ndarray, score: list[str], chosen: dict
) -> np.ndarray:
    """log p_NB(k | w) of the words `score` under naive Bayes fitted on `train`: (N, K)."""
    model = NaiveBayes(chosen["alpha"])
    model.fit(langid.grams([words[i] for i in train], chosen["order"]), labels[train])
    return normalised(
        np.stack([model.log_posterior(g) for g in langid.grams(score, chosen["order"])])
    )


def run(settings: dict[str, Any], log: bool = False) -> tuple[dict[str, Any], None]:
    """Letter models and naive Bayes on fit -> dev (the weight), on train -> test (once)."""
    start = time.perf_counter()
    source = load_results(settings["source"])
    nb_choice = {key: source["naive_bayes"][key] for key in ("order", "alpha")}
    lm_choice = {key: source["generative"]["chosen"][key] for key in ("hidden", "dropout")}
    words, labels, _ = load_language_words(langid.LANGUAGES, settings["n_per_language"])
    idx = langid.splits(labels, settings)
    letters = langid.alphabet(words)
    seeds, weights = settings["seeds"], settings["weights"]
    all_seeds = list(range(settings["generative"]["ensembles"] * len(seeds)))
    parts = {"dev": ("fit", seeds), "test": ("train", all_seeds)}
    posteriors, bayes, truth = {}, {}, {}
    for part, (trained_on, part_seeds) in parts.items():
        score = [words[i] for i in idx[part]]
        bayes[part] = naive_bayes_log_posteriors(words, labels, idx[trained_on], score, nb_choice)
        posteriors[part] = langid.generative_log_posteriors(
            part_seeds, lm_choice, words, labels, idx[trained_on], score, letters, settings
        )
        truth[part] = labels[idx[part]]
        if log:
            print(
                f"{part}: {len(part_seeds)} letter models, {time.perf_counter() - start:.0f} s",
                flush=True,
            )

    def networks(part: str) -> dict[str, np.ndarray]:
        """Each seed's log posteriors and the ensemble's (of the first len(seeds) models)."""
        alone = {str(seed): posteriors[part][i] for i, seed in enumerate(seeds)}
        return alone | {"ensemble": ensemble_log_posterior(posteriors[part][: len(seeds)])}

    results = {}
    for name, network in networks("dev").items():
        pair = {"dev": network, "test": networks("test")[name]}
        results[name] = combine(pair, bayes, truth, weights) | {
            "test_alone": accuracy(pair["test"].argmax(-1), truth["test"])
        }
    groups = [posteriors["test"][i : i + len(seeds)] for i in range(0, len(all_seeds), len(seeds))]
    ensembles = [
        {
            "seeds": all_seeds[g * len(seeds) : (g + 1) * len(seeds)],
            "test_alone": accuracy(langid.ensemble_predict(group), truth["test"]),
            "test_accuracy": accuracy(
                combined(
                    ensemble_log_posterior(group), bayes["test"], results["ensemble"]["weight"]
                ),
                truth["test"],
            ),
        }
        for g, group in enumerate(groups)
    ]
    return {
        "description": __doc__.splitlines()[0],
        "settings": settings,
        "naive_bayes": nb_choice
        | {part: accuracy(bayes[part].argmax(-1), truth[part]) for part in ("dev", "test")},
        "letter_model": lm_choice,
        "networks": results,
        "seeds_test_accuracy": spread([results[str(s)]["test_accuracy"] for s in seeds]),
        "ensembles": ensembles,
        "ensembles_test_accuracy": spread([e["test_accuracy"] for e in ensembles]),
        **provenance(start),
    }, None


def main(argv: list[str] | None = None) -> int:
    return script(NAME, run, SETTINGS, TINY, __doc__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
