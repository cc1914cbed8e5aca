#!/usr/bin/env bash
# Proves that the tests leave nothing behind outside the clone. .ci/run calls it twice:
#   .ci/leftovers.sh record <state-dir>   before the tests: what is running, what is in the temp
#                                         folders and in /dev/shm
#   .ci/leftovers.sh check <state-dir> [private-tmp] [clone]
#                                         after them: lists every process started since that
#                                         still runs and is traced to the tests (their tag in
#                                         its environment, or the clone or their temp folder in
#                                         its working folder or command line), anything left in
#                                         the tests' own temp folder, and every new entry in
#                                         /tmp and /dev/shm; exits 1 when there is any.
# On a machine others use at the same time, their new files in /tmp and /dev/shm show up too:
# the check is exact on a CI machine of its own.
set -uo pipefail
export LC_ALL=C

mode=${1:-}
state=${2:-}
private_tmp=${3:-}
if [[ -z "$mode" || -z "$state" ]]; then
  echo "usage: $0 record|check <state-dir> [private-tmp] [clone]" >&2
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
  clone=${4:-$PWD}
  [[ -f "$state/processes.before" ]] || {
    echo "leftovers: no record in $state (run '$0 record $state' before the tests)" >&2
    exit 2
  }
  ours=() others=() files=()
  # A new process is the tests' when it carries their tag in its environment, or runs in, or
  # names, the clone or the tests' temp folder. Other new processes are listed, not counted:
  # a machine starts its own now and then (timers, updates).
  traced() {
    local pid=$1 args=$2 cwd
    if [[ -n "${PTB_TEST_RUN:-}" ]] && cat "/proc/$pid/environ" 2>/dev/null | tr '\0' '\n' | grep -qx "PTB_TEST_RUN=$PTB_TEST_RUN"; then
      return 0
    fi
    cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null || true)
    for place in "$clone" ${private_tmp:+"$private_tmp"}; do
      [[ "$cwd" == "$place" || "$cwd" == "$place"/* || "$args" == *"$place"* ]] && return 0
    done
    return 1
  }
  while IFS='|' read -r pid start args; do
    [[ -z "$pid" ]] && continue
    grep -qF -- "$pid|$start|" "$state/processes.before" && continue
    [[ -d "/proc/$pid" ]] || continue
    if traced "$pid" "$args"; then ours+=("process $pid (since $start): ${args:0:200}"); else others+=("process $pid (since $start): ${args:0:160}"); fi
  done < <(processes)
  # Files: anything left in the tests' own temp folder, and anything new in /tmp (systemd's
  # private temp folders of services aside) and /dev/shm: on a machine of its own, only the
  # tests made those.
  if [[ -n "$private_tmp" ]]; then
    while read -r name; do
      [[ -n "$name" ]] && files+=("$private_tmp/$name ($(du -sh "$private_tmp/$name" 2>/dev/null | cut -f1))")
    done < <(entries "$private_tmp")
  fi
  while read -r name; do
    [[ -z "$name" || "$name" == systemd-private-* ]] && continue
    [[ -n "$private_tmp" && "$tmp_root/$name" == "$private_tmp" ]] && continue
    files+=("$tmp_root/$name ($(du -sh "$tmp_root/$name" 2>/dev/null | cut -f1))")
  done < <(comm -13 "$state/tmp.before" <(entries "$tmp_root"))
  while read -r name; do
    [[ -n "$name" ]] && files+=("/dev/shm/$name")
  done < <(comm -13 "$state/shm.before" <(entries /dev/shm))
  if ((${#others[@]} > 0)); then
    echo "leftovers: new processes not traced to the tests (not counted):"
    printf '  %s\n' "${others[@]}"
  fi
  count=$((${#ours[@]} + ${#files[@]}))
  if ((count == 0)); then
    echo "leftovers: none (no process, temporary file or shared memory left outside the clone)"
    exit 0
  fi
  echo "leftovers: the tests left $count thing(s) outside the clone:"
  printf '  %s\n' "${ours[@]}" "${files[@]}"
  exit 1
  ;;
*)
  echo "usage: $0 record|check <state-dir> [private-tmp] [clone]" >&2
  exit 2
  ;;
esac
