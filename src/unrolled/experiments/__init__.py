"""Experiments whose full runs take minutes: each module is a script that writes a small results
file committed with the book, and the chapter notebook reads that file.

    python -m unrolled.experiments.adding   # chapter 5: long-range memory benchmark
"""
