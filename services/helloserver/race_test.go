//go:build race

package main

// raceEnabled: the test binary is built with -race, so the binary under test
// is too (it reuses the compiled packages and checks the real process).
const raceEnabled = true
