#!/usr/bin/env bash
# Builds the pinned test tools from the Go module proxy into the user cache, skipping those already
# there. Needs Go (the same Go that builds the test control plane).
# Usage: scripts/install-tools.sh [TOOL...]   (no TOOL: all of them)
# Each tool lands at <cache>/tools/<name>-<version>/<name>, with <cache>/tools/<name> pointing at it.
set -euo pipefail

# name  package (go install)  version  build tags (- for none)
# Prometheus is built without its cloud service discoveries (remove_all_sd): the tests scrape
# static targets, and the discoveries are most of its build time.
tools=(
  "helm        helm.sh/helm/v4/cmd/helm                                v4.3.2   -"             # the chart tests
  "registry    github.com/distribution/distribution/v3/cmd/registry   v3.1.2   -"             # CNCF distribution, a real registry
  "crane       github.com/google/go-containerregistry/cmd/crane       v0.22.1  -"             # pushes and pulls with a docker config
  "prometheus  github.com/prometheus/prometheus/cmd/prometheus        v0.316.0 remove_all_sd" # scrapes the operator (Prometheus 3.x)
  "promtool    github.com/prometheus/prometheus/cmd/promtool          v0.316.0 remove_all_sd" # unit-tests the alerting rules
)

cache_root="${REGCRED_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/registry-credential-operator}"
tools_dir="$cache_root/tools"
wanted=("$@")
for name in "${wanted[@]}"; do
  printf '%s\n' "${tools[@]}" | grep -q "^$name " ||
    { echo "install-tools: unknown tool \"$name\"; known: $(printf '%s\n' "${tools[@]}" | cut -d' ' -f1 | paste -sd' ')" >&2; exit 2; }
done
mkdir -p "$tools_dir"
# One install at a time (parallel test runs share the cache); the second waits, then finds the tools.
if command -v flock >/dev/null; then
  exec 9>"$tools_dir/.install.lock"
  flock 9
fi

selected() {
  [ ${#wanted[@]} -eq 0 ] && return 0
  local name
  for name in "${wanted[@]}"; do [ "$name" = "$1" ] && return 0; done
  return 1
}

for row in "${tools[@]}"; do
  read -r name package version tags _ <<<"$row"
  [ "$tags" = "-" ] && tags=""
  selected "$name" || continue
  dir="$tools_dir/$name-$version"
  if [ ! -x "$dir/$name" ]; then
    command -v go >/dev/null || { echo "install-tools: go is not on PATH (needed to build $name); install Go >= 1.26" >&2; exit 1; }
    echo "building $name $version into $dir (go install from the module proxy; minutes on first run)"
    started=$(date +%s)
    partial="$dir.partial-$$"
    rm -rf "$partial" && mkdir -p "$partial"
    GOBIN="$partial" GOFLAGS="-trimpath" go install -tags "$tags" -ldflags "-s -w" "$package@$version"
    rm -rf "$dir" && mv "$partial" "$dir"
    echo "built $name $version in $(($(date +%s) - started))s"
  fi
  ln -sfn "$name-$version/$name" "$tools_dir/$name"
  echo "$name $version: $tools_dir/$name"
done
