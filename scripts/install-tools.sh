#!/usr/bin/env bash
# Builds the pinned test tools from the Go module proxy into the user cache, skipping those already
# there. Needs Go (the same Go that builds the test control plane).
# Usage: scripts/install-tools.sh [TOOL...]   (no TOOL: all of them)
# Each tool lands at <cache>/tools/<name>-<version>/<name>, with <cache>/tools/<name> pointing at it.
# Exits 1 when a build fails or Go is missing, 2 for a tool name it does not know.
set -euo pipefail

# name  package (go install)  version  build tags (- for none)  cgo (0 or 1)
# Prometheus is built without its cloud service discoveries (remove_all_sd): the tests scrape
# static targets, and the discoveries are most of its build time. runc needs cgo and libseccomp
# (Debian: libseccomp-dev); its default libpathrs tag needs a Rust library, so it is left out.
tools=(
  "helm                    helm.sh/helm/v4/cmd/helm                                          v4.3.2   -                         0" # the chart tests
  "registry                github.com/distribution/distribution/v3/cmd/registry             v3.1.2   -                         0" # CNCF distribution, a real registry
  "crane                   github.com/google/go-containerregistry/cmd/crane                 v0.22.1  -                         0" # pushes and pulls with a docker config
  "prometheus              github.com/prometheus/prometheus/cmd/prometheus                  v0.316.0 remove_all_sd             0" # scrapes the operator (Prometheus 3.x)
  "promtool                github.com/prometheus/prometheus/cmd/promtool                    v0.316.0 remove_all_sd             0" # unit-tests the alerting rules
  "containerd              github.com/containerd/containerd/v2/cmd/containerd               v2.4.2   no_btrfs,no_devmapper     0" # the node's runtime
  "containerd-shim-runc-v2 github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2  v2.4.2   no_btrfs,no_devmapper     0"
  "ctr                     github.com/containerd/containerd/v2/cmd/ctr                      v2.4.2   no_btrfs,no_devmapper     0" # imports the pause image
  "runc                    github.com/opencontainers/runc                                    v1.5.3   seccomp,urfave_cli_no_docs 1"
  "crictl                  sigs.k8s.io/cri-tools/cmd/crictl                                  v1.37.0  -                         0" # removes pods at teardown
)

known() {
  local row name
  for row in "${tools[@]}"; do
    read -r name _ <<<"$row"
    [ "$name" = "$1" ] && return 0
  done
  return 1
}

for name in "$@"; do
  known "$name" || {
    echo "install-tools: unknown tool \"$name\"; known: $(for row in "${tools[@]}"; do read -r n _ <<<"$row"; printf '%s ' "$n"; done | sed 's/ $//')" >&2
    exit 2
  }
done

selected() {
  local name
  [ $# -eq 1 ] && return 0 # no TOOL arguments: every tool
  for name in "${@:2}"; do [ "$name" = "$1" ] && return 0; done
  return 1
}

cache_root="${REGCRED_CACHE_DIR:-${XDG_CACHE_HOME:-${HOME:?install-tools: set HOME or REGCRED_CACHE_DIR (where the tools are cached)}/.cache}/registry-credential-operator}"
tools_dir="$cache_root/tools"
mkdir -p "$tools_dir"

# One install at a time (parallel test runs share the cache): a second run waits, then finds the
# tools built. Without flock, parallel runs may build the same tool twice (each into its own
# partial directory, so the result is still whole).
if command -v flock >/dev/null; then
  exec 9>"$tools_dir/.install.lock"
  flock -n 9 || { echo "waiting for another install-tools run to finish (lock: $tools_dir/.install.lock)"; flock 9; }
fi

partial=""
trap '[ -n "$partial" ] && rm -rf "$partial"' EXIT

for row in "${tools[@]}"; do
  read -r name package version tags cgo _ <<<"$row"
  [ "$tags" = "-" ] && tags=""
  selected "$name" "$@" || continue
  dir="$tools_dir/$name-$version"
  if [ ! -x "$dir/$name" ]; then
    command -v go >/dev/null || { echo "install-tools: go is not on PATH (needed to build $name); install Go >= 1.26" >&2; exit 1; }
    echo "building $name $version into $dir (go install from the module proxy; minutes on first run)"
    started=$(date +%s)
    partial="$dir.partial-$$"
    rm -rf "$partial" && mkdir -p "$partial"
    CGO_ENABLED="$cgo" GOBIN="$partial" GOFLAGS="-trimpath" go install -tags "$tags" -ldflags "-s -w" "$package@$version"
    rm -rf "$dir" && mv "$partial" "$dir"
    partial=""
    echo "built $name $version in $(($(date +%s) - started))s"
  fi
  ln -sfn "$name-$version/$name" "$tools_dir/$name"
  echo "$name $version: $tools_dir/$name"
done
