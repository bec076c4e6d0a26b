// buildx-diff answers, with upstream's own code, how docker buildx reads a build flag's value and how
// BuildKit's client reads a .dockerignore file and walks a context. The integration test
// integration/buildx-parity.test.ts feeds it a corpus and compares our parsers' answers with these.
//
// Protocol: one JSON case a line on stdin, one JSON answer a line on stdout, in the same order:
//
//	{"id":"c1","kind":"output","values":["type=local,dest=out"]}
//	{"id":"c1","value":[{"type":"local","dest":"out","attrs":{}}]}   or   {"id":"c1","error":"..."}
//
// Kinds: output, cache, secret, ssh, attest (with provenance/sbom), annotation, slice (pflag's
// StringSlice reading of a repeated flag such as --add-host), ignore (a .dockerignore text read and
// compiled, then paths matched), walk (the paths fsutil's filtered walker sends from a folder).
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
)

type request struct {
	ID          string   `json:"id"`
	Kind        string   `json:"kind"`
	Values      []string `json:"values"`
	Provenance  string   `json:"provenance"`
	SBOM        string   `json:"sbom"`
	Text        string   `json:"text"`
	Paths       []string `json:"paths"`
	Root        string   `json:"root"`
	Includes    []string `json:"includes"`
	Excludes    []string `json:"excludes"`
	FollowPaths []string `json:"followPaths"`
}

type answer struct {
	ID    string `json:"id"`
	Value any    `json:"value,omitempty"`
	Error string `json:"error,omitempty"`
}

var handlers = map[string]func(request) (any, error){
	"output":     parseOutputs,
	"cache":      parseCaches,
	"secret":     parseSecrets,
	"ssh":        parseSSH,
	"attest":     parseAttests,
	"annotation": parseAnnotations,
	"slice":      readStringSlice,
	"ignore":     matchIgnoreFile,
	"walk":       walkContext,
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 64<<20)
	out := json.NewEncoder(os.Stdout)
	out.SetEscapeHTML(false)
	for in.Scan() {
		var req request
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			fmt.Fprintf(os.Stderr, "buildx-diff: bad request line: %v\n", err)
			os.Exit(2)
		}
		ans := answer{ID: req.ID}
		handler, ok := handlers[req.Kind]
		if !ok {
			ans.Error = "buildx-diff: unknown kind " + req.Kind
		} else if value, err := handler(req); err != nil {
			ans.Error = err.Error()
		} else {
			ans.Value = value
		}
		if err := out.Encode(ans); err != nil {
			os.Exit(1)
		}
	}
	if err := in.Err(); err != nil {
		fmt.Fprintf(os.Stderr, "buildx-diff: %v\n", err)
		os.Exit(2)
	}
}
