package chartdocs

import (
	"bytes"
	"strings"
	"testing"
)

// TestReadmeInSync fails when charts/asm-ready/README.md's values table does
// not match values.yaml.
func TestReadmeInSync(t *testing.T) {
	want, cur, err := Generate("../../../charts/asm-ready")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, cur) {
		t.Fatal("charts/asm-ready/README.md values table is stale: run `make chart-docs` (cd tools && go run ./cmd/chartdocs)")
	}
}

const schema = `{"properties": {"a": {"type": "integer"}, "m": {"properties": {"x": {"oneOf": [{"type": "integer"}, {"type": "string"}]}}}}}`

func TestRows(t *testing.T) {
	values := `
# File comment, not a description.

# -- The a value.
a: 1
m:
  # -- X, over
  # two lines.
  x: "50%"
  # -- A map documented whole.
  y: {k: [1, true]}
`
	rows, err := Rows([]byte(values), []byte(schema))
	if err != nil {
		t.Fatal(err)
	}
	want := []Row{
		{"a", "integer", "1", "The a value."},
		{"m.x", "integer \\| string", `"50%"`, "X, over two lines."},
		{"m.y", "object", `{"k":[1,true]}`, "A map documented whole."},
	}
	if len(rows) != len(want) {
		t.Fatalf("rows = %+v, want %+v", rows, want)
	}
	for i := range want {
		if rows[i] != want[i] {
			t.Errorf("row %d = %+v, want %+v", i, rows[i], want[i])
		}
	}
	table := Table(rows)
	if !strings.Contains(table, "| `m.x` | integer \\| string | `\"50%\"` | X, over two lines. |") {
		t.Errorf("table:\n%s", table)
	}
}

func TestRowsRejectsUndocumented(t *testing.T) {
	for name, values := range map[string]string{
		"scalar":     "# -- ok\na: 1\nb: 2\n",
		"nested":     "m:\n  # -- ok\n  x: 1\n  y: []\n",
		"plain only": "# just a comment\na: 1\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Rows([]byte(values), []byte(schema))
			if err == nil || !strings.Contains(err.Error(), "has no `# -- ` comment") {
				t.Errorf("Rows(%q) error = %v, want an undocumented-key error", values, err)
			}
		})
	}
}

func TestUpdate(t *testing.T) {
	readme := "# T\n\n" + BeginMarker + "\nold\n" + EndMarker + "\ntail\n"
	got, err := Update([]byte(readme), "new\n")
	if err != nil {
		t.Fatal(err)
	}
	if want := "# T\n\n" + BeginMarker + "\nnew\n" + EndMarker + "\ntail\n"; string(got) != want {
		t.Errorf("Update = %q, want %q", got, want)
	}
	if _, err := Update([]byte("no markers"), "x"); err == nil {
		t.Error("Update without markers succeeded")
	}
}

func FuzzRows(f *testing.F) {
	f.Add([]byte("# -- a\na: 1\nm:\n  # -- x\n  x: [1]\n"), []byte(schema))
	f.Add([]byte("a: &x 1\nb: *x\n"), []byte(`{}`))
	f.Fuzz(func(t *testing.T, values, schema []byte) {
		rows, err := Rows(values, schema)
		if err != nil {
			return
		}
		for _, r := range rows {
			if r.Key == "" || r.Description == "" {
				t.Fatalf("row without key or description: %+v", r)
			}
		}
		_ = Table(rows)
	})
}
