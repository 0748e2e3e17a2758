//go:build race

package main

// raceDetector reports whether the tests run under -race.
const raceDetector = true
