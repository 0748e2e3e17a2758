// Package fuzzcorpus keeps the committed seed corpora of the fuzz targets. A target declares its
// seeds in Go beside it (named, commented, built from the hostile inputs below) and calls Check;
// the seeds live as Go fuzz corpus files in testdata/fuzz/<Target>/seed-<name>, where `go test`
// runs them as ordinary tests and `go test -fuzz` starts from them. Inputs a fuzzer found are
// kept in the same directory under other names (regression-…), and Check leaves them alone.
package fuzzcorpus

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// UpdateEnv names the variable that makes Check write the seed files instead of comparing
// them: CUSTREG_UPDATE_FUZZ_CORPUS=1 go test ./... -run '^Fuzz'.
const UpdateEnv = "CUSTREG_UPDATE_FUZZ_CORPUS"

// Seed is one named corpus entry: the arguments of one call of the fuzz function, in order.
type Seed struct {
	Name   string
	Values []any
}

// S makes a Seed.
func S(name string, values ...any) Seed { return Seed{Name: name, Values: values} }

var seedName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// Check asserts that the fuzz target's corpus directory holds exactly the declared seeds (the
// files named seed-*), each in Go's corpus encoding; with UpdateEnv set it writes them and
// removes seed files no longer declared. Call it before f.Fuzz.
func Check(f *testing.F, seeds []Seed) {
	f.Helper()
	dir := filepath.Join("testdata", "fuzz", f.Name())
	update := os.Getenv(UpdateEnv) != ""
	want := map[string][]byte{}
	for _, s := range seeds {
		if !seedName.MatchString(s.Name) {
			f.Fatalf("seed name %q: use lower-case letters, digits and dashes", s.Name)
		}
		name := "seed-" + s.Name
		if _, dup := want[name]; dup {
			f.Fatalf("seed %q declared twice", s.Name)
		}
		data, err := Encode(s.Values...)
		if err != nil {
			f.Fatalf("seed %q: %v", s.Name, err)
		}
		want[name] = data
	}
	if update {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			f.Fatal(err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		f.Fatal(err)
	}
	for _, e := range entries {
		if name := e.Name(); strings.HasPrefix(name, "seed-") && want[name] == nil {
			if update {
				if err := os.Remove(filepath.Join(dir, name)); err != nil {
					f.Fatal(err)
				}
				continue
			}
			f.Errorf("%s/%s is not declared: remove it, or run with %s=1", dir, name, UpdateEnv)
		}
	}
	names := make([]string, 0, len(want))
	for name := range want {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		path := filepath.Join(dir, name)
		if update {
			if err := os.WriteFile(path, want[name], 0o644); err != nil {
				f.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, want[name]) {
			f.Errorf("%s is missing or differs from its declaration: run with %s=1 and commit it", path, UpdateEnv)
		}
	}
}

// Encode renders fuzz arguments in Go's corpus file format ("go test fuzz v1"), for the
// argument types the targets of this module use.
func Encode(values ...any) ([]byte, error) {
	if len(values) == 0 {
		return nil, errors.New("a seed needs at least one value")
	}
	var b bytes.Buffer
	b.WriteString("go test fuzz v1\n")
	for _, v := range values {
		switch x := v.(type) {
		case string:
			fmt.Fprintf(&b, "string(%q)\n", x)
		case []byte:
			fmt.Fprintf(&b, "[]byte(%q)\n", x)
		case int, int64, uint8, uint16, uint32, uint64, bool:
			if u, ok := x.(uint8); ok { // Go writes uint8 as a byte literal
				fmt.Fprintf(&b, "byte(%q)\n", u)
				continue
			}
			fmt.Fprintf(&b, "%T(%v)\n", x, x)
		default:
			return nil, fmt.Errorf("unsupported seed value type %T", v)
		}
	}
	return b.Bytes(), nil
}
