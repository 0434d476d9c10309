package credentials_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/keyproject/kpp/producers/natsauth"
	"github.com/keyproject/kpp/schema"
)

// TestIssuedNATSCredentials is the operator's path end to end: kpp dept
// add issues a NATS password, kpp nats-config turns the file into server
// users, the department publishes with the password it was shown; after
// kpp dept rotate --nats and a server reload, the old password is refused
// and the new one works.
func TestIssuedNATSCredentials(t *testing.T) {
	s, _ := newStore(t)
	jtj := add(t, s, "qy-jtj", "庆元县交通运输局")
	add(t, s, "qy-fgj", "庆元县发展和改革局")
	servicePassword, _, err := natsauth.NewPassword()
	if err != nil {
		t.Fatal(err)
	}
	options := func() *server.Options {
		t.Helper()
		ds, err := s.NATSDepartments()
		if err != nil {
			t.Fatal(err)
		}
		o := &server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true, StoreDir: t.TempDir(), SyncAlways: true, NoSigs: true, NoLog: true}
		if err := natsauth.Apply(o, natsauth.Config{Departments: ds, ServicePassword: servicePassword}); err != nil {
			t.Fatal(err)
		}
		return o
	}
	opts := options()
	srv, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		t.Fatal("NATS not ready")
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	svc, err := nats.Connect(srv.ClientURL(), natsauth.ServiceConnectOptions("", servicePassword)...)
	if err != nil {
		t.Fatalf("service user connects: %v", err)
	}
	defer svc.Close()
	sjs, _ := jetstream.New(svc)
	if err := schema.EnsureStreams(ctx, sjs, schema.StreamOptions{}); err != nil {
		t.Fatal(err)
	}

	publish := func(password string) error {
		nc, err := nats.Connect(srv.ClientURL(), append(natsauth.DepartmentConnectOptions(jtj.NATSUser, password), nats.NoReconnect())...)
		if err != nil {
			return err
		}
		defer nc.Close()
		js, _ := jetstream.New(nc)
		_, err = js.Publish(ctx, schema.SubjectFor("qy-jtj", schema.KindInvestment, "x"), []byte(`{}`))
		return err
	}
	if err := publish(jtj.NATSPassword); err != nil {
		t.Fatalf("qy-jtj publishes with the password kpp dept add showed: %v", err)
	}

	// A connection made with the old password before the rotation.
	closed := make(chan struct{})
	old, err := nats.Connect(srv.ClientURL(), append(natsauth.DepartmentConnectOptions(jtj.NATSUser, jtj.NATSPassword),
		nats.NoReconnect(), nats.ClosedHandler(func(*nats.Conn) { close(closed) }),
		nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))...)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()

	newPassword, err := s.RotateNATS("qy-jtj")
	if err != nil {
		t.Fatal(err)
	}
	reload := options()
	reload.Port, reload.StoreDir = srv.Addr().(*net.TCPAddr).Port, opts.StoreDir
	if err := srv.ReloadOptions(reload); err != nil {
		t.Fatalf("reload the server with the rotated password: %v", err)
	}
	select {
	case <-closed: // the server re-checks connected clients on reload
	case <-time.After(10 * time.Second):
		t.Error("the connection made with the old NATS password is still open 10s after the reload")
	}
	if err := publish(jtj.NATSPassword); !errors.Is(err, nats.ErrAuthorization) {
		t.Errorf("the old NATS password after rotation and reload: %v, want %v", err, nats.ErrAuthorization)
	}
	if err := publish(newPassword); err != nil {
		t.Errorf("the new NATS password: %v", err)
	}
}
