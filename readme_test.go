package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestREADMEGoSnippetCompiles builds the README's Go client snippet as written, inside a main
// function, through a build overlay (nothing is written into the work tree).
func TestREADMEGoSnippetCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllSubmatch(readme, -1)
	if len(blocks) == 0 {
		t.Fatal("no Go snippet in the README")
	}
	dir := t.TempDir()
	wd, _ := os.Getwd()
	overlay := map[string]map[string]string{"Replace": {}}
	for i, b := range blocks {
		src := "package main\n\nimport (\n\t\"context\"\n\n\t\"github.com/google/uuid\"\n\n\t\"github.com/custreg/custreg/client\"\n)\n\n" +
			"var _ = uuid.New\nvar _ client.RequestEditorFn\n\nfunc main() {\n\tctx := context.Background()\n\t_ = ctx\n" +
			indent(string(b[1])) + "\t_, _, _ = api, tok, err\n}\n"
		file := filepath.Join(dir, "snippet.go")
		if err := os.WriteFile(file, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		virtual := filepath.Join(wd, "build", "readme-snippet", string(rune('a'+i)), "main.go")
		overlay["Replace"][virtual] = file
		data, _ := json.Marshal(overlay)
		ov := filepath.Join(dir, "overlay.json")
		if err := os.WriteFile(ov, data, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("go", "build", "-overlay", ov, "-o", os.DevNull, "./"+filepath.Dir(strings.TrimPrefix(virtual, wd+"/"))).CombinedOutput()
		if err != nil {
			t.Errorf("README Go snippet %d does not compile:\n%s\n%s", i+1, out, src)
		}
	}
}

func indent(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString("\t" + line + "\n")
	}
	return b.String()
}
