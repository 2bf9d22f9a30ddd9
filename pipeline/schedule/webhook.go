package schedule

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// WebhookTimeout bounds one webhook call, so a slow receiver never holds up the schedule.
const WebhookTimeout = 10 * time.Second

// Notice is the JSON body posted to schedule.webhook after every run.
type Notice struct {
	Report   string   `json:"report"`
	RunID    string   `json:"run_id"`
	Trigger  string   `json:"trigger"`
	From     string   `json:"from"`
	To       string   `json:"to"`
	Outcome  string   `json:"outcome"`
	RowsRead int64    `json:"rows_read"`
	Files    []string `json:"files,omitempty"`
	// Warnings are the report's warning codes (an incomplete period says why).
	Warnings []string `json:"warnings,omitempty"`
	// Input is the input fingerprint the run was decided on.
	Input   string  `json:"input,omitempty"`
	Error   string  `json:"error,omitempty"`
	Seconds float64 `json:"seconds"`
}

// Webhook posts a Notice to a URL.
type Webhook struct {
	URL string
	// Client defaults to http.DefaultClient; each call is bounded by WebhookTimeout either way.
	Client *http.Client
}

// Send posts n and returns an error for a transport failure or a status other than 2xx. It
// ignores ctx's cancellation (the notice of a run cut short by shutdown still goes out) but not
// the timeout.
func (w *Webhook) Send(ctx context.Context, n Notice) error {
	if w == nil || w.URL == "" {
		return nil
	}
	b, err := json.Marshal(n)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), WebhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("webhook: %w", withoutURL(err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "journeykpi")
	c := w.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: %w", withoutURL(err))
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook: the receiver answered %s", resp.Status)
	}
	return nil
}

// withoutURL is err without the URL a *url.Error carries: webhook URLs often carry their secret
// in the path (Slack, Teams), and the error is logged.
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
