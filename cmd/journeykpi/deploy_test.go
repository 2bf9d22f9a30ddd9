package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/journeykpi/journeykpi/config"
)

// flagsParse fails unless args (a journeykpi command line without the program) name a command
// whose flags are all defined and well-formed: the command parses them and then refuses a stray
// argument, which proves it got that far without running anything.
func flagsParse(t *testing.T, where string, args []string) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), append(slices.Clone(args), "__stray__"), console{stdout: &out, stderr: &out})
	if err == nil || !strings.Contains(err.Error(), `unexpected argument "__stray__"`) {
		t.Errorf("%s: %q does not parse as a journeykpi command line: %v", where, args, err)
	}
}

// k8sDoc is what the tests read of a Kubernetes object.
type k8sDoc struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Data map[string]string `yaml:"data"`
	Spec yaml.Node         `yaml:"spec"`
}

type podSpec struct {
	ServiceAccountName string `yaml:"serviceAccountName"`
	Containers         []struct {
		Args         []string `yaml:"args"`
		VolumeMounts []struct {
			Name      string `yaml:"name"`
			MountPath string `yaml:"mountPath"`
		} `yaml:"volumeMounts"`
	} `yaml:"containers"`
	Volumes []struct {
		Name      string `yaml:"name"`
		ConfigMap *struct {
			Name string `yaml:"name"`
		} `yaml:"configMap"`
		PVC *struct {
			ClaimName string `yaml:"claimName"`
		} `yaml:"persistentVolumeClaim"`
	} `yaml:"volumes"`
}

func readDocs(t *testing.T, p string) []k8sDoc {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var docs []k8sDoc
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var d k8sDoc
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		docs = append(docs, d)
	}
}

// TestKubernetesExamples: the kustomization applies one coherent set — the common objects and
// exactly one workload, the other offered as a comment — and every name, path and flag the
// workloads use exists: the ConfigMap's config validates, is mounted where journeykpi looks for
// it, writes to the mounted volume, and both workloads' command lines parse.
func TestKubernetesExamples(t *testing.T) {
	dir := filepath.Join(moduleRoot(t), "deploy", "kubernetes")
	b, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		Resources []string `yaml:"resources"`
	}
	if err := yaml.Unmarshal(b, &k); err != nil {
		t.Fatal(err)
	}
	workloads := map[string]bool{"scheduler.yaml": false, "cronjob.yaml": false}
	for _, r := range k.Resources {
		if _, err := os.Stat(filepath.Join(dir, r)); err != nil {
			t.Errorf("kustomization names %s: %v", r, err)
		}
		if _, ok := workloads[r]; ok {
			workloads[r] = true
		}
	}
	if workloads["scheduler.yaml"] == workloads["cronjob.yaml"] {
		t.Errorf("the kustomization must apply exactly one of scheduler.yaml and cronjob.yaml: %v", k.Resources)
	}
	for w, on := range workloads {
		if !on && !regexp.MustCompile(`(?m)^\s*#\s*- `+regexp.QuoteMeta(w)+`\s*$`).Match(b) {
			t.Errorf("%s is neither applied nor offered as a commented line", w)
		}
	}

	common := map[string]k8sDoc{}
	for _, d := range readDocs(t, filepath.Join(dir, "common.yaml")) {
		common[d.Kind] = d
	}
	cm, pvc, sa := common["ConfigMap"], common["PersistentVolumeClaim"], common["ServiceAccount"]
	if cm.Metadata.Name == "" || pvc.Metadata.Name == "" || sa.Metadata.Name == "" {
		t.Fatalf("common.yaml lacks the ConfigMap, the volume claim or the service account: %v", common)
	}
	cfg, err := config.Parse(strings.NewReader(cm.Data["config.yaml"]))
	if err != nil {
		t.Fatalf("the ConfigMap's config: %v", err)
	}
	for w := range workloads {
		docs := readDocs(t, filepath.Join(dir, w))
		if len(docs) != 1 {
			t.Fatalf("%s: %d objects, want the workload only (the rest is common.yaml's)", w, len(docs))
		}
		var spec struct {
			Template struct {
				Spec podSpec `yaml:"spec"`
			} `yaml:"template"`
			JobTemplate struct {
				Spec struct {
					Template struct {
						Spec podSpec `yaml:"spec"`
					} `yaml:"template"`
				} `yaml:"spec"`
			} `yaml:"jobTemplate"`
		}
		if err := docs[0].Spec.Decode(&spec); err != nil {
			t.Fatal(err)
		}
		pod := spec.Template.Spec
		if docs[0].Kind == "CronJob" {
			pod = spec.JobTemplate.Spec.Template.Spec
		}
		if pod.ServiceAccountName != sa.Metadata.Name {
			t.Errorf("%s: service account %q, want %q", w, pod.ServiceAccountName, sa.Metadata.Name)
		}
		claims := map[string]string{}
		for _, v := range pod.Volumes {
			switch {
			case v.ConfigMap != nil && v.ConfigMap.Name == cm.Metadata.Name:
				claims[v.Name] = "config"
			case v.PVC != nil && v.PVC.ClaimName == pvc.Metadata.Name:
				claims[v.Name] = "reports"
			}
		}
		c := pod.Containers[0]
		mounts := map[string]string{}
		for _, m := range c.VolumeMounts {
			mounts[claims[m.Name]] = m.MountPath
		}
		if mounts["config"] != path.Dir(SystemConfig) || mounts["reports"] != cfg.Report.Out {
			t.Errorf("%s: config mounted at %q (want %q), reports at %q (report.out %q)", w, mounts["config"], path.Dir(SystemConfig), mounts["reports"], cfg.Report.Out)
		}
		if i := slices.Index(c.Args, "--config"); i < 0 || c.Args[i+1] != SystemConfig {
			t.Errorf("%s: args %q do not read %s", w, c.Args, SystemConfig)
		}
		flagsParse(t, w, c.Args)
	}
}

