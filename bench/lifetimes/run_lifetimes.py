#!/usr/bin/env python3
"""Time lifetimes' BG/NBD and Gamma-Gamma fits on the CDNOW summary.

Driver for `tenure bench analytics -compare-lifetimes PYTHONPATH` (see README.md): it fits
BetaGeoFitter on every customer (x, t_x, T) and GammaGammaFitter on the repeat customers
(x > 0, zbar), each --runs times on a fresh fitter with the library's defaults, and prints
the median wall time, the parameters and the total log-likelihood as JSON on stdout.

The log-likelihood is evaluated with the fitted parameters on the unscaled data, so it is
comparable with Tenure's Fit.LogLikelihood: lifetimes' own _negative_log_likelihood_ is a
per-customer mean on time rescaled by 10 / max(T).
"""

import argparse
import json
import statistics
import sys
import time
import types


def shim_dill():
    """lifetimes imports dill only to save and load models; Debian's python3 set lacks it."""
    try:
        import dill  # noqa: F401
        return "installed"
    except ImportError:
        sys.modules["dill"] = types.ModuleType("dill")
        return "stub module (not needed for fitting)"


def timed(runs, fit):
    seconds, model = [], None
    for _ in range(runs):
        start = time.perf_counter()
        model = fit()
        seconds.append(time.perf_counter() - start)
    return seconds, model


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--csv", required=True, help="cdnow_customers_summary_with_transactions.csv (ID,x,t_x,T,zbar)")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()

    dill = shim_dill()
    import numpy as np
    import pandas as pd
    import scipy
    import autograd
    import lifetimes
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    df = pd.read_csv(args.csv)
    x, tx, age = df["x"].to_numpy(), df["t_x"].to_numpy(), df["T"].to_numpy()
    repeat = df[df["x"] > 0]
    rx, zbar = repeat["x"].to_numpy(), repeat["zbar"].to_numpy()

    bg_seconds, bg = timed(args.runs, lambda: BetaGeoFitter().fit(x, tx, age))
    gg_seconds, gg = timed(args.runs, lambda: GammaGammaFitter().fit(rx, zbar))

    bg_params = {k: float(v) for k, v in bg.params_.items()}
    gg_params = {"p": float(gg.params_["p"]), "q": float(gg.params_["q"]), "gamma": float(gg.params_["v"])}
    ones = np.ones(len(x))
    bg_ll = -len(x) * float(BetaGeoFitter._negative_log_likelihood(
        np.log([bg_params[k] for k in ("r", "alpha", "a", "b")]), x, tx, age, ones, 0.0))
    gg_ll = -len(rx) * float(GammaGammaFitter._negative_log_likelihood(
        np.log([gg_params[k] for k in ("p", "q", "gamma")]), rx.astype(float), zbar, np.ones(len(rx)), 0.0))

    out = {
        "versions": {
            "python": sys.version.split()[0], "lifetimes": lifetimes.__version__,
            "autograd": getattr(autograd, "__version__", "source checkout"), "numpy": np.__version__,
            "scipy": scipy.__version__, "pandas": pd.__version__, "dill": dill,
        },
        "bgnbd": {"median_seconds": statistics.median(bg_seconds), "seconds": bg_seconds,
                  "params": bg_params, "log_likelihood": bg_ll},
        "gammagamma": {"median_seconds": statistics.median(gg_seconds), "seconds": gg_seconds,
                       "params": gg_params, "log_likelihood": gg_ll},
    }
    json.dump(out, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
