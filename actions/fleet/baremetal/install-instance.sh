#!/usr/bin/env bash
# Prepares one GPU's runner instance on a bare-metal box (run as root, once per GPU index):
# its own user, its own folder (mode 700) and its own copy of the actions/runner release, so
# that instances never share credentials, _work or _temp. ptb-runner@<index>.service runs it.
#   install-instance.sh <gpu-index>
# Settings (defaults in brackets): PTB_RUNNER_RELEASE [/opt/actions-runner], the unpacked
# release; PTB_RUNNER_HOME_ROOT [/var/lib/ptb-runner]; PTB_RUNNER_USER_PREFIX [ptb-runner-];
# PTB_RUNNER_GROUP [ptb-runner], the group that may read the runner-registration token file.
set -euo pipefail

index=${1:?usage: install-instance.sh <gpu-index>}
[[ "$index" =~ ^[0-9]+$ ]] || { echo "the GPU index must be a number, got \"$index\"" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "install-instance.sh creates a user: run it as root" >&2; exit 1; }
release=${PTB_RUNNER_RELEASE:-/opt/actions-runner}
home_root=${PTB_RUNNER_HOME_ROOT:-/var/lib/ptb-runner}
user="${PTB_RUNNER_USER_PREFIX:-ptb-runner-}${index}"
group=${PTB_RUNNER_GROUP:-ptb-runner}
home="${home_root}/${index}"

[ -x "${release}/run.sh" ] || { echo "no actions/runner release in ${release} (run.sh missing); unpack it there" >&2; exit 1; }
getent group "$group" >/dev/null || groupadd --system "$group"
if ! id -u "$user" >/dev/null 2>&1; then
  useradd --system --gid "$group" --home-dir "$home" --no-create-home --shell /usr/sbin/nologin "$user"
fi
install -d -m 755 "$home_root"
install -d -m 700 -o "$user" -g "$group" "$home"
# A fresh copy of the release: the runner writes its registration (.runner, .credentials) and
# its _work folder beside run.sh, so one copy per instance keeps them apart.
rm -rf "${home}/runner"
cp -a "${release}/." "${home}/runner/"
chown -R "${user}:${group}" "${home}/runner"
echo "instance ${index}: user ${user}, folder ${home} (runner copy in ${home}/runner, work folder ${home}/runner/_work)"
