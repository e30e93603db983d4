package cluster

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"golang.org/x/sync/errgroup"
	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/asm-ready/asm-ready/tools/internal/kbuild"
	"github.com/asm-ready/asm-ready/tools/internal/render"
)

// importNodeImages makes the pause and CoreDNS images from the built
// binaries and loads them into the node: nothing the node runs is pulled.
func (n *Node) importNodeImages(ctx context.Context) error {
	dir, err := os.MkdirTemp(filepath.Join(n.State, "images"), "node-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	pause, err := image(dir, v1.Config{Entrypoint: []string{"/pause"}, User: "65535:65535"},
		[]entry{{name: "pause", src: n.bin["pause"]}})
	if err != nil {
		return err
	}
	base, cfg := distroless()
	cfg.Entrypoint = []string{"/coredns"}
	coredns, err := image(dir, cfg, base, []entry{{name: "coredns", src: n.bin["coredns"]}})
	if err != nil {
		return err
	}
	return n.importImages(ctx, dir, map[string]v1.Image{pauseImage: pause, corednsImage: coredns})
}

// importImages writes each image as a docker archive and imports it.
func (n *Node) importImages(ctx context.Context, dir string, images map[string]v1.Image) error {
	for ref, img := range images {
		tag, err := name.NewTag(ref)
		if err != nil {
			return err
		}
		archive := filepath.Join(dir, strings.NewReplacer("/", "_", ":", "_").Replace(ref)+".tar")
		if err := tarball.WriteToFile(archive, tag, img); err != nil {
			return fmt.Errorf("write %s: %w", ref, err)
		}
		if err := n.importImage(ctx, archive); err != nil {
			return err
		}
	}
	return nil
}

// buildkitRoot is BuildKit's state, kept between runs as a build cache.
func (n *Node) buildkitRoot() string { return filepath.Join(n.Cache, "buildkit") }

