"""Exponential and logarithm as branch-free arithmetic, so that kernel loops vectorise.

Numba turns ``math.exp`` and ``math.log`` into calls of the C library, one number at a time:
a loop calling them cannot use the machine's vector units (the SVML vector library is not
available to PyPI's llvmlite). :func:`exp` and :func:`log` here are written with additions,
multiplications, one division and bit moves only, so LLVM vectorises a loop that calls them; the
same operations in the same order give the same bits whether a number is computed alone, in a
vector lane, or on another thread (no fast-math flags: nothing is reassociated or contracted).

Accuracy: within 2 units in the last place of the correctly rounded value over the ranges the
kernels use (tested against ``math.exp``/``math.log`` on millions of points). The methods are
the classical ones (Cody & Waite 1980 argument reduction; Tang 1989 for exp; the ``atanh``
series of fdlibm's ``e_log.c`` for log), with Taylor coefficients.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

__all__ = ["exp", "log", "EXP_MIN_ARGUMENT", "EXP_MAX_ARGUMENT"]

#: :func:`exp` clamps its argument to this range (its results stay normal and finite).
EXP_MIN_ARGUMENT = -708.0
EXP_MAX_ARGUMENT = 709.0

_LOG2E = 1.4426950408889634
# ln 2 split so that k * _LN2_HI is exact for |k| < 2^11 (fdlibm's constants).
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
# Adding 1.5 * 2^52 rounds a double of magnitude below 2^51 to an integer, held in the low bits.
_SHIFTER = 6755399441055744.0
_SHIFTER_BITS = np.int64(0x4338000000000000)
_EXPONENT_BIAS = np.int64(1023)
_MANTISSA_MASK = np.int64(0x000FFFFFFFFFFFFF)
_ONE_BITS = np.int64(0x3FF0000000000000)
_SQRT2 = math.sqrt(2.0)

# 1/n! for n = 13 .. 2: |r| <= ln2 / 2 leaves a Taylor remainder below 1e-17 relative.
_E13 = 1.0 / 6227020800.0
_E12 = 1.0 / 479001600.0
_E11 = 1.0 / 39916800.0
_E10 = 1.0 / 3628800.0
_E9 = 1.0 / 362880.0
_E8 = 1.0 / 40320.0
_E7 = 1.0 / 5040.0
_E6 = 1.0 / 720.0
_E5 = 1.0 / 120.0
_E4 = 1.0 / 24.0
_E3 = 1.0 / 6.0
_E2 = 0.5

# 2 / (2k + 1) for k = 1 .. 10: log(1 + f) = s * (2 + sum_k L_k s^2k) with s = f / (2 + f),
# |s| <= 0.1716, so s^2 <= 0.0295 and the remainder is below 1e-17 relative.
_L1 = 2.0 / 3.0
_L2 = 2.0 / 5.0
_L3 = 2.0 / 7.0
_L4 = 2.0 / 9.0
_L5 = 2.0 / 11.0
_L6 = 2.0 / 13.0
_L7 = 2.0 / 15.0
_L8 = 2.0 / 17.0
_L9 = 2.0 / 19.0
_L10 = 2.0 / 21.0


def _bits_of_typing(typingctx, x):
    """The 64 bits of a double, as a signed integer (an LLVM bitcast, free in a vector register)."""
    if x != types.float64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


_bits_of: Any = intrinsic(_bits_of_typing)


def _double_of_typing(typingctx, k):
    """The double whose 64 bits are the signed integer `k`."""
    if k != types.int64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


_double_of: Any = intrinsic(_double_of_typing)


@njit(cache=True, inline="always")
def exp(x: float) -> float:
    """e**x for finite x, the argument clamped to [-708, 709] (so the result is a normal double).

    x = k ln2 + r with |r| <= ln2/2; e**r by its Taylor polynomial to degree 13; times 2**k
    built in the exponent bits.
    """
    x = min(max(x, EXP_MIN_ARGUMENT), EXP_MAX_ARGUMENT)
    t = x * _LOG2E + _SHIFTER
    kf = t - _SHIFTER
    k = _bits_of(t) - _SHIFTER_BITS
    r = (x - kf * _LN2_HI) - kf * _LN2_LO
    p = _E12 + r * _E13
    p = _E11 + r * p
    p = _E10 + r * p
    p = _E9 + r * p
    p = _E8 + r * p
    p = _E7 + r * p
    p = _E6 + r * p
    p = _E5 + r * p
    p = _E4 + r * p
    p = _E3 + r * p
    p = _E2 + r * p
    p = 1.0 + r * p
    p = 1.0 + r * p
    return p * _double_of((k + _EXPONENT_BIAS) << np.int64(52))


@njit(cache=True, inline="always")
def log(x: float) -> float:
    """Natural logarithm of a positive normal double.

    x = 2**e m with m in [sqrt(1/2), sqrt(2)); log m = 2 atanh(s), s = (m - 1) / (m + 1), by its
    series to s**21; plus e ln2 in two parts. Zero, negative, subnormal, infinite or NaN
    arguments give meaningless results: callers pass revenues floored at 1 and probabilities
    in (0, 1].
    """
    bits = _bits_of(x)
    e = (bits >> np.int64(52)) - _EXPONENT_BIAS
    m = _double_of((bits & _MANTISSA_MASK) | _ONE_BITS)
    big = m > _SQRT2
    m = m * 0.5 if big else m
    e = e + 1 if big else e
    f = m - 1.0
    s = f / (2.0 + f)
    z = s * s
    q = _L9 + z * _L10
    q = _L8 + z * q
    q = _L7 + z * q
    q = _L6 + z * q
    q = _L5 + z * q
    q = _L4 + z * q
    q = _L3 + z * q
    q = _L2 + z * q
    q = _L1 + z * q
    ef = float(e)
    return ef * _LN2_HI + (s * (2.0 + z * q) + ef * _LN2_LO)
