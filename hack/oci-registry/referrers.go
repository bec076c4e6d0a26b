package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
)

// referrersConformance corrects go-containerregistry's referrers answers to what OCI distribution
// 1.1 specifies, which cosign and our signer rely on:
//   - each descriptor's artifactType is the referrer manifest's own top-level artifactType when it
//     has one, and only otherwise its config mediaType (the library always uses the config's);
//   - the ?artifactType= filter is applied, and said so in the OCI-Filters-Applied header.
type referrersConformance struct {
	next http.Handler
}

func (h referrersConformance) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	repo, ok := referrersRepository(r)
	if !ok {
		h.next.ServeHTTP(w, r)
		return
	}
	answer := httptest.NewRecorder()
	h.next.ServeHTTP(answer, r)
	var index struct {
		SchemaVersion int              `json:"schemaVersion"`
		MediaType     string           `json:"mediaType"`
		Manifests     []map[string]any `json:"manifests"`
	}
	if answer.Code != http.StatusOK || json.Unmarshal(answer.Body.Bytes(), &index) != nil {
		copyResponse(w, answer)
		return
	}
	filter := r.URL.Query().Get("artifactType")
	kept := []map[string]any{}
	for _, descriptor := range index.Manifests {
		digest, _ := descriptor["digest"].(string)
		if artifactType := h.topLevelArtifactType(repo, digest); artifactType != "" {
			descriptor["artifactType"] = artifactType
		}
		if filter != "" && descriptor["artifactType"] != filter {
			continue
		}
		kept = append(kept, descriptor)
	}
	index.Manifests = kept
	body, _ := json.Marshal(index)
	w.Header().Set("Content-Type", index.MediaType)
	if filter != "" {
		w.Header().Set("OCI-Filters-Applied", "artifactType")
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// topLevelArtifactType reads a stored manifest's own artifactType through the inner registry.
func (h referrersConformance) topLevelArtifactType(repo, digest string) string {
	answer := httptest.NewRecorder()
	h.next.ServeHTTP(answer, httptest.NewRequest(http.MethodGet, "/v2/"+repo+"/manifests/"+digest, nil))
	var manifest struct {
		ArtifactType string `json:"artifactType"`
	}
	if answer.Code != http.StatusOK || json.Unmarshal(answer.Body.Bytes(), &manifest) != nil {
		return ""
	}
	return manifest.ArtifactType
}

// referrersRepository returns the repository of a GET /v2/<repo>/referrers/<digest> request.
func referrersRepository(r *http.Request) (string, bool) {
	if r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, "/v2/") {
		return "", false
	}
	rest := strings.TrimPrefix(r.URL.Path, "/v2/")
	at := strings.LastIndex(rest, "/referrers/")
	if at <= 0 {
		return "", false
	}
	return rest[:at], true
}

func copyResponse(w http.ResponseWriter, answer *httptest.ResponseRecorder) {
	for key, values := range answer.Header() {
		w.Header()[key] = values
	}
	w.WriteHeader(answer.Code)
	_, _ = w.Write(answer.Body.Bytes())
}
