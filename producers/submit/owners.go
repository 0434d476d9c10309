package submit

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/errgroup"

	"github.com/keyproject/kpp/schema"
)

// LoadOwners reads the owners of the given projects from the key-value
// bucket [schema.ProjectsBucket] (written by ingest). A project that is not
// in the bucket, or an id that cannot be a key, is left out. A missing
// bucket means no project is registered yet: the result is empty.
func LoadOwners(ctx context.Context, js jetstream.JetStream, projectIDs ...string) (schema.Owners, error) {
	o, err := newOwners(ctx, js)
	if err != nil {
		return nil, err
	}
	out := schema.Owners{}
	for _, id := range projectIDs {
		dept, ok, err := o.stored(ctx, id)
		if err != nil {
			return nil, err
		}
		if ok {
			out[id] = dept
		}
	}
	return out, nil
}

// owners answers who owns a project during one submission: the
// registrations accepted earlier in the submission, else the bucket.
type owners struct {
	kv jetstream.KeyValue // nil when the bucket does not exist
	// cache holds bucket answers: department id, or "" for not registered.
	cache map[string]string
	// submitted holds the registrations accepted so far in the submission.
	submitted schema.Owners
}

func newOwners(ctx context.Context, js jetstream.JetStream) (*owners, error) {
	o := &owners{cache: map[string]string{}, submitted: schema.Owners{}}
	kv, err := js.KeyValue(ctx, schema.ProjectsBucket)
	switch {
	case errors.Is(err, jetstream.ErrBucketNotFound):
	case err != nil:
		return nil, fmt.Errorf("open key-value bucket %s (project owners): %w", schema.ProjectsBucket, err)
	default:
		o.kv = kv
	}
	return o, nil
}

// stored returns the owner recorded in the bucket.
func (o *owners) stored(ctx context.Context, project string) (string, bool, error) {
	if o.kv == nil || !schema.ValidIdentifier(project) {
		return "", false, nil
	}
	if dept, ok := o.cache[project]; ok {
		return dept, dept != "", nil
	}
	e, err := o.kv.Get(ctx, project)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		o.cache[project] = ""
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("read owner of project %s from bucket %s: %w", project, schema.ProjectsBucket, err)
	}
	dept := string(e.Value())
	o.cache[project] = dept
	return dept, dept != "", nil
}

// prefetchWorkers bounds the bucket reads in flight while prefetching.
const prefetchWorkers = 32

// prefetch reads from the bucket, several at a time, the owners of the
// events' projects that are not known yet, so that a file naming thousands
// of projects does not wait for thousands of round trips one after
// another.
func (o *owners) prefetch(ctx context.Context, records []Record) error {
	if o.kv == nil {
		return nil
	}
	var todo []string
	want := map[string]bool{}
	for _, r := range records {
		if r.Event == nil {
			continue
		}
		p := r.Event.Project()
		if _, ok := o.cache[p]; ok || want[p] || !schema.ValidIdentifier(p) {
			continue
		}
		want[p] = true
		todo = append(todo, p)
	}
	if len(todo) < 2 {
		return nil
	}
	depts := make([]string, len(todo))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(prefetchWorkers)
	for i, p := range todo {
		g.Go(func() error {
			e, err := o.kv.Get(gctx, p)
			switch {
			case errors.Is(err, jetstream.ErrKeyNotFound):
			case err != nil:
				return fmt.Errorf("read owner of project %s from bucket %s: %w", p, schema.ProjectsBucket, err)
			default:
				depts[i] = string(e.Value())
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for i, p := range todo {
		o.cache[p] = depts[i]
	}
	return nil
}

// check runs schema.Owners.CheckOwner for the event against what is
// known, and returns its problems.
func (o *owners) check(ctx context.Context, ev schema.Event) ([]schema.FieldError, error) {
	p := ev.Project()
	known := schema.Owners{}
	if dept, ok := o.submitted[p]; ok {
		known[p] = dept
	} else {
		dept, ok, err := o.stored(ctx, p)
		if err != nil {
			return nil, err
		}
		if ok {
			known[p] = dept
		}
	}
	return fieldErrors(known.CheckOwner(ev)), nil
}
