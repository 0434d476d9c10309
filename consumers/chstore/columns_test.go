package chstore_test

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/internal/testenv"
)

// TestEveryViewColumnIsDescribed checks that every column of every view has
// its row in column_descriptions (unit, Chinese and English description),
// that the dictionary names no column that does not exist, and that
// docs/analysts.md names every column in the view's section.
func TestEveryViewColumnIsDescribed(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := chstore.Open(ctx, testenv.ClickHouseDSN(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	type key struct{ table, column string }
	rows, err := st.Conn().Query(ctx, `SELECT table, name FROM system.columns
WHERE database = currentDatabase() AND table IN (SELECT name FROM system.tables WHERE database = currentDatabase() AND engine = 'View')`)
	if err != nil {
		t.Fatal(err)
	}
	cols := map[key]bool{}
	views := map[string][]string{}
	for rows.Next() {
		var k key
		if err := rows.Scan(&k.table, &k.column); err != nil {
			t.Fatal(err)
		}
		cols[k] = true
		views[k.table] = append(views[k.table], k.column)
	}
	rows.Close()
	if len(views) < 12 {
		t.Fatalf("%d views in the database, expected at least 12: %v", len(views), views)
	}

	rows, err = st.Conn().Query(ctx, "SELECT table_name, column_name, unit, description_zh, description_en FROM column_descriptions")
	if err != nil {
		t.Fatal(err)
	}
	described := map[key]bool{}
	for rows.Next() {
		var k key
		var unit, zh, en string
		if err := rows.Scan(&k.table, &k.column, &unit, &zh, &en); err != nil {
			t.Fatal(err)
		}
		if described[k] {
			t.Errorf("column_descriptions: %s.%s twice", k.table, k.column)
		}
		described[k] = true
		if zh == "" || en == "" {
			t.Errorf("column_descriptions: %s.%s has an empty description (zh %q, en %q)", k.table, k.column, zh, en)
		}
		if !cols[k] && k.table != "column_descriptions" {
			t.Errorf("column_descriptions describes %s.%s, which is not a column of a view", k.table, k.column)
		}
	}
	rows.Close()
	for k := range cols {
		if !described[k] && k.table != "column_descriptions" {
			t.Errorf("view column %s.%s has no row in column_descriptions (schema/migrations/0010_column_descriptions.sql)", k.table, k.column)
		}
	}

	doc, err := os.ReadFile(analystsDoc)
	if err != nil {
		t.Fatal(err)
	}
	heading := regexp.MustCompile(`(?m)^#{3,4} .*$`)
	for view, columns := range views {
		sec := section(string(doc), heading, view)
		if sec == "" {
			t.Errorf("%s: no section on view %s", analystsDoc, view)
			continue
		}
		for _, c := range columns {
			if !strings.Contains(sec, "`"+c+"`") && !strings.Contains(sec, "| "+c+" |") {
				t.Errorf("%s: the section on view %s does not name its column %s", analystsDoc, view, c)
			}
		}
	}
}

// section returns the text from the heading that names view (as a word,
// before "(view") to the next heading.
func section(doc string, heading *regexp.Regexp, view string) string {
	name := regexp.MustCompile(`(^|[ ` + "`" + `])` + regexp.QuoteMeta(view) + `([ ` + "`" + `]|$)`)
	locs := heading.FindAllStringIndex(doc, -1)
	for i, l := range locs {
		h := doc[l[0]:l[1]]
		if !strings.Contains(h, "(view") || !name.MatchString(strings.SplitN(h, "(view", 2)[0]) {
			continue
		}
		end := len(doc)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		return doc[l[1]:end]
	}
	return ""
}
