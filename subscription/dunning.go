package subscription

import "time"

// NextRetry returns when to retry a renewal whose attempt number `failed` (1-based: the
// first charge is attempt 1) failed at `at`: after the ladder's step for that attempt.
// ok false means the ladder is exhausted and the plan's final action applies.
func NextRetry(d Dunning, failed int, at time.Time) (time.Time, bool) {
	if failed < 1 || failed > len(d.RetryDays) {
		return time.Time{}, false
	}
	return at.AddDate(0, 0, d.RetryDays[failed-1]), true
}
