#!/usr/bin/env bash
# One lent GPU session's work in one go: continue the shipped models' training side by side, score each new
# checkpoint the project's way, and time the GPU. GPU time is scarce (15 minutes a session, the machine's start
# included), so everything is in this one script, tested on the CPU first:
#
#     OUT=/tmp/gpu DEVICE=cpu BUDGET_S=20 PROBE_STEPS=5 EVAL_N=100 MODELS="ddpm gan" bash benchmarks/gpu_session.sh
#     bash benchmarks/gpu_session.sh                       # on the device machine, OUT set by the device tool
#
# Each model is continued from its shipped checkpoint (--init-from, so the checkpoint keeps its whole history)
# for about BUDGET_S seconds: a short probe run measures its steps per second on this machine with the others
# running beside it, and the real run asks for that rate x BUDGET_S steps (a run saves only at its end, so a
# step count, not a kill, ends it). What comes back under $OUT: NAME.safetensors, NAME.log, eval-NAME.txt,
# timings.txt. A new checkpoint replaces the shipped one only if its eval is better (done by hand, after).
set -uo pipefail
OUT=${OUT:?set OUT to the folder that comes back}
DEVICE=${DEVICE:-cuda}
BUDGET_S=${BUDGET_S:-360}        # training seconds for each model (they run at the same time)
PROBE_STEPS=${PROBE_STEPS:-200}  # steps of the speed probe of each model
EVAL_N=${EVAL_N:-5000}           # the issues' N for FID
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
cd "$(dirname "$0")/.."
started=$(date +%s)
say() { echo "[$(( $(date +%s) - started )) s] $*" | tee -a "$OUT/timings.txt"; }

# What each model's run takes besides --steps, --out and --device: the diffusion models and the PixelCNN go on
# from their shipped weights, and so does the GAN (the 64-channel DCGAN of Radford et al.'s width); the DDPMs and
# the GAN in bf16 autocast (the PixelCNN's default already), as their CPU runs are. The DDPM keeps the shipped
# U-Net's two blocks per resolution and its last runs' long weight average (--ema 0.9999), at twice their
# batch and so twice their rate of 5e-5; the GAN its last CPU run's recipe (a residual block at each resolution,
# D at 2x G's rate, G's weights averaged).
declare -A ARGS=(
  [ddpm]="--base-channels 48 --depth 2 --batch-size 256 --lr 1e-4 --ema 0.9999 --precision bf16 --seed 11 --init-from checkpoints/ddpm.safetensors"
  [cddpm]="--batch-size 256 --lr 2e-4 --precision bf16 --seed 12 --init-from checkpoints/cddpm.safetensors"
  [pixelcnn]="--seed 13 --init-from checkpoints/pixelcnn.safetensors"
  [gan]="--channels 64 --depth 1 --lr-g 1e-4 --lr-d 2e-4 --ema 0.999 --precision bf16 --seed 14 --init-from checkpoints/gan.safetensors"
)
# ARGS_<model> replaces a model's arguments, e.g. to go on with a run of one's own kept in runs/ (ignored by
# git; the device tool carries it with `carry: ["runs"]`):
#     ARGS_ddpm="--base-channels 48 --depth 2 --lr 1e-4 --precision bf16 --init-from runs/mine.safetensors" bash ...
for m in "${!ARGS[@]}"; do
  override="ARGS_$m"
  [ -n "${!override:-}" ] && ARGS[$m]=${!override}
done
read -r -a MODELS <<< "${MODELS:-ddpm cddpm gan pixelcnn}"

# 1. Speed probes, all at once (as the real runs will share the GPU).
for m in "${MODELS[@]}"; do
  python3 -m explorer train "$m" ${ARGS[$m]} --steps "$PROBE_STEPS" \
    --device "$DEVICE" --out "$OUT/probe-$m.safetensors" > "$OUT/probe-$m.log" 2>&1 &
done
wait
declare -A STEPS
for m in "${MODELS[@]}"; do
  STEPS[$m]=$(python3 - "$OUT/probe-$m.safetensors" "$PROBE_STEPS" "$BUDGET_S" <<'EOF'
import sys
from explorer.core.runtime.checkpoints import load_checkpoint
path, probe, budget = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
seconds = load_checkpoint(path).info["training"]["seconds"]  # loading and previews included: a safe rate
print(max(probe, int(probe / seconds * budget)))
EOF
  ) || STEPS[$m]=0
  rm -f "$OUT/probe-$m.safetensors"
  say "probe $m: ${STEPS[$m]} steps fit in ${BUDGET_S} s"
done

# 2. The runs, side by side.
for m in "${MODELS[@]}"; do
  [ "${STEPS[$m]}" -gt 0 ] || continue
  python3 -m explorer train "$m" ${ARGS[$m]} --steps "${STEPS[$m]}" \
    --device "$DEVICE" --out "$OUT/$m.safetensors" > "$OUT/$m.log" 2>&1 &
done
wait
say "training done"

# 3. Each new checkpoint scored as the issues ask (N = EVAL_N, seed 0, the app's sampler).
for m in "${MODELS[@]}"; do
  [ -f "$OUT/$m.safetensors" ] || { say "$m: no checkpoint (see $m.log)"; continue; }
  python3 -m explorer eval "$m" -n "$EVAL_N" --checkpoint "$OUT/$m.safetensors" --device "$DEVICE" \
    > "$OUT/eval-$m.txt" 2>/dev/null &
done
wait
say "evaluated"

# 4. GPU timings of the app's chains (the issue's "DDPM on a GPU").
python3 benchmarks/diffusion_speed.py --device "$DEVICE" --no-diffusers >> "$OUT/timings.txt" 2>&1
say "all done"
