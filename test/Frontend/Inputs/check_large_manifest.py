"""Compares the kernel index of large.cu with `gen_large.py --manifest`.

Usage: check_large_manifest.py MANIFEST INDEX.json

For every kernel of the manifest: the line of its name, its launch lines, the
number of `for` loops, the static shared-memory bytes, the number of
__syncthreads calls, the warp intrinsic and the number of atomicAdd calls.
A function template is checked on its primary entry; each instance must be
listed too, with one launch. Prints one line per mismatch and a summary; the
class column is not compared (the index follows its own definitions).
"""

import json
import sys


def main(manifest_path, index_path):
    index = json.load(open(index_path))
    kernels = {k["name"]: k for k in index["kernels"]}
    errors = []
    rows = 0
    for line in open(manifest_path):
        if line.startswith("#") or "|" not in line:
            continue
        rows += 1
        name, _cls, decl, launches, loops, shared, syncs, warp, atomics = (
            f.strip() for f in line.split("|"))
        k = kernels.get(name)
        if k is None:
            errors.append(f"{name}: not listed")
            continue
        instances = [i for i in index["kernels"]
                     if i["template"] and i["template"]["kind"] == "instance"
                     and i["template"]["name"] == name]
        sites = k["launchSites"] + [s for i in instances for s in i["launchSites"]]
        got = {
            "line": str(k["location"]["line"]),
            "launches": ",".join(sorted((str(s["location"]["line"]) for s in sites),
                                        key=int)),
            "loops": str(len(k["loops"])),
            "shared": str(sum(s["bytes"] or 0 for s in k["sharedMemory"]) or "-"),
            "syncs": str(sum(u["name"] == "__syncthreads" for u in k["intrinsics"])),
            "warp": ",".join(sorted({u["name"] for u in k["intrinsics"]
                                     if u["category"] == "warp-shuffle"})) or "-",
            "atomics": str(sum(u["name"] == "atomicAdd" for u in k["intrinsics"])),
        }
        want = {"line": decl, "launches": launches, "loops": loops,
                "shared": shared, "syncs": syncs, "warp": warp,
                "atomics": atomics}
        for key in want:
            if got[key] != want[key]:
                errors.append(f"{name}: {key} is {got[key]}, expected {want[key]}")
        if k["template"] and any(len(i["launchSites"]) != 1 for i in instances):
            errors.append(f"{name}: an instance without exactly one launch")
    for e in errors:
        print("mismatch: " + e)
    print(f"checked {rows} manifest kernels, {len(errors)} mismatches")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
