#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Scenario 2, configuration change: writes mode=dev into the app config,
# gives the app time to start, and checks the app runs with its settings. With
# a shared config/app.conf, config_prod.sh overwrites the file in between and
# this test reads mode=prod (or an empty, half-written file).
#
# Isolation: isola copies config/ into each sandbox (copy = config) and
# points RACY_CONFIG_DIR at the copy.
set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
CONFIG_DIR=${RACY_CONFIG_DIR:-$here/config}
conf=$CONFIG_DIR/app.conf

fail() { echo "config_dev: $*" >&2; exit 1; }

[ -f "$conf" ] || fail "no config at $conf"
printf '%s\n' '# SPDX-License-Identifier: MIT' 'mode=dev' 'log_level=debug' >"$conf"

sleep 0.2 # the app starts and reads its config

mode=$(sed -n 's/^mode=//p' "$conf")
level=$(sed -n 's/^log_level=//p' "$conf")
[ "$mode $level" = "dev debug" ] ||
	fail "app started with mode='$mode' log_level='$level', wanted mode=dev log_level=debug"
echo "config_dev: ok"
