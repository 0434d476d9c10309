package intake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/keyproject/kpp/schema"
)

// ReceiptsBucket is the JetStream key-value bucket that keeps every
// receipt the intake gave, keyed "<department>.<receipt id>". The receipt id
// is derived from the department and the request's idempotency key, so the
// same key twice finds the same receipt and publishes nothing new. Receipts
// are kept until the operator removes them (no TTL): an idempotency key is
// never reused by accident.
const ReceiptsBucket = "KPP_RECEIPTS"

// ReceiptsBucketConfig is the configuration of the [ReceiptsBucket]
// bucket: file storage, one value per key.
func ReceiptsBucketConfig(o schema.StreamOptions) jetstream.KeyValueConfig {
	if o.Replicas == 0 {
		o.Replicas = 1
	}
	return jetstream.KeyValueConfig{
		Bucket:      ReceiptsBucket,
		Description: "kpp intake: receipts by department and idempotency key",
		Storage:     jetstream.FileStorage,
		Replicas:    o.Replicas,
		History:     1,
	}
}

// MaxIdempotencyKeyLen is the longest accepted idempotency key.
const MaxIdempotencyKeyLen = 255

// Receipt says what one submission (a request, a form, an upload)
// published. It is stored in [ReceiptsBucket] and returned again for the
// same idempotency key.
type Receipt struct {
	// ID is the receipt id: 32 hex digits, from the department and the
	// idempotency key.
	ID string `json:"receipt_id"`
	// DepartmentID and DepartmentName say who submitted.
	DepartmentID   string `json:"department_id"`
	DepartmentName string `json:"department_name,omitempty"`
	// IdempotencyKey is the key the request carried.
	IdempotencyKey string `json:"idempotency_key"`
	// RequestSHA256 is the hash of the request's content; the same key with
	// another content is refused.
	RequestSHA256 string `json:"request_sha256"`
	// ReceivedAt is the intake's time of the submission (Asia/Shanghai).
	ReceivedAt time.Time `json:"received_at"`
	// Source is api, web, xlsx or csv.
	Source string `json:"source"`
	// File is the uploaded file's name, for uploads.
	File string `json:"file,omitempty"`
	// Published counts the events newly stored; Duplicates those JetStream
	// already held with the same content (sent before).
	Published  int `json:"published"`
	Duplicates int `json:"duplicates"`
	// Events are the events of the submission, in line order.
	Events []ReceiptEvent `json:"events"`
	// Notices are remarks that did not stop the submission (a milestone
	// left out because nothing changed).
	Notices []Notice `json:"notices,omitempty"`
}

// ReceiptEvent is one event of a receipt.
type ReceiptEvent struct {
	// Line is the report's position in the request (1-based), or the
	// sheet's row for uploads.
	Line int `json:"line"`
	// EventID is the event id (its Nats-Msg-Id).
	EventID string `json:"event_id"`
	// Kind is project, investment or milestone.
	Kind      string `json:"kind"`
	ProjectID string `json:"project_id"`
	// Period is the report's month; MilestoneID the milestone's id.
	Period      string `json:"period,omitempty"`
	MilestoneID string `json:"milestone_id,omitempty"`
	// Revision is the event's revision: 1, or higher for a correction.
	Revision int `json:"revision"`
	// Subject and Seq say where it is stored in KPP_UPDATES.
	Subject string `json:"subject"`
	Seq     uint64 `json:"seq"`
	// Duplicate is true when the same event was already stored.
	Duplicate bool `json:"duplicate,omitempty"`
}

// Notice is a remark about one line of a submission.
type Notice struct {
	// Line is the report's line or the sheet's row; 0 for the whole file.
	Line  int    `json:"line"`
	Field string `json:"field,omitempty"`
	// Code names the kind of notice: unchanged_milestone, or the sheet
	// reader's (converted_gbk …).
	Code      string `json:"code,omitempty"`
	MessageZh string `json:"message_zh"`
	MessageEn string `json:"message_en"`
}

var receiptIDRE = regexp.MustCompile(`^[0-9a-f]{32}$`)

