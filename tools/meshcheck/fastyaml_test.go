package meshcheck

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// renderedOverlays are the chart renders committed beside the overlays:
// real Helm output, the input the fast path exists for.
func renderedOverlays(t testing.TB) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob("../../overlays/*/rendered.yaml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no rendered overlays under ../../overlays (%v): run make render", err)
	}
	out := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[p] = b
	}
	return out
}

// libraryTree decodes data with yaml.v3 as parseChunk does. ok is false
// unless data is exactly one document without errors.
func libraryTree(data []byte) (root *yaml.Node, ok bool) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := safeDecode(dec.Decode, &doc); err != nil || len(doc.Content) != 1 {
		return nil, false
	}
	var extra yaml.Node
	if err := safeDecode(dec.Decode, &extra); !errors.Is(err, io.EOF) {
		return nil, false
	}
	return doc.Content[0], true
}

// sameTree reports the first difference between two trees in what
// meshcheck and the YAML data model see: kind, tag, value, style, position
// and children (comments are not compared: nothing reads them).
func sameTree(a, b *yaml.Node, path string) error {
	if a.Kind != b.Kind || a.Tag != b.Tag || a.Value != b.Value || a.Style != b.Style ||
		a.Line != b.Line || a.Column != b.Column || a.Anchor != b.Anchor || len(a.Content) != len(b.Content) || (a.Alias == nil) != (b.Alias == nil) {
		return fmt.Errorf("%s: fast {kind %d tag %s style %d value %q at %d:%d, %d children} library {kind %d tag %s style %d value %q at %d:%d, %d children}",
			path, a.Kind, a.Tag, a.Style, a.Value, a.Line, a.Column, len(a.Content), b.Kind, b.Tag, b.Style, b.Value, b.Line, b.Column, len(b.Content))
	}
	for i := range a.Content {
		if err := sameTree(a.Content[i], b.Content[i], fmt.Sprintf("%s/%d", path, i)); err != nil {
			return err
		}
	}
	return nil
}

// checkFast fails when the fast path accepts data and its tree differs
// from yaml.v3's, or when yaml.v3 rejects what the fast path accepted.
// It returns whether the fast path accepted.
func checkFast(t *testing.T, data []byte) bool {
	t.Helper()
	fast, ok := parseFast(string(data))
	if !ok {
		return false
	}
	lib, libOK := libraryTree(data)
	if !libOK {
		t.Fatalf("fast path accepted what yaml.v3 does not read as one valid document: %q", data)
	}
	if err := sameTree(fast.yaml(), lib, ""); err != nil {
		t.Fatalf("trees differ for %q:\n%v", data, err)
	}
	var fastOut, libOut bytes.Buffer
	fastOK, libOK := fast.json(&fastOut), nodeJSON(lib, &libOut)
	if fastOK != libOK || (fastOK && fastOut.String() != libOut.String()) {
		t.Fatalf("JSON differs for %q: fast %v %s, yaml.Node %v %s", data, fastOK, fastOut.Bytes(), libOK, libOut.Bytes())
	}
	return true
}

// FuzzFastPathMatchesYAML: whatever the fast path accepts, as a whole input
// or as one of the chunks Parse cuts, yaml.v3 reads as exactly one document
// with the same tree, positions included.
func FuzzFastPathMatchesYAML(f *testing.F) {
	addFastSeeds(f)
	for _, c := range fastRejects {
		f.Add([]byte(c.in))
	}
	f.Add(manifest10k()[:4000])
	f.Fuzz(func(t *testing.T, data []byte) {
		checkFast(t, data)
		for _, c := range splitDocs(data) {
			checkFast(t, c.data)
		}
	})
}

