// Package clv fits the classic "buy till you die" models of customer-base analysis by
// maximum likelihood and turns the fitted parameters into per-customer predictions and a
// discounted customer lifetime value (CLV). It is pure Go and imports only the standard
// library.
//
// # Models
//
//   - BG/NBD (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way: An
//     Alternative to the Pareto/NBD Model", Marketing Science 24(2)): purchases follow a
//     Poisson process with gamma(r, alpha) heterogeneous rate; after every purchase the
//     customer drops out with probability p ~ beta(a, b). See [BGNBD] and [FitBGNBD].
//   - Pareto/NBD (Schmittlein, Morrison & Colombo 1987, "Counting Your Customers: Who Are
//     They and What Will They Do Next?", Management Science 33(1); likelihood as derived in
//     Fader & Hardie 2005, "A Note on Deriving the Pareto/NBD Model and Related
//     Expressions"): Poisson purchasing with gamma(r, alpha) rate and an exponential
//     lifetime with gamma(s, beta) dropout rate. See [ParetoNBD] and [FitParetoNBD].
//   - Gamma-Gamma spend (Fader & Hardie 2013, "The Gamma-Gamma Model of Monetary Value";
//     originally Fader, Hardie & Lee 2005, "RFM and CLV: Using Iso-Value Curves for Customer
//     Base Analysis", JMR 42(4)): each transaction value is gamma(p, nu) with
//     nu ~ gamma(q, gamma) across customers. See [GammaGamma] and [FitGammaGamma].
//
// # Data conventions
//
// A [Customer] is the usual RFM summary of a calibration period: X repeat purchases
// (purchases after the first), Tx the time of the last purchase and T the time of the end
// of calibration, both measured from the customer's first purchase in one period unit
// (weeks, days, ...), and Monetary the mean value of the repeat purchases. [Summarize]
// builds these from a raw transaction log, [HoldoutPurchases] counts purchases in a holdout
// window, and [CompareHoldout] tabulates predicted against actual holdout purchases.
//
// # Fitting
//
// The Fit* functions first merge identical rows ((x, t_x, T), or (x, zbar) for
// Gamma-Gamma) into weighted rows, then maximise the likelihood with BFGS on
// log-parameters using the analytic gradient of each log-likelihood, and check the optimum
// with the Hessian taken as central differences of that gradient (damped Newton steps
// finish the search if needed); the standard errors come from the inverse of the same
// Hessian. Likelihood sums run in fixed chunks on all processors and are identical on every
// machine. A fit that heads for the edge of the parameter space, or does not end at an
// isolated interior optimum, is redone with a deterministic derivative-free search
// (Nelder–Mead with restarts, then a Newton polish on a finite-difference Hessian), which
// also produces the diagnostics for degenerate data. They return the model, a
// [Fit] with diagnostics, and an error only when the data cannot be fitted at all (see
// [ErrNoCustomers], [ErrNoRepeaters], [*DataError]). A fit that runs to the edge of the
// parameter space, fails to converge, or has a Hessian that is not positive definite is
// reported with Converged == false and a warning; check [Fit.OK] before trusting the
// parameters.
//
// Functions that evaluate a model for one customer (log-likelihood, P(alive), expected
// purchases) return NaN for invalid parameters or inputs; they never panic.
package clv
