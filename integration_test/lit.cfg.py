# -*- Python -*-
# lit configuration of the GPU integration tests (integration_test/). They
# need a CUDA GPU (`cuda-gpu`) and are not part of check-cupilot; run them
# with `ninja check-cupilot-integration` or, on a machine without lit or
# LLVM, with integration_test/run_on_gpu.sh.

import os
import shutil

import lit.formats

config.name = "cupilot-integration"
# Tests use ordinary shell (pipes, `||`, awk): run them with bash.
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".test"]
config.excludes = ["Inputs", "results"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.cupilot_obj_root, "integration_test")

worker = os.path.join(config.cupilot_tools_dir, "cupilot-worker")
evaluate = os.path.join(config.cupilot_tools_dir, "cupilot-eval")
config.substitutions.append(("%worker", worker))
config.substitutions.append(
    ("%eval", '"%s" --worker "%s" --cuda-path "%s"' % (evaluate, worker,
                                                        config.cuda_path)))
config.substitutions.append(("%cuda_path", config.cuda_path))

for name in ["PATH", "HOME", "TMPDIR", "LD_LIBRARY_PATH",
             "CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES"]:
    if name in os.environ:
        config.environment[name] = os.environ[name]

# `--param cuda_gpu=1` forces the feature (e.g. where the device nodes are
# hidden from this check).
if (os.path.exists("/dev/nvidia0") or shutil.which("nvidia-smi")
        or lit_config.params.get("cuda_gpu") == "1"):
    config.available_features.add("cuda-gpu")