// fastAccepts are inputs inside the subset: each must be accepted and equal
// yaml.v3's tree.
var fastAccepts = []string{
	"a: b\n",
	"---\napiVersion: v1\nkind: Service\n",
	"---   \n# c\na: 1 # c\n\n# d\nb: 'x' # e\n",
	"a:\nb: 1\nc:   \nd: # c\ne:\n  f: g\n",
	"k:\n- x\n- y: 1\n  z: 2\n-\n- # c\nn: 1\n",
	"k:\n  - x\n  -   y: 1\n      z: []\n",
	"- - a\n  - b\n- c\n",
	"a: {}\nb: []\nc: {}  # none\n",
	"a: |\n  x\n   \n  y\n\n\nb: |-\n\n  x\n  # not a comment\n\nc: >\n  x\n  y\n\n  z\nd: >-\n  x\n",
	"a: | # c\n    deep\n  # after\nb: 1\n",
	"- |\n  x\n- >-\n  y\n",
	"a: \"x\\u00e9\\n\\t\\\\\\\"\\x41\\U0001F600\\0\\a\\b\\v\\f\\r\\e\\ \\N\\_\\L\\P\" # c\n",
	"k: 'it''s'\n'q k': \"d k\"\n\"x\": 'y'\n",
	"a b: c #d\nc#d: e#f\nurl: http://x:80/y\nimg: r/i:1.0\n:x: y\n-x: -y\n?x: ?y\n",
	"a: 0777\nb: 08\nc: 1_000\nd: 2001-12-14\ne: +1\nf: 0x1F\ng: 1e3\nh: .5\ni: -0b11\nj: 0o17\nk: 9223372036854775808\nl: 2001-12-14 21:59:43.10\nm: 2001-12-14T21:59:43.10-05:00\n",
	"a: true\nb: False\nc: ~\nd: NULL\ne: .inf\nf: -.Inf\ng: .NaN\nh: yes\ni: 'true'\nj: 50m\nk: 32Mi\nl: 0.1.0\nm: 1.\nn: \"80\"\no: 0\np: -0\nq: 00\n<<: x\n",
	"ключ: значение\nx:\n- ü: y\n",
	"ключ:\n  - é: ü\n",
	"a: b  \nc:     d   # e\n",
	"a:\n    # deep comment\n  b: 1\n",
	"a: x[0]{1},2\nb: c&d*e!f\n",
	"😀: b\na: 😀x\n",
	"k: |\n yes-",         // clip chomping without a final line break
	"k: |\n x\n   \n y\n", // a blank line longer than the indentation is content
}

// fastRejects are constructs outside the subset: the fast path must leave
// them to yaml.v3 (some are valid YAML, some are errors).
var fastRejects = []struct{ name, in string }{
	{"empty", ""},
	{"comments only", "# a\n---\n"},
	{"anchor", "a: &x 1\nb: 2\n"},
	{"alias", "a: *x\n"},
	{"tag", "a: !!str 1\n"},
	{"local tag", "a: !foo x\n"},
	{"flow mapping", "a: {b: c}\n"},
	{"flow sequence", "a: [1, 2]\n"},
	{"multi-line plain", "a: b\n  c\n"},
	{"multi-line plain in sequence", "- a\n  b\n"},
	{"multi-line double quoted", "a: \"b\n  c\"\n"},
	{"multi-line single quoted", "a: 'b\n  c'\n"},
	{"line continuation", "a: \"b\\\n  c\"\n"},
	{"complex key", "? a\n: b\n"},
	{"tab indentation", "a:\n\tb: c\n"},
	{"tab in value", "a: b\tc\n"},
	{"carriage return", "a: b\r\n"},
	{"directive", "%YAML 1.2\n---\na: b\n"},
	{"two documents", "a: b\n---\nc: d\n"},
	{"document end", "a: b\n...\n"},
	{"document start with value", "--- a: b\n"},
	{"block scalar on start line", "--- |\n  x\n"},
	{"root scalar", "hello\n"},
	{"root indented", "  a: b\n"},
	{"scalar under key", "a:\n  b\n"},
	{"odd indentation", "a:\n    b: 1\n  c: 2\n"},
	{"more indented key", "a: 1\n b: 2\n"},
	{"dash after scalar", "a: 1\n- b\n"},
	{"mapping in value", "a: b: c\n"},
	{"colon at end of value", "a: b:\n"},
	{"dash in value", "a: - b\n"},
	{"keep chomping", "a: |+\n  x\n\n"},
	{"indentation indicator", "a: |2\n   x\n"},
	{"folded more-indented", "a: >\n  x\n   y\n"},
	{"empty block scalar", "a: |\nb: 1\n"},
	{"long blank line before block", "a: |\n     \n  x\n"},
	{"space before colon", "a : b\n"},
	{"comment without space after quote", "a: 'b'#c\n"},
	{"junk after quote", "a: 'b' c\n"},
	{"bad escape", "a: \"\\q\"\n"},
	{"JSON-only escape", "a: \"\\/\"\n"},
	{"surrogate escape", "a: \"\\ud800\"\n"},
	{"BOM", "\ufeffa: b\n"},
	{"NEL", "a: b\u0085c\n"},
	{"line separator", "a: b\u2028c\n"},
	{"C1 control", "a: b\u0090c\n"},
	{"invalid UTF-8", "a: \xff\n"},
	{"NUL", "a: \x00\n"},
	{"backquote", "a: `b`\n"},
	{"at sign", "a: @b\n"},
	{"key too long", strings.Repeat("k", 600) + ": v\n"},
	{"too deep", strings.Repeat("- ", 70) + "x\n"},
}

