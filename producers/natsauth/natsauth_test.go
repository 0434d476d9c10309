package natsauth_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"
	"golang.org/x/crypto/bcrypt"

	"github.com/keyproject/kpp/producers/natsauth"
	"github.com/keyproject/kpp/producers/submit"
	"github.com/keyproject/kpp/schema"
)

// users holds the generated passwords of one test: the plain ones the
// clients connect with, and the config whose hashes the server checks.
type users struct {
	plain map[string]string // department id or service user -> password
	cfg   natsauth.Config
}

// The passwords are made once for the package. The departments' hashes
// use bcrypt's lowest cost, which the server checks in microseconds, to
// spare the shared CPUs (NewPassword's cost-11 hashes are checked by
// producers/credentials' test with a real server); the service password
// of one test is hashed at the real cost.
var testUsers = sync.OnceValues(func() (users, error) {
	u := users{plain: map[string]string{}}
	for _, d := range []string{"qy-jtj", "qy-fgj", natsauth.DefaultServiceUser} {
		p, _, err := natsauth.NewPassword()
		if err != nil {
			return u, err
		}
		h, err := bcrypt.GenerateFromPassword([]byte(p), bcrypt.MinCost)
		if err != nil {
			return u, err
		}
		u.plain[d] = p
		if d == natsauth.DefaultServiceUser {
			u.cfg.ServicePassword = string(h)
			continue
		}
		u.cfg.Departments = append(u.cfg.Departments, natsauth.Department{ID: d, PasswordHash: string(h)})
	}
	return u, nil
})

func getUsers(t *testing.T) users {
	t.Helper()
	u, err := testUsers()
	if err != nil {
		t.Fatalf("generate passwords: %v", err)
	}
	return u
}

// startServer starts an embedded nats-server with JetStream from opts.
func startServer(t *testing.T, opts *server.Options) *server.Server {
	t.Helper()
	opts.NoSigs, opts.NoLog = true, true
	srv, err := server.NewServer(opts)
	if err != nil {
		t.Fatalf("configure NATS: %v", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		srv.Shutdown()
		t.Fatal("NATS not ready after 30s")
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	return srv
}

// client is a connection whose asynchronous errors (permission
// violations) arrive on errs.
type client struct {
	nc   *nats.Conn
	js   jetstream.JetStream
	errs chan error
}

func connect(t *testing.T, url string, opts ...nats.Option) *client {
	t.Helper()
	c := &client{errs: make(chan error, 16)}
	opts = append(opts, nats.Timeout(20*time.Second), nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		select {
		case c.errs <- err:
		default:
		}
	}))
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(nc.Close)
	c.nc = nc
	if c.js, err = jetstream.New(nc); err != nil {
		t.Fatalf("JetStream: %v", err)
	}
	return c
}

