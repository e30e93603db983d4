package meshcheck

import (
	"bytes"
	"strings"
	"testing"
)

// splitDocsByLine is the plain line-by-line splitter splitDocs replaced:
// the reference it must agree with.
func splitDocsByLine(data []byte) []chunk {
	var chunks []chunk
	start, startLine, line := 0, 1, 1
	for i := 0; i < len(data); {
		end := bytes.IndexByte(data[i:], '\n')
		next := len(data)
		if end >= 0 {
			next = i + end + 1
		}
		if i > start && isDocSep(data[i:next]) {
			chunks = append(chunks, chunk{data: data[start:i], line: startLine})
			start, startLine = i, line
		}
		i = next
		line++
	}
	chunks = append(chunks, chunk{data: data[start:], line: startLine})
	for i := range chunks {
		chunks[i].source = helmSourceByLine(chunks[i].data)
	}
	return chunks
}

func helmSourceByLine(d []byte) string {
	for _, l := range strings.Split(string(d), "\n") {
		t := strings.TrimSpace(l)
		switch {
		case t == "" || t == "---":
		case strings.HasPrefix(t, "# Source:"):
			return strings.TrimSpace(strings.TrimPrefix(t, "# Source:"))
		case strings.HasPrefix(t, "#"):
		default:
			return ""
		}
	}
	return ""
}

func sameChunks(t *testing.T, data []byte) {
	t.Helper()
	got, want := splitDocs(data), splitDocsByLine(data)
	if len(got) != len(want) {
		t.Fatalf("%d chunks, want %d, for %q", len(got), len(want), data)
	}
	for i := range got {
		g, w := got[i], want[i]
		g.source = helmSource(g.data)
		if !bytes.Equal(g.data, w.data) || g.line != w.line || g.source != w.source || g.text != string(g.data) {
			t.Fatalf("chunk %d: got (%q line %d source %q), want (%q line %d source %q), for %q",
				i, g.data, g.line, g.source, w.data, w.line, w.source, data)
		}
	}
}

var splitSeeds = []string{
	"",
	"---",
	"---\n",
	"a: 1\n---\nb: 2\n",
	"---\na: 1\n---\n---\nb: 2",
	"a: 1\n--- \nb: 2\n---\t# c\nc: 3\n---\r\nd: 4\n",
	"a: 1\n----\nb: 2\n---x\nc: 3\n ---\nd: 4\n",
	"a: |\n  ---\n  text\n---",
	"# Source: chart/templates/a.yaml\n---\n# Source: chart/templates/b.yaml\nb: 1\n",
	"---\n# a comment\n#   Source: not this\n  # Source:   spaced/one.yaml  \nkind: x\n",
	"\n\n---\n\n",
}

func TestSplitDocsMatchesLineByLine(t *testing.T) {
	for _, s := range splitSeeds {
		sameChunks(t, []byte(s))
	}
	sameChunks(t, manifest10k()[:300000])
	for _, render := range renderedOverlays(t) {
		sameChunks(t, render)
	}
}

// FuzzSplitDocs: splitDocs cuts every input where the line-by-line splitter
// does, with the same lines and Helm sources.
func FuzzSplitDocs(f *testing.F) {
	for _, s := range splitSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sameChunks(t, data)
	})
}

// BenchmarkSplitDocs is the serial step of Parse over the 10,000-object
// manifest, before the documents are decoded on every core.
func BenchmarkSplitDocs(b *testing.B) {
	data := manifest10k()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if n := len(splitDocs(data)); n != 10000 {
			b.Fatalf("%d chunks, want 10000", n)
		}
	}
}
