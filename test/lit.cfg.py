# -*- Python -*-
# lit configuration of the cupilot test suite.

import os
import shutil

import lit.formats
from lit.llvm import llvm_config

config.name = "cupilot"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".cu", ".test", ".mlir"]
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.cupilot_obj_root, "test")

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%cuda_path", config.cuda_path))
config.substitutions.append(
    ("%inputs", os.path.join(config.test_source_root, "Frontend", "Inputs"))
)
config.substitutions.append(("%cupilot_src", config.cupilot_src_root))

llvm_config.with_system_environment(["HOME", "TMPDIR"])
llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

tools = ["cupilot-opt", "FileCheck", "count", "not", "split-file"]
llvm_config.add_tool_substitutions(
    tools, [config.cupilot_tools_dir, config.llvm_tools_dir]
)

# The CUDA toolkit's nvcc compiles (no GPU needed) rewritten sources.
nvcc = os.path.join(config.cuda_path, "bin", "nvcc")
if os.path.exists(nvcc):
    config.available_features.add("nvcc")
    config.substitutions.append(("%nvcc", nvcc))

# GPU tests live in integration_test/ and need `cuda-gpu`; it is never set
# here, so they report UNSUPPORTED if run from this suite.
if os.path.exists("/dev/nvidia0"):
    config.available_features.add("cuda-gpu")

# Debian's headless Chromium renders the HTML report (test/Tuner); tests that
# need it are UNSUPPORTED where it is not installed.
chromium = "/usr/bin/chromium"
if os.path.exists(chromium):
    config.available_features.add("chromium")
    config.substitutions.append(("%chromium", chromium))
