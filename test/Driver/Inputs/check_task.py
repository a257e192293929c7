"""Reads a drafted task file back and checks it names things consistently.

Usage: check_task.py TASK.yaml

Loads the YAML (it must be one mapping in the single-kernel form), then
checks what docs/TaskSchema.md requires of names: every identifier in a
buffer count, scalar value or verify shape is a size; grid and
shared_bytes use sizes, block.x/y/z and the expression functions; block
components use sizes. Prints a one-line summary per part, and `ok` or the
problems found.
"""

import re
import sys

import yaml

FUNCTIONS = {"min", "max", "ceil_div", "round_up", "log2", "pow2"}
BLOCK = {"block.x", "block.y", "block.z"}


def names(expr):
    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_.]*", str(expr)))


def components(v):
    return v if isinstance(v, list) else [v]


def main(path):
    task = yaml.safe_load(open(path))
    problems = []
    sizes = list(task["sizes"])
    print("kernel:", task["kernel"])
    print("sizes:", " ".join(f"{k}={v}" for k, v in task["sizes"].items()))
    for arg in task["arguments"]:
        if arg["kind"] == "buffer":
            print(f"buffer {arg['name']}: {arg['dtype']} {arg['role']} "
                  f"count={arg['count']}")
            bad = names(arg["count"]) - set(sizes)
        else:
            print(f"scalar {arg['name']}: {arg['dtype']} value={arg['value']}")
            bad = names(arg["value"]) - set(sizes)
        problems += [f"'{n}' in argument {arg['name']} is no size" for n in bad]
    launch = task["launch"]
    grid, block = components(launch["grid"]), components(launch["block"])
    print("grid:", " | ".join(str(g) for g in grid))
    print("block:", " | ".join(str(b) for b in block))
    print("shared_bytes:", launch["shared_bytes"])
    for g in grid + [launch["shared_bytes"]]:
        bad = names(g) - set(sizes) - BLOCK - FUNCTIONS
        problems += [f"'{n}' in the grid is no size" for n in bad]
    for b in block:
        problems += [f"'{n}' in the block is no size"
                     for n in names(b) - set(sizes)]
    for i, shape in enumerate(task.get("verify_shapes", [])):
        print(f"verify_shapes[{i}]:",
              " ".join(f"{k}={v}" for k, v in shape.items()))
        problems += [f"verify_shapes[{i}] sets '{k}', no size"
                     for k in shape if k not in sizes]
    print("tolerance:", task["tolerance"]["atol"], task["tolerance"]["rtol"])
    for p in problems:
        print("problem:", p)
    print("ok" if not problems else "not ok")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
