#!/usr/bin/env python3
"""Writes one cupilot-worker protocol message to stdout.

usage: make-request.py KIND ID [FIELD | -f FILE]...

Each FIELD is one line of the message, e.g. 'arch value=sm_90'; -f FILE adds
the lines of FILE as fields (blank lines and lines starting with '#' are
skipped). A field whose last token is @PATH gets the contents of PATH as its
length-prefixed block (a relative PATH in FILE is relative to FILE's
directory); @- is an empty block. Attribute values are written as given
(use %20 for a space). See docs/WorkerProtocol.md.
"""
import os
import sys


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 1
    out = sys.stdout.buffer
    out.write(b"begin %s %s\n" % (argv[1].encode(), argv[2].encode()))
    fields = []
    args = argv[3:]
    while args:
        arg = args.pop(0)
        if arg != "-f":
            fields.append((arg, "."))
            continue
        path = args.pop(0)
        with open(path) as f:
            for line in f.read().splitlines():
                if line.strip() and not line.startswith("#"):
                    fields.append((line, os.path.dirname(path)))
    for field, base in fields:
        tokens = field.split(" ")
        blob = None
        if tokens[-1].startswith("@"):
            path = tokens.pop()[1:]
            if path != "-":
                path = os.path.join(base, path)
            blob = b"" if path == "-" else open(path, "rb").read()
        line = " ".join(tokens).encode()
        if blob is None:
            out.write(line + b"\n")
        else:
            out.write(line + b" #%d\n" % len(blob) + blob + b"\n")
    out.write(b"end\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
