package main

import (
	"sort"

	"github.com/docker/buildx/util/buildflags"
	"github.com/spf13/pflag"
)

type output struct {
	Type  string            `json:"type"`
	Dest  string            `json:"dest"`
	Attrs map[string]string `json:"attrs"`
}

func parseOutputs(req request) (any, error) {
	entries, err := buildflags.ParseExports(req.Values)
	if err != nil {
		return nil, err
	}
	result := []output{}
	for _, e := range entries {
		result = append(result, output{Type: e.Type, Dest: e.Destination, Attrs: nonNil(e.Attrs)})
	}
	return result, nil
}

type cacheEntry struct {
	Type  string            `json:"type"`
	Attrs map[string]string `json:"attrs"`
}

func parseCaches(req request) (any, error) {
	entries, err := buildflags.ParseCacheEntry(req.Values)
	if err != nil {
		return nil, err
	}
	result := []cacheEntry{}
	for _, e := range entries {
		result = append(result, cacheEntry{Type: e.Type, Attrs: nonNil(e.Attrs)})
	}
	return result, nil
}

type secret struct {
	ID  string `json:"id"`
	Src string `json:"src"`
	Env string `json:"env"`
}

func parseSecrets(req request) (any, error) {
	specs, err := buildflags.ParseSecretSpecs(req.Values)
	if err != nil {
		return nil, err
	}
	result := []secret{}
	for _, s := range specs {
		result = append(result, secret{ID: s.ID, Src: s.FilePath, Env: s.Env})
	}
	return result, nil
}

type ssh struct {
	ID    string   `json:"id"`
	Paths []string `json:"paths"`
}

func parseSSH(req request) (any, error) {
	specs, err := buildflags.ParseSSHSpecs(req.Values)
	if err != nil {
		return nil, err
	}
	result := []ssh{}
	for _, s := range specs {
		paths := s.Paths
		if paths == nil {
			paths = []string{}
		}
		result = append(result, ssh{ID: s.ID, Paths: paths})
	}
	return result, nil
}

// The frontend attributes buildx sets from --attest, --provenance and --sbom: attest:TYPE = the
// attribute list, or null when that type is disabled.
func parseAttests(req request) (any, error) {
	values := append([]string{}, req.Values...)
	if req.Provenance != "" {
		values = append(values, buildflags.CanonicalizeAttest("provenance", req.Provenance))
	}
	if req.SBOM != "" {
		values = append(values, buildflags.CanonicalizeAttest("sbom", req.SBOM))
	}
	attests, err := buildflags.ParseAttests(values)
	if err != nil {
		return nil, err
	}
	return attests.ToMap(), nil
}

type annotation struct {
	Type     string `json:"type"`
	Platform string `json:"platform"`
	Key      string `json:"key"`
	Value    string `json:"value"`
}

func parseAnnotations(req request) (any, error) {
	parsed, err := buildflags.ParseAnnotations(req.Values)
	if err != nil {
		return nil, err
	}
	result := []annotation{}
	for key, value := range parsed {
		a := annotation{Type: key.Type, Key: key.Key, Value: value}
		if key.Platform != nil {
			a.Platform = key.PlatformString()
		}
		result = append(result, a)
	}
	sort.Slice(result, func(i, j int) bool {
		a, b := result[i], result[j]
		if a.Type != b.Type {
			return a.Type < b.Type
		}
		if a.Platform != b.Platform {
			return a.Platform < b.Platform
		}
		return a.Key < b.Key
	})
	return result, nil
}

// buildx declares --add-host as a StringSlice: each occurrence is read as CSV and split.
func readStringSlice(req request) (any, error) {
	flags := pflag.NewFlagSet("build", pflag.ContinueOnError)
	var values []string
	flags.StringSliceVar(&values, "add-host", []string{}, "")
	var args []string
	for _, v := range req.Values {
		args = append(args, "--add-host="+v)
	}
	if err := flags.Parse(args); err != nil {
		return nil, err
	}
	if values == nil {
		values = []string{}
	}
	return values, nil
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
