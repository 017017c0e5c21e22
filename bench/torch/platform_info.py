"""
Which BLAS (and device) the PyTorch reference really runs on.

Debian's python3-torch is built with BLAS_INFO=generic: it calls whatever libblas.so.3 the
alternatives system points at. With libopenblas0-pthread that is OpenBLAS; without it, the
netlib reference BLAS, which is about 20× slower — a ratio against that is meaningless, so it is
detected here and flagged loudly. torch.__config__ only says "generic", so the libraries actually
mapped into this process are read from /proc/self/maps (threadpoolctl, where installed, adds the
kernel OpenBLAS picked).
"""
import os
import re

import torch

_ENV_KEYS = ('OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE', 'OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS')


def _mapped_libraries():
    try:
        with open('/proc/self/maps') as f:
            paths = {line.split()[-1] for line in f if '.so' in line and '/' in line}
    except OSError:
        return None
    return sorted(p for p in paths if re.search(r'blas|lapack|mkl|blis|gomp|iomp|cublas|cudart', os.path.basename(p)))


def _classify(libs):
    """(kind, variant) from the mapped library paths."""
    joined = ' '.join(libs)
    if 'libmkl' in joined:
        return 'mkl', None
    if 'openblas' in joined:
        m = re.search(r'openblas-(pthread|openmp|serial)', joined)
        return 'openblas', m.group(1) if m else None
    if 'blis' in joined:
        return 'blis', None
    # Debian's netlib reference BLAS lives in .../blas/libblas.so.3 (alternative "blas").
    if re.search(r'/blas/libblas\.so', joined):
        return 'reference', None
    return 'unknown', None


def blas_info():
    """What BLAS torch uses here, with a loud warning where the numbers would be meaningless."""
    # A float32 matmul first, so a lazily loaded BLAS is mapped before /proc/self/maps is read.
    torch.matmul(torch.ones(64, 64), torch.ones(64, 64)).sum().item()
    config = torch.__config__.show()
    m = re.search(r'BLAS_INFO=([^,\s]+)', config)
    libs = _mapped_libraries()
    kind, variant = _classify(libs or [])
    info = {
        'torchBlasInfo': m.group(1) if m else None,
        'kind': kind,
        'variant': variant,
        'libraries': libs,
        'mkldnn': torch.backends.mkldnn.is_available(),
        'threadpoolctl': None,
        'warnings': [],
    }
    try:
        from threadpoolctl import threadpool_info  # optional; not a Debian default
        info['threadpoolctl'] = [
            {k: d.get(k) for k in ('internal_api', 'version', 'num_threads', 'threading_layer', 'architecture', 'filepath')}
            for d in threadpool_info()
        ]
    except ImportError:
        pass
    if kind == 'reference':
        info['warnings'].append(
            'REFERENCE BLAS: torch runs on the netlib reference BLAS (about 20x slower than OpenBLAS); '
            'every ratio against it is meaningless. Install libopenblas0-pthread (Debian) and run again.')
    elif kind == 'openblas' and variant == 'serial':
        info['warnings'].append('OpenBLAS is the serial build: matrix products use one thread whatever torch.set_num_threads says.')
    elif kind == 'unknown':
        info['warnings'].append('could not tell which BLAS torch uses (no known library mapped)')
    return info


def environment():
    """The BLAS/thread variables in force (the benchmark's caller unsets OPENBLAS_CORETYPE/_L2_SIZE)."""
    return {k: os.environ.get(k) for k in _ENV_KEYS}


def device_info(device):
    if device.type == 'cuda':
        p = torch.cuda.get_device_properties(device)
        return {'type': 'cuda', 'name': p.name, 'memoryGb': round(p.total_memory / 2 ** 30, 1),
                'cuda': torch.version.cuda, 'cudnn': torch.backends.cudnn.version()}
    cpu = None
    try:
        with open('/proc/cpuinfo') as f:
            m = re.search(r'model name\s*:\s*(.+)', f.read())
            cpu = m.group(1).strip() if m else None
    except OSError:
        pass
    return {'type': 'cpu', 'name': cpu, 'cores': os.cpu_count()}
