#!/usr/bin/env python3
"""Prints one Markdown table from cupilot evolution reports (cupilot.report/v1).

Usage: bench/summarize.py [--vendor VENDOR.json] REPORT.json [REPORT.json ...]

Speedups are the original's median time over the best variant's, both
measured in the same worker run (interleaved), on the card the report names.
With --vendor (the output of bench/vendor/cublas_bench.cu, run on the same
card in the same session), two more columns give the vendor library's time
for the same computation and the best variant's speed relative to it
(vendor ms / best ms: above 1 means faster than the library).
"""
import json
import sys


def fmt(value, spec, suffix=""):
    return "-" if value is None else format(value, spec) + suffix


def main(argv):
    vendor = {}
    if argv[:1] == ["--vendor"]:
        with open(argv[1]) as f:
            vendor = json.load(f)["kernels"]
        argv = argv[2:]
    paths = argv
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
            v = vendor.get(k["kernel"])
            best_ms = (best and best.get("timeMs")) or orig.get("timeMs")
            vendor_cols = ""
            if vendor:
                vendor_cols = " {} | {} |".format(
                    f"{v['ms']:.4f} ({v['op']})" if v else "-",
                    fmt(v["ms"] / best_ms if v and best_ms else None, ".2f", "x"),
                )
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
                + vendor_cols
            )
    measured = device.get("measuredBandwidthGBs")
    print(f"Card: {device['name']} ({device['arch']}), memory roof "
          f"{device['peakBandwidthGBs']:.0f} GB/s"
          + (f" (measured copy {measured:.0f} GB/s)" if measured else "")
          + ", fp32 roof "
          f"{device['peakGflops']['f32']:.0f} GFLOP/s\n")
    header = "| kernel | naive ms | best ms | speedup | best genome | % of roof | class | passed/evaluated |"
    rule = "|---|---|---|---|---|---|---|---|"
    if vendor:
        header += " vendor ms | best vs vendor |"
        rule += "---|---|"
    print(header)
    print(rule)
    for row in rows:
        print(row)


if __name__ == "__main__":
    main(sys.argv[1:])
