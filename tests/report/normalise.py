#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Normalise a report for comparison with its golden file.

usage: normalise.py FORMAT FILE WORK ROOT RUN_ID > normalised

FORMAT is junit, tap, json, trace or html. Times, durations, dates, the host name, isola's
version, the run id and the paths of the test's scratch directory (WORK), the sandbox root
(ROOT) and the run's random directory and sandbox names are replaced by fixed words; nothing
else changes, so that every byte of escaping is compared. Runs of identical lines (10 MB of
output) are folded into one line and a count.
"""
import json
import re
import sys

fmt, path, work, root, run_id = sys.argv[1:6]


def paths(s):
    s = s.replace(run_id, "RUNID")
    s = re.sub(re.escape(root) + r"/isola-[A-Za-z0-9]{6}", "ROOT/RUN", s)
    s = re.sub(r"(ROOT/RUN/[0-9]+)-[A-Za-z0-9]{6}", r"\1-XXXXXX", s)
    s = s.replace(work, "WORK")
    return s


def fold(text):
    out, prev, count = [], None, 0
    for line in text.split("\n") + [None]:
        if line == prev:
            count += 1
            continue
        if prev is not None:
            out.append(prev)
            if count > 2:
                out.append("[normalise.py: the line above %d more times]" % (count - 1))
            elif count == 2:
                out.append(prev)
        prev, count = line, 1
    return "\n".join(out)


def zero_keys(obj, keys):
    """Set every number under one of keys to 0, at any depth."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in keys and isinstance(v, (int, float)) and not isinstance(v, bool):
                obj[k] = 0
            else:
                zero_keys(v, keys)
    elif isinstance(obj, list):
        for v in obj:
            zero_keys(v, keys)


with open(path, encoding="utf-8", errors="surrogateescape") as f:
    text = f.read()

# The golden files are this script's output: they carry their licence and origin on line 1.
sys.stdout.write("SPDX-License-Identifier: MIT; normalised by tests/report/normalise.py\n")

if fmt == "json":
    lines = []
    for line in text.splitlines():
        ev = json.loads(line)
        zero_keys(ev, {"t", "duration", "cleanup_duration", "cpu", "max_rss_kib"})
        # How processes were owned depends on the machine (a pid namespace, or not).
        if "processes" in ev:
            ev["processes"]["owner"] = "OWNER"
            if ev["processes"]["reason"] is not None:
                ev["processes"]["reason"] = "REASON"
        if "time" in ev:
            ev["time"] = "TIME"
        if "isola_version" in ev:
            ev["isola_version"] = "VERSION"
        lines.append(paths(json.dumps(ev, ensure_ascii=False)))
    sys.stdout.write("\n".join(lines) + "\n")
elif fmt == "trace":
    doc = json.loads(text)
    zero_keys(doc, {"ts", "dur", "test_time_ms", "wall_ms"})
    doc["otherData"]["isola_version"] = "VERSION"
    sys.stdout.write(paths(json.dumps(doc, ensure_ascii=False, indent=1)) + "\n")
elif fmt == "junit":
    text = re.sub(r'\b(time|timestamp|hostname)="[^"]*"', r'\1="X"', text)
    text = re.sub(r'(name="(?:staging\.time|isola\.version)" value=)"[^"]*"', r'\1"X"', text)
    sys.stdout.write(fold(paths(text)))
elif fmt == "tap":
    text = re.sub(r"duration_ms: [0-9.]+", "duration_ms: X", text)
    text = re.sub(r"^# isola [^ ]+ run", "# isola VERSION run", text, flags=re.M)
    sys.stdout.write(paths(text))
elif fmt == "html":
    # The time axis depends on the run's length: its ticks go; the rest is compared.
    text = re.sub(r'<line [^>]*/><text [^>]*>[0-9.e+-]+s</text>\n', "", text)
    # A bar's label shows only if the bar is wide enough: a matter of timing.
    text = re.sub(r'<text class="label" [^>]*>[^<]*</text>', "", text)
    text = re.sub(r'\b(x|x1|x2|width)="[0-9.]+"', r'\1="N"', text)
    text = re.sub(r"width:[0-9.]+%", "width:W%", text)
    text = re.sub(r"\b[0-9]+\.[0-9]%", "P%", text)
    text = re.sub(r"\b[0-9]+\.[0-9]{3}s\b|\b[0-9]+m[0-9]{2}s\b", "D", text)
    text = re.sub(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} UTC", "DATE", text)
    text = re.sub(r"isola [0-9][^ <]* &middot;", "isola VERSION &middot;", text)
    # The slowest tests' order is a matter of milliseconds between the fast ones: sort the rows
    # (report-html.sh checks the order where it is certain).
    m = re.search(r'(<section id="slowest">.*?</tr>\n)(.*?)(</table>)', text, re.S)
    if m:
        rows = sorted(m.group(2).splitlines(keepends=True))
        text = text[:m.start(2)] + "".join(rows) + text[m.end(2):]
    sys.stdout.write(fold(paths(text)))
else:
    sys.exit("normalise.py: unknown format " + fmt)
