"""Trustworthiness and kNN recall on cases whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.manifold import trustworthiness

from embedviz.quality import neighbourhood_scores


@pytest.fixture
def plane_in_10d():
    """200 points of a 2-D picture placed exactly in 10-D by a random rotation."""
    rng = np.random.default_rng(0)
    Y = rng.normal(size=(200, 2))
    Q, _ = np.linalg.qr(rng.normal(size=(10, 10)))
    return Y @ Q[:2], Y


def test_an_exact_picture_scores_one(plane_in_10d):
    X, Y = plane_in_10d
    scores = neighbourhood_scores(X, Y, metric="euclidean")
    assert scores.trustworthiness == pytest.approx(1.0)
    assert scores.knn_recall == pytest.approx(1.0)
    assert np.all(scores.per_point == 1.0)


def test_a_random_picture_scores_chance(plane_in_10d):
    X, _ = plane_in_10d
    Y = np.random.default_rng(1).normal(size=(200, 2))
    scores = neighbourhood_scores(X, Y, metric="euclidean")
    assert scores.knn_recall < 0.15  # chance is 10 / 199 = 0.05
    assert 0.4 < scores.trustworthiness < 0.6  # chance is about 0.5


def test_cosine_neighbours_of_directions_on_a_circle():
    angles = np.sort(np.random.default_rng(2).uniform(0, 2 * np.pi, 100))
    circle = np.c_[np.cos(angles), np.sin(angles)]
    X = np.hstack([circle * 3.0, np.zeros((100, 6))])  # length does not matter to cosine
    scores = neighbourhood_scores(X, circle)
    assert scores.knn_recall == pytest.approx(1.0)


def test_trustworthiness_matches_scikit_learn(plane_in_10d):
    X, Y = plane_in_10d
    noisy = Y + np.random.default_rng(3).normal(scale=0.5, size=Y.shape)
    ours = neighbourhood_scores(X, noisy, metric="euclidean", k=7).trustworthiness
    assert ours == pytest.approx(trustworthiness(X, noisy, n_neighbors=7), abs=1e-6)


def test_large_inputs_are_scored_on_a_sample(plane_in_10d):
    X, Y = plane_in_10d
    scores = neighbourhood_scores(X, Y, metric="euclidean", max_points=50)
    assert scores.n_scored == 50 and scores.n_texts == 200
    assert np.isnan(scores.per_point).sum() == 150
    assert "random sample of 50 of 200 texts" in scores.describe()


@pytest.mark.parametrize("n", [1, 2, 3])
def test_too_few_texts_have_no_score(n):
    scores = neighbourhood_scores(np.eye(4)[:n], np.zeros((n, 2)))
    assert scores.trustworthiness is None and "4 needed" in scores.describe()


def test_k_is_lowered_for_small_inputs():
    X = np.random.default_rng(4).normal(size=(8, 5))
    assert neighbourhood_scores(X, X[:, :2]).k == 3
