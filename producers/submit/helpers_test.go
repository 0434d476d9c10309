package submit_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/keyproject/kpp/internal/natsserver"
	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/producers/submit"
	"github.com/keyproject/kpp/schema"
)

// now is the clock of every test: the October 2025 reporting round.
var now = time.Date(2025, 10, 20, 10, 0, 0, 0, schema.Location())

const fixtures = "../../testdata/submit/"

func fixture(name string) string { return filepath.Join(fixtures, name) }

// newJS starts an embedded NATS server with the kpp streams.
func newJS(t *testing.T) jetstream.JetStream {
	t.Helper()
	_, _, js := testenv.NATS(t)
	if err := schema.EnsureStreams(context.Background(), js, schema.StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	return js
}

// registerOwners writes project owners into the KPP_PROJECTS bucket, as
// ingest does for accepted registrations.
func registerOwners(t *testing.T, js jetstream.JetStream, owners map[string]string) {
	t.Helper()
	ctx := context.Background()
	kv, err := js.KeyValue(ctx, schema.ProjectsBucket)
	if err != nil {
		t.Fatal(err)
	}
	for p, d := range owners {
		if _, err := kv.PutString(ctx, p, d); err != nil {
			t.Fatal(err)
		}
	}
}

// bothProjects are the two fixture projects and their departments.
var bothProjects = map[string]string{
	"qingyuan-pumped-storage":        "qy-fgj",
	"yilongqing-expressway-qingyuan": "qy-jtj",
}

func newPublisher(t *testing.T, js jetstream.JetStream, cfg submit.Config) *submit.Publisher {
	t.Helper()
	cfg.Now = func() time.Time { return now }
	cfg.Logger = slog.New(slog.NewTextHandler(testLog{t}, nil))
	p, err := submit.New(js, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// streamMsgs is the number of messages in KPP_UPDATES.
func streamMsgs(t *testing.T, js jetstream.JetStream) uint64 {
	t.Helper()
	s, err := js.Stream(context.Background(), schema.UpdatesStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

// checkStored fetches every event of the receipt by its stream sequence
// and checks that the stored message is that event.
func checkStored(t *testing.T, js jetstream.JetStream, rc *submit.Receipt) {
	t.Helper()
	ctx := context.Background()
	s, err := js.Stream(ctx, schema.UpdatesStream)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range rc.Events() {
		m, err := s.GetMsg(ctx, e.Seq)
		if err != nil {
			t.Fatalf("event %s line %d: get seq %d: %v", e.EventID, e.Line, e.Seq, err)
		}
		got := m.Header.Get(schema.HeaderMsgID)
		if !e.Resent && got != e.MsgID || e.Resent && !strings.HasPrefix(got, e.MsgID+":") || m.Subject != e.Subject {
			t.Fatalf("seq %d holds %s on %s; receipt says %s (resent %t) on %s", e.Seq, got, m.Subject, e.MsgID, e.Resent, e.Subject)
		}
		if parts, err := schema.ParseSubject(e.Subject); err != nil || e.MsgID != parts.Department+":"+e.EventID {
			t.Fatalf("message id %s is not scoped by the department of %s (%v)", e.MsgID, e.Subject, err)
		}
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func invalidError(t *testing.T, err error) *submit.InvalidError {
	t.Helper()
	var ie *submit.InvalidError
	if !errors.As(err, &ie) {
		t.Fatalf("error = %v; want *InvalidError", err)
	}
	if !errors.Is(err, submit.ErrInvalid) {
		t.Fatalf("errors.Is(err, ErrInvalid) is false for %v", err)
	}
	return ie
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// newBareJS starts an embedded NATS server without creating any stream.
func newBareJS(t *testing.T) (*natsserver.Server, *nats.Conn, jetstream.JetStream) {
	t.Helper()
	return testenv.NATS(t)
}

// regexpLine returns the first line of out that starts with prefix.
func regexpLine(t *testing.T, out, prefix string) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), prefix) {
			return l
		}
	}
	t.Fatalf("no line starts with %q in:\n%s", prefix, out)
	return ""
}

// testLog sends log lines to t.Log, shown when a test fails or with -v.
type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}