func TestFastPathAccepts(t *testing.T) {
	for i, s := range fastAccepts {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			if !checkFast(t, []byte(s)) {
				t.Fatalf("fast path rejected %q", s)
			}
		})
	}
}

func TestFastPathRejects(t *testing.T) {
	for _, c := range fastRejects {
		t.Run(c.name, func(t *testing.T) {
			if _, ok := parseFast(c.in); ok {
				t.Fatalf("fast path accepted %q", c.in)
			}
		})
	}
}

// TestFastPathCoversRenders: every chunk of real renders and of the
// benchmark manifest takes the fast path (else the speed-up silently
// goes), and equals yaml.v3's tree. Chunks holding only comments are the
// exception: they are empty documents, which the library path skips.
func TestFastPathCoversRenders(t *testing.T) {
	inputs := renderedOverlays(t)
	inputs["manifest10k"] = manifest10k()[:200000]
	for name, data := range inputs {
		var fast int
		for _, c := range splitDocs(data) {
			if lib, ok := libraryTree(c.data); !ok || lib.Tag == "!!null" {
				continue // no document in this chunk
			}
			if !checkFast(t, c.data) {
				t.Errorf("%s:%d: fast path rejected the chunk:\n%s", name, c.line, c.data)
				continue
			}
			fast++
		}
		if fast == 0 {
			t.Errorf("%s: no chunk took the fast path", name)
		}
	}
}

func TestPlainTag(t *testing.T) {
	// The library's own verdict for each value, read back through a node.
	for _, v := range []string{"", "0", "7", "-7", "+7", "1_0", "0x", "0x1g", "0b2", "0o8", "-0o7", "-0b1", "0b-101", "0o+7", "0b", "-0b", "0b11111111111111111111111111111111111111111111111111111111111111111", "1e", "1e+2", ".", ".e1", "._1",
		"9999999999999999999", "99999999999999999999", "2001-1-1", "2001-01-01t01:02:03Z", "2001-01-01 1:2:3", "2001-13-01", "1:20", "1,000",
		"Yes", "on", "~x", "tRue", "nan", "+inf", "-.5", "+.5e-3", "0.", "_1", "1__2", "0_7", "08.5", "0x_1F", "1e1_0"} {
		var n yaml.Node
		if err := yaml.Unmarshal([]byte("k: "+v), &n); err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		want := n.Content[0].Content[1].Tag
		if got := plainTag(v); got != want {
			t.Errorf("plainTag(%q) = %s, yaml.v3 says %s", v, got, want)
		}
	}
}

// parseBoth parses data with the fast paths on and off.
func parseBoth(data []byte) (fast, general []*Object, fastErr, generalErr error) {
	fast, fastErr = Parse(bytes.NewReader(data), "in.yaml")
	generalOnly = true
	defer func() { generalOnly = false }()
	general, generalErr = Parse(bytes.NewReader(data), "in.yaml")
	return fast, general, fastErr, generalErr
}

