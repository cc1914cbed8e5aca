#!/usr/bin/env bash
# A fresh, size-capped filesystem for one GPU instance's sandbox disk, made before each job
# (ExecStartPre=+ of ptb-runner@.service, as root): a runner's harness is not root, so it
# cannot make the per-cell filesystem itself, and PTB_SCRATCH_DIR on a filesystem no larger
# than the cap is how the disk limit holds. New each job: nothing of one cell reaches the next.
#   mount-scratch.sh <gpu-index>
# Settings: PTB_SCRATCH_ROOT [/var/lib/ptb-scratch], PTB_SCRATCH_GB [200, v1's disk budget],
# PTB_RUNNER_USER_PREFIX [ptb-runner-], PTB_RUNNER_GROUP [ptb-runner] (install-instance.sh's).
set -euo pipefail
index=${1:?usage: mount-scratch.sh <gpu-index>}
[[ "$index" =~ ^[0-9]+$ ]] || { echo "the GPU index must be a number, got \"$index\"" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "mount-scratch.sh mounts a filesystem: run it as root (ExecStartPre=+)" >&2; exit 1; }
root=${PTB_SCRATCH_ROOT:-/var/lib/ptb-scratch}
size_gb=${PTB_SCRATCH_GB:-200}
[[ "$size_gb" =~ ^[0-9]+$ ]] && [ "$size_gb" -gt 0 ] || { echo "PTB_SCRATCH_GB must be a whole number of GB, got \"$size_gb\"" >&2; exit 2; }
user="${PTB_RUNNER_USER_PREFIX:-ptb-runner-}${index}"
group=${PTB_RUNNER_GROUP:-ptb-runner}
id -u "$user" >/dev/null 2>&1 || { echo "no user $user: run install-instance.sh $index first" >&2; exit 1; }
dir="$root/$index"
image="$root/$index.img"

install -d -m 755 "$root"
mkdir -p "$dir"
if mountpoint -q "$dir"; then umount "$dir" || umount -l "$dir"; fi
rm -f "$image"
# Sparse: the image takes only what the agent writes, up to the cap.
truncate -s "${size_gb}G" "$image"
mkfs.ext4 -q -F -m 0 -E lazy_itable_init=1,lazy_journal_init=1 "$image"
mount -o loop,nosuid,nodev "$image" "$dir"
rm -rf "$dir/lost+found"
chown "$user:$group" "$dir"
chmod 700 "$dir"
echo "scratch for GPU $index: $dir ($(df -h --output=size "$dir" | tail -1 | tr -d ' '), fresh)"
