"""How fast is from scratch? Benchmarks of the book's NumPy layers, and the cost of the book.

    make bench                               # = python -m unrolled.benchmarks
    python -m unrolled.benchmarks --quick    # a smoke run in seconds

One idea per module:

- implementations.py: the layers compared (NumPy, torch.nn, a per-step autograd loop), their
  floor (the matrix products of the NumPy layer alone) and their FLOPs;
- timing.py: the harness (warm-up, interleaved rounds until the spread is small enough,
  median, interquartile range, min, max);
- kernels.py: part 1, every layer and its floor in float32 and float64, and the peak;
- scaling.py: part 2, full against truncated BPTT as the sequence grows;
- book.py: part 3, the time to execute every notebook;
- machine.py: thread pinning and the description of the machine;
- targets.py: the targets and whether a run reached them;
- report.py: the results as text tables;
- cli.py: the script, which writes notebooks/results/bench.json and book-cost.json.
"""
