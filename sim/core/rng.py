"""Keyed random numbers: every draw of `sim` is a pure function of its keys.

Two forms, both keyed so the numbers do not depend on chunking, thread or worker counts, or the
machine:

- counter-based numbers for kernels, a splitmix64 hash of (seed, draw, entity, year, stream)
  (:func:`uniform_at`, :func:`normal_at`, :func:`poisson_at` and the in-kernel :func:`uniform`,
  :func:`standard_normal`, ...); kernels never hold generator state, and the same kernel compiled
  for another target gives the same values. Streams separate the uses (growth shock, exit,
  entry, ...) so that switching one mechanism off does not shift the numbers of another.
  The keys fold in one at a time, so a kernel hashes the prefixes once and reuses them:
  :func:`draw_prefix` (seed, draw) once per call, :func:`entity_prefix` (entity, year) once per
  entity and year, :func:`stream_key` once per number: two splitmix64 rounds a number (with the
  output round) instead of six, and the same keys as :func:`draw_key`;
- ``numpy.random.Generator`` objects for plain-Python sampling (initial populations, drawn
  parameters, project arrivals): :func:`generator_for` spawns one from ``SeedSequence(seed)`` by
  (draw, keys...), a text key standing for the CRC-32 of its UTF-8 bytes; :func:`keyed_generator`
  gives the same generator (the same numbers) for a quarter of the cost, hashing the keys the way
  ``SeedSequence`` does in compiled code, for the uses that make one a programme-year.
"""

from __future__ import annotations

import math
import operator
import zlib
from functools import lru_cache
from typing import NamedTuple

import numpy as np
from numba import njit
from numpy.random.bit_generator import ISeedSequence

__all__ = [
    "splitmix64",
    "draw_key",
    "draw_prefix",
    "entity_prefix",
    "stream_key",
    "uniform",
    "standard_normal",
    "standard_laplace",
    "poisson",
    "uniform_at",
    "uniforms_at",
    "normal_at",
    "poisson_at",
    "text_key",
    "generator_for",
    "KeyedSeed",
    "keyed_generator",
    "NoiseKey",
]

class NoiseKey(NamedTuple):
    """The (seed, draw) pair that keys a draw's random numbers in one year.

    It is the draw's own pair, except in the years a draw replays the random numbers of the
    calibration particle it took its fitted parameters from (:mod:`sim.scenario.posterior`).
    """

    seed: int
    draw: int


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_TWO_POW_53_INV = 1.0 / 9007199254740992.0
#: Scale of the unit-variance Laplace distribution.
_LAPLACE_SCALE = 1.0 / math.sqrt(2.0)

@njit(cache=True, inline="always")
def splitmix64(x: np.uint64) -> np.uint64:
    """One splitmix64 step: a bijective mix of 64 bits (Steele, Lea & Flood 2014)."""
    z = x + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@njit(cache=True, inline="always")
def draw_prefix(seed: int | np.int64, draw: int | np.int64) -> np.uint64:
    """The (seed, draw) part of every key of a draw: hashed once per kernel call."""
    return splitmix64(splitmix64(np.uint64(seed)) ^ np.uint64(draw))


@njit(cache=True, inline="always")
def entity_prefix(prefix: np.uint64, entity: int | np.int64, year: int | np.int64) -> np.uint64:
    """The (seed, draw, entity, year) part of a key, from the draw's :func:`draw_prefix`: hashed
    once per entity and year, whatever the number of streams drawn for it.
    """
    return splitmix64(splitmix64(prefix ^ np.uint64(entity)) ^ np.uint64(year))


@njit(cache=True, inline="always")
def stream_key(entity_key: np.uint64, stream: int | np.int64) -> np.uint64:
    """The key of one number of a stream, from its :func:`entity_prefix`."""
    return splitmix64(entity_key ^ np.uint64(stream))


