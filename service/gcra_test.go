package service

import "testing"

func TestTakeTokens(t *testing.T) {
	const second = 1_000_000
	for _, c := range []struct {
		name               string
		tat, now, n        int64
		wantTat, wantTaken int64
	}{
		{"a full bucket gives what is asked", 0, 100 * second, 3, 103 * second, 3},
		{"a full bucket gives at most the burst", 0, 100 * second, 50, 110 * second, 10},
		{"a bucket short of 4 tokens gives 6", 104 * second, 100 * second, 50, 110 * second, 6},
		{"an empty bucket gives nothing and is unchanged", 110 * second, 100 * second, 1, 110 * second, 0},
		{"half a second later still nothing (one token a second)", 110 * second, 100*second + second/2, 1, 110 * second, 0},
		{"a second later one token", 110 * second, 101 * second, 5, 111 * second, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			tat, got := takeTokens(c.tat, c.now, second, 10, c.n)
			if tat != c.wantTat || got != c.wantTaken {
				t.Fatalf("took %d, tat %d; want %d, %d", got, tat, c.wantTaken, c.wantTat)
			}
		})
	}
}
