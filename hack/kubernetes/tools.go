//go:build tools

// Package tools keeps the server commands' dependencies in go.mod; hack/tools.sh builds them with
// `go build k8s.io/kubernetes/cmd/NAME`.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
