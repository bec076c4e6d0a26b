// kubectl, pinned: the project's own build of the upstream kubectl command (k8s.io/kubectl), so that
// plugin lookup, the start-up benchmark and the cluster suite use one known version on every machine
// instead of whatever kubectl the machine happens to have.
package main

import (
	"k8s.io/component-base/cli"
	"k8s.io/kubectl/pkg/cmd"
	"k8s.io/kubectl/pkg/cmd/util"
)

func main() {
	if err := cli.RunNoErrOutput(cmd.NewDefaultKubectlCommand()); err != nil {
		util.CheckErr(err)
	}
}