// receiptID derives the receipt id of a department's idempotency key.
func receiptID(dept, key string) string {
	sum := sha256.Sum256([]byte(dept + "\x1f" + key))
	return hex.EncodeToString(sum[:16])
}

// validIdempotencyKey reports whether k is 1-255 printable ASCII characters.
func validIdempotencyKey(k string) bool {
	if k == "" || len(k) > MaxIdempotencyKeyLen {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// receiptPartSize is how many events one stored part of a receipt holds:
// a NATS message is at most 1 MiB by default, and a receipt of a
// 10,000-row upload is larger.
const receiptPartSize = 1000

// storedReceipt is a receipt as the bucket holds it under
// "<department>.<id>": with its events, or, for a large one, with the keys
// of the parts that hold them (written before, so that a stored receipt is
// always whole).
type storedReceipt struct {
	*Receipt
	Parts []string `json:"parts,omitempty"`
	// Pending marks a claim: the key's submission is being checked and
	// published (see claim); Receipt then holds only the request's hash
	// and time.
	Pending bool `json:"pending,omitempty"`
}

// staleClaim is how long a claim holds its key: a claim older than this
// was left by an intake that stopped mid-submission, and a new request
// with the key takes it over.
const staleClaim = 10 * time.Minute

// claimed is the outcome of claim: the claim's revision, or the receipt
// already stored under the key, or the hash of the request whose
// submission holds the key now.
type claimed struct {
	rev      uint64
	done     *Receipt
	busyHash string
}

// claim reserves the department's idempotency key id for a request with
// hash before anything is checked or published, so that two concurrent
// requests with one key cannot both publish: the second finds the claim
// (or the receipt, once the first is done). A claim older than staleClaim
// is taken over. The caller stores the receipt with put(…, rev) or
// releases the claim.
func (rs *receipts) claim(ctx context.Context, dept, id, hash string, now time.Time) (claimed, error) {
	key := dept + "." + id
	b, err := json.Marshal(storedReceipt{Receipt: &Receipt{ID: id, DepartmentID: dept, RequestSHA256: hash, ReceivedAt: now}, Pending: true})
	if err != nil {
		return claimed{}, fmt.Errorf("encode the claim of receipt %s: %w", id, err)
	}
	for attempt := 0; attempt < 3; attempt++ {
		rev, err := rs.kv.Create(ctx, key, b)
		if err == nil {
			return claimed{rev: rev}, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return claimed{}, fmt.Errorf("%w: claim receipt %s of %s: %w", ErrNATS, id, dept, err)
		}
		e, err := rs.kv.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue // released in between: claim again
		}
		if err != nil {
			return claimed{}, fmt.Errorf("%w: read receipt %s of %s: %w", ErrNATS, id, dept, err)
		}
		var sr storedReceipt
		if err := json.Unmarshal(e.Value(), &sr); err != nil || sr.Receipt == nil {
			return claimed{}, fmt.Errorf("decode stored receipt %s of %s: %v", id, dept, err)
		}
		if !sr.Pending {
			done, err := rs.get(ctx, dept, id)
			if err != nil {
				return claimed{}, err
			}
			return claimed{done: done}, nil
		}
		if now.Sub(sr.ReceivedAt) < staleClaim {
			return claimed{busyHash: sr.RequestSHA256}, nil
		}
		if rev, err := rs.kv.Update(ctx, key, b, e.Revision()); err == nil {
			return claimed{rev: rev}, nil
		}
	}
	return claimed{}, fmt.Errorf("%w: claim receipt %s of %s: the key changed three times while claiming it", ErrNATS, id, dept)
}

// release gives up claim rev of the key (the submission was refused or
// failed), so that the key can be used again.
func (rs *receipts) release(ctx context.Context, dept, id string, rev uint64) error {
	if err := rs.kv.Delete(ctx, dept+"."+id, jetstream.LastRevision(rev)); err != nil {
		return fmt.Errorf("%w: release the claim of receipt %s of %s: %w", ErrNATS, id, dept, err)
	}
	return nil
}

// receipts reads and writes the receipts bucket.
type receipts struct {
	kv     jetstream.KeyValue
	random io.Reader
}

func openReceipts(ctx context.Context, js jetstream.JetStream, o schema.StreamOptions, random io.Reader) (*receipts, error) {
	o, err := o.For(ctx, js, "KV_"+ReceiptsBucket)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNATS, err)
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, ReceiptsBucketConfig(o))
	if err != nil {
		return nil, fmt.Errorf("%w: create or update key-value bucket %s: %w", ErrNATS, ReceiptsBucket, err)
	}
	return &receipts{kv: kv, random: random}, nil
}

