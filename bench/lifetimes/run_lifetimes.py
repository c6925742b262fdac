#!/usr/bin/env python3
"""Time lifetimes' BG/NBD, Pareto/NBD and Gamma-Gamma fits on a customer summary.

Driver for `tenure bench analytics -compare-lifetimes PYTHONPATH` (see README.md): it fits
BetaGeoFitter and ParetoNBDFitter on every customer (x, t_x, T) and GammaGammaFitter on the
repeat customers (x > 0, zbar), each --runs times on a fresh fitter with the library's
defaults, and prints the median wall time, the parameters and the total log-likelihood as
JSON on stdout. ParetoNBDFitter starts from random parameters; numpy's generator is seeded
so that every run is the same work.

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


CPU_SECONDS = {}


def timed(runs, fit, key):
    seconds, cpu, model = [], [], None
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        model = fit()
        seconds.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    CPU_SECONDS[key] = cpu
    return seconds, model


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--csv", required=True, help="cdnow_customers_summary_with_transactions.csv (ID,x,t_x,T,zbar)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--models", default="bgnbd,gammagamma", help="comma-separated: bgnbd, paretonbd, gammagamma")
    args = ap.parse_args()
    models = set(args.models.split(","))

    dill = shim_dill()
    import numpy as np
    import pandas as pd
    import scipy
    import autograd
    import lifetimes
    from lifetimes import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter

    df = pd.read_csv(args.csv)
    x, tx, age = df["x"].to_numpy(), df["t_x"].to_numpy(), df["T"].to_numpy()
    repeat = df[df["x"] > 0]
    rx, zbar = repeat["x"].to_numpy(), repeat["zbar"].to_numpy()

    ones = np.ones(len(x))
    results = {}
    if "bgnbd" in models:
        seconds, bg = timed(args.runs, lambda: BetaGeoFitter().fit(x, tx, age), "bgnbd")
        params = {k: float(v) for k, v in bg.params_.items()}
        ll = -len(x) * float(BetaGeoFitter._negative_log_likelihood(
            np.log([params[k] for k in ("r", "alpha", "a", "b")]), x, tx, age, ones, 0.0))
        results["bgnbd"] = (seconds, params, ll)
    if "paretonbd" in models:
        def fit_pareto():
            np.random.seed(1)
            return ParetoNBDFitter().fit(x, tx, age)
        seconds, pn = timed(args.runs, fit_pareto, "paretonbd")
        params = {k: float(v) for k, v in pn.params_.items()}
        # _negative_log_likelihood divides by the mean weight, 1 here: the total.
        ll = -float(ParetoNBDFitter._negative_log_likelihood(
            [params[k] for k in ("r", "alpha", "s", "beta")], x, tx, age, ones, 0.0))
        results["paretonbd"] = (seconds, params, ll)
    if "gammagamma" in models:
        seconds, gg = timed(args.runs, lambda: GammaGammaFitter().fit(rx, zbar), "gammagamma")
        params = {"p": float(gg.params_["p"]), "q": float(gg.params_["q"]), "gamma": float(gg.params_["v"])}
        ll = -len(rx) * float(GammaGammaFitter._negative_log_likelihood(
            np.log([params[k] for k in ("p", "q", "gamma")]), rx.astype(float), zbar, np.ones(len(rx)), 0.0))
        results["gammagamma"] = (seconds, params, ll)

    out = {
        "versions": {
            "python": sys.version.split()[0], "lifetimes": lifetimes.__version__,
            "autograd": getattr(autograd, "__version__", "source checkout"), "numpy": np.__version__,
            "scipy": scipy.__version__, "pandas": pd.__version__, "dill": dill,
        },
    }
    for key, (seconds, params, ll) in results.items():
        out[key] = {"median_seconds": statistics.median(seconds), "seconds": seconds,
                    "cpu_seconds": CPU_SECONDS[key], "params": params, "log_likelihood": ll}
    json.dump(out, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
