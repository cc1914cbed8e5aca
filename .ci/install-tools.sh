#!/usr/bin/env bash
# Installs the tools the workflow and fleet tests run for real, into .cache/ (git-ignored), and
# fails loudly when it cannot. A second run finds them there and is fast.
#   zizmor   GitHub Actions security linter, from the Python package index, in a venv
#   helm     built from the Go module proxy at a pinned version
#   chart    actions-runner-controller's gha-runner-scale-set chart, from the Go module proxy
#            (the module at a release tag holds charts/), checked against a pinned hash
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD/.cache/tools
mkdir -p "$root/bin"

ZIZMOR_VERSION=1.32.0
HELM_MODULE=helm.sh/helm/v4
HELM_VERSION=v4.3.2
ARC_MODULE=github.com/actions/actions-runner-controller
ARC_VERSION=v0.27.6
# go.sum's hash of that module version, and the chart it holds.
ARC_SUM='h1:Uklv1+6+/BQuhV6HoXIgPZrnAW9/HWo3j9O7IcnzGXU='
CHART=gha-runner-scale-set
CHART_VERSION=0.6.1

fail() {
  echo "install-tools: $*" >&2
  exit 1
}

# zizmor
if [ ! -x "$root/zizmor/bin/zizmor" ] || ! "$root/zizmor/bin/zizmor" --version 2>/dev/null | grep -q "$ZIZMOR_VERSION"; then
  command -v python3 >/dev/null || fail "python3 is missing (apt-get install python3 python3-venv)"
  rm -rf "$root/zizmor"
  python3 -m venv "$root/zizmor" || fail "python3 -m venv failed (apt-get install python3-venv)"
  "$root/zizmor/bin/pip" install --quiet --disable-pip-version-check "zizmor==$ZIZMOR_VERSION" || fail "pip install zizmor==$ZIZMOR_VERSION failed"
fi
ln -sf "$root/zizmor/bin/zizmor" "$root/bin/zizmor"

# helm
# `go install` leaves no version in the binary that `helm version` shows: a stamp file records it.
if [ ! -x "$root/bin/helm" ] || [ "$(cat "$root/bin/helm.version" 2>/dev/null)" != "${HELM_MODULE}@${HELM_VERSION}" ]; then
  command -v go >/dev/null || fail "go is missing (apt-get install golang, or the Go toolchain)"
  echo "building helm ${HELM_VERSION} from the Go module proxy (a few minutes the first time)"
  GOBIN="$root/bin" GOFLAGS=-mod=mod go install "${HELM_MODULE}/cmd/helm@${HELM_VERSION}" || fail "go install ${HELM_MODULE}/cmd/helm@${HELM_VERSION} failed"
  echo "${HELM_MODULE}@${HELM_VERSION}" >"$root/bin/helm.version"
fi

# the chart
chart_dir="$root/charts/${CHART}-${CHART_VERSION}"
if [ ! -f "$chart_dir/Chart.yaml" ]; then
  command -v go >/dev/null || fail "go is missing"
  json=$(GONOSUMDB="$ARC_MODULE" GOFLAGS=-mod=mod go mod download -json "${ARC_MODULE}@${ARC_VERSION}") || fail "go mod download ${ARC_MODULE}@${ARC_VERSION} failed"
  sum=$(printf '%s' "$json" | sed -n 's/.*"Sum": "\(.*\)".*/\1/p')
  [ "$sum" = "$ARC_SUM" ] || fail "${ARC_MODULE}@${ARC_VERSION} has hash ${sum:-none}, expected ${ARC_SUM}"
  dir=$(printf '%s' "$json" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  [ -f "$dir/charts/${CHART}/Chart.yaml" ] || fail "no charts/${CHART} in ${ARC_MODULE}@${ARC_VERSION}"
  grep -q "^version: ${CHART_VERSION}$" "$dir/charts/${CHART}/Chart.yaml" || fail "charts/${CHART} is not version ${CHART_VERSION}"
  rm -rf "$chart_dir"
  mkdir -p "$(dirname "$chart_dir")"
  cp -r "$dir/charts/${CHART}" "$chart_dir"
  chmod -R u+w "$chart_dir"
fi
echo "tools ready: zizmor ${ZIZMOR_VERSION}, helm ${HELM_VERSION}, ${CHART} ${CHART_VERSION} (${ARC_MODULE}@${ARC_VERSION})"
