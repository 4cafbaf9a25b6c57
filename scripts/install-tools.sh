#!/usr/bin/env bash
# Builds the pinned Temporal CLI, our vcsim wrapper, govc (the benches' peer) and the Temporal server with
# its SQL schema tool (the cluster, docs/cluster.md) once, into a cache outside the clone keyed by version,
# and prints where they are as one JSON line. The server is built only with --cluster (the test suite and
# `clo cluster up` ask for it), so the demo on a fresh machine does not wait ~3 min for a build it never uses.
# Later runs (and CI on the same machine) reuse the cache; a fresh machine
# builds them here with nothing but Go and the Go module proxy.
#
#   CLO_CACHE_DIR   cache root (default: ${XDG_CACHE_HOME:-$HOME/.cache}/content-library-orchestrator)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../tools/versions.env
source "$root/tools/versions.env"

cache=${CLO_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/content-library-orchestrator}
mkdir -p "$cache"

log() { echo "install-tools: $*" >&2; }

with_cluster=false
for arg in "$@"; do
  case "$arg" in
    --cluster) with_cluster=true ;;
    *) log "unknown argument $arg (known: --cluster)"; exit 2 ;;
  esac
done

command -v go >/dev/null || { log "Go is required (go1.24 or later) to build the Temporal CLI, vcsim and govc"; exit 1; }

for mod in vcsim govc; do
  if ! grep -q "github.com/vmware/govmomi $GOVMOMI_VERSION\$" "$root/tools/$mod/go.mod"; then
    log "tools/$mod/go.mod does not pin govmomi $GOVMOMI_VERSION (tools/versions.env); make them agree"
    exit 1
  fi
done

if ! grep -q "go.temporal.io/server $TEMPORAL_SERVER_VERSION\( \|\$\)" "$root/tools/temporal-server/go.mod"; then
  log "tools/temporal-server/go.mod does not pin go.temporal.io/server $TEMPORAL_SERVER_VERSION (tools/versions.env); make them agree"
  exit 1
fi

# One builder at a time per cache: parallel CI jobs or a test run racing `clo dev`
# must not both write the same directory.
exec 9>"$cache/.lock"
flock 9

temporal_dir="$cache/temporal-$TEMPORAL_CLI_VERSION"
temporal_bin="$temporal_dir/temporal"
if [ ! -x "$temporal_bin" ]; then
  log "building Temporal CLI $TEMPORAL_CLI_VERSION (first time only, a few minutes)..."
  start=$SECONDS
  tmp=$(mktemp -d "$cache/.temporal.XXXXXX")
  CGO_ENABLED=0 GOBIN="$tmp" GOFLAGS=-buildvcs=false \
    go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION" >&2
  rm -rf "$temporal_dir"
  mv "$tmp" "$temporal_dir"
  log "Temporal CLI built in $((SECONDS - start))s"
fi

# Keyed by the govmomi version and our wrapper's sources, so editing main.go rebuilds.
vcsim_key=$(cat "$root/tools/vcsim/go.mod" "$root/tools/vcsim/go.sum" "$root/tools/vcsim/main.go" | sha256sum | cut -c1-12)
vcsim_dir="$cache/vcsim-govmomi-$GOVMOMI_VERSION-$vcsim_key"
vcsim_bin="$vcsim_dir/vcsim"
if [ ! -x "$vcsim_bin" ]; then
  log "building vcsim (govmomi $GOVMOMI_VERSION, first time only, about a minute)..."
  start=$SECONDS
  tmp=$(mktemp -d "$cache/.vcsim.XXXXXX")
  (cd "$root/tools/vcsim" && CGO_ENABLED=0 GOFLAGS="-buildvcs=false -mod=readonly" go build -o "$tmp/vcsim" .) >&2
  rm -rf "$vcsim_dir"
  mv "$tmp" "$vcsim_dir"
  log "vcsim built in $((SECONDS - start))s"
fi

# govc, the CLI users would pick instead of clo: the benches measure clo beside it. Upstream's
# govc module has a `replace` directive (so `go install .../govc@version` is refused); tools/govc
# is our own main over the root module's cli/... command packages, built like vcsim. BuildVersion
# is set as upstream's release build sets it, so `govc version` and its User-Agent name the pin.
govc_key=$(cat "$root/tools/govc/go.mod" "$root/tools/govc/go.sum" "$root/tools/govc/main.go" | sha256sum | cut -c1-12)
govc_dir="$cache/govc-govmomi-$GOVMOMI_VERSION-$govc_key"
govc_bin="$govc_dir/govc"
if [ ! -x "$govc_bin" ]; then
  log "building govc (govmomi $GOVMOMI_VERSION, first time only, a minute or two)..."
  start=$SECONDS
  tmp=$(mktemp -d "$cache/.govc.XXXXXX")
  (cd "$root/tools/govc" && CGO_ENABLED=0 GOFLAGS="-buildvcs=false -mod=readonly" go build \
    -ldflags "-X github.com/vmware/govmomi/cli/flags.BuildVersion=$GOVMOMI_VERSION" -o "$tmp/govc" .) >&2
  rm -rf "$govc_dir"
  mv "$tmp" "$govc_dir"
  log "govc built in $((SECONDS - start))s"
fi

# The Temporal server and its SQL schema tool, for the cluster on PostgreSQL. Keyed by the
# go.sum too, so a dependency bump rebuilds. The tool carries the versioned schemas embedded
# (update-schema --schema-name postgresql/v12/...), so nothing else is copied out of the module.
server_json=''
if [ "$with_cluster" = true ]; then
  server_key=$(cat "$root/tools/temporal-server/go.mod" "$root/tools/temporal-server/go.sum" | sha256sum | cut -c1-12)
  server_dir="$cache/temporal-server-$TEMPORAL_SERVER_VERSION-$server_key"
  server_bin="$server_dir/temporal-server"
  sql_tool_bin="$server_dir/temporal-sql-tool"
  if [ ! -x "$server_bin" ] || [ ! -x "$sql_tool_bin" ]; then
    log "building Temporal server $TEMPORAL_SERVER_VERSION and temporal-sql-tool (first time only, a few minutes)..."
    start=$SECONDS
    tmp=$(mktemp -d "$cache/.temporal-server.XXXXXX")
    (cd "$root/tools/temporal-server" &&
      CGO_ENABLED=0 GOFLAGS="-buildvcs=false -mod=readonly" go build -o "$tmp/temporal-server" go.temporal.io/server/cmd/server &&
      CGO_ENABLED=0 GOFLAGS="-buildvcs=false -mod=readonly" go build -o "$tmp/temporal-sql-tool" go.temporal.io/server/cmd/tools/sql) >&2
    rm -rf "$server_dir"
    mv "$tmp" "$server_dir"
    log "Temporal server built in $((SECONDS - start))s"
  fi
  server_json=$(printf ',"temporalServer":"%s","temporalSqlTool":"%s","temporalServerVersion":"%s"' \
    "$server_bin" "$sql_tool_bin" "$TEMPORAL_SERVER_VERSION")
fi

printf '{"temporal":"%s","vcsim":"%s","govc":"%s","temporalVersion":"%s","govmomiVersion":"%s"%s}\n' \
  "$temporal_bin" "$vcsim_bin" "$govc_bin" "$TEMPORAL_CLI_VERSION" "$GOVMOMI_VERSION" "$server_json"
