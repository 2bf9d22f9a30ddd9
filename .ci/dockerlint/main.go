// Command dockerlint checks a Dockerfile with the rules of `docker build --check` (BuildKit's
// Dockerfile linter), offline: base images are not resolved. It prints each warning and exits 1
// when there is any. CI runs it where no Docker engine is available to build the image.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	digest "github.com/opencontainers/go-digest"
)

// offline answers every base image with an empty config: linting needs no registry.
type offline struct{}

func (offline) ResolveImageConfig(ctx context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	return ref, "", []byte("{}"), nil
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: dockerlint DOCKERFILE")
		os.Exit(2)
	}
	dt, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "dockerlint:", err)
		os.Exit(2)
	}
	ctx := context.Background()
	src := llb.Local("dockerfile")
	sm := llb.NewSourceMap(&src, os.Args[1], "Dockerfile", dt)
	def, err := src.Marshal(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "dockerlint:", err)
		os.Exit(2)
	}
	sm.Definition = def
	res, err := dockerfile2llb.DockerfileLint(ctx, dt, dockerfile2llb.ConvertOpt{SourceMap: sm, MetaResolver: offline{}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "dockerlint:", err)
		os.Exit(2)
	}
	for _, w := range res.Warnings {
		line := 0
		if len(w.Location.Ranges) > 0 {
			line = int(w.Location.Ranges[0].Start.Line)
		}
		fmt.Printf("%s:%d: %s: %s (%s)\n", os.Args[1], line, w.RuleName, w.Detail, w.URL)
	}
	if res.Error != nil {
		fmt.Printf("%s: %s\n", os.Args[1], res.Error.Message)
		os.Exit(1)
	}
	if len(res.Warnings) > 0 {
		os.Exit(1)
	}
	fmt.Printf("%s: no warnings (docker build --check rules)\n", os.Args[1])
}