// sameResult reports the first difference between two Parse results: the
// errors, every exported field of every object, and the node trees that
// line numbers come from.
func sameResult(fast, general []*Object, fastErr, generalErr error) error {
	if fmt.Sprint(fastErr) != fmt.Sprint(generalErr) {
		return fmt.Errorf("errors differ:\nfast    %v\ngeneral %v", fastErr, generalErr)
	}
	if len(fast) != len(general) {
		return fmt.Errorf("fast path: %d objects, general path: %d", len(fast), len(general))
	}
	for i := range fast {
		a, b := *fast[i], *general[i]
		if err := sameTree(a.tree(), b.tree(), a.Ref()); err != nil {
			return err
		}
		a.node, b.node, a.lazy, b.lazy = nil, nil, nil, nil
		if !reflect.DeepEqual(a, b) {
			return fmt.Errorf("object %d differs:\nfast    %+v\ngeneral %+v", i, a, b)
		}
	}
	return nil
}

// FuzzFastPathSameResult: Parse gives the same objects (typed values,
// metadata, files, lines, templates) and the same errors with its fast
// paths as with the general path alone.
func FuzzFastPathSameResult(f *testing.F) {
	addFastSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := sameResult(parseBoth(data)); err != nil {
			t.Fatalf("%v\ninput: %q", err, data)
		}
	})
}

func TestFastPathSameResultOnBenchmark(t *testing.T) {
	if err := sameResult(parseBoth(manifest10k()[:300000])); err != nil {
		t.Fatal(err)
	}
}

// genYAML writes a random block-style document mixing the constructs
// renderers emit with ones the fast path must refuse, so that
// TestFastPathRandomDocuments explores the grammar more deeply than byte
// mutation does.
type genYAML struct {
	r *rand.Rand
	b strings.Builder
}

var genScalars = []string{
	"x", "hello world", "ghcr.io/a/b:1.0", "50m", "32Mi", "0.1.0", "80", "0", "-1", "+1", "007", "08", "0x1F", "0o17", "0b101", "1_000",
	"1e3", "1.5", ".5", "-.inf", ".nan", "true", "False", "yes", "on", "~", "null", "NULL", "2001-12-14", "2001-12-14t21:59:43.10Z",
	"a:b", "a: b", "a #b", "a#b", "x:", "-x", "- x", "?x", ": x", "[a]", "{a: b}", "{}", "[]", "&a x", "*a", "!t x", "|", ">", "|-", ">-",
	"'q'", "'it''s'", "'a' b", "\"d\"", "\"a\\nb\\u00e9\\x41\"", "\"\\/\"", "\"\\q\"", "\"open", "'open", "%x", "@x", "`x`", "é", "😀",
	"<<", "a,b", "a]b", "a}b", "x # comment", "x  ", "#x", "a\tb",
}

func (g *genYAML) scalar() string { return genScalars[g.r.IntN(len(genScalars))] }

func (g *genYAML) key() string {
	switch g.r.IntN(10) {
	case 0:
		return "\"k" + fmt.Sprint(g.r.IntN(5)) + "\""
	case 1:
		return "'k k'"
	case 2:
		return g.scalar()
	}
	return []string{"name", "spec", "app.kubernetes.io/name", "a", "b", "ports", "x-y", "ключ"}[g.r.IntN(8)]
}

func (g *genYAML) indent(n int) string { return strings.Repeat(" ", n) }

