"""Creates a tuning database (schema version 1, docs/TuningDatabase.md)
holding one best variant, the way --evolve leaves it, without a GPU.

Usage: make_db.py DB FINGERPRINT KERNEL PLAN.yaml [SPEEDUP] [ARCH]
"""
import sqlite3
import sys

db, fingerprint, kernel, plan_file = sys.argv[1:5]
speedup = float(sys.argv[5]) if len(sys.argv) > 5 else 1.5
arch = sys.argv[6] if len(sys.argv) > 6 else "sm_90"
plan = open(plan_file).read()
c = sqlite3.connect(db)
c.executescript(
    """
CREATE TABLE IF NOT EXISTS evaluations (
  id INTEGER PRIMARY KEY, kernel_fingerprint TEXT NOT NULL,
  gpu_arch TEXT NOT NULL, task_shape TEXT NOT NULL, source_hash TEXT NOT NULL,
  compile_options TEXT NOT NULL, kernel_name TEXT NOT NULL,
  source_file TEXT NOT NULL, genome TEXT NOT NULL, plan_yaml TEXT NOT NULL,
  verdict TEXT NOT NULL, reason TEXT NOT NULL, time_ms REAL, baseline_ms REAL,
  speedup REAL, result_json TEXT NOT NULL, created_at TEXT NOT NULL,
  UNIQUE (kernel_fingerprint, gpu_arch, task_shape, source_hash,
          compile_options));
CREATE TABLE IF NOT EXISTS best (
  kernel_fingerprint TEXT NOT NULL, gpu_arch TEXT NOT NULL,
  task_shape TEXT NOT NULL,
  evaluation_id INTEGER NOT NULL REFERENCES evaluations (id),
  updated_at TEXT NOT NULL,
  PRIMARY KEY (kernel_fingerprint, gpu_arch, task_shape));
PRAGMA user_version=1;
"""
)
cur = c.execute(
    "INSERT INTO evaluations (kernel_fingerprint, gpu_arch, task_shape, "
    "source_hash, compile_options, kernel_name, source_file, genome, "
    "plan_yaml, verdict, reason, time_ms, baseline_ms, speedup, result_json, "
    "created_at) VALUES (?, ?, 'n=1', ?, '', ?, 'x.cu', 'test-genome', ?, "
    "'passed', '', 1.0, ?, ?, '{}', '2026-01-01T00:00:00Z')",
    (fingerprint, arch, "h" + arch + str(speedup), kernel, plan, speedup,
     speedup),
)
c.execute(
    "INSERT OR REPLACE INTO best VALUES (?, ?, 'n=1', ?, "
    "'2026-01-01T00:00:00Z')",
    (fingerprint, arch, cur.lastrowid),
)
c.commit()
