package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keyproject/kpp/internal/testenv"
)

// docExample is a ```sh block of a document and the status the document
// states right below it ("`201 Created` …"); 0 for a block without a
// request (it sets variables for the ones after it).
type docExample struct {
	line   int // of the opening fence
	code   string
	status int
}

var statusLineRE = regexp.MustCompile("^`([1-5][0-9]{2})[ `]")

// shExamples returns the ```sh blocks of a Markdown file in order.
func shExamples(t *testing.T, path string) []docExample {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	var out []docExample
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "```sh" {
			continue
		}
		ex := docExample{line: i + 1}
		var code []string
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
			code = append(code, lines[i])
		}
		ex.code = strings.Join(code, "\n")
		j := i + 1
		for j < len(lines) && strings.TrimSpace(lines[j]) == "" {
			j++
		}
		if j < len(lines) {
			if m := statusLineRE.FindStringSubmatch(lines[j]); m != nil {
				fmt.Sscan(m[1], &ex.status)
			}
		}
		if strings.Contains(ex.code, "curl ") && ex.status == 0 {
			t.Errorf("%s:%d: an example with a request states no status below it (a line starting with `201 Created` or the like)", path, ex.line)
		}
		out = append(out, ex)
	}
	return out
}

// Every example of docs/api.md runs as written, in order in one bash, against
// kpp demo --keep-running on the machine's clock, and gets the status the
// document states below it: the reports of this month computed from last
// month's imported figures, the correction, the problems, the template
// upload, the receipts, the registration, the history and the import.
func TestAPIDocExamplesRunAgainstTheDemo(t *testing.T) {
	testenv.ClickHouseDSN(t) // fails loudly under CI=true when ClickHouse is missing
	for _, tool := range []string{"bash", "curl", "jq", "awk", "date", "sha256sum"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed: %v", tool, err)
		}
	}
	examples := shExamples(t, filepath.Join("..", "..", "docs", "api.md"))
	requests := 0
	for _, ex := range examples {
		if ex.status != 0 {
			requests++
		}
	}
	if requests < 10 {
		t.Fatalf("docs/api.md has %d examples with a request and a status; want every endpoint's", requests)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := filepath.Join(t.TempDir(), "demo")
	done := make(chan string, 1)
	go func() {
		code, out, errOut := kpp(t, ctx, "demo", "--dir", dir, "--keep-running", "--http-listen", "127.0.0.1:0")
		done <- fmt.Sprintf("exit %d\n%s\n%s", code, out, errOut)
	}()
	envFile := filepath.Join(dir, demoEnvFile)
	testenv.Eventually(t, 3*time.Minute, func() bool {
		select {
		case r := <-done:
			t.Fatalf("kpp demo --keep-running stopped: %s", r)
		default:
		}
		_, err := os.Stat(envFile)
		return err == nil
	}, "kpp demo --keep-running wrote no %s", envFile)
	defer func() {
		cancel()
		<-done
	}()

	// kpp on the PATH of the examples is this test binary (see TestMain).
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "kpp"), []byte("#!/bin/sh\nKPP_TEST_AS_KPP=1 exec '"+exe+"' \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	var script strings.Builder
	for i, ex := range examples {
		fmt.Fprintf(&script, "echo '@@@ %d'\n{\n%s\n} 2>&1\n", i, ex.code)
	}
	fmt.Fprintf(&script, "echo '@@@ end'\n")
	cmd := exec.CommandContext(ctx, "bash", "-c", script.String())
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "KPP_DEMO_DIR="+dir, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, out)
	}
	outputs := map[int]string{}
	cur := -1
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	var b strings.Builder
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "@@@ ") {
			if cur >= 0 {
				outputs[cur] = b.String()
			}
			b.Reset()
			cur = -2
			fmt.Sscan(strings.TrimPrefix(line, "@@@ "), &cur)
			continue
		}
		b.WriteString(line + "\n")
	}
	httpRE := regexp.MustCompile(`(?m)^HTTP ([0-9]{3})$`)
	for i, ex := range examples {
		got, ok := outputs[i]
		if !ok {
			t.Errorf("docs/api.md:%d: the example did not run\n%s", ex.line, out)
			continue
		}
		if ex.status == 0 {
			if strings.TrimSpace(got) != "" {
				t.Errorf("docs/api.md:%d: the example prints something:\n%s\n%s", ex.line, ex.code, got)
			}
			continue
		}
		m := httpRE.FindAllStringSubmatch(got, -1)
		if m == nil {
			t.Errorf("docs/api.md:%d: the example printed no status (HTTP NNN), want %d:\n%s\n--- output:\n%s", ex.line, ex.status, ex.code, got)
			continue
		}
		if last := m[len(m)-1][1]; last != fmt.Sprint(ex.status) {
			t.Errorf("docs/api.md:%d: status %s, the document says %d:\n%s\n--- output:\n%s", ex.line, last, ex.status, ex.code, got)
		}
	}
}
