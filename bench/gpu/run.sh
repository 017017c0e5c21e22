#!/bin/sh
# The portable GPU benchmark (built by `npm run bench:gpu-bundle`): runs the WebGPU benchmark
# (Dawn; Vulkan on the NVIDIA driver) and then the PyTorch reference (torch.cuda) on this
# machine's card, and writes one JSON. Needs: Linux x86-64 with glibc >= 2.28, python3 with
# torch (CUDA build for GPU numbers), libvulkan1 and the NVIDIA Vulkan ICD for WebGPU. No Node,
# no network.
#
#   ./run.sh [--sizes tiny,base] [--quick] [--out FILE] [--torch-device auto|cuda|cpu] [--no-torch]
#   PYTHON=/path/to/python3 ./run.sh          # another interpreter
#
# The large binaries travel xz-compressed; the first run unpacks them beside themselves (with xz,
# or with Python's lzma where xz is missing).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
PYTHON=${PYTHON:-python3}

unpack() {
  [ -f "$1" ] && return 0
  echo "[run.sh] unpacking $(basename "$1")" >&2
  if command -v xz >/dev/null 2>&1; then
    xz -dc "$1.xz" > "$1.part"
  else
    "$PYTHON" -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1.xz" "$1.part"
  fi
  mv "$1.part" "$1"
}
unpack "$HERE/bin/node"
chmod +x "$HERE/bin/node"
unpack "$HERE/app/node_modules/webgpu/dist/linux-x64/dawn.node"

# Say early why WebGPU may find no hardware adapter (the JSON says so too).
if ! (ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1'); then
  echo "[run.sh] warning: libvulkan.so.1 not found (Debian/Ubuntu: apt-get install libvulkan1); WebGPU will have no adapter" >&2
fi
if [ -z "${VK_ICD_FILENAMES:-}" ] && ! ls /usr/share/vulkan/icd.d/nvidia*.json /etc/vulkan/icd.d/nvidia*.json >/dev/null 2>&1; then
  echo "[run.sh] warning: no NVIDIA Vulkan ICD (nvidia_icd.json) found; in a container, set NVIDIA_DRIVER_CAPABILITIES=all (it needs 'graphics')" >&2
fi
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader >&2 || true
fi

exec "$HERE/bin/node" "$HERE/app/bench.mjs" --python "$PYTHON" --out "${OUT:-$PWD/gpu-bench-result.json}" "$@"
