// Command chartdocs regenerates the values table in the chart's README.md
// from values.yaml's `# -- ` comments and values.schema.json.
//
//	go run ./cmd/chartdocs -chart ../charts/asm-ready          # rewrite README.md
//	go run ./cmd/chartdocs -chart ../charts/asm-ready -check   # fail if stale
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/asm-ready/asm-ready/tools/internal/chartdocs"
	"github.com/asm-ready/asm-ready/tools/internal/render"
)

func main() {
	chartDir := flag.String("chart", "../charts/asm-ready", "chart directory")
	check := flag.Bool("check", false, "write nothing; fail if README.md is stale")
	flag.Parse()
	if err := run(*chartDir, *check); err != nil {
		fmt.Fprintln(os.Stderr, "chartdocs:", err)
		os.Exit(1)
	}
}

func run(chartDir string, check bool) error {
	want, cur, err := chartdocs.Generate(chartDir)
	if err != nil {
		return err
	}
	readme := filepath.Join(chartDir, "README.md")
	if check {
		if !bytes.Equal(want, cur) {
			return fmt.Errorf("%s is stale: run `make chart-docs` (cd tools && go run ./cmd/chartdocs)", readme)
		}
		return nil
	}
	return render.WriteAtomic(readme, want)
}
