"""Chapter 6's forecaster: a recurrent network against the AR models of chapter 1 on sunspots.

The split is chapter 1's: fit on 1700-1909, choose on the development period 1910-1959,
refit on 1700-1959 with the choices made, and score the test period 1960-2008 once. Every
forecast is one step ahead from the true history, for the baselines and the networks alike.

- Baselines: the naive forecast (last value), AR(p) on the counts and AR(p) on their square
  roots (back-transformed by squaring), each with p chosen on the development period.
- Networks: a GRU, LSTM or tanh RNN reads the series one year at a time (square root, then
  standardised with the fitting period's mean and deviation) and a linear read-out predicts
  the next year. Training: windowing (every window of `window` years of the fitting period is
  one sequence of a batch; the first `burn_in` predictions of a window are not scored, so the
  state has seen some history), full-batch Adam, weight decay. At forecast time the network
  reads the whole series from 1700 with its state carried, which is truncated BPTT's view of
  one long series. Optionally a linear AR "highway" on the last 9 inputs is added to the
  read-out (LSTNet, Lai et al. 2018). The kind, width, learning rate and highway are chosen by
  the median development RMSE over the seeds; the number of updates by the median over seeds
  of each run's best development update.

    python -m unrolled.experiments sunspots          # ~20 min on one core
    python -m unrolled.experiments sunspots --tiny   # seconds; prints the results as JSON

Writes notebooks/results/sunspots.json, which chapter 6 loads.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

import numpy as np
import torch

from unrolled.autoregressive import (
    SUNSPOTS_TEST_START,
    SUNSPOTS_VALIDATION_START,
    fit_ar,
    forecast_errors,
    predict_one_step,
)
from unrolled.data import load_sunspots
from unrolled.experiments.common import provenance, script, spread

NAME = "sunspots"
SETTINGS: dict[str, Any] = {
    "ar_orders": list(range(1, 13)),
    "kinds": ["gru", "lstm", "rnn"],
    "hidden": [8, 16, 32],
    "lrs": [3e-3, 1e-2],
    "highway_lags": [0, 9],  # 9: the AR order chosen on dev in chapter 1
    "seeds": [0, 1, 2, 3, 4],
    "updates": 600,
    "eval_every": 10,
    "window": 40,
    "burn_in": 10,
    "weight_decay": 1e-4,
}
TINY = SETTINGS | {
    "kinds": ["gru"],
    "hidden": [4],
    "lrs": [1e-2],
    "highway_lags": [0, 3],
    "seeds": [0, 1],
    "updates": 50,
}
DECIMALS = 4
LAYERS = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}


def periods(years: np.ndarray) -> dict[str, np.ndarray]:
    """Boolean masks (309,) of the fitting, development, training (fit + dev) and test years."""
    return {
        "fit": years < SUNSPOTS_VALIDATION_START,
        "dev": (years >= SUNSPOTS_VALIDATION_START) & (years < SUNSPOTS_TEST_START),
        "train": years < SUNSPOTS_TEST_START,
        "test": years >= SUNSPOTS_TEST_START,
    }


def ar_forecast(series: np.ndarray, fit_on: np.ndarray, p: int, sqrt: bool) -> np.ndarray:
    """One-step AR(p) forecasts of series[p:], fitted on series[fit_on], shape (T - p,).

    With `sqrt` the model is fitted to the square roots and its forecasts are squared back
    (negative forecasts of the root are clipped to 0 first).
    """
    z = np.sqrt(series) if sqrt else series
    forecast = predict_one_step(z, fit_ar(z[fit_on], p), p)  # (T - p,)
    return np.maximum(forecast, 0.0) ** 2 if sqrt else forecast


def baselines(activity: np.ndarray, masks: dict[str, np.ndarray], orders: list[int]) -> dict:
    """Naive, AR(p) and sqrt-AR(p) forecasts with p chosen on dev; dev and test RMSE of each
    (dev: fitted on the fitting years; test: refitted on all training years)."""
    T = len(activity)
    full = np.concatenate([[np.nan], activity[:-1]])  # naive: last year's value, (T,)
    result = {"naive": {"p": None, "forecast": full}}
    for name, sqrt in (("ar", False), ("sqrt_ar", True)):
        dev_rmse = {}
        for p in orders:
            forecast = np.full(T, np.nan)
            forecast[p:] = ar_forecast(activity, masks["fit"], p, sqrt)
            dev_rmse[p] = forecast_errors(activity[masks["dev"]], forecast[masks["dev"]])["rmse"]
        p = min(dev_rmse, key=dev_rmse.get)
        forecast = np.full(T, np.nan)
        forecast[p:] = ar_forecast(activity, masks["train"], p, sqrt)  # refitted on 1700-1959
        result[name] = {"p": p, "forecast": forecast, "dev_rmse_by_p": dev_rmse}
    for name, entry in result.items():
        for part in ("dev", "test"):
            forecast = entry["forecast"] if part == "test" or name == "naive" else None
            if forecast is None:  # dev: the model fitted on 1700-1909, as it was chosen
                forecast = np.full(T, np.nan)
                forecast[entry["p"] :] = ar_forecast(
                    activity, masks["fit"], entry["p"], name == "sqrt_ar"
                )
            entry[f"{part}_rmse"] = forecast_errors(activity[masks[part]], forecast[masks[part]])[
                "rmse"
            ]
    return result


class Forecaster(torch.nn.Module):
    """One recurrent layer (1 -> H) and a linear read-out (H -> 1): x_t -> prediction of x_t+1.

    With `lags` > 0, a linear autoregressive "highway" on the last `lags` inputs is added to
    the read-out (LSTNet's design, Lai et al. 2018): the network then learns a nonlinear
    correction of an AR(lags) model, trained jointly.
    """

    def __init__(self, kind: str, hidden: int, lags: int = 0) -> None:
        super().__init__()
        self.layer = LAYERS[kind](1, hidden, batch_first=True)
        self.readout = torch.nn.Linear(hidden, 1)
        self.lags = lags
        self.highway = torch.nn.Linear(lags, 1, bias=False) if lags else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (N, T) -> predictions (N, T) of the next value after each step."""
        hs, _ = self.layer(x[..., None])  # (N, T, H)
        prediction = self.readout(hs)[..., 0]  # (N, T)
        if self.highway is None:
            return prediction
        lagged = torch.nn.functional.pad(x, (self.lags - 1, 0)).unfold(1, self.lags, 1)
        return prediction + self.highway(lagged.flip(-1))[..., 0]  # (N, T, lags): x_t first


class Scaler:
    """sqrt, then standardise with the mean and deviation of the fitting values; and back."""

    def __init__(self, values: np.ndarray) -> None:
        root = np.sqrt(values)
        self.mean, self.std = root.mean(), root.std()

    def __call__(self, values: np.ndarray) -> np.ndarray:
        return (np.sqrt(values) - self.mean) / self.std

    def inverse(self, z: np.ndarray) -> np.ndarray:
        return np.maximum(z * self.std + self.mean, 0.0) ** 2


def windows(z: np.ndarray, length: int) -> torch.Tensor:
    """Every window of `length` consecutive values of z (T,): shape (T - length + 1, length)."""
    return torch.from_numpy(np.lib.stride_tricks.sliding_window_view(z, length).copy()).float()


def forecast(model: Forecaster, z: np.ndarray, scaler: Scaler) -> np.ndarray:
    """One-step forecasts (T,) of the whole scaled series z (T,); entry 0 is NaN (no history)."""
    with torch.no_grad():
        predictions = model(torch.from_numpy(z).float()[None])[0].double().numpy()  # (T,)
    return np.concatenate([[np.nan], scaler.inverse(predictions[:-1])])


def train(
    config: dict[str, Any],
    seed: int,
    activity: np.ndarray,
    fit_on: np.ndarray,
    score_on: np.ndarray | None,
    settings: dict[str, Any],
    updates: int,
) -> tuple[Forecaster, Scaler, list[float]]:
    """Train a forecaster {"kind", "hidden", "lr", "lags"} on activity[fit_on] (a prefix of
    the series) for `updates` full-batch steps. Every `eval_every` updates the RMSE on the
    years `score_on` is recorded (if given).
    """
    torch.manual_seed(seed)
    model = Forecaster(config["kind"], config["hidden"], config["lags"])
    optimizer = torch.optim.Adam(
        model.parameters(), lr=config["lr"], weight_decay=settings["weight_decay"]
    )
    scaler = Scaler(activity[fit_on])
    z = scaler(activity)  # (T,) the whole series, scaled
    batch = windows(z[fit_on], settings["window"])  # (N, window)
    burn = settings["burn_in"]
    curve = []
    for update in range(1, updates + 1):
        prediction = model(batch[:, :-1])  # (N, window - 1)
        loss = torch.mean((prediction[:, burn:] - batch[:, burn + 1 :]) ** 2)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if score_on is not None and update % settings["eval_every"] == 0:
            f = forecast(model, z, scaler)
            curve.append(forecast_errors(activity[score_on], f[score_on])["rmse"])
    return model, scaler, curve


def run(settings: dict[str, Any], log: bool = False) -> tuple[dict[str, Any], None]:
    """The whole experiment: baselines, the search on dev, the final models on test (no model
    is returned: the chapter needs only the numbers)."""
    start = time.perf_counter()
    years, activity = load_sunspots()
    masks = periods(years)
    base = baselines(activity, masks, settings["ar_orders"])

    every = settings["eval_every"]
    search = []
    grid = itertools.product(
        settings["kinds"], settings["hidden"], settings["lrs"], settings["highway_lags"]
    )
    for kind, hidden, lr, lags in grid:
        config = {"kind": kind, "hidden": hidden, "lr": lr, "lags": lags}
        curves = [
            train(config, s, activity, masks["fit"], masks["dev"], settings, settings["updates"])[
                2
            ]
            for s in settings["seeds"]
        ]
        best = [int(np.argmin(c)) for c in curves]
        search.append(
            config
            | {
                "dev_rmse": [round(c[b], DECIMALS) for c, b in zip(curves, best, strict=True)],
                "best_updates": [(b + 1) * every for b in best],
            }
        )
        if log:
            print(f"{config}: dev RMSE {search[-1]['dev_rmse']}", flush=True)
    chosen = min(search, key=lambda entry: float(np.median(entry["dev_rmse"])))
    config = {key: chosen[key] for key in ("kind", "hidden", "lr", "lags")}
    config["updates"] = int(np.median(chosen["best_updates"]))

    runs, forecasts = [], []
    for seed in settings["seeds"]:
        model, scaler, _ = train(
            config, seed, activity, masks["train"], None, settings, config["updates"]
        )
        f = forecast(model, scaler(activity), scaler)
        forecasts.append(f)
        errors = forecast_errors(activity[masks["test"]], f[masks["test"]])
        runs.append({"seed": seed, **{k: round(v, DECIMALS) for k, v in errors.items()}})
    rmse = [r["rmse"] for r in runs]
    ensemble = np.mean(forecasts, axis=0)
    test = masks["test"]
    results = {
        "description": __doc__.splitlines()[0],
        "settings": settings,
        "years": {"test": years[test].tolist()},
        "truth": activity[test].tolist(),
        "baselines": {
            name: {
                "p": entry["p"],
                "dev_rmse": round(entry["dev_rmse"], DECIMALS),
                "test_rmse": round(entry["test_rmse"], DECIMALS),
                "test_forecast": np.round(entry["forecast"][test], 2).tolist(),
            }
            for name, entry in base.items()
        },
        "search": search,
        "chosen": config,
        "rnn": {
            "runs": runs,
            "test_rmse": spread(rmse),
            "test_forecasts": [np.round(f[test], 2).tolist() for f in forecasts],
            "ensemble_test_rmse": round(
                forecast_errors(activity[test], ensemble[test])["rmse"], DECIMALS
            ),
        },
        **provenance(start),
    }
    return results, None


def main(argv: list[str] | None = None) -> int:
    return script(NAME, run, SETTINGS, TINY, __doc__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
