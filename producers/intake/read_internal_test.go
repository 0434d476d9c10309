package intake

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/schema"
)

// A read waits for one of the MaxConcurrentReads slots only within its
// timeout, answers ErrNATS (503) then, and creates nothing meanwhile; once
// a slot is free it reads.
func TestReadWaitsForASlotWithinItsTimeout(t *testing.T) {
	ctx := context.Background()
	_, _, js := testenv.NATS(t)
	if err := schema.EnsureStreams(ctx, js, schema.StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	subject := schema.SubjectFor("qy-fgj", schema.KindInvestment, "p1")
	if _, err := js.Publish(ctx, subject, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	for range MaxConcurrentReads {
		readSlots <- struct{}{}
	}
	freed := false
	free := func() {
		if !freed {
			freed = true
			for range MaxConcurrentReads {
				<-readSlots
			}
		}
	}
	defer free()

	rd := reader{js: js, max: 10, timeout: 300 * time.Millisecond}
	start := time.Now()
	_, err := readSubjects(ctx, rd, subject)
	if !errors.Is(err, ErrNATS) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("read with every slot busy: %v, want ErrNATS and the deadline", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("read with every slot busy took %s, want about its 300ms timeout", d)
	}
	st, err := js.Stream(ctx, schema.UpdatesStream)
	if err != nil {
		t.Fatal(err)
	}
	if info, err := st.Info(ctx); err != nil || info.State.Consumers != 0 {
		t.Fatalf("consumers while waiting: %+v %v", info.State, err)
	}

	free()
	msgs, err := readSubjects(ctx, rd, subject)
	if err != nil || len(msgs) != 1 || msgs[0].subject != subject {
		t.Fatalf("read with free slots: %v %+v", err, msgs)
	}
	if info, err := st.Info(ctx); err != nil || info.State.Consumers != 0 {
		t.Fatalf("consumers after the read: %+v %v", info.State, err)
	}
	// The budget: more messages than rd.max are refused before reading.
	rd.max = 0
	if _, err := readSubjects(ctx, rd, subject); !errors.Is(err, ErrHistoryTooLong) {
		t.Fatalf("read over the budget: %v, want ErrHistoryTooLong", err)
	}
}
