package schedule

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/journeykpi/journeykpi/pipeline/window"
)

func TestWebhookOnSuccessAndFailure(t *testing.T) {
	var mu sync.Mutex
	var got []Notice
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n Notice
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s %s", r.Method, r.Header.Get("Content-Type"))
		}
		if err := json.NewDecoder(r.Body).Decode(&n); err != nil {
			t.Error(err)
		}
		mu.Lock()
		got = append(got, n)
		mu.Unlock()
	}))
	defer srv.Close()
	rec := &recorder{}
	rec.hook = func(_ context.Context, w window.Window) error {
		if w.FromDay() == "2024-03-02" {
			return context.DeadlineExceeded
		}
		if w.FromDay() == "2024-03-03" {
			return errBoom
		}
		return nil
	}
	l, _ := OpenLedger(t.TempDir())
	ws := days(t, "2024-03-01", "2024-03-03")
	b := &Backfill{Report: "r", Windows: ws, ConfigHash: "h", Ledger: l, Run: rec.run, Webhook: srv.URL}
	b.Do(context.Background())
	if len(got) != 3 {
		t.Fatalf("%d notices", len(got))
	}
	if n := got[0]; n.Outcome != OutcomeOK || n.Report != "r" || n.From != "2024-03-01" || n.RowsRead != 42 || len(n.Files) != 1 || n.RunID == "" {
		t.Errorf("success notice %+v", n)
	}
	if n := got[2]; n.Outcome != OutcomeFailed || n.Error != "boom" {
		t.Errorf("failure notice %+v", n)
	}
}

type boom struct{}

func (boom) Error() string { return "boom" }

var errBoom error = boom{}

func TestWebhookFailureNeverFailsTheRun(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(time.Second):
		}
	}))
	defer slow.Close()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusInternalServerError)
	}))
	defer down.Close()
	for _, url := range []string{slow.URL, down.URL, "http://127.0.0.1:1/nothing"} {
		rec := &recorder{}
		l, _ := OpenLedger(t.TempDir())
		b := &Backfill{Windows: days(t, "2024-03-01", "2024-03-01"), Ledger: l, Run: rec.run, Webhook: url,
			HTTPClient: &http.Client{Timeout: 100 * time.Millisecond}}
		s := b.Do(context.Background())
		if s.Written() != 1 || len(s.Failed) != 0 {
			t.Errorf("%s: %+v", url, s)
		}
	}
	for _, u := range []string{down.URL + "/secret-token", "http://127.0.0.1:1/secret-token", "http://127.0.0.1:x/secret-token"} {
		w := &Webhook{URL: u}
		err := w.Send(context.Background(), Notice{})
		if err == nil {
			t.Errorf("%s: failure not reported", u)
		} else if strings.Contains(err.Error(), "secret-token") {
			t.Errorf("the error shows the URL: %v", err)
		}
	}
}
