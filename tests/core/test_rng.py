"""Counter-based random numbers (sim/core/rng.py) and the draw generators."""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from sim.core import rng
from sim.core.rng import generator_for

U64 = np.uint64


def test_splitmix64_reference_value():
    # First output of the reference splitmix64 seeded with 0 (Steele, Lea & Flood 2014; Vigna's splitmix64.c).
    assert rng.splitmix64(U64(0)) == U64(0xE220A8397B1DCDAF)
    assert rng.splitmix64(U64(0x9E3779B97F4A7C15)) == U64(0x6E789E6AA1B965F4)


def test_draw_key_is_a_pure_function_of_every_key():
    base = rng.draw_key(7, 3, 11, 2024, 1)
    assert rng.draw_key(7, 3, 11, 2024, 1) == base
    variants = [rng.draw_key(8, 3, 11, 2024, 1), rng.draw_key(7, 4, 11, 2024, 1), rng.draw_key(7, 3, 12, 2024, 1),
                rng.draw_key(7, 3, 11, 2025, 1), rng.draw_key(7, 3, 11, 2024, 2)]
    assert len({int(v) for v in variants + [base]}) == 6


@njit
def _sample(kind, n, mean):
    out = np.empty(n)
    for i in range(n):
        key = rng.draw_key(20221206, 0, i, 2024, 1)
        if kind == 0:
            out[i] = rng.uniform(key)
        elif kind == 1:
            out[i] = rng.standard_normal(key)
        elif kind == 2:
            out[i] = rng.standard_laplace(key)
        else:
            out[i] = rng.poisson(key, mean)
    return out


N = 200_000


def test_uniform_on_the_open_unit_interval():
    u = _sample(0, N, 0.0)
    assert u.min() > 0.0 and u.max() < 1.0
    assert u.mean() == pytest.approx(0.5, abs=0.005)
    assert np.histogram(u, bins=10, range=(0, 1))[0].min() > 0.09 * N


@pytest.mark.parametrize("kind, var", [(1, 1.0), (2, 1.0)])
def test_normal_and_laplace_have_unit_variance(kind, var):
    x = _sample(kind, N, 0.0)
    assert np.isfinite(x).all()
    assert x.mean() == pytest.approx(0.0, abs=0.01)
    assert x.var() == pytest.approx(var, rel=0.02)


@pytest.mark.parametrize("mean", [0.3, 4.0, 29.0, 80.0])
def test_poisson_mean_and_variance(mean):
    k = _sample(3, N, mean)
    assert np.all(k >= 0) and np.all(k == np.floor(k))
    assert k.mean() == pytest.approx(mean, rel=0.01)
    assert k.var() == pytest.approx(mean, rel=0.05)


def test_poisson_of_non_positive_mean_is_zero():
    key = rng.draw_key(1, 2, 3, 4, 5)
    assert rng.poisson(key, 0.0) == 0 and rng.poisson(key, -1.0) == 0


def test_the_draws_generator_is_reproducible_and_distinct_per_draw():
    a = generator_for(7, 0).random(5)
    np.testing.assert_array_equal(a, generator_for(7, 0).random(5))
    assert not np.array_equal(a, generator_for(7, 1).random(5))
    assert not np.array_equal(a, generator_for(8, 0).random(5))


def test_a_keyed_generator_is_seedsequence_spawned_by_draw_and_keys_with_text_as_crc32():
    # Pinned to the construction used since the first release, so results stay bit-identical.
    want = np.random.Generator(np.random.PCG64(np.random.SeedSequence(
        entropy=7, spawn_key=(2, zlib.crc32(b"hydrogen.6.x"), 2024)))).random(4)
    np.testing.assert_array_equal(generator_for(7, 2, "hydrogen.6.x", 2024).random(4), want)


def test_normal_at_is_the_keyed_standard_normal():
    assert rng.normal_at(7, 1, 3, 2024, 21) == rng_standard_normal_at(7, 1, 3, 2024, 21)


@njit
def rng_standard_normal_at(seed, draw, entity, year, stream):
    return rng.standard_normal(rng.draw_key(seed, draw, entity, year, stream))


def test_a_parameters_generator_depends_on_seed_draw_and_path():
    a = generator_for(7, 0, "projects.streams.x.arrivals_per_year").random()
    assert a == generator_for(7, 0, "projects.streams.x.arrivals_per_year").random()
    others = {generator_for(7, 1, "projects.streams.x.arrivals_per_year").random(),
              generator_for(7, 0, "projects.streams.y.arrivals_per_year").random(),
              generator_for(8, 0, "projects.streams.x.arrivals_per_year").random()}
    assert a not in others and len(others) == 3
    assert not math.isnan(a)


def _fold(*keys: int) -> int:
    """The key of draw_key in plain Python integers: splitmix64 over (seed, draw, entity, year, stream)."""
    mask = (1 << 64) - 1

    def mix(x: int) -> int:
        z = (x + 0x9E3779B97F4A7C15) & mask
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        return z ^ (z >> 31)

    h = mix(keys[0])
    for k in keys[1:]:
        h = mix(h ^ k)
    return h


