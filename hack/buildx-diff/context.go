package main

import (
	"context"
	"io/fs"
	"strings"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
	"github.com/tonistiigi/fsutil"
)

type ignoreResult struct {
	Patterns []string        `json:"patterns"`
	Matches  map[string]bool `json:"matches"`
}

// A .dockerignore text as the Dockerfile frontend reads it, compiled as BuildKit's client compiles
// the exclude list (an invalid pattern is an error), then each path matched as the walker would
// judge it on its own (the path or one of its parents).
func matchIgnoreFile(req request) (any, error) {
	patterns, err := ignorefile.ReadAll(strings.NewReader(req.Text))
	if err != nil {
		return nil, err
	}
	if patterns == nil {
		patterns = []string{}
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return nil, err
	}
	matches := map[string]bool{}
	for _, p := range req.Paths {
		m, err := pm.MatchesOrParentMatches(p)
		if err != nil {
			return nil, err
		}
		matches[p] = m
	}
	return ignoreResult{Patterns: patterns, Matches: matches}, nil
}

type walked struct {
	Path string `json:"path"`
	Dir  bool   `json:"dir"`
}

// The entries the client sends for a local source with these filters, in the order sent.
func walkContext(req request) (any, error) {
	base, err := fsutil.NewFS(req.Root)
	if err != nil {
		return nil, err
	}
	filtered, err := fsutil.NewFilterFS(base, &fsutil.FilterOpt{
		IncludePatterns: req.Includes,
		ExcludePatterns: req.Excludes,
		FollowPaths:     req.FollowPaths,
	})
	if err != nil {
		return nil, err
	}
	result := []walked{}
	err = filtered.Walk(context.Background(), "", func(path string, entry fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		result = append(result, walked{Path: path, Dir: entry.IsDir()})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return result, nil
}
