#!/usr/bin/env python3
"""Prints one Markdown table from cupilot evolution reports (cupilot.report/v1).

Usage: bench/summarize.py REPORT.json [REPORT.json ...]

Speedups are the original's median time over the best variant's, both
measured in the same worker run (interleaved), on the card the report names.
"""
import json
import sys


def fmt(value, spec, suffix=""):
    return "-" if value is None else format(value, spec) + suffix


def main(paths):
    rows = []
    device = None
    for path in paths:
        with open(path) as f:
            report = json.load(f)
        if report.get("schema") != "cupilot.report/v1":
            sys.exit(f"{path}: not a cupilot.report/v1 file")
        device = report["device"]
        for k in report["kernels"]:
            orig, best = k["original"], k["best"]
            passed = sum(1 for e in k["evaluations"] if e["verdict"] == "passed")
            rows.append(
                "| {} | {} | {} | {} | {} | {} -> {} | {} | {}/{} |".format(
                    k["kernel"],
                    fmt(orig.get("timeMs"), ".4f"),
                    fmt(best and best.get("timeMs"), ".4f"),
                    fmt(best and best.get("speedup") or 1.0, ".2f", "x"),
                    (best or {}).get("genome", "(original)"),
                    fmt(orig.get("percentOfRoof"), ".1f", "%"),
                    fmt((best or orig).get("percentOfRoof"), ".1f", "%"),
                    orig.get("rooflineClass", "-"),
                    passed,
                    len(k["evaluations"]),
                )
            )
    measured = device.get("measuredBandwidthGBs")
    print(f"Card: {device['name']} ({device['arch']}), memory roof "
          f"{device['peakBandwidthGBs']:.0f} GB/s"
          + (f" (measured copy {measured:.0f} GB/s)" if measured else "")
          + ", fp32 roof "
          f"{device['peakGflops']['f32']:.0f} GFLOP/s\n")
    print("| kernel | naive ms | best ms | speedup | best genome | % of roof | class | passed/evaluated |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(row)


if __name__ == "__main__":
    main(sys.argv[1:])
