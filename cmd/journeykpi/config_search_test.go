package main

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigSearchOrder: --config, else $JOURNEYKPI_CONFIG, else the system config when it
// exists, else the built-in example; the log says which at INFO.
func TestConfigSearchOrder(t *testing.T) {
	dir := t.TempDir()
	write := func(name, reportName string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("source: {kind: files, files: {paths: [x.csv]}}\nreport: {name: "+reportName+"}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	flagCfg, envCfg, sysCfg := write("flag.yaml", "from-flag"), write("env.yaml", "from-env"), write("sys.yaml", "from-system")
	env := func(v string) func(string) (string, bool) {
		return func(k string) (string, bool) {
			if k == "JOURNEYKPI_CONFIG" && v != "" {
				return v, true
			}
			return "", false
		}
	}
	for _, c := range []struct {
		flag, env, system string
		want, log         string
	}{
		{flagCfg, envCfg, sysCfg, "from-flag", `"from":"--config"`},
		{"", envCfg, sysCfg, "from-env", `"from":"JOURNEYKPI_CONFIG"`},
		{"", "", sysCfg, "from-system", `"from":"the system config"`},
		{"", "", filepath.Join(dir, "absent.yaml"), "journey-report", "built-in example"},
	} {
		var logs bytes.Buffer
		e := console{logger: slog.New(slog.NewJSONHandler(&logs, nil)), lookupEnv: env(c.env), systemConfig: c.system}
		cfg, _, err := loadConfig(c.flag, e)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Report.Name != c.want || !strings.Contains(logs.String(), c.log) || !strings.Contains(logs.String(), `"level":"INFO"`) {
			t.Errorf("%+v: report %q, log %s", c, cfg.Report.Name, logs.String())
		}
	}
}
