# -*- Python -*-
# Runs the GoogleTest unit tests (unittests/) as part of the lit suite.

import os

import lit.formats

config.name = "cupilot-unit"
config.suffixes = []
config.test_source_root = os.path.join(config.cupilot_obj_root, "unittests")
config.test_exec_root = config.test_source_root
config.test_format = lit.formats.GoogleTest(".", "UnitTests")
