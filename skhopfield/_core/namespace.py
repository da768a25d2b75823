"""Array namespace primitives of the modern Hopfield kernels.

Functions work in the dtype of the arrays they are given (float32 stays
float32), and in their array namespace: numpy arrays take the numpy path
(in-place ``exp``, ``out=`` buffers, ``einsum``), any other array API array
(torch, cupy, array-api-strict) the same formulas through its namespace, on
its device.  The few primitives that differ between the two are the helpers
here (``_rowdot``, ``_matmul``, ``_exp_inplace``, ``_ldexp``, ...); every
formula of :mod:`skhopfield._core.scoring` and :mod:`skhopfield._core.shards`
is written once, on top of them.
"""

import math

import numpy as np
import scipy.sparse as sp
from sklearn.externals import array_api_compat
from sklearn.utils._array_api import (
    _convert_to_numpy,
    _max_precision_float_dtype,
    move_to,
)


def _is_np(A):
    return isinstance(A, np.ndarray)


def _is_host(A):
    """numpy arrays and scipy.sparse matrices: the numpy path."""
    return isinstance(A, np.ndarray) or sp.issparse(A)


_NP = array_api_compat.array_namespace(np.empty(0))


def _ns(A):
    """The array API namespace of ``A`` (array-api-compat's, as scikit-learn's);
    numpy's for numpy arrays and scipy.sparse matrices."""
    if _is_host(A):
        return _NP
    return array_api_compat.array_namespace(A)


def _to_numpy(A):
    """``A`` as a numpy array on the host (works with or without dispatch)."""
    if _is_np(A):
        return A
    return _convert_to_numpy(A, _ns(A))


def _move(A, Q):
    """``A`` in the namespace and on the device of ``Q`` (numpy for sparse ``Q``)."""
    if _is_host(Q):
        return _to_numpy(A)
    return move_to(A, xp=_ns(Q), device=_device(Q))


def _device(A):
    return None if _is_np(A) else array_api_compat.device(A)


def _astype(A, dtype):
    if _is_np(A):
        return A.astype(dtype, copy=False)
    return _ns(A).astype(A, dtype, copy=False)


def _hi(A):
    """The most precise float dtype of ``A``'s namespace and device (float64 but
    on devices without it)."""
    if _is_np(A):
        return np.float64
    return _max_precision_float_dtype(_ns(A), _device(A))


def _finfo(A):
    return np.finfo(A.dtype) if _is_host(A) else _ns(A).finfo(A.dtype)


def _scalar(A, value):
    """``value`` as a scalar of ``A``'s dtype (numpy); a Python float otherwise
    (array API scalars are weakly typed, so ``A``'s dtype wins)."""
    return A.dtype.type(value) if _is_np(A) else float(value)


def _const(A, value):
    """``value`` as an operand of ``where`` / ``maximum`` next to ``A``: a
    numpy scalar of its dtype, or a 0-d array on its device."""
    if _is_np(A):
        return A.dtype.type(value)
    return _ns(A).asarray(value, dtype=A.dtype, device=_device(A))


def _sqrt_eps(A):
    """``sqrt(eps)`` of ``A``'s dtype, as a Python float (computed in that dtype,
    as numpy's ``np.sqrt(np.finfo(dtype).eps)``)."""
    info = _finfo(A)
    return float(np.sqrt((np.float32 if info.bits == 32 else np.float64)(info.eps)))


def _rowdot(A, B=None):
    """``sum_j A_ij B_ij`` per row (``B = A`` by default)."""
    B = A if B is None else B
    if _is_np(A):
        return np.einsum("ij,ij->i", A, B)
    return _ns(A).sum(A * B, axis=1)


def _matmul(A, B, out=None):
    if _is_np(A):
        return np.matmul(A, B, out=out)
    return A @ B


def _exp_inplace(A):
    """``exp(A)``, in place on numpy arrays."""
    if _is_np(A):
        return np.exp(A, out=A)
    return _ns(A).exp(A)


def _iadd(A, B):
    """``A + B``, in place on numpy arrays."""
    if _is_np(A):
        A += B
        return A
    return A + B


def _isub(A, B):
    """``A - B``, in place on numpy arrays."""
    if _is_np(A):
        A -= B
        return A
    return A - B


def _imul(A, b):
    """``A * b``, in place on numpy arrays."""
    if _is_np(A):
        A *= b
        return A
    return A * b


def _idiv(A, B):
    """``A / B``, in place on numpy arrays."""
    if _is_np(A):
        A /= B
        return A
    return A / B


def _copy(A):
    return np.array(A, copy=True) if _is_np(A) else _ns(A).asarray(A, copy=True)


def _exponent(a):
    """``k`` with ``a / 2**k`` in ``[0.5, 1)`` (0 for ``a == 0``)."""
    return int(math.frexp(a)[1]) if a > 0 else 0


def _ldexp(x, k):
    """``x * 2**k`` without warnings (inf or 0 where out of range).

    ``np.ldexp`` on numpy arrays and Python numbers; other namespaces have no
    ``ldexp``, so there it is a product with powers of two no larger than
    ``2**60`` (exact in float32 and float64 unless the result itself leaves
    the range).
    """
    if _is_np(x) or isinstance(x, (int, float, np.generic)):
        with np.errstate(over="ignore", under="ignore"):
            return np.ldexp(x, k)
    k = int(k)
    while k != 0:
        step = max(-60, min(60, k))
        x = x * 2.0**step
        k -= step
    return x


def _scale_by_pow2(A, k):
    """``A * 2**k``, exact unless the result leaves the dtype's range.

    In place on numpy arrays; a new array in other namespaces.
    """
    if k == 0:
        return A
    if not _is_np(A):
        return _ldexp(A, k)
    f = _ldexp(A.dtype.type(1), k)
    info = np.finfo(A.dtype)
    if np.isfinite(f) and f >= info.tiny:
        A *= f
    else:
        with np.errstate(over="ignore", under="ignore"):
            np.ldexp(A, k, out=A)
    return A
