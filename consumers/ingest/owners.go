package ingest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/errgroup"

	"github.com/keyproject/kpp/schema"
)

// Who owns a project is decided once, in the key-value bucket
// schema.ProjectsBucket (project id -> department id), and never by a
// replica on its own:
//
//   - A replica that accepts a registration of a project it does not know
//     claims the project with the bucket's Create, which succeeds for one
//     writer only. When the key exists, its value is the owner: the
//     registration is accepted if it is the owner's and dead-lettered as
//     rule not_owner, naming the owner, if not. Every replica asks the
//     same bucket, so two replicas racing registrations of one project by
//     two departments end with one owner.
//   - Each replica keeps a copy of the bucket, loaded at start and kept up
//     to date by a watch: a claim by another replica, or a transfer, reaches
//     it without a restart.
//   - Only an administrator changes an owner afterwards: [TransferProject]
//     (kpp project transfer), a compare-and-set on the key.
//   - A project ClickHouse stores (its projects view) that has no key in the
//     bucket — registered before ownership was decided there, or the bucket
//     was lost — is claimed for its stored department the first time a
//     message names it. Ingest reads the stored owners once at start; it
//     writes nothing for projects nobody sends.

// ErrTransfer marks a project transfer that cannot be made as asked.
var ErrTransfer = errors.New("transfer project")

// claim makes dept the owner of project unless the project has one, and
// returns the owner: dept when the claim won, else the department that
// holds the key.
func claim(ctx context.Context, kv jetstream.KeyValue, project, dept string) (string, error) {
	for {
		_, err := kv.Create(ctx, project, []byte(dept))
		if err == nil {
			return dept, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return "", fmt.Errorf("claim project %s for %s in %s: %w", project, dept, schema.ProjectsBucket, err)
		}
		e, err := kv.Get(ctx, project)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue // deleted in between: claim again
		}
		if err != nil {
			return "", fmt.Errorf("read owner of project %s from %s: %w", project, schema.ProjectsBucket, err)
		}
		return string(e.Value()), nil
	}
}

// claimAll claims each project for its department, up to ownerWriters at
// a time, and returns the owners.
func claimAll(ctx context.Context, kv jetstream.KeyValue, claims map[string]string) (schema.Owners, error) {
	var mu sync.Mutex
	owners := schema.Owners{}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(ownerWriters)
	for project, dept := range claims {
		g.Go(func() error {
			owner, err := claim(gctx, kv, project, dept)
			if err != nil {
				return err
			}
			mu.Lock()
			owners[project] = owner
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return owners, nil
}

// lookupOwners reads the owners of projects from the bucket; a project
// without a key is left out.
func lookupOwners(ctx context.Context, kv jetstream.KeyValue, projects []string) (schema.Owners, error) {
	var mu sync.Mutex
	owners := schema.Owners{}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(ownerWriters)
	for _, p := range projects {
		g.Go(func() error {
			e, err := kv.Get(gctx, p)
			if errors.Is(err, jetstream.ErrKeyNotFound) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("read owner of project %s from %s: %w", p, schema.ProjectsBucket, err)
			}
			mu.Lock()
			owners[p] = string(e.Value())
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return owners, nil
}

// ownerWatch keeps a copy of the bucket up to date.
type ownerWatch struct {
	w    jetstream.KeyWatcher
	done chan struct{}
}

// watchOwners reads the whole bucket into a new Owners, then keeps
// applying changes to it, under mu, until stop is called.
func watchOwners(ctx context.Context, kv jetstream.KeyValue, mu *sync.Mutex, owners schema.Owners) (*ownerWatch, error) {
	w, err := kv.WatchAll(ctx)
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", schema.ProjectsBucket, err)
	}
	apply := func(e jetstream.KeyValueEntry) {
		mu.Lock()
		defer mu.Unlock()
		if e.Operation() == jetstream.KeyValuePut {
			owners[e.Key()] = string(e.Value())
		} else {
			delete(owners, e.Key())
		}
	}
	for {
		select {
		case e, ok := <-w.Updates():
			if !ok {
				return nil, fmt.Errorf("watch %s: closed while loading", schema.ProjectsBucket)
			}
			if e == nil { // every current key was delivered
				ow := &ownerWatch{w: w, done: make(chan struct{})}
				go func() {
					defer close(ow.done)
					for e := range w.Updates() {
						if e != nil {
							apply(e)
						}
					}
				}()
				return ow, nil
			}
			apply(e)
		case <-ctx.Done():
			_ = w.Stop()
			return nil, ctx.Err()
		}
	}
}

func (ow *ownerWatch) stop() {
	_ = ow.w.Stop()
	<-ow.done
}

// TransferProject makes department to the owner of a registered project,
// through the key-value bucket every ingest replica and producer reads; it
// returns the previous owner. It is the only way to change an owner once
// a project is registered: run it as an administrator (kpp project
// transfer). A running ingester sees the change within moments; the new
// owner then registers the project again with a higher revision, so that
// the stored registration names it.
func TransferProject(ctx context.Context, js jetstream.JetStream, project, to string) (string, error) {
	if !schema.ValidIdentifier(project) {
		return "", fmt.Errorf("%w: %q is not a project id (lower-case letters, digits, - and _)", ErrTransfer, project)
	}
	if !schema.ValidIdentifier(to) {
		return "", fmt.Errorf("%w: %q is not a department id (lower-case letters, digits, - and _)", ErrTransfer, to)
	}
	kv, err := js.KeyValue(ctx, schema.ProjectsBucket)
	if err != nil {
		return "", fmt.Errorf("%w: open key-value bucket %s: %w", ErrTransfer, schema.ProjectsBucket, err)
	}
	e, err := kv.Get(ctx, project)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return "", fmt.Errorf("%w: project %s is not registered (no owner in %s); expected a registered project id — a new project is registered by its department, not transferred", ErrTransfer, project, schema.ProjectsBucket)
	}
	if err != nil {
		return "", fmt.Errorf("%w: read owner of project %s from %s: %w", ErrTransfer, project, schema.ProjectsBucket, err)
	}
	from := string(e.Value())
	if from == to {
		return from, nil
	}
	if _, err := kv.Update(ctx, project, []byte(to), e.Revision()); err != nil {
		return "", fmt.Errorf("%w: project %s changed owner while being transferred (it was %s); check kpp dlq list and run the transfer again: %w", ErrTransfer, project, from, err)
	}
	return from, nil
}

// mergeOwners copies src into dst under mu.
func mergeOwners(mu *sync.Mutex, dst, src schema.Owners) {
	mu.Lock()
	maps.Copy(dst, src)
	mu.Unlock()
}
