#!/usr/bin/env python3
"""Runs a benchmark script in this process and reports its peak resident memory.

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 scripts/torch_peak.py SCRIPT [SCRIPT ARGS...]

The script (e.g. the read-only ../shared/bench/torch_meles_step.py) runs unchanged through
runpy, so its own JSON line comes first; then one more JSON line:
`{"peak_rss_mb": ..., "baseline_rss_mb": ...}`. The peak is getrusage's ru_maxrss (the kernel's
high-water mark of resident memory, kB on Linux) at the end, so it covers setup, the train steps
and the embedding batches; it is read as the train step's peak on the assumption that a no-grad
embedding pass (which keeps no activations for backward) needs less. The baseline is the high-water mark after `import torch`, before the
script runs. scripts/bench-train.ts measures its own child processes the same way
(`process.resourceUsage().maxRSS`).
"""
import json, resource, runpy, sys

if len(sys.argv) < 2:
    sys.stderr.write('usage: torch_peak.py SCRIPT [ARGS...]\n')
    sys.exit(2)

import torch  # noqa: F401  (imported first so the baseline includes the library, as node's includes tfjs)

baseline_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
script = sys.argv[1]
sys.argv = sys.argv[1:]
runpy.run_path(script, run_name='__main__')
sys.stdout.flush()
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({'peak_rss_mb': round(peak_kb / 1024), 'baseline_rss_mb': round(baseline_kb / 1024)}))
