// Package subscription is the pure decision core of recurring commerce: plans and their
// validation, the billing schedule (anniversary or fixed day of month, with month-end
// handling), the subscription state machine, what a renewal costs (commitment and save
// discounts, setup fee, credit), proration of a plan change, the dunning ladder, the
// cancel save flow and the recurring-revenue metrics (MRR and its movements, churn,
// ARPU, LTV, trial conversion, dunning recovery, save rate).
//
// It does no I/O and reads no clock: every function takes the instant it decides at.
// The service loads a subscription, asks this package what happens, and stores the
// answer in one transaction.
package subscription
