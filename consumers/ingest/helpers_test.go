package ingest_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/consumers/ingest"
	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/schema"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// env is a real NATS server with the kpp streams and a migrated ClickHouse
// database.
type env struct {
	t  *testing.T
	nc *nats.Conn
	js jetstream.JetStream
	st *chstore.Store
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvDSN(t, testenv.ClickHouseDSN(t))
}

func newEnvDSN(t *testing.T, dsn string) *env {
	t.Helper()
	ctx := context.Background()
	_, nc, js := testenv.NATS(t)
	st, err := chstore.Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := schema.EnsureStreams(ctx, js, schema.StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	return &env{t: t, nc: nc, js: js, st: st}
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// fastConfig flushes often so that tests do not wait.
func fastConfig(t *testing.T) ingest.Config {
	return ingest.Config{FlushInterval: 100 * time.Millisecond, Logger: testLogger(t)}
}

// running is an Ingester running in a goroutine.
type running struct {
	in     *ingest.Ingester
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
}

// stop cancels Run and returns what it returned.
func (r *running) stop() error {
	r.once.Do(func() {
		r.cancel()
		select {
		case r.err = <-r.done:
		case <-time.After(60 * time.Second):
			panic("ingester did not stop within 60s of cancel")
		}
	})
	return r.err
}

func (e *env) start(cfg ingest.Config, setup ...func(*ingest.Ingester)) *running {
	e.t.Helper()
	in, err := ingest.New(e.js, e.st, cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, f := range setup {
		f(in)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{in: in, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- in.Run(ctx) }()
	e.t.Cleanup(func() { _ = r.stop() })
	return r
}

// publish publishes an event as producers do: on its subject, with its
// message id (schema.MsgID).
func (e *env) publish(ev schema.Event) *jetstream.PubAck {
	e.t.Helper()
	data, err := json.Marshal(ev)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.publishRaw(schema.Subject(ev), data, schema.MsgID(ev))
}

// publishRaw publishes raw bytes.
func (e *env) publishRaw(subject string, data []byte, msgID string) *jetstream.PubAck {
	e.t.Helper()
	m := nats.NewMsg(subject)
	m.Data = data
	if msgID != "" {
		m.Header.Set(schema.HeaderMsgID, msgID)
	}
	ack, err := e.js.PublishMsg(context.Background(), m)
	if err != nil {
		e.t.Fatalf("publish %s: %v", subject, err)
	}
	return ack
}

// marshal encodes an event for a bad message built from a struct.
func marshal(t *testing.T, ev schema.Event) []byte {
	t.Helper()
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (e *env) count(q string, args ...any) uint64 {
	e.t.Helper()
	var n uint64
	if err := e.st.Conn().QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return n
}

func (e *env) sum(q string, args ...any) decimal.Decimal {
	e.t.Helper()
	var s string
	if err := e.st.Conn().QueryRow(context.Background(), q, args...).Scan(&s); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return decimal.RequireFromString(s)
}

func (e *env) consumerInfo(durable string) *jetstream.ConsumerInfo {
	e.t.Helper()
	c, err := e.js.Consumer(context.Background(), schema.UpdatesStream, durable)
	if err != nil {
		e.t.Fatal(err)
	}
	info, err := c.Info(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return info
}

func common(schemaID, dept string, rev int) schema.Common {
	return schema.Common{Schema: schemaID, DepartmentID: dept, Revision: rev, ReportedBy: "张三", Source: "api"}
}

func project(dept, id string) *schema.Project {
	return &schema.Project{
		Common:             common(schema.SchemaProject, dept, 1),
		ProjectID:          id,
		NameZh:             "测试项目 " + id,
		NameEn:             "Test project " + id,
		Region:             "丽水市庆元县",
		Category:           schema.CategoryEnergy,
		Stage:              schema.StageConstruction,
		DepartmentName:     "庆元县" + dept,
		ResponsibleUnit:    "项目公司 " + id,
		ResponsiblePerson:  "张三",
		LeadOfficial:       "李副县长",
		TotalInvestmentWan: schema.MustWan("1060000"),
		AnnualPlans: []schema.AnnualPlan{
			{Year: 2025, AmountWan: schema.MustWan("120000.5")},
			{Year: 2026, AmountWan: schema.MustWan("150000"), MonthlyWan: monthly("12500")},
		},
		Milestones: []schema.PlannedMilestone{
			{MilestoneID: "main-works-start", Title: "主体工程开工", PlannedDate: "2025-06-30"},
			{MilestoneID: "tunnel-through", Title: "通风兼安全洞贯通", PlannedDate: "2026-03-31"},
		},
		SyntheticFields: []string{"annual_plans"},
	}
}

func monthly(each string) []schema.Wan {
	out := make([]schema.Wan, 12)
	for i := range out {
		out[i] = schema.MustWan(each)
	}
	return out
}

func report(dept, projectID, period string, rev int, month, ytd string) *schema.InvestmentReport {
	r := &schema.InvestmentReport{
		Common:            common(schema.SchemaInvestment, dept, rev),
		ProjectID:         projectID,
		Period:            period,
		MonthCompletedWan: schema.MustWan(month),
		YTDCompletedWan:   schema.MustWan(ytd),
		PhysicalProgress:  "主体施工中",
	}
	if rev > 1 {
		r.CorrectionReason = "更正统计口径"
	}
	return r
}

func milestone(dept, projectID, id string, rev int) *schema.MilestoneUpdate {
	pct := decimal.RequireFromString("62.5")
	return &schema.MilestoneUpdate{
		Common:          common(schema.SchemaMilestone, dept, rev),
		ProjectID:       projectID,
		MilestoneID:     id,
		Title:           "通风兼安全洞贯通",
		Status:          schema.MilestoneInProgress,
		PlannedDate:     "2026-03-31",
		ForecastDate:    "2026-05-31",
		AsOf:            "2025-09-30",
		PercentComplete: &pct,
	}
}
