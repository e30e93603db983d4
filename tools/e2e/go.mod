module github.com/asm-ready/asm-ready/tools/e2e

go 1.26
