// oci-registry is a test peer: an in-memory OCI registry with the OCI 1.1 referrers API, optional
// basic auth and optional TLS, listening on loopback. It exists because no referrers-capable registry
// (distribution v3, zot) can be installed on our machines; go-containerregistry's registry package
// implements the API but its own command leaves it off, and referrers.go answers it from an index.
package main

import (
	"crypto/subtle"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on (port 0 picks a free one)")
	user := flag.String("user", "", "require basic auth with this user name")
	password := flag.String("password-env", "", "environment variable holding the password for -user")
	certFile := flag.String("tls-cert", "", "serve TLS with this certificate (PEM)")
	keyFile := flag.String("tls-key", "", "private key for -tls-cert (PEM)")
	referrers := flag.Bool("referrers", true, "serve the OCI 1.1 referrers API")
	denyTags := flag.String("deny-tags", "", "refuse manifest writes to tags matching this regular expression (a write policy, for tests)")
	flag.Parse()

	listener, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	var handler http.Handler = registry.New(registry.WithReferrersSupport(*referrers))
	if *referrers {
		handler = newReferrersIndex(handler)
	}
	if *denyTags != "" {
		handler = denyTagWrites(handler, regexp.MustCompile(*denyTags))
	}
	if *user != "" {
		handler = requireBasicAuth(handler, *user, os.Getenv(*password))
	}
	server := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	// The harness reads this line to learn the port.
	fmt.Printf("listening on %s\n", listener.Addr())
	if *certFile != "" {
		log.Fatal(server.ServeTLS(listener, *certFile, *keyFile))
	}
	log.Fatal(server.Serve(listener))
}

// requireBasicAuth answers 401 with a Basic challenge, as distribution's htpasswd mode does, so that
// docker-style clients (buildkit, skopeo, cosign) send credentials on the retry.
func requireBasicAuth(next http.Handler, user, password string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || subtle.ConstantTimeCompare([]byte(u), []byte(user)) != 1 ||
			subtle.ConstantTimeCompare([]byte(p), []byte(password)) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="oci-registry"`)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// denyTagWrites answers PUT /v2/<repo>/manifests/<tag> with 403 DENIED for matching tags, as a
// registry with a write policy (immutable or reserved tags) does.
func denyTagWrites(next http.Handler, tags *regexp.Regexp) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at := strings.LastIndex(r.URL.Path, "/manifests/")
		if r.Method == http.MethodPut && at >= 0 && tags.MatchString(r.URL.Path[at+len("/manifests/"):]) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"errors":[{"code":"DENIED","message":"writes to this tag are not allowed"}]}`)
			return
		}
		next.ServeHTTP(w, r)
	})
}
