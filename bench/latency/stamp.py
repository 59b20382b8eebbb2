#!/usr/bin/env python3
"""Stamps each line of stdin with its receipt time (Unix seconds) and writes
"<time>\t<line>" to the file argv[1], flushed per line. With argv[2], only
lines containing that substring are kept (the rest are read and dropped)."""
import sys
import time

out = open(sys.argv[1], "w", buffering=1)
needle = sys.argv[2].encode() if len(sys.argv) > 2 else None
readline = sys.stdin.buffer.readline
while True:
    line = readline()
    if not line:
        break
    if needle is not None and needle not in line:
        continue
    out.write("%.6f\t%s" % (time.time(), line.decode("utf-8", "replace")))
