package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/journeykpi/journeykpi/config"
)

// TestDeployExamples checks that the Kubernetes examples are valid YAML, that the config in the
// ConfigMap passes validation, and that the containers' commands are ones journeykpi has.
func TestDeployExamples(t *testing.T) {
	dir := filepath.Join(moduleRoot(t), "deploy", "kubernetes")
	paths, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if len(paths) < 2 {
		t.Fatalf("deploy examples missing in %s", dir)
	}
	kinds := map[string]bool{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for {
			var doc struct {
				Kind string            `yaml:"kind"`
				Data map[string]string `yaml:"data"`
			}
			err := dec.Decode(&doc)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			kinds[doc.Kind] = true
			if c, ok := doc.Data["config.yaml"]; ok {
				kinds["config.yaml"] = true
				if _, err := config.Parse(strings.NewReader(c)); err != nil {
					t.Errorf("%s: ConfigMap config: %v", p, err)
				}
			}
		}
		for _, cmd := range []string{`args: ["run"`, `args: ["schedule"`, `args: ["merge"`, `"--shard", "$(SHARD)/8"`} {
			if bytes.Contains(b, []byte(cmd)) {
				kinds[cmd] = true
			}
		}
	}
	for _, k := range []string{"CronJob", "Deployment", "Job", "ConfigMap", "PersistentVolumeClaim", "config.yaml", `args: ["run"`,
		`args: ["schedule"`, `args: ["merge"`, `"--shard", "$(SHARD)/8"`} {
		if !kinds[k] {
			t.Errorf("no %s in the Kubernetes examples", k)
		}
	}
}
