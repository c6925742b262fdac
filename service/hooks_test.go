package service

import (
	"context"
	"time"
)

// SetSnapshotHook has fn called before each member of a snapshot computation is counted.
func SetSnapshotHook(s *Service, fn func(ctx context.Context)) { s.snapshotHook = fn }

// SetSegmentHook has fn called inside each segment refresh's read transaction.
func SetSegmentHook(s *Service, fn func(ctx context.Context)) { s.segmentHook = fn }

// SetLeaseBeat sets how often a long job renews its lease.
func SetLeaseBeat(s *Service, d time.Duration) { s.leaseBeat = d }
