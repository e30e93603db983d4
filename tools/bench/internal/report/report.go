// Package report writes the benchmark's results: Markdown for
// docs/benchmarks.md and aligned plain text for the terminal, from the same
// tables.
package report

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Table is a header and rows of cells. Rows shorter than the header are
// padded with empty cells.
type Table struct {
	Header []string
	Rows   [][]string
}

// Add appends a row.
func (t *Table) Add(cells ...string) { t.Rows = append(t.Rows, cells) }

func (t Table) cell(r []string, i int) string {
	if i < len(r) {
		return r[i]
	}
	return ""
}

// Markdown renders t as a GitHub-flavoured Markdown table. Pipes and
// newlines inside cells are escaped so a cell can never break the table.
func (t Table) Markdown() string {
	esc := strings.NewReplacer("|", `\|`, "\r\n", " ", "\n", " ")
	var b strings.Builder
	row := func(r []string) {
		b.WriteString("|")
		for i := range t.Header {
			b.WriteString(" " + esc.Replace(t.cell(r, i)) + " |")
		}
		b.WriteString("\n")
	}
	row(t.Header)
	b.WriteString("|")
	for range t.Header {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, r := range t.Rows {
		row(r)
	}
	return b.String()
}

// Text renders t with columns padded to their widest cell, for a terminal.
func (t Table) Text() string {
	w := make([]int, len(t.Header))
	for i, h := range t.Header {
		w[i] = utf8.RuneCountInString(h)
	}
	for _, r := range t.Rows {
		for i := range t.Header {
			w[i] = max(w[i], utf8.RuneCountInString(t.cell(r, i)))
		}
	}
	var b strings.Builder
	line := func(r []string) {
		var parts []string
		for i := range t.Header {
			c := t.cell(r, i)
			parts = append(parts, c+strings.Repeat(" ", w[i]-utf8.RuneCountInString(c)))
		}
		b.WriteString(strings.TrimRight(strings.Join(parts, "  "), " ") + "\n")
	}
	line(t.Header)
	var rule []string
	for _, n := range w {
		rule = append(rule, strings.Repeat("-", n))
	}
	b.WriteString(strings.Join(rule, "  ") + "\n")
	for _, r := range t.Rows {
		line(r)
	}
	return b.String()
}

// Doc accumulates a Markdown document.
type Doc struct{ b strings.Builder }

// Heading adds a heading of the given level (1-6).
func (d *Doc) Heading(level int, text string) {
	level = min(max(level, 1), 6)
	fmt.Fprintf(&d.b, "%s %s\n\n", strings.Repeat("#", level), text)
}

// Para adds a paragraph.
func (d *Doc) Para(format string, args ...any) {
	fmt.Fprintf(&d.b, format, args...)
	d.b.WriteString("\n\n")
}

// Bullets adds a list.
func (d *Doc) Bullets(items ...string) {
	for _, it := range items {
		d.b.WriteString("- " + it + "\n")
	}
	d.b.WriteString("\n")
}

// Table adds a table.
func (d *Doc) Table(t Table) {
	d.b.WriteString(t.Markdown())
	d.b.WriteString("\n")
}

// Code adds a fenced code block. A fence longer than any backtick run in
// text keeps the block closed where it should be.
func (d *Doc) Code(lang, text string) {
	fence := "```"
	for strings.Contains(text, fence) {
		fence += "`"
	}
	fmt.Fprintf(&d.b, "%s%s\n%s\n%s\n\n", fence, lang, strings.TrimRight(text, "\n"), fence)
}

// String returns the document, ending in exactly one newline.
func (d *Doc) String() string { return strings.TrimRight(d.b.String(), "\n") + "\n" }