@njit(cache=True, inline="always")
def draw_key(seed: int | np.int64, draw: int | np.int64, entity: int | np.int64, year: int | np.int64, stream: int | np.int64) -> np.uint64:
    """The key of one random number: the keys folded one by one through splitmix64
    (:func:`draw_prefix`, then :func:`entity_prefix`, then :func:`stream_key`).
    """
    return stream_key(entity_prefix(draw_prefix(seed, draw), entity, year), stream)


@njit(cache=True, inline="always")
def uniform(key: np.uint64) -> float:
    """Uniform on the open interval (0, 1) from a key (53 bits of the hash)."""
    return ((splitmix64(key) >> np.uint64(11)) + 0.5) * _TWO_POW_53_INV


@njit(cache=True, inline="always")
def standard_normal(key: np.uint64) -> float:
    """Standard normal by Box-Muller from two uniforms derived from one key."""
    u1 = uniform(key)
    u2 = uniform(key ^ np.uint64(0x632BE59BD9B4E019))
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


@njit(cache=True, inline="always")
def standard_laplace(key: np.uint64) -> float:
    """Laplace with scale 1/sqrt(2), i.e. unit variance, by inversion."""
    u = uniform(key) - 0.5
    # Branch-free form of ``b ln(1 + 2u)`` for u < 0 and ``-b ln(1 - 2u)`` otherwise (the same
    # bits: 1 + 2u == 1 - 2|u| exactly, and negation is exact): the sign of a uniform is a coin
    # toss the branch predictor loses half the time.
    return math.copysign(-_LAPLACE_SCALE * math.log(1.0 - 2.0 * abs(u)), u)


@njit(cache=True)
def poisson(key: np.uint64, mean: float) -> np.int64:
    """Poisson count with the given mean.

    Inversion by sequential search for means up to 30; above, a normal approximation with
    continuity correction (relative error of the mean below 1e-3 there), which keeps the count a
    pure function of one key.
    """
    if mean <= 0.0:
        return np.int64(0)
    if mean > 30.0:
        x = mean + math.sqrt(mean) * standard_normal(key) + 0.5
        return np.int64(max(0.0, math.floor(x)))
    u = uniform(key)
    p = math.exp(-mean)
    cdf = p
    k = 0
    while u > cdf and k < 1000:
        k += 1
        p *= mean / k
        cdf += p
    return np.int64(k)


@njit(cache=True)
def uniform_at(seed: int | np.int64, draw: int | np.int64, entity: int | np.int64, year: int | np.int64, stream: int | np.int64) -> float:
    """Uniform on (0, 1) for (seed, draw, entity, year, stream), callable from plain Python.

    The key stays inside compiled code, so no 64-bit unsigned value crosses into Python.
    """
    return uniform(draw_key(seed, draw, entity, year, stream))


@njit(cache=True)
def uniforms_at(seed: int | np.int64, draw: int | np.int64, entities: np.ndarray, year: int | np.int64, stream: int | np.int64) -> np.ndarray:
    """Uniforms on (0, 1), one for each entity of an int64 array: :func:`uniform_at` for many."""
    out = np.empty(entities.shape[0])
    prefix = draw_prefix(seed, draw)
    for k in range(entities.shape[0]):
        out[k] = uniform(stream_key(entity_prefix(prefix, entities[k], year), stream))
    return out


@njit(cache=True)
def normal_at(seed: int | np.int64, draw: int | np.int64, entity: int | np.int64, year: int | np.int64, stream: int | np.int64) -> float:
    """Standard normal for (seed, draw, entity, year, stream), callable from plain Python."""
    return standard_normal(draw_key(seed, draw, entity, year, stream))


@njit(cache=True)
def poisson_at(seed: int | np.int64, draw: int | np.int64, entity: int | np.int64, year: int | np.int64, stream: int | np.int64,
               mean: float) -> np.int64:
    """Poisson count for (seed, draw, entity, year, stream), callable from plain Python."""
    return poisson(draw_key(seed, draw, entity, year, stream), mean)


def text_key(text: str) -> int:
    """A spawn key for a name (a parameter path, a programme id): CRC-32 of its UTF-8 bytes."""
    return zlib.crc32(text.encode("utf-8"))


