package ingest

import "context"

// SetBeforeStore makes in call f, with the attempt's context, before each
// attempt to store a batch.
func SetBeforeStore(in *Ingester, f func(ctx context.Context)) { in.hooks.beforeStore = f }

// SetCrashAfterStore makes in call f after a batch was stored and before it
// is acked; when f returns true, Run returns ErrCrash without acking.
func SetCrashAfterStore(in *Ingester, f func() bool) { in.hooks.afterStore = f }

// SetAfterInsert makes in call f after each insert of events that
// succeeded; an error from f fails the attempt after the rows were stored.
func SetAfterInsert(in *Ingester, f func(table string, rows int) error) { in.hooks.afterInsert = f }

// ErrCrash is returned by Run after a crash simulated by SetCrashAfterStore.
var ErrCrash = errCrash

// KnownOwner is the owner of project in the running in's copy of the
// projects bucket ("" when it has none or in is not running).
func KnownOwner(in *Ingester, project string) string {
	r := in.cur.Load()
	if r == nil {
		return ""
	}
	r.ownersMu.Lock()
	defer r.ownersMu.Unlock()
	return r.owners[project]
}
