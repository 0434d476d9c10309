package main

import (
	"context"
	"strings"
	"testing"

	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/schema"
)

// kpp project transfer moves a registered project in the projects bucket
// and refuses a project nobody registered.
func TestProjectTransfer(t *testing.T) {
	ctx := context.Background()
	srv, _, js := testenv.NATS(t)
	if err := schema.EnsureStreams(ctx, js, schema.StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(ctx, schema.ProjectsBucket)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Create(ctx, "qingyuan-pumped-storage", []byte("qy-fgj")); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := kpp(t, ctx, "project", "transfer", "qingyuan-pumped-storage", "--to", "qy-slj", "--nats-url", srv.URL())
	if code != 0 || !strings.Contains(out, "moved from qy-fgj to qy-slj") {
		t.Fatalf("transfer: exit %d\n%s\n%s", code, out, errOut)
	}
	if e, err := kv.Get(ctx, "qingyuan-pumped-storage"); err != nil || string(e.Value()) != "qy-slj" {
		t.Fatalf("owner after the transfer: %v", err)
	}
	code, _, errOut = kpp(t, ctx, "project", "transfer", "no-such-project", "--to", "qy-slj", "--nats-url", srv.URL())
	if code != 1 || !strings.Contains(errOut, "no-such-project is not registered") {
		t.Fatalf("transfer of an unknown project: exit %d\n%s", code, errOut)
	}
}