def generator_for(seed: int, draw: int, *keys: int | str) -> np.random.Generator:
    """The generator of one use of randomness in one draw.

    Parameters
    ----------
    seed : int
        The scenario's seed.
    draw : int
        Draw index.
    *keys : int or str
        What the generator is for (a parameter path, a programme id and a year, ...); a string
        stands for its :func:`text_key`. No keys gives the draw's own generator.

    Returns
    -------
    numpy.random.Generator
        PCG64 seeded by ``SeedSequence(seed, spawn_key=(draw, *keys))``: independent of every
        other key tuple, and of the number of workers.
    """
    spawn_key = (draw, *(text_key(k) if isinstance(k, str) else k for k in keys))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy=seed, spawn_key=spawn_key)))


# The constants of NumPy's SeedSequence (numpy/random/bit_generator.pyx): its entropy-pool hash
# (hashmix/mix, after O'Neill's seed_seq_fe) and its state output, over 32-bit words.
_POOL_SIZE = 4
_WORD = np.uint64(0xFFFFFFFF)
_XSHIFT = np.uint64(16)
_INIT_A = np.uint64(0x43B0D7E5)
_MULT_A = np.uint64(0x931E8875)
_INIT_B = np.uint64(0x8B51F9DD)
_MULT_B = np.uint64(0x58F38DED)
_MIX_MULT_L = np.uint64(0xCA01F9DD)
_MIX_MULT_R = np.uint64(0x4973F715)


@njit(cache=True, inline="always")
def _hashmix(value: np.uint64, hash_const: np.uint64) -> tuple[np.uint64, np.uint64]:
    """SeedSequence's ``hashmix``: the mixed word and the next hash constant."""
    value ^= hash_const
    hash_const = (hash_const * _MULT_A) & _WORD
    value = (value * hash_const) & _WORD
    return value ^ (value >> _XSHIFT), hash_const


@njit(cache=True, inline="always")
def _mix(x: np.uint64, y: np.uint64) -> np.uint64:
    """SeedSequence's ``mix`` of two words."""
    result = ((_MIX_MULT_L * x) - (_MIX_MULT_R * y)) & _WORD
    return result ^ (result >> _XSHIFT)


@njit(cache=True)
def _seed_sequence_words(entropy: np.ndarray, n_words: int) -> np.ndarray:
    """``SeedSequence.generate_state(n_words, np.uint32)`` of the assembled entropy words.

    `entropy` holds the uint32 words SeedSequence assembles (run entropy padded to the pool size
    when there is a spawn key, then the spawn key's words), one per uint64 element; the result
    holds the uint32 state words the same way. Every product of two 32-bit words fits 64 bits, so
    masking to 32 bits after each step reproduces the uint32 wrap-around exactly.
    """
    pool = np.zeros(_POOL_SIZE, dtype=np.uint64)
    hash_a = _INIT_A
    for i in range(_POOL_SIZE):
        pool[i], hash_a = _hashmix(entropy[i] if i < entropy.shape[0] else np.uint64(0), hash_a)
    for i_src in range(_POOL_SIZE):
        for i_dst in range(_POOL_SIZE):
            if i_src != i_dst:
                value, hash_a = _hashmix(pool[i_src], hash_a)
                pool[i_dst] = _mix(pool[i_dst], value)
    for i_src in range(_POOL_SIZE, entropy.shape[0]):
        for i_dst in range(_POOL_SIZE):
            value, hash_a = _hashmix(entropy[i_src], hash_a)
            pool[i_dst] = _mix(pool[i_dst], value)
    out = np.empty(n_words, dtype=np.uint64)
    hash_b = _INIT_B
    for i_dst in range(n_words):
        value = pool[i_dst % _POOL_SIZE] ^ hash_b
        hash_b = (hash_b * _MULT_B) & _WORD
        value = (value * hash_b) & _WORD
        out[i_dst] = value ^ (value >> _XSHIFT)
    return out


