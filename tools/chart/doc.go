// Package chart holds the asm-ready chart's tests: they render
// charts/asm-ready client-side with the Helm SDK (through internal/render, the
// code `make render` uses), decode the output into k8s.io/api types and
// assert on them.
package chart
