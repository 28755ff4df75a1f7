// go-match answers the `zerops-cache match --batch` contract with Go's own
// matcher, so the Rust port can be compared with the real thing.
//
// Input: one JSON object per line, {"pattern": "...", "path": "..."}.
// Output: one line per input line, in order, exactly one of
//
//	{"matched": true}
//	{"matched": false}
//	{"error": "syntax error in pattern"}
//
// By default the answer is path/filepath.Match (what Zerops documents).
// With -path it is path.Match, which also reports syntax errors in the part
// of the pattern after a mismatch; the differential test uses it to check
// whole-pattern validation.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
)

type request struct {
	Pattern *string `json:"pattern"`
	Path    *string `json:"path"`
}

func main() {
	usePath := flag.Bool("path", false, "answer with path.Match instead of path/filepath.Match")
	flag.Parse()
	match := filepath.Match
	if *usePath {
		match = path.Match
	}

	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<26)
	out := bufio.NewWriterSize(os.Stdout, 1<<16)
	defer out.Flush()

	for in.Scan() {
		var req request
		if err := json.Unmarshal(in.Bytes(), &req); err != nil || req.Pattern == nil || req.Path == nil {
			msg, _ := json.Marshal(`bad input line: want {"pattern": string, "path": string}`)
			fmt.Fprintf(out, "{\"error\": %s}\n", msg)
			continue
		}
		ok, err := match(*req.Pattern, *req.Path)
		switch {
		case err != nil:
			msg, _ := json.Marshal(err.Error())
			fmt.Fprintf(out, "{\"error\": %s}\n", msg)
		case ok:
			fmt.Fprintln(out, `{"matched": true}`)
		default:
			fmt.Fprintln(out, `{"matched": false}`)
		}
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "go-match:", err)
		os.Exit(2)
	}
}
