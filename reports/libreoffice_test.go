package reports

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// requireTool finds a command-line tool, or skips (fails on CI, which installs it).
func requireTool(t *testing.T, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	msg := fmt.Sprintf("%s not found; install the Debian package %s (apt-get install -y %s)", name, pkg, pkg)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// TestWorkbookOpensInLibreOffice converts the workbook to PDF with LibreOffice, as a manager's
// spreadsheet application would open and print it, and checks the pages: the Summary comes first
// and every sheet is printed, in order. With JOURNEYKPI_RENDER_DIR set it leaves the PDF and
// PNGs of its pages there for a look.
func TestWorkbookOpensInLibreOffice(t *testing.T) {
	soffice := requireTool(t, "soffice", "libreoffice-calc")
	pdfinfo := requireTool(t, "pdfinfo", "poppler-utils")
	pdftotext := requireTool(t, "pdftotext", "poppler-utils")

	dir := t.TempDir()
	xlsx := filepath.Join(dir, FileBase("journey-report", "2026-10-01", "2026-10-31")+".xlsx")
	if err := WriteWorkbook(xlsx, fullResult(), fixtureAbout()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	// A fresh profile per run: a shared one is locked by any other running instance.
	profile := "file://" + filepath.ToSlash(filepath.Join(dir, "lo-profile"))
	cmd := exec.CommandContext(ctx, soffice, "-env:UserInstallation="+profile, "--headless", "--norestore",
		"--convert-to", "pdf", "--outdir", dir, xlsx)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("soffice: %v\n%s", err, out)
	}
	pdf := strings.TrimSuffix(xlsx, ".xlsx") + ".pdf"
	if _, err := os.Stat(pdf); err != nil {
		t.Fatalf("no PDF written: %v\n%s", err, out)
	}

	info, err := exec.CommandContext(ctx, pdfinfo, pdf).Output()
	if err != nil {
		t.Fatalf("pdfinfo: %v", err)
	}
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)`).FindSubmatch(info)
	if m == nil {
		t.Fatalf("pdfinfo gave no page count:\n%s", info)
	}
	pages, _ := strconv.Atoi(string(m[1]))
	if pages < len(wantSheets()) || pages > 40 {
		t.Errorf("PDF has %d pages, want one or a few per sheet (%d sheets)", pages, len(wantSheets()))
	}

	// Each sheet starts on a new page with its title; collect the first line of every page.
	titles := []string{"journey-report: customer journey report, October 2026", "Funnel", "Journey map",
		"Touchpoints & attribution", "Repeat purchase & cohorts", "Resources: where to act",
		"Trends", "Periods", "Funnel data", "Data quality", "About this report"}
	next := 0
	for p := 1; p <= pages && next < len(titles); p++ {
		text, err := exec.CommandContext(ctx, pdftotext, "-f", strconv.Itoa(p), "-l", strconv.Itoa(p), "-layout", pdf, "-").Output()
		if err != nil {
			t.Fatalf("pdftotext page %d: %v", p, err)
		}
		// Every page has a header (report, sheet, period) and a footer (page x of y); the first
		// line below the header is the page's own.
		first, header := "", ""
		for _, line := range strings.Split(string(text), "\n") {
			s := strings.TrimSpace(line)
			switch {
			case s == "":
			case header == "":
				header = s
			case first == "":
				first = s
			}
		}
		if !strings.Contains(header, "2026-10-01 to 2026-10-31") || !strings.Contains(string(text), fmt.Sprintf("Page %d of", p)) {
			t.Errorf("page %d: header %q or footer missing", p, header)
		}
		if p == 1 {
			if first != titles[0] {
				t.Errorf("page 1 starts with %q, want the Summary title", first)
			}
			for _, want := range []string{"What happened", "Purchase conversion", "real change", "noise", "▲", "▼", "Spend"} {
				if !strings.Contains(string(text), want) {
					t.Errorf("page 1 lacks %q", want)
				}
			}
		}
		if first == titles[next] {
			next++
		}
	}
	if next < len(titles) {
		t.Errorf("sheet %q not found as a page title after the earlier sheets", titles[next])
	}

	if keep := os.Getenv("JOURNEYKPI_RENDER_DIR"); keep != "" {
		data, _ := os.ReadFile(pdf)
		if err := os.WriteFile(filepath.Join(keep, "full.pdf"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		if pdftoppm, err := exec.LookPath("pdftoppm"); err == nil {
			if out, err := exec.CommandContext(ctx, pdftoppm, "-png", "-r", "60", pdf, filepath.Join(keep, "page")).CombinedOutput(); err != nil {
				t.Fatalf("pdftoppm: %v\n%s", err, out)
			}
		}
	}
}
