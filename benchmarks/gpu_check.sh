#!/usr/bin/env bash
# The GPU checks, on a machine with an NVIDIA GPU, from the project's root:
#     source .gpu/run/setup_on_gpu.sh && bash benchmarks/gpu_check.sh
# (setup_on_gpu.sh stages XGBoost, LightGBM and the numpy shim and sets NUMBA_ENABLE_CUDASIM=0;
# on a machine with everything installed: bash benchmarks/gpu_check.sh).  Sized for about 6
# minutes on an H200 with 16 cores; every step is cut to fit GPU_CHECK_SECONDS (540) in all.
#   1. tests/test_cuda.py on the GPU, with a fresh Numba cache (block size 4, as in CI);
#   2. the stale-cache scenario: one cache directory, block size 4 then 128, another, 128 then
#      4; each run's GPU gradients against the CPU's (benchmarks/gpu_stale_cache.py);
#   3. benchmarks/cuda_speed.py at block sizes 128 (production) and 256, into speed.json.
# Every log goes to $OUT (./gpu_out when unset); a summary ends the output (summary.txt).
# With NUMBA_ENABLE_CUDASIM=1 it checks its own plumbing on numba's simulator in about a
# minute: one quick test, tiny data, no figure worth reading.
set -uo pipefail
OUT=${OUT:-./gpu_out}
mkdir -p "$OUT"
export NUMBA_ENABLE_CUDASIM=${NUMBA_ENABLE_CUDASIM:-0} PYTHONUNBUFFERED=1
smoke=()
tests_k="not script_runs and not compiles_for_a_real_gpu"
if [[ $NUMBA_ENABLE_CUDASIM == 1 ]]; then
  smoke=(--smoke)
  tests_k="numpy_without_row_stack"
fi
export PYTHONPATH=${PYTHONPATH:-$PWD}
PY=${PYTHON:-python3}
caches=$(mktemp -d)
trap 'rm -rf "$caches"' EXIT
deadline=$((SECONDS + ${GPU_CHECK_SECONDS:-540}))

# seconds for the next step: at most $1, and never past the deadline (less 5 s per later step)
budget() {
  local left=$((deadline - SECONDS - 5 * $2))
  ((left < $1)) && echo $((left > 10 ? left : 10)) || echo "$1"
}
# run a step under `timeout`; its exit status, with 124 reported as "timed out"
verdict() { case $1 in 0) echo ok ;; 124) echo "TIMED OUT" ;; *) echo "FAILED (exit $1)" ;; esac; }

{
  echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null \
    || echo '?'), $(nproc) CPU threads"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1
  $PY -c "import sys, numpy, numba, numba_cuda; print('python', sys.version.split()[0], \
'numpy', numpy.__version__, 'numba', numba.__version__, 'numba-cuda', numba_cuda.__version__)"
  $PY -c "import xgboost; print('xgboost', xgboost.__version__, 'CUDA', \
xgboost.build_info().get('USE_CUDA'))" 2>&1 | tail -1
} > "$OUT/versions.txt" 2>&1
cat "$OUT/versions.txt"

# 1. the CUDA tests on the device, block size 4, fresh cache (the PTX and simulator-only script
#    tests need no GPU and run in CI)
echo "== tests/test_cuda.py (log: $OUT/tests.log)"
NUMBA_CACHE_DIR=$caches/main BOOSTRANK_CUDA_THREADS=4 timeout "$(budget 250 7)" \
  $PY -m pytest tests/test_cuda.py -q -x -p no:cacheprovider \
  -k "$tests_k" > "$OUT/tests.log" 2>&1
tests=$(verdict $?)
echo "tests: $tests: $(tail -n 1 "$OUT/tests.log")"

# 2. the stale-cache scenario: the CPU reference once, then pairs of runs sharing a cache
echo "== stale-cache scenario (log: $OUT/stale.log)"
: > "$OUT/stale.log"
NUMBA_CACHE_DIR=$caches/main timeout "$(budget 90 6)" \
  $PY benchmarks/gpu_stale_cache.py "${smoke[@]}" --reference "$OUT/stale_ref.npz" \
  >> "$OUT/stale.log" 2>&1
stale=$(verdict $?)
runs=0
for pair in "4 128" "128 4"; do
  dir=$caches/stale-${pair// /-}
  for threads in $pair; do
    NUMBA_CACHE_DIR=$dir BOOSTRANK_CUDA_THREADS=$threads timeout "$(budget 60 $((5 - runs)))" \
      $PY benchmarks/gpu_stale_cache.py "${smoke[@]}" --check "$OUT/stale_ref.npz" \
      >> "$OUT/stale.log" 2>&1
    status=$?
    runs=$((runs + 1))
    ((status != 0)) && stale="$(verdict $status) at block $threads after ${pair%% *}"
    echo "  cache $(basename "$dir"), block $threads: $(find "$dir" -name '*.nbi' | wc -l) \
index files after the run" >> "$OUT/stale.log"
  done
done
echo "stale cache: $stale"
grep -E "^(agree|DISAGREE|FAILED)" "$OUT/stale.log" | sed 's/^/  /'

# 3. speed, at the production block size (kernels compiled by the tests, at block size 4,
#    are reused from the cache: that is the fix under test too)
echo "== benchmarks/cuda_speed.py (log: $OUT/speed.log, figures: $OUT/speed.json)"
NUMBA_CACHE_DIR=$caches/main BOOSTRANK_CUDA_THREADS=128 timeout "$(budget 230 0)" \
  $PY benchmarks/cuda_speed.py "${smoke[@]}" --threads 128,256 --repeats 5 --rounds 10 \
  --json "$OUT/speed.json" > "$OUT/speed.log" 2>&1
speed=$(verdict $?)

{
  echo "== summary ($((SECONDS)) s)"
  echo "tests: $tests: $(tail -n 1 "$OUT/tests.log")"
  echo "stale cache: $stale"
  grep -E "^(agree|DISAGREE|FAILED)" "$OUT/stale.log" | sed 's/^/  /'
  echo "speed: $speed"
  sed -n '/^| workload | objective | rows/,$p' "$OUT/speed.log"
} | tee "$OUT/summary.txt"
[[ $tests == ok && $stale == ok && $speed == ok ]]