// TestDockerfile: the image runs the binary it copies, as the non-root user that owns the
// volume, with a default command journeykpi has, and reports go where the volume is.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(moduleRoot(t), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	ins := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		op, rest, _ := strings.Cut(line, " ")
		ins[op] = append(ins[op], strings.TrimSpace(rest))
	}
	var entry, cmd []string
	if json.Unmarshal([]byte(ins["ENTRYPOINT"][0]), &entry) != nil || json.Unmarshal([]byte(ins["CMD"][0]), &cmd) != nil {
		t.Fatalf("ENTRYPOINT and CMD must be JSON arrays: %v %v", ins["ENTRYPOINT"], ins["CMD"])
	}
	copied := map[string]bool{}
	for _, c := range ins["COPY"] {
		f := strings.Fields(c)
		copied[f[len(f)-1]] = true
	}
	if len(entry) != 1 || !copied[entry[0]] {
		t.Errorf("ENTRYPOINT %v is not a file the image copies (%v)", entry, copied)
	}
	flagsParse(t, "Dockerfile CMD", cmd)
	out := ""
	for _, e := range ins["ENV"] {
		if v, ok := strings.CutPrefix(e, "JOURNEYKPI_REPORT_OUT="); ok {
			out = v
		}
	}
	if out == "" || !strings.Contains(ins["VOLUME"][0], strconv.Quote(out)) || ins["WORKDIR"][len(ins["WORKDIR"])-1] != out || !copied[out] {
		t.Errorf("JOURNEYKPI_REPORT_OUT %q is not the volume %v, the working directory %v and a directory the image creates", out, ins["VOLUME"], ins["WORKDIR"])
	}
	if u := ins["USER"]; len(u) != 1 || !strings.HasPrefix(u[0], "nonroot") {
		t.Errorf("USER %v, want the distroless nonroot user", u)
	}
	if !bytes.Contains(b, []byte(SystemConfig)) {
		t.Errorf("the Dockerfile's comment does not say where to mount the config (%s)", SystemConfig)
	}
}

