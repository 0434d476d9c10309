package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// kpp admin add|list|rotate|remove on a departments file: the token is
// printed once, listed by its id only, and a department's commands still
// see their departments.
func TestAdminCommands(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "departments.json")
	addDepartment(t, ctx, file, "qy-fgj", "庆元县发展和改革局")
	code, out, errOut := kpp(t, ctx, "admin", "add", "--file", file, "李华")
	tok := tokenRE.FindString(out)
	if code != 0 || tok == "" || !strings.Contains(out, "POST /api/v1/imports") {
		t.Fatalf("admin add: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = kpp(t, ctx, "admin", "list", "--file", file)
	id := strings.Split(tok, "_")[1]
	if code != 0 || !strings.Contains(out, "李华") || !strings.Contains(out, id) || strings.Contains(out, tok) {
		t.Fatalf("admin list: exit %d\n%s", code, out)
	}
	if code, _, errOut = kpp(t, ctx, "admin", "add", "--file", file, "李华"); code == 0 || !strings.Contains(errOut, "kpp admin rotate 李华") {
		t.Errorf("second add: exit %d %s", code, errOut)
	}
	code, out, _ = kpp(t, ctx, "admin", "rotate", "--file", file, "李华")
	if tok2 := tokenRE.FindString(out); code != 0 || tok2 == "" || tok2 == tok {
		t.Errorf("admin rotate: exit %d\n%s", code, out)
	}
	if code, out, _ = kpp(t, ctx, "admin", "remove", "--file", file, "李华"); code != 0 {
		t.Errorf("admin remove: exit %d %s", code, out)
	}
	code, out, _ = kpp(t, ctx, "admin", "list", "--file", file)
	if code != 0 || !strings.Contains(out, "no administrators") {
		t.Errorf("list after remove: %s", out)
	}
	if code, out, _ = kpp(t, ctx, "dept", "list", "--file", file); code != 0 || !strings.Contains(out, "qy-fgj") {
		t.Errorf("dept list after admin changes: %s", out)
	}
	if code, out, _ = kpp(t, ctx, "admin", "add", "--help"); code != 0 || !strings.Contains(out, "KPP_DEPARTMENTS_FILE") {
		t.Errorf("admin add --help: %s", out)
	}
}
