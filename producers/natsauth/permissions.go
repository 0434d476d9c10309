package natsauth

import (
	"slices"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/keyproject/kpp/schema"
)

// InboxPrefix is the inbox prefix of a department's client, "_INBOX_<id>":
// JetStream acknowledgements and other replies to the department arrive
// on subjects under it, and the department may subscribe to nothing else.
// Clients must connect with nats.CustomInboxPrefix(InboxPrefix(dept)), as
// [DepartmentConnectOptions] does.
func InboxPrefix(dept string) string { return "_INBOX_" + dept }

// projectsStream is the stream behind the KPP_PROJECTS key-value bucket.
const projectsStream = "KV_" + schema.ProjectsBucket

// DepartmentPublish lists what a department may publish to: its own
// subjects, and the two JetStream API requests that read the project
// owners bucket (bucket info; direct get of one key), which kpp submit uses
// to refuse another department's project before publishing.
func DepartmentPublish(dept string) []string {
	return []string{
		schema.DepartmentSubjects(dept),
		"$JS.API.STREAM.INFO." + projectsStream,
		"$JS.API.DIRECT.GET." + projectsStream + ".>",
	}
}

// DepartmentSubscribe lists what a department may subscribe to: its own
// inbox prefix only.
func DepartmentSubscribe(dept string) []string {
	return []string{InboxPrefix(dept) + ".>"}
}

// ServicePublish lists what the service user may publish to: every kpp
// subject (the intake publishes for departments after checking their
// token; ingest publishes rejections on kpp.dlq.>), the JetStream API,
// acknowledgements and flow control, and the key-value buckets (ingest
// records project owners; the intake keeps receipts).
func ServicePublish() []string {
	return []string{"kpp.>", "$JS.API.>", "$JS.ACK.>", "$JS.FC.>", "$KV.>"}
}

// ServiceSubscribe lists what the service user may subscribe to: its
// inbox (replies, pull and ordered consumer deliveries, key-value
// watches) and the kpp subjects.
func ServiceSubscribe() []string {
	return []string{"_INBOX.>", "kpp.>"}
}

// DepartmentPermissions returns the permissions of a department's user:
// publish [DepartmentPublish], subscribe [DepartmentSubscribe]; anything
// else is refused by the server.
func DepartmentPermissions(dept string) *server.Permissions {
	return &server.Permissions{
		Publish:   &server.SubjectPermission{Allow: DepartmentPublish(dept)},
		Subscribe: &server.SubjectPermission{Allow: DepartmentSubscribe(dept)},
	}
}

// ServicePermissions returns the permissions of the service user.
func ServicePermissions() *server.Permissions {
	return &server.Permissions{
		Publish:   &server.SubjectPermission{Allow: ServicePublish()},
		Subscribe: &server.SubjectPermission{Allow: ServiceSubscribe()},
	}
}

// Users returns the users of cfg for an embedded server's
// server.Options.Users: the service user first, then the departments
// sorted by id. Passwords are bcrypt hashes; a plain ServicePassword is
// hashed here (about 0.1 s).
func Users(cfg Config) ([]*server.User, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	svc, err := hashIfPlain(cfg.ServicePassword)
	if err != nil {
		return nil, err
	}
	users := []*server.User{{Username: cfg.ServiceUser, Password: svc, Permissions: ServicePermissions()}}
	for _, d := range sortedDepartments(cfg.Departments) {
		users = append(users, &server.User{Username: d.ID, Password: d.PasswordHash, Permissions: DepartmentPermissions(d.ID)})
	}
	return users, nil
}

// Apply sets opts.Users to [Users] of cfg, so that an embedded server
// refuses unauthenticated clients and enforces the permissions.
func Apply(opts *server.Options, cfg Config) error {
	users, err := Users(cfg)
	if err != nil {
		return err
	}
	opts.Users = users
	return nil
}

func sortedDepartments(ds []Department) []Department {
	out := slices.Clone(ds)
	slices.SortFunc(out, func(a, b Department) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return out
}
