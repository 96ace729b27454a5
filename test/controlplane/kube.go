package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"k8s.io/component-base/cli"
	"k8s.io/component-base/version"
	kubectlcmd "k8s.io/kubectl/pkg/cmd"
	kubectlutil "k8s.io/kubectl/pkg/cmd/util"
	apiserverapp "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanagerapp "k8s.io/kubernetes/cmd/kube-controller-manager/app"
)

func runCobra(command *cobra.Command, args []string) int {
	command.SetArgs(args)
	return cli.Run(command)
}

func runAPIServer(args []string) int {
	return runCobra(apiserverapp.NewAPIServerCommand(), args)
}

func runControllerManager(args []string) int {
	return runCobra(controllermanagerapp.NewControllerManagerCommand(), args)
}

func runKubectl(args []string) int {
	command := kubectlcmd.NewDefaultKubectlCommand()
	command.SetArgs(args)
	if err := cli.RunNoErrOutput(command); err != nil {
		kubectlutil.CheckErr(err)
	}
	return 0
}

func runVersion(_ []string) int {
	fmt.Fprintln(os.Stdout, version.Get().GitVersion)
	return 0
}
