"""Tests of unrolled.autoregressive: AR(p) least squares, one-step forecasts, error measures.

statsmodels' AutoReg (trend="c") solves the same conditional least-squares problem and is the
oracle; a sampled sinusoid, which is exactly an AR(2) process, gives known coefficients.
"""

import math

import numpy as np
import pytest
from statsmodels.tsa.ar_model import AutoReg

from unrolled.autoregressive import fit_ar, forecast_errors, lag_matrix, predict_one_step


def ar_series(coef: np.ndarray, n: int, seed: int, noise: float = 1.0) -> np.ndarray:
    """Simulate x_t = c + sum_i phi_i x_{t-i} + noise, shape (n,), after a burn-in of 200."""
    rng = np.random.default_rng(seed)
    p = len(coef) - 1
    x = np.zeros(n + 200 + p)
    for t in range(p, len(x)):
        x[t] = coef[0] + coef[1:] @ x[t - p : t][::-1] + noise * rng.standard_normal()
    return x[-n:]


def test_lag_matrix_small_example():
    X = lag_matrix(np.array([1.0, 2.0, 3.0, 4.0, 5.0]), 2)
    np.testing.assert_array_equal(X, [[1, 2, 1], [1, 3, 2], [1, 4, 3]])


def test_a_sinusoid_is_exactly_ar2():
    # m + A sin(w t + phase) satisfies x_t = m (2 - 2 cos w) + 2 cos w x_{t-1} - x_{t-2}.
    w, m = 2 * np.pi / 11, 50.0
    t = np.arange(100)
    series = m + 40 * np.sin(w * t + 0.3)
    expected = np.array([m * (2 - 2 * np.cos(w)), 2 * np.cos(w), -1.0])
    coef = fit_ar(series, 2)
    np.testing.assert_allclose(coef, expected, rtol=0, atol=1e-8)
    np.testing.assert_allclose(predict_one_step(series, coef, 2), series[2:], rtol=0, atol=1e-8)


def test_recovers_the_coefficients_of_a_simulated_process():
    true = np.array([2.0, 0.6, -0.3])
    coef = fit_ar(ar_series(true, n=20_000, seed=0), 2)
    np.testing.assert_allclose(coef[1:], true[1:], atol=0.03)
    assert abs(coef[0] / (1 - coef[1:].sum()) - true[0] / (1 - true[1:].sum())) < 0.1  # mean


@pytest.mark.parametrize("p", [1, 2, 3, 5, 8])
@pytest.mark.parametrize("seed", range(3))
def test_agrees_with_statsmodels_autoreg(p, seed):
    series = ar_series(np.array([1.0, 0.5, 0.2]), n=150, seed=seed) * 10
    coef = fit_ar(series, p)
    reference = AutoReg(series, lags=p, trend="c").fit()
    np.testing.assert_allclose(coef, reference.params, rtol=0, atol=1e-8)
    np.testing.assert_allclose(
        predict_one_step(series, coef, p), reference.fittedvalues, rtol=0, atol=1e-8
    )


def test_one_step_forecast_is_the_linear_recursion():
    rng = np.random.default_rng(4)
    series, coef = rng.standard_normal(30), rng.standard_normal(4)
    forecast = predict_one_step(series, coef, 3)
    assert forecast.shape == (27,)
    for j, t in enumerate(range(3, 30)):
        expected = (
            coef[0] + coef[1] * series[t - 1] + coef[2] * series[t - 2] + coef[3] * series[t - 3]
        )
        assert math.isclose(forecast[j], expected, rel_tol=1e-12, abs_tol=1e-12)


def test_the_naive_forecast_is_ar1_with_coefficients_0_1():
    series = np.array([3.0, 1.0, 4.0, 1.0, 5.0])
    np.testing.assert_array_equal(predict_one_step(series, np.array([0.0, 1.0]), 1), series[:-1])


def test_forecast_errors():
    errors = forecast_errors(np.array([0.0, 0.0]), np.array([3.0, -4.0]))
    assert math.isclose(errors["rmse"], math.sqrt(12.5))
    assert math.isclose(errors["mae"], 3.5)
    assert forecast_errors(np.arange(5.0), np.arange(5.0)) == {"rmse": 0.0, "mae": 0.0}


def test_shape_errors_name_the_argument():
    with pytest.raises(ValueError, match=r"series: expected shape \(T,\)"):
        fit_ar(np.zeros((10, 2)), 1)
    with pytest.raises(ValueError, match=r"coef: expected shape \(3,\)"):
        predict_one_step(np.zeros(10), np.zeros(2), 2)
    with pytest.raises(ValueError, match="forecast: expected shape"):
        forecast_errors(np.zeros(5), np.zeros(4))


@pytest.mark.parametrize("p", [0, -2, 1.5, True])
def test_rejects_a_bad_order(p):
    with pytest.raises(ValueError, match="p must be"):
        fit_ar(np.arange(20.0), p)


def test_rejects_a_series_too_short_for_the_fit():
    fit_ar(np.arange(7.0) ** 2, 3)  # 4 equations, 4 unknowns: fine
    with pytest.raises(ValueError, match="need at least 7 values"):
        fit_ar(np.arange(6.0), 3)
    with pytest.raises(ValueError, match="more than p"):
        lag_matrix(np.arange(3.0), 3)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("where", [0, 5, 19])  # an input only, an input and a target, a target
def test_fit_ar_rejects_a_series_that_is_not_finite(bad, where):
    series = np.arange(20.0)
    series[where] = bad
    with pytest.raises(ValueError, match="series: expected finite values"):
        fit_ar(series, 2)
