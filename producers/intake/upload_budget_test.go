package intake_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keyproject/kpp/producers/intake"
	"github.com/keyproject/kpp/producers/sheet"
)

// bombXLSX writes a workbook whose sheet 月报 has a header and then the
// same report row until its XML is sheetBytes long (deflate packs it about
// 1000:1). See producers/sheet's budget tests for the other bombs.
func bombXLSX(t *testing.T, sheetBytes int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestCompression)
	})
	part := func(name, body string) io.Writer {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(w, body)
		return w
	}
	part("[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`)
	part("_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)
	part("xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="月报" sheetId="1" r:id="rId1"/></sheets></workbook>`)
	part("xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`)
	cell := func(s string) string { return `<c t="inlineStr"><is><t>` + s + `</t></is></c>` }
	w := part("xl/worksheets/sheet1.xml", `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row>`+
		cell("项目编号")+cell("报告期")+cell("本月完成投资（万元）")+cell("本年累计完成（万元）")+cell("填报人")+`</row>`)
	row := `<row>` + cell(park) + cell("2025-09") + `<c><v>1</v></c><c><v>1</v></c>` + cell("王敏") + `</row>`
	chunk := strings.Repeat(row, 64<<10/len(row))
	for n := 0; n < sheetBytes; n += len(chunk) {
		_, _ = io.WriteString(w, chunk)
	}
	_, _ = io.WriteString(w, `</sheetData></worksheet>`)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// heapPeak samples the bytes of heap objects every millisecond until stop
// is called, which returns the highest sample.
func heapPeak() (stop func() uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-finished
		return peak.Load()
	}
}

// Two zip bombs uploaded at once through the API (issue 9, item 6): each is
// refused with 422 and the budget it exceeds, nothing is published, and the
// server's heap stays bounded. Before the budgets, one such file took more
// than 1 GB, two at once 1.7 GB.
func TestUploadBombsConcurrently(t *testing.T) {
	e := newRealEnv(t, intake.Limits{})
	for _, c := range []struct {
		name       string
		sheetBytes int
		msg        string
	}{
		// Refused by its declared size before anything is unzipped.
		{"250 MB", 250 << 20, "more than the 64 MiB a workbook may expand to"},
		// Within the unzip budget: streamed from a temporary file until
		// the 250,001st cell with a value.
		{"60 MB", 60 << 20, "has more than 250000 cells with a value"},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := bombXLSX(t, c.sheetBytes)
			before := e.msgs()
			runtime.GC()
			base := heapPeak()()
			stop := heapPeak()
			var wg sync.WaitGroup
			res := make([]response, 2)
			errs := make([]error, 2)
			for i := range res {
				wg.Add(1)
				go func() {
					defer wg.Done()
					res[i], errs[i] = postUpload(e.ts.URL, e.fgj, "bomb.xlsx", data, fmt.Sprintf("bomb-%d-%d-%d", c.sheetBytes, i, time.Now().UnixNano()))
				}()
			}
			wg.Wait()
			peak := stop()
			grew := (int64(peak) - int64(base)) >> 20
			t.Logf("%d KiB file inflating to %d MiB, two at once: heap %d MiB before, peak %d MiB (+%d MiB)", len(data)>>10, c.sheetBytes>>20, base>>20, peak>>20, grew)
			for i, r := range res {
				if errs[i] != nil {
					t.Fatal(errs[i])
				}
				b := r.errorBody(t)
				if r.status != http.StatusUnprocessableEntity || len(b.Errors) != 1 || b.Errors[0].Rule != sheet.RuleTooLarge ||
					!strings.Contains(b.Errors[0].MessageEn, c.msg) || b.Errors[0].MessageZh == "" {
					t.Errorf("upload %d: %d %s", i, r.status, r.body)
				}
			}
			if e.msgs() != before {
				t.Error("a refused sheet published")
			}
			if grew > 64 {
				t.Errorf("the heap grew by %d MiB reading two bombs, want at most 64 MiB", grew)
			}
		})
	}
}

// postUpload is env.upload for use from several goroutines (it reports
// errors instead of failing the test, and takes its idempotency key).
func postUpload(url, token, name string, data []byte, key string) (response, error) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		return response{}, err
	}
	_, _ = fw.Write(data)
	_ = mw.Close()
	req, err := http.NewRequest("POST", url+"/api/v1/uploads", &b)
	if err != nil {
		return response{}, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set(intake.HeaderIdempotencyKey, key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return response{}, fmt.Errorf("upload: %w", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return response{}, fmt.Errorf("upload: %w", err)
	}
	return response{status: res.StatusCode, header: res.Header, body: body}, nil
}