@njit
def _hoisted_keys(seed, draw, entities, year, streams):
    out = np.empty((entities.shape[0], streams.shape[0]), dtype=np.uint64)
    prefix = rng.draw_prefix(seed, draw)
    for i in range(entities.shape[0]):
        firm_key = rng.entity_prefix(prefix, entities[i], year)
        for s in range(streams.shape[0]):
            out[i, s] = rng.stream_key(firm_key, streams[s])
    return out


def test_hoisted_prefixes_give_the_keys_of_draw_key_and_of_the_plain_fold():
    # A kernel hashes (seed, draw) once and (entity, year) once per entity: the keys must be
    # those of draw_key, i.e. of the five-round fold, or every result would move.
    entities = np.array([0, 1, 7, 12_345, 2**40 + 3], dtype=np.int64)
    streams = np.array([1, 2, 9, 10, 20, 21, 30, 40, 41, 50, 60, 63, 2**16], dtype=np.int64)
    got = _hoisted_keys(20221206, 17, entities, 2024, streams)
    for i, e in enumerate(entities):
        for s, stream in enumerate(streams):
            assert int(got[i, s]) == _fold(20221206, 17, int(e), 2024, int(stream))
            assert got[i, s] == rng.draw_key(20221206, 17, int(e), 2024, int(stream))


def test_uniforms_at_equals_uniform_at_entity_by_entity():
    entities = np.arange(0, 5000, 7, dtype=np.int64)
    many = rng.uniforms_at(3, 2, entities, 2030, 10)
    one = [rng.uniform_at(3, 2, int(e), 2030, 10) for e in entities]
    np.testing.assert_array_equal(many, np.array(one))


@njit
def _laplace_and_uniform(n):
    lap, uni = np.empty(n), np.empty(n)
    for i in range(n):
        key = rng.draw_key(5, 0, i, 2024, 1)
        lap[i], uni[i] = rng.standard_laplace(key), rng.uniform(key)
    return lap, uni


def test_branch_free_laplace_is_the_inversion_formula_bit_for_bit():
    lap, u = _laplace_and_uniform(100_000)
    b = 1.0 / math.sqrt(2.0)
    v = u - 0.5
    # The two-branch inversion: b ln(1 + 2u) below the median, -b ln(1 - 2u) above.
    want = np.array([b * math.log(1.0 + 2.0 * x) if x < 0.0 else -b * math.log(1.0 - 2.0 * x) for x in v])
    np.testing.assert_array_equal(lap, want)


# ------------------------------------------------------------------ keyed_generator

_KEY = st.one_of(st.integers(0, 2**32 - 1), st.integers(2**32, 2**100), st.sampled_from(["firms.population", "x", ""]),
                 st.text(max_size=12))


def _spawn_key(draw, keys):
    return (draw, *(zlib.crc32(k.encode("utf-8")) if isinstance(k, str) else k for k in keys))


@settings(max_examples=300, deadline=None)
@given(seed=st.one_of(st.integers(0, 2**32 - 1), st.integers(0, 2**160)), draw=st.integers(0, 2**40),
       keys=st.lists(_KEY, max_size=4))
def test_keyed_generator_has_the_state_of_generator_for(seed, draw, keys):
    # The PCG64 state fixes every number a Generator method gives; the draws below are a spot check.
    fast, plain = rng.keyed_generator(seed, draw, *keys), generator_for(seed, draw, *keys)
    assert fast.bit_generator.state == plain.bit_generator.state
    assert fast.poisson(3.0) == plain.poisson(3.0)
    np.testing.assert_array_equal(fast.standard_normal(5), plain.standard_normal(5))


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**130), draw=st.integers(0, 2**33), keys=st.lists(_KEY, max_size=3),
       n_words=st.integers(1, 11))
def test_keyed_seed_generates_the_state_words_of_seed_sequence(seed, draw, keys, n_words):
    reference = np.random.SeedSequence(entropy=seed, spawn_key=_spawn_key(draw, keys))
    keyed = rng.KeyedSeed(seed, draw, *keys)
    for dtype in (np.uint32, np.uint64, "uint64"):
        got, want = keyed.generate_state(n_words, dtype), reference.generate_state(n_words, dtype)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


def test_keyed_generator_state_for_a_draw_of_the_baseline_is_pinned():
    # generator_for(20220044, 3, "firms.population"): a fixed reference, should NumPy's seeding ever change.
    state = rng.keyed_generator(20220044, 3, "firms.population").bit_generator.state["state"]
    assert state == generator_for(20220044, 3, "firms.population").bit_generator.state["state"]
    assert rng.KeyedSeed(20220044, 3, "firms.population").entropy.tolist()[:6] == [20220044, 0, 0, 0, 3,
                                                                                   zlib.crc32(b"firms.population")]


def test_keyed_seed_refuses_what_seed_sequence_refuses():
    with pytest.raises(ValueError, match="non-negative"):
        rng.KeyedSeed(1, 0, -3)
    with pytest.raises(ValueError, match="non-negative"):
        rng.KeyedSeed(-1, 0)
    with pytest.raises(TypeError):
        rng.KeyedSeed(1, 0, 2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="uint32 or uint64"):
        rng.KeyedSeed(1, 0).generate_state(4, np.float64)