// TestSystemdUnit: the unit runs the installed binary with a command line that parses, keeps its
// state where the reports go, restarts after a crash (exit 2, as a bad config) within a start
// limit but not when another scheduler holds the state directory, and can hand a root-only key
// file to its dynamic user.
func TestSystemdUnit(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(moduleRoot(t), "deploy", "systemd", "journeykpi.service"))
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string][]string{}
	commented := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		m := keys
		if l, ok := strings.CutPrefix(line, "#"); ok {
			m, line = commented, l
		}
		if k, v, ok := strings.Cut(line, "="); ok && !strings.ContainsAny(k, " \t") {
			m[k] = append(m[k], v)
		}
	}
	exec := strings.Fields(keys["ExecStart"][0])
	if exec[0] != "/usr/local/bin/journeykpi" || !bytes.Contains(b, []byte("install -m 0755 journeykpi /usr/local/bin/journeykpi")) {
		t.Errorf("ExecStart %q is not the binary the instructions install", exec[0])
	}
	flagsParse(t, "ExecStart", exec[1:])
	if i := slices.Index(exec, "--config"); i < 0 || exec[i+1] != SystemConfig {
		t.Errorf("ExecStart does not read %s", SystemConfig)
	}
	state := "/var/lib/" + keys["StateDirectory"][0]
	if keys["WorkingDirectory"][0] != state || !slices.Contains(keys["Environment"], "JOURNEYKPI_REPORT_OUT="+state) {
		t.Errorf("state directory %s is not the working directory and the report output", state)
	}
	// Not exit 2: the Go runtime exits 2 on a crash too, and a crashed scheduler must come back.
	// A bad config, also exit 2, is stopped by the start limit instead.
	if got, want := keys["RestartPreventExitStatus"], []string{strconv.Itoa(exitLocked)}; !slices.Equal(got, want) {
		t.Errorf("RestartPreventExitStatus %v, want %v", got, want)
	}
	if len(keys["StartLimitBurst"]) != 1 || len(keys["StartLimitIntervalSec"]) != 1 {
		t.Errorf("no start limit: a bad config would restart forever")
	}
	cred, _, _ := strings.Cut(strings.Join(commented["LoadCredential"], ""), ":")
	if cred == "" || !slices.Contains(commented["Environment"], "GOOGLE_APPLICATION_CREDENTIALS=%d/"+cred) || keys["DynamicUser"][0] != "yes" {
		t.Errorf("the key file is not handed over with LoadCredential to GOOGLE_APPLICATION_CREDENTIALS: %v %v", commented["LoadCredential"], commented["Environment"])
	}
}

// TestShardedJobExample: the Indexed Job example's config validates and its shard and merge
// command lines are ones journeykpi has, reading the mounted config and agreeing on the shards'
// directory and count.
func TestShardedJobExample(t *testing.T) {
	docs := readDocs(t, filepath.Join(moduleRoot(t), "deploy", "kubernetes", "sharded-job.yaml"))
	var shardArgs, mergeArgs []string
	for _, d := range docs {
		if d.Kind == "ConfigMap" {
			if _, err := config.Parse(strings.NewReader(d.Data["config.yaml"])); err != nil {
				t.Errorf("the ConfigMap's config: %v", err)
			}
		}
		if d.Kind != "Job" {
			continue
		}
		var spec struct {
			Completions int    `yaml:"completions"`
			Mode        string `yaml:"completionMode"`
			Template    struct {
				Spec podSpec `yaml:"spec"`
			} `yaml:"template"`
		}
		if err := d.Spec.Decode(&spec); err != nil {
			t.Fatal(err)
		}
		args := spec.Template.Spec.Containers[0].Args
		switch args[0] {
		case "run":
			shardArgs = args
			if spec.Mode != "Indexed" || spec.Completions != 8 {
				t.Errorf("the shards Job is %q with %d completions, want Indexed with 8", spec.Mode, spec.Completions)
			}
		case "merge":
			mergeArgs = args
		}
	}
	if shardArgs == nil || mergeArgs == nil {
		t.Fatalf("want a shards Job and a merge Job: %v %v", shardArgs, mergeArgs)
	}
	i := slices.Index(shardArgs, "--shard")
	if i < 0 || shardArgs[i+1] != "$(SHARD)/8" {
		t.Fatalf("shard args %q", shardArgs)
	}
	concrete := slices.Clone(shardArgs)
	concrete[i+1] = "7/8"
	flagsParse(t, "sharded-job shards", concrete)
	out := shardArgs[slices.Index(shardArgs, "--out")+1]
	if mergeArgs[len(mergeArgs)-1] != out || mergeArgs[slices.Index(mergeArgs, "--config")+1] != SystemConfig ||
		shardArgs[slices.Index(shardArgs, "--config")+1] != SystemConfig {
		t.Errorf("merge %q does not read the config and the directory the shards %q write", mergeArgs, shardArgs)
	}
}
