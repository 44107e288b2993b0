#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Scenario 2, configuration change: writes mode=prod into the app config,
# gives the app time to start, and checks the app runs with its settings. With
# a shared config/app.conf, config_dev.sh overwrites the file in between and
# this test reads mode=dev (or an empty, half-written file).
#
# Isolation: isola copies config/ into each sandbox (copy = config) and
# points RACY_CONFIG_DIR at the copy.
set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
CONFIG_DIR=${RACY_CONFIG_DIR:-$here/config}
conf=$CONFIG_DIR/app.conf

fail() { echo "config_prod: $*" >&2; exit 1; }

[ -f "$conf" ] || fail "no config at $conf"
printf '%s\n' '# SPDX-License-Identifier: MIT' 'mode=prod' 'log_level=warn' >"$conf"

sleep 0.2 # the app starts and reads its config

mode=$(sed -n 's/^mode=//p' "$conf")
level=$(sed -n 's/^log_level=//p' "$conf")
[ "$mode $level" = "prod warn" ] ||
	fail "app started with mode='$mode' log_level='$level', wanted mode=prod log_level=warn"
echo "config_prod: ok"
