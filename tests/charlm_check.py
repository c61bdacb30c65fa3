"""What every trained character model on the library source must show in its results
(experiments charlm_source and charlm_source_sizes): Kneser-Ney tuned on the dev text over its
whole grid, and LSTM seeds that followed the recorded schedule and whose summaries they are."""

from typing import Any

import numpy as np
import pytest

from unrolled.experiments import charlm
from unrolled.experiments.charlm_refit import linear_decay


def check_kn_and_lstm(settings: dict[str, Any], kn: dict[str, Any], lstm: dict[str, Any]) -> None:
    """KN's chosen (order, discount) has the least dev bits/char of the full grid; at least 3
    LSTM seeds, those of the settings, each with the linearly decaying rate, its best epoch
    where its dev curve is lowest and a mixture weight from the grid; the medians and ranges
    are those of the runs."""
    assert kn["dev_bpc"][f"{kn['order']}:{kn['discount']}"] == min(kn["dev_bpc"].values())
    assert len(kn["dev_bpc"]) == len(settings["kn_orders"]) * len(settings["kn_discounts"])
    runs = lstm["runs"]
    assert [r["seed"] for r in runs] == settings["seeds"] and len(runs) >= 3
    decay = linear_decay(settings["lr"], settings["epochs"])
    for run in runs:
        assert run["curve"]["lr"] == pytest.approx(decay, rel=1e-12)
        assert run["best_epoch"] == int(np.argmin(run["curve"]["dev_bpc"])) + 1
        assert run["mixture"]["weight"] in settings["weights"]
    assert {k: lstm[k] for k in ("test_bpc", "mixture_test_bpc")} == charlm.summary(runs)
