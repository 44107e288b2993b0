#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""What an isola --json report says each attempt got of --isolate and --fence, a line per fact,
for the e2e tests to grep:
  TEST isolated tmp,shm,net,tree     (empty after "isolated " for none)
  TEST not_isolated REASON
  TEST tree|share PATH private|shared[: REASON]
  TEST fence_abi N
usage: isolation.py FILE. Nothing is printed for an attempt without them; exits 1 if the file
holds no test_end at all (so that an empty output means absent, not unread)."""
import json
import sys

ends = 0
for line in open(sys.argv[1], encoding="utf-8"):
    ev = json.loads(line)
    if ev["event"] != "test_end":
        continue
    ends += 1
    name = ev["test"]
    if "isolated" in ev:
        print("%s isolated %s" % (name, ",".join(ev["isolated"])))
    if "not_isolated" in ev:
        print("%s not_isolated %s" % (name, ev["not_isolated"]))
    for v in ev.get("trees", []):
        print("%s %s %s %s%s" % (name, v["kind"], v["path"], "private" if v["private"] else "shared",
                                 ": " + v["reason"] if v["reason"] is not None else ""))
    if "fence_abi" in ev:
        print("%s fence_abi %d" % (name, ev["fence_abi"]))
if not ends:
    sys.exit("isolation.py: no test_end in %s" % sys.argv[1])
