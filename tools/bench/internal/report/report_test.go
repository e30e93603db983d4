package report

import (
	"strings"
	"testing"
)

func TestTableMarkdown(t *testing.T) {
	tests := []struct {
		name string
		t    Table
		want string
	}{
		{"basic", Table{Header: []string{"a", "b"}, Rows: [][]string{{"1", "2"}}},
			"| a | b |\n|---|---|\n| 1 | 2 |\n"},
		{"short row padded", Table{Header: []string{"a", "b"}, Rows: [][]string{{"1"}}},
			"| a | b |\n|---|---|\n| 1 |  |\n"},
		{"pipe and newline escaped", Table{Header: []string{"cmd"}, Rows: [][]string{{"a | b\nc"}}},
			"| cmd |\n|---|\n| a \\| b c |\n"},
		{"extra cells dropped", Table{Header: []string{"a"}, Rows: [][]string{{"1", "2"}}},
			"| a |\n|---|\n| 1 |\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.t.Markdown(); got != tt.want {
				t.Errorf("Markdown() =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestTableText(t *testing.T) {
	var tb Table
	tb.Header = []string{"server", "req/s"}
	tb.Add("nginx", "1")
	tb.Add("net/http", "12345")
	want := "server    req/s\n--------  -----\nnginx     1\nnet/http  12345\n"
	if got := tb.Text(); got != want {
		t.Errorf("Text() =\n%s\nwant\n%s", got, want)
	}
	// Widths count runes, not bytes.
	u := Table{Header: []string{"x", "y"}, Rows: [][]string{{"µs", "1"}}}
	if got := u.Text(); !strings.Contains(got, "µs  1\n") {
		t.Errorf("rune width: %q", got)
	}
}

func TestDoc(t *testing.T) {
	var d Doc
	d.Heading(1, "Benchmarks")
	d.Heading(9, "clamped")
	d.Para("ran %d rounds", 3)
	d.Bullets("one", "two")
	d.Table(Table{Header: []string{"a"}, Rows: [][]string{{"1"}}})
	d.Code("sh", "echo ```\n")
	want := "# Benchmarks\n\n###### clamped\n\nran 3 rounds\n\n- one\n- two\n\n| a |\n|---|\n| 1 |\n\n````sh\necho ```\n````\n"
	if got := d.String(); got != want {
		t.Errorf("Doc =\n%q\nwant\n%q", got, want)
	}
}
