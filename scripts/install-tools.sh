#!/usr/bin/env bash
# Installs the pinned tools the tests need (helm) into the user cache, skipping tools already there.
# Needs Go (the same Go that builds the test control plane). Usage: scripts/install-tools.sh
set -euo pipefail

HELM_MODULE="helm.sh/helm/v4"
HELM_VERSION="v4.3.2"

cache_root="${REGCRED_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/registry-credential-operator}"
tools_dir="$cache_root/tools"
helm_dir="$tools_dir/helm-$HELM_VERSION"

if [ -x "$helm_dir/helm" ]; then
  echo "helm $HELM_VERSION already installed: $helm_dir/helm"
else
  command -v go >/dev/null || { echo "install-tools: go is not on PATH (needed to build helm)" >&2; exit 1; }
  echo "installing helm $HELM_VERSION into $helm_dir (go install; a few minutes on first run)"
  mkdir -p "$helm_dir"
  started=$(date +%s)
  GOBIN="$helm_dir" GOFLAGS="-trimpath" go install -ldflags "-s -w" "$HELM_MODULE/cmd/helm@$HELM_VERSION"
  echo "helm $HELM_VERSION installed in $(($(date +%s) - started))s"
fi
# A stable path for tests and humans: <cache>/tools/helm -> helm-<version>/helm
ln -sfn "helm-$HELM_VERSION/helm" "$tools_dir/helm"
"$tools_dir/helm" version --short
