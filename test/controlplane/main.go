// Command controlplane is a multi-call binary holding the pieces of a real
// Kubernetes control plane for this project's tests and local demo:
//
//	controlplane etcd [flags]                    embedded etcd server
//	controlplane kube-apiserver [flags]          upstream kube-apiserver
//	controlplane kube-controller-manager [flags] upstream kube-controller-manager
//	controlplane kubectl [args]                  upstream kubectl
//	controlplane kubelet [flags]                 upstream kubelet (a node; needs root)
//	controlplane kube-scheduler [flags]          upstream kube-scheduler
//	controlplane version                         prints the Kubernetes version
//
// The component may also be chosen by the name the binary is invoked under
// (a symlink named "kubectl" runs kubectl). Each component runs in its own
// process, so components never share global state. Every process asks the
// kernel to signal it when its parent dies, so a crashed test runner leaves
// no orphans behind.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

type component func(args []string) int

var components = map[string]component{
	"etcd":                    runEtcd,
	"kube-apiserver":          runAPIServer,
	"kube-controller-manager": runControllerManager,
	"kubectl":                 runKubectl,
	"kubelet":                 runKubelet,
	"kube-scheduler":          runScheduler,
	"version":                 runVersion,
}

func main() {
	name, args := filepath.Base(os.Args[0]), os.Args[1:]
	run, ok := components[name]
	if !ok && len(args) > 0 {
		name, args = args[0], args[1:]
		run, ok = components[name]
	}
	if !ok {
		fmt.Fprintf(os.Stderr, "usage: %s {etcd|kube-apiserver|kube-controller-manager|kube-scheduler|kubelet|kubectl|version} [args]\n", os.Args[0])
		os.Exit(2)
	}
	if name != "kubectl" && name != "version" {
		dieWithParent()
	}
	os.Exit(run(args))
}

// dieWithParent makes the kernel send SIGTERM to this process when the
// process that started it exits, however it exits.
func dieWithParent() {
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGTERM), 0, 0, 0); err != nil {
		fmt.Fprintf(os.Stderr, "controlplane: prctl(PR_SET_PDEATHSIG): %v\n", err)
	}
	if os.Getppid() == 1 {
		// The parent already died between fork and prctl.
		os.Exit(1)
	}
}