// Images builds every service image the chart and overlays/local name, from
// services/<name>/Dockerfile with BuildKit, fetching nothing, and imports it
// into the running node under each of those names.
func (n *Node) Images(ctx context.Context) error {
	if n.missing != nil {
		return n.missing
	}
	if !Running() {
		return errors.New("no test node is up: run `make cluster-up` first")
	}
	start := time.Now()
	refs, err := ImageRefs(n.Repo)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp(filepath.Join(n.State, "images"), "build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	// Everything BuildKit starts must be found by teardown.
	if err := enterCgroup(); err != nil {
		return err
	}
	contexts, err := n.baseImages(ctx, work, slices.Sorted(maps.Keys(refs)))
	if err != nil {
		return err
	}
	sock := filepath.Join(n.State, "buildkitd.sock")
	bk, err := n.start("buildkitd", "--root="+n.buildkitRoot(), "--addr=unix://"+sock,
		"--otel-socket-path="+filepath.Join(n.State, "buildkit-otel.sock"),
		"--oci-worker=true", "--containerd-worker=false", "--oci-worker-binary="+n.bin["runc"],
		"--oci-worker-snapshotter=overlayfs", "--oci-worker-net=host")
	if err != nil {
		return err
	}
	defer bk.stop()
	if err := n.waitFor(ctx, "buildkitd", time.Minute, func(ctx context.Context) bool {
		return exec.CommandContext(ctx, n.bin["buildctl"], "--addr=unix://"+sock, "debug", "workers").Run() == nil
	}); err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	for svc, names := range refs {
		g.Go(func() error {
			archive := filepath.Join(work, svc+".tar")
			if err := n.buildctl(gctx, sock, svc, contexts, archive, names); err != nil {
				return err
			}
			return n.importImage(gctx, archive)
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	var all []string
	for _, svc := range slices.Sorted(maps.Keys(refs)) {
		all = append(all, refs[svc]...)
	}
	n.logf("images %s built and imported in %s", strings.Join(all, ", "), time.Since(start).Round(100*time.Millisecond))
	return nil
}

// buildctl builds services/<svc>/Dockerfile into a docker archive carrying
// every name in names. Each image the Dockerfile names comes from contexts;
// RUN steps get no network at all.
func (n *Node) buildctl(ctx context.Context, sock, svc string, contexts map[string]string, archive string, names []string) error {
	dir := filepath.Join(n.Repo, "services", svc)
	args := []string{"--addr=unix://" + sock, "build", "--progress=plain", "--frontend=dockerfile.v0",
		"--local=context=" + dir, "--local=dockerfile=" + dir, "--opt=force-network-mode=none",
		"--oci-layout=bases=" + filepath.Join(filepath.Dir(archive), "bases"),
		"--output=type=docker,dest=" + archive + `,"name=` + strings.Join(names, ",") + `"`}
	refs, err := dockerfileImages(filepath.Join(dir, "Dockerfile"))
	if err != nil {
		return err
	}
	for _, ref := range refs {
		args = append(args, "--opt=context:"+ref+"="+contexts[ref])
	}
	log := filepath.Join(n.State, "logs", "buildctl-"+svc+".log")
	out, err := exec.CommandContext(ctx, n.bin["buildctl"], args...).CombinedOutput()
	if werr := os.WriteFile(log, out, 0o600); werr != nil {
		return werr
	}
	if err != nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		return fmt.Errorf("build services/%s/Dockerfile: %w; buildctl's output (all in %s) ends:\n%s",
			svc, err, log, strings.Join(lines[max(0, len(lines)-20):], "\n"))
	}
	return nil
}

// fromLine matches a Dockerfile FROM instruction: its image (or stage) is
// the first word after any --flags.
var fromLine = regexp.MustCompile(`(?i)^\s*FROM\s+(?:--\S+\s+)*(\S+)`)

// dockerfileImages returns the images a Dockerfile builds from: its
// `# syntax=` frontend and every FROM that is not an earlier stage.
func dockerfileImages(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var refs []string
	stages := sets.New[string]()
	sc := bufio.NewScanner(bytes.NewReader(b))
	for first := true; sc.Scan(); first = false {
		line := sc.Text()
		if ref, ok := strings.CutPrefix(strings.TrimSpace(line), "# syntax="); ok && first && len(strings.Fields(ref)) > 0 {
			refs = append(refs, strings.Fields(ref)[0])
		}
		m := fromLine.FindStringSubmatch(line)
		if m == nil || stages.Has(strings.ToLower(m[1])) || m[1] == "scratch" {
			continue
		}
		if !slices.Contains(refs, m[1]) {
			refs = append(refs, m[1])
		}
		if f := strings.Fields(line); len(f) >= 2 && strings.EqualFold(f[len(f)-2], "AS") {
			stages.Insert(strings.ToLower(f[len(f)-1]))
		}
	}
	return refs, sc.Err()
}

// baseImages makes the images the services' Dockerfiles build from, in one
// OCI layout (<work>/bases), and returns the named-context value for each
// reference: a Go builder from this machine's toolchain, the distroless
// stand-in, and BuildKit's Dockerfile frontend.
func (n *Node) baseImages(ctx context.Context, work string, services []string) (map[string]string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOROOT", "GOVERSION", "GOMODCACHE").Output()
	goenv := strings.Fields(string(out))
	if err != nil || len(goenv) != 3 {
		return nil, fmt.Errorf("go env: %v (the builder image is made of the local Go toolchain)", err)
	}
	goroot, goversion := goenv[0], goenv[1]
	want := map[string]string{}
	for _, svc := range services {
		refs, err := dockerfileImages(filepath.Join(n.Repo, "services", svc, "Dockerfile"))
		if err != nil {
			return nil, err
		}
		for _, ref := range refs {
			if want[ref], err = standIn(ref, goversion); err != nil {
				return nil, fmt.Errorf("services/%s/Dockerfile: %w", svc, err)
			}
		}
	}
	builder, err := n.builderImage(ctx, work, goroot, goversion, goenv[2], services)
	if err != nil {
		return nil, err
	}
	base, cfg := distroless()
	dl, err := image(work, cfg, base)
	if err != nil {
		return nil, err
	}
	frontend, err := image(work, v1.Config{
		Entrypoint: []string{"/bin/dockerfile-frontend"},
		Labels: map[string]string{
			"moby.buildkit.frontend.network.none": "true",
			"moby.buildkit.frontend.caps":         "moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts",
		},
	}, []entry{{name: "bin/dockerfile-frontend", src: n.bin["dockerfile-frontend"]}})
	if err != nil {
		return nil, err
	}
	p, err := layout.Write(filepath.Join(work, "bases"), empty.Index)
	if err != nil {
		return nil, err
	}
	contexts := map[string]string{}
	for ref, kind := range want {
		img := map[string]v1.Image{"builder": builder, "distroless": dl, "frontend": frontend}[kind]
		if err := p.AppendImage(img); err != nil {
			return nil, err
		}
		d, err := img.Digest()
		if err != nil {
			return nil, err
		}
		contexts[ref] = "oci-layout://bases@" + d.String()
	}
	return contexts, nil
}

// standIn names the locally made image that stands in for ref: "builder",
// "distroless" or "frontend".
func standIn(ref, goversion string) (string, error) {
	switch v := strings.TrimPrefix(goversion, "go"); {
	case ref == "golang:"+v || strings.HasPrefix(ref, "golang:"+v+"-"):
		return "builder", nil
	case strings.HasPrefix(ref, "golang:"):
		return "", fmt.Errorf("FROM %s, but the builder image is made of the local Go toolchain, %s: use that Go or change the Dockerfile", ref, goversion)
	case strings.Contains(ref, "/distroless/static"):
		return "distroless", nil
	case strings.HasPrefix(ref, "docker/dockerfile:"):
		return "frontend", nil
	}
	return "", fmt.Errorf("no locally made image stands in for %s (known: golang:<local Go version>[-*], */distroless/static*, docker/dockerfile:*)", ref)
}

// builderImage is the stand-in for golang:<version>-bookworm: a shell
// (Debian's busybox-static), the local Go toolchain, and a module cache with
// exactly the modules the services download, with GOPROXY=off so the
// Dockerfiles' `go mod download` is served from it.
func (n *Node) builderImage(ctx context.Context, work, goroot, goversion, modcache string, services []string) (v1.Image, error) {
	busybox, err := exec.LookPath("busybox")
	if err != nil {
		return nil, errors.New("busybox not found: install Debian's busybox-static (the builder image's shell)")
	}
	entries := []entry{{name: "bin/busybox", src: busybox}, {name: "bin/sh", link: "busybox"},
		{name: "tmp", dir: true, mode: 0o1777}, {name: "root", dir: true, mode: 0o700}}
	for _, d := range []string{"bin", "pkg/include", "pkg/tool", "src", "lib", "go.env", "VERSION"} {
		if _, err := os.Stat(filepath.Join(goroot, d)); err == nil {
			entries = append(entries, entry{name: "usr/local/go/" + d, src: filepath.Join(goroot, d)})
		}
	}
	files := sets.New[string]()
	for _, svc := range services {
		cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json")
		cmd.Dir = filepath.Join(n.Repo, "services", svc)
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("go mod download in services/%s: %w", svc, err)
		}
		dec := json.NewDecoder(bytes.NewReader(out))
		for {
			var m struct{ Info, GoMod, Zip, Ziphash, Error string }
			if err := dec.Decode(&m); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				return nil, err
			}
			if m.Error != "" {
				return nil, fmt.Errorf("go mod download in services/%s: %s", svc, m.Error)
			}
			files.Insert(m.Info, m.GoMod, m.Zip, m.Ziphash)
		}
	}
	for _, f := range sets.List(files) {
		rel, err := filepath.Rel(modcache, f)
		if err != nil || f == "" {
			continue
		}
		entries = append(entries, entry{name: "go/pkg/mod/" + rel, src: f})
	}
	return image(work, v1.Config{
		WorkingDir: "/go",
		Env: []string{"PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"GOLANG_VERSION=" + strings.TrimPrefix(goversion, "go"), "GOPATH=/go", "GOTOOLCHAIN=local", "GOPROXY=off"},
		Cmd: []string{"sh"},
	}, entries)
}

// imageLine matches a container's image in a YAML render.
var imageLine = regexp.MustCompile(`(?m)^\s*(?:- )?image: *["']?([^"'\s]+)`)

// ImageRefs returns, per service, every image reference overlays/local and
// the chart's default render use (hooks included).
func ImageRefs(repo string) (map[string][]string, error) {
	overlay, err := kbuild.Build(filepath.Join(repo, "overlays/local"))
	if err != nil {
		return nil, err
	}
	ch, err := render.LoadChart(filepath.Join(repo, "charts/asm-ready"))
	if err != nil {
		return nil, err
	}
	r, err := render.Render(ch, map[string]any{}, render.Options{Namespace: "default"})
	if err != nil {
		return nil, err
	}
	docs := string(overlay) + "\n" + r.Manifest
	for _, h := range r.Hooks {
		docs += "\n" + h.Manifest
	}
	refs := map[string][]string{}
	for _, m := range imageLine.FindAllStringSubmatch(docs, -1) {
		ref := m[1]
		svc, _, _ := strings.Cut(ref[strings.LastIndex(ref, "/")+1:], ":")
		svc, _, _ = strings.Cut(svc, "@")
		if _, err := os.Stat(filepath.Join(repo, "services", svc, "Dockerfile")); err != nil {
			return nil, fmt.Errorf("image %s: no services/%s/Dockerfile to build it from", ref, svc)
		}
		if strings.Contains(ref, "@") {
			return nil, fmt.Errorf("image %s is pinned by digest: a locally built image cannot match it", ref)
		}
		if !slices.Contains(refs[svc], ref) {
			refs[svc] = append(refs[svc], ref)
		}
	}
	if len(refs) == 0 {
		return nil, errors.New("no container image in overlays/local or the chart")
	}
	return refs, nil
}

// stop ends a process the node started: SIGTERM, then SIGKILL.
func (p *proc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}
