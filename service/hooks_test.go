package service

import "context"

// SetSnapshotHook has fn called before each member of a snapshot computation is counted.
func SetSnapshotHook(s *Service, fn func(ctx context.Context)) { s.snapshotHook = fn }
