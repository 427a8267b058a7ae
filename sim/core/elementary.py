"""Exponential and logarithm as branch-free arithmetic, so that kernel loops vectorise.

Numba turns ``math.exp`` and ``math.log`` into calls of the C library, one number at a time:
a loop calling them cannot use the machine's vector units (the SVML vector library is not
available to PyPI's llvmlite). :func:`exp` and :func:`log` here are written with additions,
multiplications, one division and bit moves only, so LLVM vectorises a loop that calls them; the
same operations in the same order give the same bits whether a number is computed alone, in a
vector lane, or on another thread (no fast-math flags: nothing is reassociated or contracted).
The polynomials use fused multiply-adds written out (LLVM's ``fma``, rounded once by definition:
the machine's instruction where it has one, else the C library's correctly rounded ``fma``, so
the bits do not depend on the machine) and Estrin's scheme, whose short dependency chains let
the vector lanes of neighbouring iterations overlap (Horner's 13 chained steps did not).

Accuracy: within 2 units in the last place of the correctly rounded value over the ranges the
kernels use (tested against ``math.exp``/``math.log`` on millions of points). The methods are
the classical ones (Cody & Waite 1980 argument reduction; Tang 1989 for exp; the ``atanh``
series of fdlibm's ``e_log.c`` for log), with Taylor coefficients, the polynomials evaluated
by Estrin's scheme (Knuth, TAOCP vol. 2, section 4.6.4).
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


def _fma_typing(typingctx, a, b, c):
    """The product of a and b plus c, rounded once (LLVM's fma: the instruction, or the C library's fma)."""
    if not (a == types.float64 and b == types.float64 and c == types.float64):
        return None

    def codegen(context, builder, signature, args):
        d = ir.DoubleType()
        fn = builder.module.declare_intrinsic("llvm.fma", [d], ir.FunctionType(d, [d, d, d]))
        return builder.call(fn, args)

    return types.float64(types.float64, types.float64, types.float64), codegen


_fma: Any = intrinsic(_fma_typing)


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
    # 1 + r + r^2 q(r), q's 12 terms by Estrin: pairs, then pairs of pairs with r^2, r^4, r^8.
    r2 = r * r
    r4 = r2 * r2
    r8 = r4 * r4
    a2 = _fma(r, _E3, _E2)
    a4 = _fma(r, _E5, _E4)
    a6 = _fma(r, _E7, _E6)
    a8 = _fma(r, _E9, _E8)
    a10 = _fma(r, _E11, _E10)
    a12 = _fma(r, _E13, _E12)
    b2 = _fma(r2, a4, a2)
    b6 = _fma(r2, a8, a6)
    b10 = _fma(r2, a12, a10)
    c2 = _fma(r4, b6, b2)
    q = _fma(r8, b10, c2)
    p = 1.0 + _fma(r2, q, r)
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
    # q(z) of degree 9 by Estrin, as in exp.
    z2 = z * z
    z4 = z2 * z2
    z8 = z4 * z4
    a1 = _fma(z, _L2, _L1)
    a3 = _fma(z, _L4, _L3)
    a5 = _fma(z, _L6, _L5)
    a7 = _fma(z, _L8, _L7)
    a9 = _fma(z, _L10, _L9)
    b1 = _fma(z2, a3, a1)
    b5 = _fma(z2, a7, a5)
    c1 = _fma(z4, b5, b1)
    q = _fma(z8, a9, c1)
    ef = float(e)
    return ef * _LN2_HI + (s * (2.0 + z * q) + ef * _LN2_LO)
