#!/usr/bin/env bash
# The fine-tuning loop end to end on real parts, small (examples/finetune-loop/README.md):
# 7net-0 glasses -> hot NVT frames -> farthest-point sampling -> CP2K labels -> audit -> fine-tune -> audit.
# Run from the repository root after 'make sevenn' and 'make system' (CP2K); about 1.5 h on 2 cores.
set -euo pipefail
R=runs/ft-loop                   # run folders stay out of the repository
Q=$R/quench D=$R/dft
E=examples/finetune-loop
REAL=(--pot chgnet --pot chgnet-r2scan --pot 7net-0 --pot 7net-0-mpf --pot 7net-l3i5 --pot 7net-mf-0-pbe
      --pot 7net-mf-0-r2scan)

# 1. the 7net-0 glasses of examples/universal-mlips (52 atoms, x = 0 and 2), or quench them here
for x in 0 2; do
  [ -f $Q/x$x/run.json ] || lammpskit quench --pot 7net-0 --x $x --fu 4 --profile smoke --set quench_rate=2000 --out $Q/x$x
  # 2. hot frames: short NVT runs at 900 K and 1500 K from each glass (0.4 ps, a frame every 20 steps)
  lammpskit arrhenius $Q/x$x --temperatures 900,1500 --ps 0.4 --equil 0.1 --every 20 || true  # D(T) of 0.4 ps: not the point
done
mkdir -p $D
# 3. 12 diverse frames per composition (farthest-point sampling over 300, 900 and 1500 K)
lammpskit finetune sample $Q/x0 --n 12 --out $D/frames-x0.xyz
lammpskit finetune sample $Q/x2 --n 12 --out $D/frames-x2.xyz
# 4. CP2K labels: PBE without D3 (what MPtrj's models learnt), Na GTH-q1, 400/60 Ry (the scan in the README)
lammpskit finetune converge $D/frames-x2.xyz --code cp2k --valence Na=1 --cutoffs 400,600,800 --rel-cutoffs 60 \
  --out $D/scan-q1 --json > $D/scan-q1.json  # the scan ran on one frame of frames-x2; see README
for x in 0 2; do
  lammpskit finetune dft $D/frames-x$x.xyz --code cp2k --valence Na=1 --no-d3 --cutoff 400 --rel-cutoff 60 \
    --workers 1 --threads 1 --out $D/labelled-x$x.xyz --json > $D/label-x$x.json &
done
wait
# 5. per composition, 8 frames to train on and 4 held out
for x in 0 2; do
  lammpskit finetune collect $D/labelled-x$x.xyz --valid-fraction 0.34 --train $D/train-x$x.xyz --valid $D/heldout-x$x.xyz
  # 6. audit every real potential on the held-out frames of each composition
  lammpskit audit $D/heldout-x$x.xyz --reference $D/heldout-x$x.xyz "${REAL[@]}" --json > $E/audit-before-x$x.json
done
cat $D/train-x0.xyz $D/train-x2.xyz > $D/train.xyz
# 7. fine-tune SevenNet-0 on the 16 training frames, register it as ft-7net-glass
lammpskit finetune sevenn $D/train.xyz --foundation 7net-0 --epochs 20 --threads 1 --name ft-7net-glass \
  --out $R/ft-7net --json > $E/finetune.json
# 8. audit again, the fine-tuned model beside its foundation
for x in 0 2; do
  lammpskit audit $D/heldout-x$x.xyz --reference $D/heldout-x$x.xyz --pot 7net-0 --pot ft-7net-glass --json \
    > $E/audit-after-x$x.json
done
