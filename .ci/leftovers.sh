#!/usr/bin/env bash
# Proves that the tests leave nothing behind outside the clone. .ci/run calls it twice:
#   .ci/leftovers.sh record <state-dir>   before the tests: what is running, what is in the temp
#                                         folders and in /dev/shm
#   .ci/leftovers.sh check <state-dir> [private-tmp]
#                                         after them: lists every process still running that
#                                         was not before, every new entry in the temp folder and
#                                         /dev/shm, and anything left in the tests' own temp
#                                         folder; exits 1 when there is any.
# On a machine others use at the same time, their new processes and files show up too: the
# check is exact on a CI machine of its own.
set -uo pipefail
export LC_ALL=C

mode=${1:-}
state=${2:-}
private_tmp=${3:-}
if [[ -z "$mode" || -z "$state" ]]; then
  echo "usage: $0 record|check <state-dir> [private-tmp]" >&2
  exit 2
fi
tmp_root=/tmp

# One line per process: "<pid> <start time>" is its identity (pids are reused), then details.
# Kernel threads (children of kthreadd, pid 2) and zombies (waiting for init to reap them) are
# not processes anyone can stop, so they are left out.
processes() {
  local snapshot
  snapshot=$(mktemp "$state/ps.XXXXXX")
  ps -eo pid=,ppid=,stat=,lstart=,args= >"$snapshot"
  awk -v self="$$" -v subshell="$BASHPID" '
    {
      pid = $1; ppid = $2; stat = $3
      start = $4 " " $5 " " $6 " " $7 " " $8
      args = ""; for (i = 9; i <= NF; i++) args = args (i > 9 ? " " : "") $i
      if (pid == 2 || ppid == 2 || stat ~ /^Z/ || pid == self || pid == subshell || args ~ /^ps -eo pid=/) next
      print pid "|" start "|" args
    }' "$snapshot"
  rm -f "$snapshot"
}

entries() { # top-level names in a folder, one per line
  [[ -d "$1" ]] && find "$1" -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | LC_ALL=C sort
}

case "$mode" in
record)
  mkdir -p "$state"
  processes | LC_ALL=C sort >"$state/processes.before"
  entries "$tmp_root" >"$state/tmp.before"
  entries /dev/shm >"$state/shm.before"
  ;;
check)
  [[ -f "$state/processes.before" ]] || {
    echo "leftovers: no record in $state (run '$0 record $state' before the tests)" >&2
    exit 2
  }
  found=()
  # Processes: new identities still running. Those that carry the test run's tag in their
  # environment were certainly started by the tests.
  while IFS='|' read -r pid start args; do
    [[ -z "$pid" ]] && continue
    key="$pid|$start"
    if ! grep -qF -- "$key|" "$state/processes.before"; then
      tag=""
      if [[ -n "${PTB_TEST_RUN:-}" ]] && tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "PTB_TEST_RUN=$PTB_TEST_RUN"; then
        tag=" [started by the tests]"
      fi
      found+=("process $pid (since $start)$tag: ${args:0:200}")
    fi
  done < <(processes)
  while read -r name; do
    [[ -z "$name" ]] && continue
    path="$tmp_root/$name"
    [[ -n "$private_tmp" && "$path" == "$private_tmp" ]] && continue
    found+=("$path ($(du -sh "$path" 2>/dev/null | cut -f1))")
  done < <(comm -13 "$state/tmp.before" <(entries "$tmp_root"))
  if [[ -n "$private_tmp" ]]; then
    while read -r name; do
      [[ -z "$name" ]] && continue
      found+=("$private_tmp/$name ($(du -sh "$private_tmp/$name" 2>/dev/null | cut -f1))")
    done < <(entries "$private_tmp")
  fi
  while read -r name; do
    [[ -z "$name" ]] && continue
    found+=("/dev/shm/$name")
  done < <(comm -13 "$state/shm.before" <(entries /dev/shm))
  if ((${#found[@]} == 0)); then
    echo "leftovers: none (no process, temporary file or shared memory left outside the clone)"
    exit 0
  fi
  echo "leftovers: the tests left ${#found[@]} thing(s) outside the clone:"
  printf '  %s\n' "${found[@]}"
  exit 1
  ;;
*)
  echo "usage: $0 record|check <state-dir> [private-tmp]" >&2
  exit 2
  ;;
esac
