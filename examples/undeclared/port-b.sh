#!/bin/sh
# SPDX-License-Identifier: MIT
# A server test on a fixed port (as test suites of web services often have): it starts a server
# on 127.0.0.1:58080, talks to it, stops it. port-a.sh is its twin.
exec python3 "$(dirname "$0")/server.py" 58080
