package ingest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/ClickHouse/clickhouse-go/v2/lib/proto"

	"github.com/keyproject/kpp/schema"
)

// dataCodes are the ClickHouse exception codes that say an insert was
// refused because of the values it carried, not because of the server's
// state: the same rows would be refused again however often they were
// retried. Any other error (connection, timeout, too many parts, disk,
// memory, a missing table) is retried with the whole batch held.
var dataCodes = map[int32]string{
	6:   "CANNOT_PARSE_TEXT",
	27:  "CANNOT_PARSE_INPUT_ASSERTION_FAILED",
	38:  "CANNOT_PARSE_DATE",
	41:  "CANNOT_PARSE_DATETIME",
	53:  "TYPE_MISMATCH",
	69:  "ARGUMENT_OUT_OF_BOUND",
	70:  "CANNOT_CONVERT_TYPE",
	72:  "CANNOT_PARSE_NUMBER",
	117: "INCORRECT_DATA",
	131: "TOO_LARGE_STRING_SIZE",
	153: "ILLEGAL_DIVISION",
	190: "SIZES_OF_ARRAYS_DOESNT_MATCH",
	321: "VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE",
	395: "FUNCTION_THROW_IF_VALUE_IS_NON_ZERO",
	407: "DECIMAL_OVERFLOW",
}

// maxReason bounds the ClickHouse message kept in a refusal.
const maxReason = 500

// dataException returns ClickHouse's exception when err is a refusal of
// the data (one of dataCodes).
func dataException(err error) (*proto.Exception, bool) {
	var ex *proto.Exception
	if !errors.As(err, &ex) {
		return nil, false
	}
	_, ok := dataCodes[ex.Code]
	return ex, ok
}

// rowError is a row the driver could not encode for its column (a decimal
// that overflows it, say): the row's data is at fault, and nothing of the
// insert was sent.
type rowError struct {
	it    *item
	table string
	err   error
}

func (e *rowError) Error() string {
	return fmt.Sprintf("insert into %s: stream sequence %d (%s): %v", e.table, e.it.seq, e.it.subject, e.err)
}

func (e *rowError) Unwrap() error { return e.err }

// refusesRow reports whether an error of appending one row is about that
// row's values. A Go type the column does not take at all
// (ColumnConverterError) or a wrong number of values is a defect or a
// schema change that every row would meet: it is not the row's fault.
func refusesRow(err error) bool {
	var conv *column.ColumnConverterError
	if errors.As(err, &conv) {
		return false
	}
	var be *proto.BlockError
	if errors.As(err, &be) {
		return be.Op == "AppendRow"
	}
	return true // the append functions' own checks of a row
}

// refusal turns an item ClickHouse refused into a rejection, so that it
// is dead-lettered like a message that failed validation.
func refuse(it *item, table string, err error) {
	var reason, field string
	if ex, ok := dataException(err); ok {
		reason = "code " + strconv.Itoa(int(ex.Code)) + " " + dataCodes[ex.Code] + ": " + truncate(ex.Message, maxReason)
	} else {
		reason = truncate(err.Error(), maxReason)
		var be *proto.BlockError
		if errors.As(err, &be) {
			field = be.ColumnName
		}
	}
	it.reject = &schema.ValidationError{Errors: []schema.FieldError{{
		Field: field, Rule: schema.RuleStorage, Value: table,
		MessageZh: "数据库（ClickHouse）拒绝写入表 " + table + "：" + reason + "；应为该表字段能容纳的数值，请更正后从死信队列重新提交",
		MessageEn: "ClickHouse refused to store it in " + table + ": " + reason + "; expected values the table's columns hold — fix it and replay it from the dead-letter stream",
	}}}
	it.refused = true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s[:n])
	return string(r[:len(r)-1]) + "…"
}

// storeRows inserts rows into one table. When ClickHouse refuses the
// insert because of the data, it finds the rows at fault by bisection —
// insert each half, recursively — and turns exactly those into
// rejections (refuse); a row the driver cannot encode is known at once
// and set aside without bisecting. Every row stored is marked, so that an
// attempt that failed half-way (ClickHouse went down) does not write
// them again; writing one again would be harmless anyway (the same event
// id and keep_rank, folded by ReplacingMergeTree). Any error that is not
// about the data is returned, and the batch is retried.
//
// afterInsert, when not nil, runs after each insert that succeeded; an
// error from it is returned as if the insert had failed after storing
// (a test hook).
func storeRows(ctx context.Context, conn driver.Conn, t table, rows []*item, now time.Time, afterInsert func(table string, rows int) error) error {
	for len(rows) > 0 {
		err := sendRows(ctx, conn, t, rows, now)
		if err == nil {
			for _, it := range rows {
				it.stored = true
			}
			if afterInsert != nil {
				return afterInsert(t.name, len(rows))
			}
			return nil
		}
		var re *rowError
		if errors.As(err, &re) {
			refuse(re.it, t.name, re.err)
			rows = without(rows, re.it)
			continue
		}
		if _, ok := dataException(err); !ok {
			return err
		}
		if len(rows) == 1 {
			refuse(rows[0], t.name, err)
			return nil
		}
		mid := len(rows) / 2
		if err := storeRows(ctx, conn, t, rows[:mid], now, afterInsert); err != nil {
			return err
		}
		return storeRows(ctx, conn, t, rows[mid:], now, afterInsert)
	}
	return nil
}

func without(rows []*item, drop *item) []*item {
	out := make([]*item, 0, len(rows)-1)
	for _, it := range rows {
		if it != drop {
			out = append(out, it)
		}
	}
	return out
}
