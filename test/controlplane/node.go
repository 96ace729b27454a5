package main

import (
	"context"
	"os/signal"
	"syscall"

	schedulerapp "k8s.io/kubernetes/cmd/kube-scheduler/app"
	kubeletapp "k8s.io/kubernetes/cmd/kubelet/app"
)

// runKubelet runs the upstream kubelet until SIGTERM or SIGINT.
func runKubelet(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	return runCobra(kubeletapp.NewKubeletCommand(ctx), args)
}

// runScheduler runs the upstream kube-scheduler.
func runScheduler(args []string) int {
	return runCobra(schedulerapp.NewSchedulerCommand(), args)
}