@njit(cache=True)
def _seed_sequence_words64(entropy: np.ndarray, n_words: int) -> np.ndarray:
    """``SeedSequence.generate_state(n_words, np.uint64)``: pairs of 32-bit words, low word first."""
    words = _seed_sequence_words(entropy, 2 * n_words)
    out = np.empty(n_words, dtype=np.uint64)
    for i in range(n_words):
        out[i] = words[2 * i] | (words[2 * i + 1] << np.uint64(32))
    return out


def _int_words(value: int) -> list[int]:
    """The uint32 words SeedSequence makes of a non-negative integer, lowest first (0 is one word)."""
    n = operator.index(value)
    if n < 0:
        raise ValueError("expected non-negative integer")
    if n == 0:
        return [0]
    words = []
    while n > 0:
        words.append(n & 0xFFFFFFFF)
        n >>= 32
    return words


@lru_cache(maxsize=64)
def _run_entropy_words(seed: int) -> tuple[int, ...]:
    """The seed's words as SeedSequence assembles them before a spawn key: padded to the pool size."""
    words = _int_words(seed)
    return tuple(words + [0] * (_POOL_SIZE - len(words)))


class KeyedSeed(ISeedSequence):
    """The seed of ``SeedSequence(seed, spawn_key=(draw, *keys))``, hashed in compiled code.

    A bit generator built on it gets the state words the SeedSequence would give (so the same
    numbers); it cannot spawn children.

    Parameters
    ----------
    seed : int
        The scenario's seed (non-negative).
    draw : int
        Draw index.
    *keys : int or str
        As for :func:`generator_for`; a string stands for its :func:`text_key`.

    Raises
    ------
    ValueError
        If the seed or a key is negative.
    TypeError
        If a key is neither an integer nor a string.
    """

    __slots__ = ("entropy",)

    def __init__(self, seed: int, draw: int, *keys: int | str):
        words = list(_run_entropy_words(seed))
        for key in (draw, *keys):
            if isinstance(key, str):
                words.append(text_key(key))
            elif type(key) is int and 0 <= key <= 0xFFFFFFFF:  # one word: the common case, inline
                words.append(key)
            else:
                words += _int_words(key)
        self.entropy = np.array(words, dtype=np.uint64)

    def generate_state(self, n_words: int, dtype=np.uint32) -> np.ndarray:
        """The state words SeedSequence would give for seeding a bit generator.

        Parameters
        ----------
        n_words : int
        dtype : np.uint32 or np.uint64, optional

        Returns
        -------
        ndarray of shape (n_words,)

        Raises
        ------
        ValueError
            If `dtype` is neither uint32 nor uint64.
        """
        if dtype is np.uint64:  # what PCG64 asks for: no dtype to parse
            return _seed_sequence_words64(self.entropy, int(n_words))
        out_dtype = np.dtype(dtype)
        if out_dtype == np.uint32:
            return _seed_sequence_words(self.entropy, int(n_words)).astype(np.uint32)
        if out_dtype != np.uint64:
            raise ValueError("only support uint32 or uint64")
        return _seed_sequence_words64(self.entropy, int(n_words))


def keyed_generator(seed: int, draw: int, *keys: int | str) -> np.random.Generator:
    """The generator :func:`generator_for` gives for the same keys, made about four times faster.

    The same PCG64 state, so the same numbers for every method; only ``bit_generator.seed_seq``
    differs (a :class:`KeyedSeed`, which cannot spawn). For the uses that make many generators a
    draw (a project stream's programme-year, a drawn parameter).

    Parameters
    ----------
    seed, draw, *keys
        As for :func:`generator_for`.

    Returns
    -------
    numpy.random.Generator
    """
    # NumPy's stubs name SeedSequence; a bit generator takes any ISeedSequence (BitGenerator.__init__).
    return np.random.Generator(np.random.PCG64(KeyedSeed(seed, draw, *keys)))  # type: ignore[arg-type]
