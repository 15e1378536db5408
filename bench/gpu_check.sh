#!/usr/bin/env bash
# The check to run on a new GPU runner before its first real figure run (about 10 minutes).
#
#   bench/gpu_check.sh                  on a machine with CUDA, after `make test` (or `make .venv/.figures`
#                                       plus the test extra)
#   bench/gpu_check.sh --rehearse-cpu   the same steps, fewer of them, on the CPU: checks this script
#
# On the tiny random-weight stand-ins of every model and adapter (tests/figures/tiny_models.py, an offline
# Hugging Face cache: no weights are downloaded), in a copy of the project so figures/ is never touched:
#   1. the figure tests, with the run on CUDA (SETTINGS_GUIDE_TEST_DEVICE=cuda)
#   2. the whole catalogue in bf16, then in fp16
#   3. the offload paths: one setting with `--offload model` and `--offload sequential`, and an
#      image-to-image setting whose pipeline comes `from_pipe` from an offloaded text-to-image model
# then one summary: each step's exit code, seconds and images, and the GPU's peak memory in use.
# Exits 2 without CUDA, 1 when any step failed.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
SG=.venv/bin/settings-guide
DEVICE=cuda
REHEARSE=0
if [[ "${1:-}" == "--rehearse-cpu" ]]; then DEVICE=cpu; REHEARSE=1; fi

if [[ ! -x "$PY" || ! -x "$SG" ]]; then
    echo "gpu_check: no .venv with the figures and test extras; run \`make test\` first" >&2
    exit 2
fi
if [[ $REHEARSE == 0 ]] && ! "$PY" -c "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
    echo "gpu_check: torch sees no CUDA device here (torch.cuda.is_available() is False); run it on the GPU runner" >&2
    echo "gpu_check: a CPU-only torch (as \`make test\` installs) needs \`make .venv/.figures\` in a fresh .venv there" >&2
    exit 2
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/gpu-check.XXXXXX")
trap 'kill "${SAMPLER:-}" 2>/dev/null; rm -rf "$WORK"' EXIT
export HF_HUB_CACHE="$WORK/hub" HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
"$PY" -c "from pathlib import Path; from tests.figures.tiny_models import build_hub_cache; build_hub_cache(Path('$HF_HUB_CACHE'))" \
    >"$WORK/stand-ins.log" 2>&1 || { tail -20 "$WORK/stand-ins.log" >&2; echo "gpu_check: could not build the tiny stand-ins" >&2; exit 1; }

# The GPU's memory in use, sampled each second: its peak is in the summary.
PEAK="$WORK/memory.txt"
if [[ $REHEARSE == 0 ]] && command -v nvidia-smi >/dev/null; then
    (while true; do nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits | head -1 >>"$PEAK"; sleep 1; done) &
    SAMPLER=$!
fi

SUMMARY=()
FAILED=0
step() {  # step NAME COMMAND...: run it, keep its output in $WORK/NAME.log, remember rc, seconds and its last line
    local name=$1; shift
    local start=$SECONDS
    "$@" >"$WORK/$name.log" 2>&1
    local rc=$?
    local last
    last=$(grep -E "^(generated|[0-9]+ (passed|failed))|passed|error:" "$WORK/$name.log" | tail -1)
    SUMMARY+=("$(printf '%-22s rc=%-3s %5ss  %s' "$name" "$rc" "$((SECONDS - start))" "$last")")
    if [[ $rc != 0 ]]; then
        FAILED=1
        echo "--- $name failed; the end of its output:" >&2
        tail -20 "$WORK/$name.log" >&2
    fi
}

project() {  # project NAME: a copy of the settings and figure defaults, with no images yet
    mkdir -p "$WORK/$1/figures"
    cp -r settings templates "$WORK/$1/"
    cp figures/defaults.yml "$WORK/$1/figures/"
    echo "$WORK/$1"
}

SIZE=64x64
if [[ $REHEARSE == 1 ]]; then
    ONLY=(--only inference-steps strength)
    step figure-tests env SETTINGS_GUIDE_TEST_DEVICE=$DEVICE OMP_NUM_THREADS=1 "$PY" -m pytest -q -x tests/figures/test_run.py
    step catalogue-fp32 "$SG" figures --root "$(project fp32)" --device $DEVICE --dtype fp32 --size $SIZE "${ONLY[@]}"
else
    ONLY=()
    step figure-tests env SETTINGS_GUIDE_TEST_DEVICE=$DEVICE "$PY" -m pytest -q tests/figures
    for dtype in bf16 fp16; do
        step "catalogue-$dtype" "$SG" figures --root "$(project "$dtype")" --device $DEVICE --dtype $dtype --size $SIZE
    done
fi
if [[ $REHEARSE == 1 ]]; then
    SUMMARY+=("offload steps          skipped: they move model parts onto a CUDA GPU")
else
    for offload in model sequential; do
        step "offload-$offload" "$SG" figures --root "$(project "offload-$offload")" --device $DEVICE --size $SIZE \
            --offload $offload --only inference-steps
    done
    # Strength runs image-to-image: its pipeline is made from_pipe from the text-to-image model, offloaded.
    step from-pipe-offloaded "$SG" figures --root "$(project from-pipe)" --device $DEVICE --size $SIZE \
        --offload model --only strength
fi

echo
echo "gpu_check on $DEVICE: $("$PY" -c "import torch; print(torch.cuda.get_device_name() if torch.cuda.is_available() else 'no CUDA')") \
torch $("$PY" -c "import torch; print(torch.__version__)") diffusers $("$PY" -c "import diffusers; print(diffusers.__version__)")"
printf '%s\n' "${SUMMARY[@]}"
if [[ -s "$PEAK" ]]; then
    echo "GPU memory in use, peak: $(sort -n "$PEAK" | tail -1) MiB"
fi
if [[ $FAILED == 1 ]]; then
    echo "gpu_check: some steps failed (their output is above)" >&2
    exit 1
fi
echo "gpu_check: every step passed"
