#!/usr/bin/env bash
# Runs the adversarial suite the way production runners run the harness: as an unprivileged
# user, with a cgroup delegated to it and a dedicated, size-capped scratch filesystem. Needs
# root to set that up (as an operator would) and removes all of it afterwards, also on failure.
#
#   actions/engine/test/adversarial/run-unprivileged.sh [vitest arguments...]
#
# Writes test-output/adversarial-unprivileged.json (vitest's JSON report) and exits with
# vitest's status.
set -uo pipefail
cd "$(dirname "$0")/../../../.."
repo=$(pwd)

user=ptb-runner
parent=ptb-runner
scratch_img=/var/tmp/ptb-runner-scratch.img
scratch=/mnt/ptb-runner-scratch
home=$(mktemp -d /tmp/ptb-runner-home.XXXXXX)
out="$repo/test-output/adversarial-unprivileged"
created_user=0

if [ "$(id -u)" -ne 0 ]; then
  echo "run-unprivileged.sh sets up a delegated cgroup and a scratch filesystem: run it as root" >&2
  exit 2
fi

cleanup() {
  # Whatever the tests left: processes of the user, the mount, the cgroups, the user.
  [ -e /sys/fs/cgroup/cgroup.controllers ] && echo $$ >/sys/fs/cgroup/cgroup.procs 2>/dev/null
  pkill -KILL -u "$user" 2>/dev/null || true
  sleep 0.2
  umount -l "$scratch" 2>/dev/null || true
  rmdir "$scratch" 2>/dev/null || true
  rm -f "$scratch_img"
  if [ -e /sys/fs/cgroup/cgroup.controllers ]; then
    for d in $(find "/sys/fs/cgroup/$parent" -depth -type d 2>/dev/null); do
      [ -e "$d/cgroup.kill" ] && echo 1 >"$d/cgroup.kill" 2>/dev/null
      rmdir "$d" 2>/dev/null || true
    done
  else
    for c in pids memory cpu; do
      for d in $(find "/sys/fs/cgroup/$c/$parent" -depth -type d 2>/dev/null); do rmdir "$d" 2>/dev/null || true; done
    done
  fi
  rm -rf "$home"
  [ "$created_user" = 1 ] && userdel "$user" 2>/dev/null
  true
}
trap cleanup EXIT

if ! id "$user" >/dev/null 2>&1; then
  useradd --system --no-create-home --shell /usr/sbin/nologin "$user" || exit 1
  created_user=1
fi
chown "$user:" "$home"

# A cgroup subtree the user owns (what systemd's Delegate=yes gives a service).
if [ -e /sys/fs/cgroup/cgroup.controllers ]; then
  mkdir -p "/sys/fs/cgroup/$parent/runner"
  echo "+memory +pids +cpu" >/sys/fs/cgroup/cgroup.subtree_control
  echo "+memory +pids +cpu" >"/sys/fs/cgroup/$parent/cgroup.subtree_control"
  chown -R "$user:" "/sys/fs/cgroup/$parent"
  # cgroup v2 moves need the common ancestor writable: the runner starts inside the subtree.
  join_cgroup="echo \$\$ > /sys/fs/cgroup/$parent/runner/cgroup.procs"
else
  for c in pids memory cpu; do
    mkdir -p "/sys/fs/cgroup/$c/$parent"
    chown -R "$user:" "/sys/fs/cgroup/$c/$parent"
  done
  join_cgroup=true
fi

# A dedicated scratch filesystem no larger than the smallest disk limit the suite asks for.
rm -f "$scratch_img"
truncate -s 64M "$scratch_img"
mkfs.ext4 -q -F -m 0 -N 40000 "$scratch_img" || exit 1
mkdir -p "$scratch"
mount -o loop,nosuid,nodev "$scratch_img" "$scratch" || exit 1
rm -rf "$scratch/lost+found"
chown "$user:" "$scratch"

mkdir -p "$out"
chown "$user:" "$out"
# git refuses a repository owned by another user: the harness commit is read here, as root.
harness_commit=$(git -C "$repo" rev-parse HEAD 2>/dev/null || echo)
eval "$join_cgroup"
setpriv --reuid="$user" --regid="$user" --init-groups -- env -i \
  PATH="$repo/node_modules/.bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin" HOME="$home" LANG=C.UTF-8 CI="${CI:-}" \
  PTB_HARNESS_COMMIT="$harness_commit" PTB_ADVERSARIAL_MODE=unprivileged PTB_CGROUP_PARENT="$parent" PTB_SCRATCH_DIR="$scratch" PTB_MIN_FREE_DISK_GB=0.03 TMPDIR=/tmp \
  vitest run actions/engine/test/adversarial --no-file-parallelism --configLoader runner \
  --reporter=default --reporter=json --outputFile="$out/report.json" "$@"
status=$?
cp "$out/report.json" "$repo/test-output/adversarial-unprivileged.json" 2>/dev/null
exit $status