// value writes the value of a key or a "- " item, the collection being at
// column col; inline tells whether the value may start on the same line.
func (g *genYAML) value(col, depth int) {
	switch k := g.r.IntN(12); {
	case depth > 4 || k < 5:
		g.b.WriteString(" " + g.scalar())
		if g.r.IntN(8) == 0 {
			g.b.WriteString(" # c")
		}
		g.b.WriteString("\n")
	case k == 5:
		ind := col + 1 + g.r.IntN(3)
		g.b.WriteString(" " + []string{"|", "|-", ">", ">-", "|+", "|2"}[g.r.IntN(6)] + "\n")
		for n := g.r.IntN(4); n >= 0; n-- {
			switch g.r.IntN(6) {
			case 0:
				g.b.WriteString("\n")
			case 5:
				g.b.WriteString(g.indent(g.r.IntN(ind+3)) + "\n")
			case 1:
				g.b.WriteString(g.indent(ind+g.r.IntN(2)) + "more " + g.scalar() + "\n")
			default:
				g.b.WriteString(g.indent(ind) + g.scalar() + "\n")
			}
		}
	case k == 6:
		g.b.WriteString("\n")
	default:
		g.b.WriteString("\n")
		child := col + []int{0, 2, 2, 4, 1, 3}[g.r.IntN(6)]
		if g.r.IntN(2) == 0 {
			g.mapping(child, depth+1)
		} else {
			g.sequence(child, depth+1)
		}
	}
}

func (g *genYAML) mapping(col, depth int) {
	for n := 1 + g.r.IntN(4); n > 0; n-- {
		if g.r.IntN(10) == 0 {
			g.b.WriteString(g.indent(g.r.IntN(6)) + "# comment\n")
		}
		g.b.WriteString(g.indent(col) + g.key() + ":")
		g.value(col, depth)
	}
}

func (g *genYAML) sequence(col, depth int) {
	for n := 1 + g.r.IntN(3); n > 0; n-- {
		g.b.WriteString(g.indent(col) + "-")
		switch g.r.IntN(4) {
		case 0: // a mapping starting on the dash line
			g.b.WriteString(" " + g.key() + ":")
			g.value(col+2, depth+1)
			for m := g.r.IntN(3); m > 0; m-- {
				g.b.WriteString(g.indent(col+2) + g.key() + ":")
				g.value(col+2, depth+1)
			}
		default:
			g.value(col, depth+1)
		}
	}
}

// TestFastPathRandomDocuments runs 20,000 generated documents (and a
// one-byte corruption of each) through checkFast, and makes sure the
// generator reaches both outcomes.
func TestFastPathRandomDocuments(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var accepted, rejected int
	for range 20000 {
		g := &genYAML{r: r}
		if r.IntN(4) == 0 {
			g.b.WriteString("---\n")
		}
		if r.IntN(3) == 0 {
			g.sequence(0, 0)
		} else {
			g.mapping(0, 0)
		}
		doc := []byte(g.b.String())
		for _, d := range [][]byte{doc, corrupt(r, doc)} {
			if checkFast(t, d) {
				accepted++
			} else {
				rejected++
			}
		}
	}
	t.Logf("accepted %d, rejected %d", accepted, rejected)
	if accepted < 5000 || rejected < 5000 {
		t.Fatalf("the generator should reach both outcomes often: accepted %d, rejected %d", accepted, rejected)
	}
}

// corrupt changes, inserts or deletes one byte, or cuts the input, with the characters that
// matter to indentation and scalars.
func corrupt(r *rand.Rand, b []byte) []byte {
	out := append([]byte(nil), b...)
	i := r.IntN(len(out))
	c := " -:#'\"\n|>{}x"[r.IntN(12)]
	switch r.IntN(4) {
	case 0:
		out[i] = c
	case 3:
		out = out[:i]
	case 1:
		out = append(out[:i], append([]byte{c}, out[i:]...)...)
	default:
		out = append(out[:i], out[i+1:]...)
	}
	return out
}

func TestTagIndex(t *testing.T) {
	for i, tag := range fastTags {
		if got := tagIndex(tag); int(got) != i {
			t.Errorf("tagIndex(%s) = %d, want %d", tag, got, i)
		}
	}
}

// addFastSeeds seeds a fuzz target with the fixtures, the overlays' renders
// and the inputs the fast path must accept.
func addFastSeeds(f *testing.F) {
	addSeeds(f)
	for _, b := range renderedOverlays(f) {
		f.Add(b)
	}
	for _, s := range fastAccepts {
		f.Add([]byte(s))
	}
}
