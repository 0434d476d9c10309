package main

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/keyproject/kpp/consumers/deadletter"
	"github.com/keyproject/kpp/producers/replay"
	"github.com/keyproject/kpp/producers/submit"
	"github.com/keyproject/kpp/schema"
)

type dlqCmd struct {
	List   dlqListCmd   `cmd:"" help:"List rejected updates and why they were rejected."`
	Replay dlqReplayCmd `cmd:"" help:"Re-publish dead-lettered updates to their original subjects, as they were or fixed."`
}

type dlqListCmd struct {
	chFlags
	clientNATSFlags
	Source     string    `name:"source" default:"clickhouse" enum:"clickhouse,nats" help:"Read the rejected_updates table (clickhouse) or the KPP_DEADLETTER stream (nats)."`
	Department string    `name:"department" help:"Only this department's rejections."`
	Since      time.Time `name:"since" format:"2006-01-02" help:"Only rejections received on or after this date (YYYY-MM-DD; clickhouse source)."`
	Limit      int       `name:"limit" default:"50" help:"Most entries to show (0: all)."`
}

func (c *dlqListCmd) Run(ctx context.Context, e *env) error {
	if c.Source == "nats" {
		nc, err := connectClient(ctx, c.clientNATSFlags)
		if err != nil {
			return err
		}
		defer nc.Close()
		r, err := replay.New(nc.js, replay.Config{Logger: e.log})
		if err != nil {
			return err
		}
		opts := replay.ListOptions{Limit: c.Limit}
		if c.Department != "" {
			opts.Subject = schema.DepartmentSubjects(c.Department)
		}
		entries, err := r.List(ctx, opts)
		if err != nil {
			return err
		}
		return replay.WriteList(e.out, entries)
	}
	st, err := openStore(ctx, c.chFlags, e.log)
	if err != nil {
		return err
	}
	defer st.Close()
	rows, err := deadletter.List(ctx, st, deadletter.Filter{Department: c.Department, Since: c.Since, Limit: c.Limit})
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		fmt.Fprintln(e.out, "no rejected updates")
		return nil
	}
	tw := tabwriter.NewWriter(e.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DLQ SEQ\tRECEIVED\tSUBJECT\tRULE\tREASON")
	for _, r := range rows {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", r.DLQSeq, r.ReceivedAt.In(schema.Location()).Format("2006-01-02 15:04"), r.Subject, r.Rule, r.ReasonEn)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.out, "%d rejected update(s). Fix the cause, then: kpp dlq replay --seq N [--payload fixed.json]\n", len(rows))
	return nil
}

type dlqReplayCmd struct {
	clientNATSFlags
	Seq         []uint64 `name:"seq" help:"Dead-letter sequence(s) to replay (see kpp dlq list); repeat or separate with commas."`
	All         bool     `name:"all" help:"Replay every dead-lettered update (optionally only --subject)."`
	Subject     string   `name:"subject" help:"With --all: only updates whose original subject matches, e.g. kpp.v1.qy-fgj.>."`
	Payload     string   `name:"payload" type:"existingfile" help:"A file with the corrected event (one JSON object) to publish instead of the rejected payload; needs exactly one --seq."`
	SkipInvalid bool     `name:"skip-invalid" help:"Replay what can be replayed even when some entries cannot."`
}

func (c *dlqReplayCmd) Run(ctx context.Context, e *env) error {
	if !c.All && len(c.Seq) == 0 {
		return &exitError{code: 2, msg: "say what to replay: --seq N (see kpp dlq list) or --all"}
	}
	if c.Payload != "" && len(c.Seq) != 1 {
		return &exitError{code: 2, msg: "--payload replaces one entry: give exactly one --seq"}
	}
	nc, err := connectClient(ctx, c.clientNATSFlags)
	if err != nil {
		return err
	}
	defer nc.Close()
	r, err := replay.New(nc.js, replay.Config{Logger: e.log})
	if err != nil {
		return err
	}
	res, err := r.Replay(ctx, replay.Request{Seqs: c.Seq, All: c.All, Subject: c.Subject, PayloadFile: c.Payload, SkipInvalid: c.SkipInvalid})
	if res != nil {
		_ = res.WriteText(e.out)
	}
	var inv *submit.InvalidError
	if errors.As(err, &inv) {
		return &exitError{code: 3, msg: inv.Error()}
	}
	return err
}
