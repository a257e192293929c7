#!/usr/bin/env python3
"""Checks that a PNG screenshot shows something: decodes it with zlib only
(no PIL), then requires the expected size, many distinct colours, and a good
share of pixels that differ from the most common (background) colour.

usage: check_png.py FILE.png WIDTH HEIGHT [--min-colors N] [--min-ink F]
Prints one summary line; exits 1 with a reason when the image looks blank."""

import argparse
import struct
import sys
import zlib
from collections import Counter
from itertools import accumulate


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def unfilter(kind, row, prev, bpp):
    """One scanline without its PNG filter (RFC 2083, section 6)."""
    if kind == 0:
        return row
    if kind == 2:
        return bytes((x + b) & 255 for x, b in zip(row, prev))
    out = bytearray(len(row))
    for lane in range(bpp):
        xs = row[lane::bpp]
        if kind == 1:
            vals = accumulate(xs, lambda a, x: (a + x) & 255)
        elif kind == 3:
            ups = prev[lane::bpp]
            vals = accumulate(
                zip(xs, ups),
                lambda a, xb: (xb[0] + ((a + xb[1]) >> 1)) & 255,
                initial=0,
            )
            next(vals)
        elif kind == 4:
            ups = prev[lane::bpp]
            ups_left = b"\0" + prev[lane::bpp][:-1]
            vals = accumulate(
                zip(xs, ups, ups_left),
                lambda a, xbc: (xbc[0] + paeth(a, xbc[1], xbc[2])) & 255,
                initial=0,
            )
            next(vals)
        else:
            raise ValueError("bad filter type %d" % kind)
        out[lane::bpp] = bytes(vals)
    return bytes(out)


def read_png(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    pos, idat, header = 8, [], None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    width, height, depth, color, _, _, interlace = header
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(color)
    if depth != 8 or channels is None or interlace:
        raise ValueError(
            "unsupported PNG (depth %d, colour type %d, interlace %d)"
            % (depth, color, interlace)
        )
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    rows, prev = [], bytes(stride)
    for y in range(height):
        start = y * (stride + 1)
        line = raw[start + 1 : start + 1 + stride]
        row = unfilter(raw[start], line, prev, channels)
        rows.append(row)
        prev = row
    return width, height, channels, rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("png")
    parser.add_argument("width", type=int)
    parser.add_argument("height", type=int)
    parser.add_argument("--min-colors", type=int, default=64)
    parser.add_argument("--min-ink", type=float, default=0.02)
    args = parser.parse_args()

    width, height, channels, rows = read_png(args.png)
    if (width, height) != (args.width, args.height):
        print("screenshot is %dx%d, expected %dx%d"
              % (width, height, args.width, args.height))
        return 1
    colors = Counter()
    for row in rows:
        pixels = range(0, len(row), channels)
        colors.update(row[i : i + channels] for i in pixels)
    background, count = colors.most_common(1)[0]
    ink = 1 - count / float(width * height)
    print("png %dx%d: %d colours, %.1f%% of pixels differ from the background"
          % (width, height, len(colors), 100 * ink))
    if len(colors) < args.min_colors:
        print("looks blank: fewer than %d colours" % args.min_colors)
        return 1
    if ink < args.min_ink:
        print("looks blank: under %.1f%% ink" % (100 * args.min_ink))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