// violation waits for the server's permissions violation naming subject.
func (c *client) violation(t *testing.T, subject string) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case err := <-c.errs:
			if errors.Is(err, nats.ErrPermissionViolation) && strings.Contains(err.Error(), `"`+subject+`"`) {
				return
			}
			t.Logf("other asynchronous error: %v", err)
		case <-timeout:
			t.Fatalf("no permissions violation for %s within 10s", subject)
		}
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// checkBoundary is the test of the issue against a running server: a
// department publishes on its own subjects (acknowledged and stored),
// while its publish on another department's subject, and its attempts to
// read what is not its own, are refused by NATS; the service user creates
// the streams and consumes.
func checkBoundary(t *testing.T, url string, u users) {
	svc := connect(t, url, natsauth.ServiceConnectOptions("", u.plain[natsauth.DefaultServiceUser])...)
	if err := schema.EnsureStreams(ctx(t), svc.js, schema.StreamOptions{}); err != nil {
		t.Fatalf("service user creates the streams: %v", err)
	}
	kv, err := svc.js.KeyValue(ctx(t), schema.ProjectsBucket)
	if err != nil {
		t.Fatal(err)
	}
	for p, d := range map[string]string{"x": "qy-jtj", "y": "qy-fgj"} {
		if _, err := kv.PutString(ctx(t), p, d); err != nil {
			t.Fatalf("service user records the owner of %s: %v", p, err)
		}
	}

	jtj := connect(t, url, natsauth.DepartmentConnectOptions("qy-jtj", u.plain["qy-jtj"])...)
	own := schema.SubjectFor("qy-jtj", schema.KindInvestment, "x")
	ack, err := jtj.js.Publish(ctx(t), own, []byte(`{"n":1}`))
	if err != nil {
		t.Fatalf("qy-jtj publishes on its own subject %s: %v", own, err)
	}
	if ack.Stream != schema.UpdatesStream {
		t.Errorf("ack from stream %q, want %s", ack.Stream, schema.UpdatesStream)
	}
	// kpp submit publishes atomic batches and reads the owners bucket.
	batch := []*nats.Msg{nats.NewMsg(own), nats.NewMsg(own)}
	batch[0].Data, batch[1].Data = []byte(`{"n":2}`), []byte(`{"n":3}`)
	if _, err := jetstreamext.PublishMsgBatch(ctx(t), jtj.js, batch); err != nil {
		t.Fatalf("qy-jtj publishes an atomic batch on its own subject: %v", err)
	}
	owners, err := submit.LoadOwners(ctx(t), jtj.js, "x", "y")
	if err != nil {
		t.Fatalf("qy-jtj reads the project owners as kpp submit does: %v", err)
	}
	if owners["x"] != "qy-jtj" || owners["y"] != "qy-fgj" {
		t.Errorf("owners read by qy-jtj = %v, want x:qy-jtj y:qy-fgj", owners)
	}

	// Another department's subject: NATS refuses, nothing is acknowledged
	// or stored.
	other := schema.SubjectFor("qy-fgj", schema.KindInvestment, "x")
	pctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if _, err := jtj.js.Publish(pctx, other, []byte(`{"n":4}`)); err == nil {
		t.Fatalf("qy-jtj's publish on %s was acknowledged; want it refused", other)
	}
	jtj.violation(t, other)

	stream, err := svc.js.Stream(ctx(t), schema.UpdatesStream)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.GetLastMsgForSubject(ctx(t), other); !errors.Is(err, jetstream.ErrMsgNotFound) {
		t.Errorf("last message on %s: err = %v, want %v (nothing stored)", other, err, jetstream.ErrMsgNotFound)
	}

	// Reading what is not its own: other departments' subjects, the
	// inboxes other clients receive deliveries on, the stream's messages.
	for _, subj := range []string{"kpp.v1.qy-fgj.>", "kpp.v1.>", "_INBOX.>"} {
		if _, err := jtj.nc.SubscribeSync(subj); err != nil {
			t.Fatal(err)
		}
		jtj.violation(t, subj)
	}
	get := "$JS.API.STREAM.MSG.GET." + schema.UpdatesStream
	if err := jtj.nc.Publish(get, []byte(`{"seq":1}`)); err != nil {
		t.Fatal(err)
	}
	jtj.violation(t, get)
	create := "$JS.API.CONSUMER.CREATE." + schema.UpdatesStream
	if err := jtj.nc.Publish(create, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	jtj.violation(t, create)

	// The service user consumes everything that was stored.
	cons, err := svc.js.CreateConsumer(ctx(t), schema.UpdatesStream, jetstream.ConsumerConfig{Durable: "ingest-test", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatalf("service user creates a consumer: %v", err)
	}
	msgs, err := cons.FetchNoWait(10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for m := range msgs.Messages() {
		got = append(got, m.Subject()+" "+string(m.Data()))
		if err := m.DoubleAck(ctx(t)); err != nil {
			t.Fatalf("service user acknowledges: %v", err)
		}
	}
	want := []string{own + ` {"n":1}`, own + ` {"n":2}`, own + ` {"n":3}`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("service user consumed\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestEmbeddedServerEnforcesDepartments runs the boundary test on an
// embedded server configured in Go with Apply.
func TestEmbeddedServerEnforcesDepartments(t *testing.T) {
	u := getUsers(t)
	opts := &server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true, StoreDir: t.TempDir(), SyncAlways: true}
	if err := natsauth.Apply(opts, u.cfg); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, opts)
	checkBoundary(t, srv.ClientURL(), u)
}

// TestGeneratedConfigFile starts a server from the text of
// WriteServerConfig (as an operator's nats-server would read it) and runs
// the boundary test on it.
func TestGeneratedConfigFile(t *testing.T) {
	u := getUsers(t)
	cfg := u.cfg
	cfg.ServicePassword = u.plain[natsauth.DefaultServiceUser] // plain: hashed when written
	var b bytes.Buffer
	if err := natsauth.WriteServerConfig(&b, natsauth.ServerConfig{Port: -1, StoreDir: filepath.Join(t.TempDir(), `js "store"`)}, cfg); err != nil {
		t.Fatal(err)
	}
	text := b.String()
	for _, p := range u.plain {
		if strings.Contains(text, p) {
			t.Fatalf("the generated configuration holds a plain password:\n%s", text)
		}
	}
	path := filepath.Join(t.TempDir(), "nats-server.conf")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	opts, err := server.ProcessConfigFile(path)
	if err != nil {
		t.Fatalf("nats-server reads the generated configuration: %v\n%s", err, text)
	}
	if !opts.SyncAlways || !opts.JetStream || !strings.HasSuffix(opts.StoreDir, `js "store"`) {
		t.Errorf("JetStream settings: sync always %v, enabled %v, store dir %q", opts.SyncAlways, opts.JetStream, opts.StoreDir)
	}
	if len(opts.Users) != 3 {
		t.Fatalf("%d users, want 3 (service, qy-fgj, qy-jtj):\n%s", len(opts.Users), text)
	}
	srv := startServer(t, opts)
	checkBoundary(t, srv.ClientURL(), u)
}

// TestAuthorizationIncluded: the authorization block alone is included
// from an operator's own configuration file.
func TestAuthorizationIncluded(t *testing.T) {
	u := getUsers(t)
	dir := t.TempDir()
	var b bytes.Buffer
	if err := natsauth.WriteAuthorization(&b, u.cfg); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kpp-auth.conf"), b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	main := "port: -1\njetstream { store_dir: \"" + filepath.Join(dir, "js") + "\", sync_interval: always }\ninclude \"kpp-auth.conf\"\n"
	if err := os.WriteFile(filepath.Join(dir, "nats-server.conf"), []byte(main), 0o600); err != nil {
		t.Fatal(err)
	}
	opts, err := server.ProcessConfigFile(filepath.Join(dir, "nats-server.conf"))
	if err != nil {
		t.Fatalf("include the generated block: %v\n%s", err, b.String())
	}
	srv := startServer(t, opts)

	// Wrong password and unknown user are refused at connect.
	for name, o := range map[string]nats.Option{
		"wrong password": nats.UserInfo("qy-jtj", u.plain["qy-fgj"]),
		"unknown user":   nats.UserInfo("qy-xxx", u.plain["qy-jtj"]),
		"no credentials": nats.Name("anonymous"),
	} {
		if nc, err := nats.Connect(srv.ClientURL(), o, nats.NoReconnect()); err == nil {
			nc.Close()
			t.Errorf("%s: connected; want an authorization violation", name)
		} else if !errors.Is(err, nats.ErrAuthorization) {
			t.Errorf("%s: %v, want %v", name, err, nats.ErrAuthorization)
		}
	}

	// A department client without its inbox prefix gets no acknowledgement:
	// it may not subscribe to the shared _INBOX.
	svc := connect(t, srv.ClientURL(), natsauth.ServiceConnectOptions("", u.plain[natsauth.DefaultServiceUser])...)
	if err := schema.EnsureStreams(ctx(t), svc.js, schema.StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	bare := connect(t, srv.ClientURL(), nats.UserInfo("qy-jtj", u.plain["qy-jtj"]))
	pctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if _, err := bare.js.Publish(pctx, schema.SubjectFor("qy-jtj", schema.KindInvestment, "x"), []byte(`{}`)); err == nil {
		t.Error("a department client without its inbox prefix got an acknowledgement; want none")
	}
	select {
	case err := <-bare.errs:
		if !errors.Is(err, nats.ErrPermissionViolation) || !strings.Contains(err.Error(), "_INBOX.") {
			t.Errorf("asynchronous error %v, want a subscription permissions violation on _INBOX", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("no permissions violation for the shared inbox within 10s")
	}
}

func TestValidate(t *testing.T) {
	u := getUsers(t)
	hash := u.cfg.Departments[0].PasswordHash
	for _, tc := range []struct {
		name string
		cfg  natsauth.Config
		want string
	}{
		{"no service password", natsauth.Config{}, "the service user kpp-service has no password"},
		{"bad id", natsauth.Config{ServicePassword: "p", Departments: []natsauth.Department{{ID: "QY JTJ", PasswordHash: hash}}},
			`department 1: id "QY JTJ" is not a department id`},
		{"plain password", natsauth.Config{ServicePassword: "p", Departments: []natsauth.Department{{ID: "qy-jtj", PasswordHash: "secret-password"}}},
			`department "qy-jtj": password hash "secr…" is not a bcrypt hash`},
		{"twice", natsauth.Config{ServicePassword: "p", Departments: []natsauth.Department{{ID: "qy-jtj", PasswordHash: hash}, {ID: "qy-jtj", PasswordHash: hash}}},
			`department "qy-jtj" is listed twice`},
		{"service name", natsauth.Config{ServicePassword: "p", Departments: []natsauth.Department{{ID: "kpp-service", PasswordHash: hash}}},
			`department "kpp-service" has the name of the service user`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if !errors.Is(err, natsauth.ErrConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate() = %v, want ErrConfig with %q", err, tc.want)
			}
			if strings.Contains(tc.name, "plain") && strings.Contains(err.Error(), "secret-password") {
				t.Errorf("the error echoes a plain password: %v", err)
			}
		})
	}
}

func TestPermissionsOfADepartment(t *testing.T) {
	p := natsauth.DepartmentPermissions("qy-jtj")
	want := []string{"kpp.v1.qy-jtj.>", "$JS.API.STREAM.INFO.KV_KPP_PROJECTS", "$JS.API.DIRECT.GET.KV_KPP_PROJECTS.>"}
	if strings.Join(p.Publish.Allow, " ") != strings.Join(want, " ") {
		t.Errorf("publish allow = %v, want %v", p.Publish.Allow, want)
	}
	if strings.Join(p.Subscribe.Allow, " ") != "_INBOX_qy-jtj.>" {
		t.Errorf("subscribe allow = %v, want [_INBOX_qy-jtj.>]", p.Subscribe.Allow)
	}
}