// get returns the department's receipt, or nil when there is none.
func (rs *receipts) get(ctx context.Context, dept, id string) (*Receipt, error) {
	if !receiptIDRE.MatchString(id) {
		return nil, nil
	}
	e, err := rs.kv.Get(ctx, dept+"."+id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: read receipt %s of %s: %w", ErrNATS, id, dept, err)
	}
	sr := storedReceipt{Receipt: &Receipt{}}
	if err := json.Unmarshal(e.Value(), &sr); err != nil {
		return nil, fmt.Errorf("decode stored receipt %s of %s: %w", id, dept, err)
	}
	if sr.Pending {
		return nil, nil // claimed, not yet done: no receipt
	}
	for _, k := range sr.Parts {
		pe, err := rs.kv.Get(ctx, k)
		if err != nil {
			return nil, fmt.Errorf("%w: read part %s of receipt %s: %w", ErrNATS, k, id, err)
		}
		var evs []ReceiptEvent
		if err := json.Unmarshal(pe.Value(), &evs); err != nil {
			return nil, fmt.Errorf("decode part %s of receipt %s: %w", k, id, err)
		}
		sr.Events = append(sr.Events, evs...)
	}
	if sr.Events == nil {
		sr.Events = []ReceiptEvent{}
	}
	return sr.Receipt, nil
}

// put stores a new receipt in place of its claim rev (0: no claim). When a
// receipt with its id is already stored (a stale claim taken over), it
// returns the stored one and true.
func (rs *receipts) put(ctx context.Context, r *Receipt, rev uint64) (*Receipt, bool, error) {
	sr := storedReceipt{Receipt: r}
	if len(r.Events) > receiptPartSize {
		// The parts go first, under a key of this attempt: a concurrent
		// attempt with the same idempotency key writes its own.
		attempt, err := randomHex(rs.random, 8)
		if err != nil {
			return nil, false, fmt.Errorf("receipt %s: %w", r.ID, err)
		}
		head := *r
		head.Events = nil
		sr.Receipt = &head
		for i := 0; i < len(r.Events); i += receiptPartSize {
			k := r.DepartmentID + "." + r.ID + "." + attempt + "." + strconv.Itoa(len(sr.Parts))
			b, err := json.Marshal(r.Events[i:min(i+receiptPartSize, len(r.Events))])
			if err != nil {
				return nil, false, fmt.Errorf("encode receipt %s: %w", r.ID, err)
			}
			if _, err := rs.kv.Put(ctx, k, b); err != nil {
				return nil, false, fmt.Errorf("%w: store part %s of receipt %s: %w", ErrNATS, k, r.ID, err)
			}
			sr.Parts = append(sr.Parts, k)
		}
	}
	b, err := json.Marshal(sr)
	if err != nil {
		return nil, false, fmt.Errorf("encode receipt %s: %w", r.ID, err)
	}
	if rev == 0 {
		_, err = rs.kv.Create(ctx, r.DepartmentID+"."+r.ID, b)
	} else {
		_, err = rs.kv.Update(ctx, r.DepartmentID+"."+r.ID, b, rev)
	}
	if errors.Is(err, jetstream.ErrKeyExists) || (err != nil && rev != 0) {
		old, gerr := rs.get(ctx, r.DepartmentID, r.ID)
		if gerr != nil {
			return nil, false, gerr
		}
		if old != nil {
			return old, true, nil
		}
	}
	if err != nil {
		return nil, false, fmt.Errorf("%w: store receipt %s of %s: %w", ErrNATS, r.ID, r.DepartmentID, err)
	}
	return r, false, nil
}
