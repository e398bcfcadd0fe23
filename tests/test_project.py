"""Projections: every method in 2-D and 3-D, tiny inputs, seeds, structure kept."""

from __future__ import annotations

import re

import numpy as np
import pytest

from embedviz.project import ClampWarning, make_projector, project

FAST = ["pca", "tsne", "pacmap"]
ALL = ["pca", "tsne", "pacmap", pytest.param("umap", marks=pytest.mark.slow)]


@pytest.fixture
def tiny():
    return np.random.default_rng(1).normal(size=(4, 24)).astype(np.float32)


@pytest.mark.parametrize("method", ALL)
@pytest.mark.parametrize("dims", [2, 3])
@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_one_to_four_texts_give_finite_coordinates(method, dims, n, tiny):
    p = project(tiny[:n], method, dims)
    assert p.coords.shape == (n, dims) and p.coords.dtype == np.float32
    assert np.isfinite(p.coords).all()
    assert len(p.axis_titles) == dims
    if n >= 2:
        # Distinct texts get distinct points.
        assert np.linalg.norm(p.coords[0] - p.coords[1]) > 1e-6


def test_clamps_are_reported_not_raised(tiny):
    assert "drawn at the origin" in project(tiny[:1], "pca").warnings[0]
    assert project(tiny, "tsne", perplexity=30).warnings == [
        "t-SNE perplexity 30 is too high for 4 texts; lowered to 1 (at most (n - 1) / 3)."
    ]
    assert project(tiny, "tsne", perplexity=1).warnings == []
    assert project(tiny, "pca").warnings == []


@pytest.mark.slow
def test_umap_clamps_neighbours_and_places_two_texts_by_pca(tiny):
    assert project(tiny, "umap", n_neighbors=15).warnings == [
        "UMAP n_neighbors 15 is too large for 4 texts; lowered to 3."
    ]
    two = project(tiny[:2], "umap")
    assert "at least 3 texts" in two.warnings[0]
    exact = np.linalg.norm(tiny[0] / np.linalg.norm(tiny[0]) - tiny[1] / np.linalg.norm(tiny[1]))
    assert np.linalg.norm(two.coords[0] - two.coords[1]) == pytest.approx(exact, rel=1e-4)


def test_clamp_warning_is_a_warning_for_library_users(tiny):
    with pytest.warns(ClampWarning, match="perplexity"):
        make_projector("tsne").fit(tiny)


@pytest.mark.parametrize("method", ALL)
def test_same_seed_same_picture(method, clusters):
    X, _ = clusters
    a = project(X, method, random_state=7).coords
    b = project(X, method, random_state=7).coords
    np.testing.assert_array_equal(a, b)


@pytest.mark.slow
def test_umap_seed_changes_the_picture(clusters):
    # t-SNE starts from PCA, so its picture does not depend on the seed; UMAP's does.
    X, _ = clusters
    assert not np.allclose(
        project(X, "umap", random_state=1).coords, project(X, "umap", random_state=2).coords
    )


@pytest.mark.parametrize("method", ALL)
@pytest.mark.parametrize("dims", [2, 3])
def test_groups_stay_together(method, dims, clusters):
    X, groups = clusters
    Y = project(X, method, dims).coords
    D = np.linalg.norm(Y[:, None] - Y[None], axis=-1)
    np.fill_diagonal(D, np.inf)
    nearest = D.argmin(axis=1)
    # t-SNE in 3-D on 30 points can strand a point or two (it moves with the exact
    # perplexity); at least 90% of nearest neighbours must share the point's group.
    assert (groups[nearest] == groups).mean() >= 0.9


def test_pca_axes_say_how_much_variance_they_hold(clusters):
    X, _ = clusters
    p = project(X, "pca", 3)
    assert p.axis_titles[0].startswith("PC1 (") and p.axis_titles[0].endswith("of variance)")
    projector = make_projector("pca", 3).fit(X)
    ratios = projector.explained_variance_ratio_
    assert ratios[0] >= ratios[1] >= ratios[2] > 0 and ratios.sum() <= 1


def test_zero_vectors_and_duplicates_do_not_break_projection(clusters):
    X, _ = clusters
    X = np.vstack([X, np.zeros((1, X.shape[1]), np.float32), X[:1]])
    for method in FAST:
        assert np.isfinite(project(X, method).coords).all()


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: make_projector("mds"),
            r"Unknown projection 'mds'. Use one of: pca, tsne, umap, pacmap",
        ),
        (lambda: make_projector("pca", 4), r"n_components \(dims\) must be 2 or 3, got 4"),
        (
            lambda: make_projector("pca", perplexity=5),
            r"PCA does not take perplexity. It takes: no parameters.",
        ),
        (
            lambda: make_projector("umap", perplexity=5),
            r"UMAP does not take perplexity. It takes: n_neighbors, min_dist.",
        ),
        (
            lambda: project(np.ones((3, 4)), "tsne", perplexity=0),
            r"t-SNE perplexity must be a number at least 1, got 0.",
        ),
        (
            lambda: project(np.ones((3, 4)), "umap", n_neighbors=1),
            r"UMAP n_neighbors must be a whole number at least 2, got 1.",
        ),
        (
            lambda: project(np.ones((3, 4)), "umap", min_dist=1.5),
            r"UMAP min_dist must be a number between 0 and 1, got 1.5.",
        ),
        (
            lambda: project(np.ones((3, 4)), "pacmap", n_neighbors=2.5),
            r"PaCMAP n_neighbors must be a whole number at least 2, got 2.5.",
        ),
        (lambda: project(np.zeros((0, 4)), "pca"), r"no texts to project"),
        (lambda: project(np.full((3, 4), np.nan), "pca"), r"NaN or infinity"),
        (lambda: project(np.ones(4), "pca"), r"2-D array"),
    ],
)
def test_bad_parameters_name_the_fix(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("method", ["pca", pytest.param("umap", marks=pytest.mark.slow)])
def test_a_new_point_lands_by_its_twin(method, clusters):
    X, truth = clusters
    p = project(X, method)
    placed, note = p.place(X[:1] * 1.001)
    assert note is None
    others = np.linalg.norm(p.coords - placed, axis=1)
    assert truth[np.argmin(others)] == truth[0]


def test_tsne_places_new_points_by_their_neighbours_and_says_so(clusters):
    X, truth = clusters
    p = project(X, "tsne")
    placed, note = p.place(X[10:11])
    assert "t-SNE cannot place new points" in note
    centre = p.coords[truth == 1].mean(axis=0)
    assert np.linalg.norm(placed[0] - centre) < np.linalg.norm(
        p.coords[truth == 0].mean(0) - centre
    )


def test_one_text_places_new_points_at_the_origin(clusters):
    placed, _ = project(clusters[0][:1], "pca").place(clusters[0][:2])
    np.testing.assert_array_equal(placed, np.zeros((2, 2)))


def test_many_texts_use_opentsne(monkeypatch, clusters):
    import embedviz.project.tsne as tsne_module
    from embedviz.project import make_projector

    monkeypatch.setattr(tsne_module, "OPENTSNE_ABOVE", 10)
    X, truth = clusters
    projector = make_projector("tsne", perplexity=5)
    Y = projector.fit_transform(X)
    assert projector.backend_ == "openTSNE" and Y.shape == (30, 2)
    centres = np.array([Y[truth == c].mean(0) for c in range(3)])
    spread = max(np.linalg.norm(Y[truth == c] - centres[c], axis=1).max() for c in range(3))
    assert (
        min(np.linalg.norm(centres[a] - centres[b]) for a, b in [(0, 1), (0, 2), (1, 2)]) > spread
    )


@pytest.mark.slow
def test_umap_of_many_texts_runs_on_a_graph_computed_without_numba(monkeypatch, clusters):
    import embedviz.project.umap as umap_module

    monkeypatch.setattr(umap_module, "UMAP_PRECOMPUTED_KNN_FROM", 10)
    X, truth = clusters
    p = project(X, "umap", n_neighbors=5)
    knn = p.projector.umap_.knn_indices
    assert knn is not None and knn.shape == (30, 5)
    assert (knn[:, 0] == np.arange(30)).all()  # each text first, as umap expects
    assert (truth[knn] == truth[:, None]).all()  # every neighbour from its own group
    placed, note = p.place(X[:1])
    assert note is None  # umap's own transform, searching embedviz's index
    d = np.linalg.norm(p.coords - placed, axis=1)
    assert truth[np.argmin(d)] == truth[0]


@pytest.mark.slow
def test_umap_of_very_many_texts_learns_from_a_sample_and_keeps_every_group(monkeypatch):
    import embedviz.project.umap as umap_module
    from embedviz.project import REGISTRY

    monkeypatch.setattr(umap_module, "UMAP_PRECOMPUTED_KNN_FROM", 10)
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(5, 32)) * 3
    X = np.vstack([c + rng.normal(scale=0.3, size=(120, 32)) for c in centres]).astype(np.float32)
    truth = np.repeat(np.arange(5), 120)
    p = project(X, "umap", fit_sample=100)
    assert p.warnings == [
        "UMAP learned this map from a random 100 of the 600 texts, placed the other 500 "
        "among their nearest sampled texts, then refined all together for "
        f"{umap_module.REFINE_EPOCHS} epochs "
        "(fit_sample; 0 fits on all, slower)."
    ]
    assert p.params["fit_sample"] == 100 and np.isfinite(p.coords).all()
    # Each text's 10 nearest on the map come from its own group, sampled or placed.
    d = np.linalg.norm(p.coords[:, None] - p.coords[None], axis=2)
    np.fill_diagonal(d, np.inf)
    near = np.argsort(d, axis=1)[:, :10]
    assert (truth[near] == truth[:, None]).mean() > 0.99
    placed, note = p.place(X[130:131] * 1.001)
    assert note is None
    assert truth[np.argmin(np.linalg.norm(p.coords - placed, axis=1))] == 1
    # The standalone script's UMAP part draws the same kind of map from the same sample.
    script = REGISTRY["umap"].script(600, 2, p.params, 0)
    assert "choice(len(U), 100, replace=False)" in script and "init=start" in script
    names = {"np": np, "U": X / np.linalg.norm(X, axis=1, keepdims=True)}
    exec(script, names)  # our own generated code, not a user's: nothing to confine
    d = np.linalg.norm(names["coords"][:, None] - names["coords"][None], axis=2)
    np.fill_diagonal(d, np.inf)
    assert (truth[np.argsort(d, axis=1)[:, :10]] == truth[:, None]).mean() > 0.99
    # Up to twice the sample size every text is fitted: no note, no sample in the params.
    whole = project(X[:200], "umap", fit_sample=100)
    assert whole.warnings == [] and "fit_sample" not in whole.params


def test_umap_of_many_texts_starts_from_pca_and_its_script_says_so(monkeypatch):
    """From UMAP_PCA_START_FROM texts a fit starts from the texts' PCA (the spectral start's
    eigensolver ran 3 to past 9 minutes at 100,000 texts); fewer keep UMAP's spectral start.
    The standalone script starts the same way, the sample's fit of a sampled map included."""
    import embedviz.project.umap as umap_module
    from embedviz.project import REGISTRY

    rng = np.random.default_rng(0)
    centres = rng.normal(size=(5, 32)) * 3
    X = np.vstack([c + rng.normal(scale=0.3, size=(40, 32)) for c in centres]).astype(np.float32)
    truth = np.repeat(np.arange(5), 40)
    assert project(X, "umap").projector.umap_.init == "spectral"

    monkeypatch.setattr(umap_module, "UMAP_PCA_START_FROM", 200)
    p = project(X, "umap")
    assert p.projector.umap_.init == "pca"
    d = np.linalg.norm(p.coords[:, None] - p.coords[None], axis=2)
    np.fill_diagonal(d, np.inf)
    assert (truth[np.argsort(d, axis=1)[:, :10]] == truth[:, None]).mean() > 0.99
    assert 'init="pca"' in REGISTRY["umap"].script(200, 2, p.params, 0)
    assert 'init="spectral"' in REGISTRY["umap"].script(199, 2, p.params, 0)
    sampled = REGISTRY["umap"].script(1000, 2, {**p.params, "fit_sample": 200}, 0)
    assert re.search(r'sample_map = umap\.UMAP\([^)]*init="pca"', sampled), sampled


def test_only_the_refinement_of_a_sampled_umap_gets_the_sparser_neighbour_graph(monkeypatch):
    """The sparse HNSW graph saves seconds where UMAP refines a layout it has; a fit from
    scratch on it kept fewer neighbours (kNN recall among 100,000 texts 0.604 for 0.612, 6 s
    saved): a full fit, and the sample's own fit, keep the denser graph."""
    import embedviz.project.umap as umap_module
    import embedviz.similarity as similarity

    monkeypatch.setattr(umap_module, "UMAP_PRECOMPUTED_KNN_FROM", 10)
    monkeypatch.setattr(similarity, "ANN_ABOVE", 50)
    monkeypatch.setattr(similarity, "HNSW_LEAN_FROM", 200)
    built = []
    real = similarity._hnsw_index
    monkeypatch.setattr(
        similarity,
        "_hnsw_index",
        lambda U, m, *rest: built.append((len(U), m)) or real(U, m, *rest),
    )
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 16)).astype(np.float32)
    project(X[:300], "umap", fit_sample=0)
    assert built == [(300, similarity.HNSW_M)]
    built.clear()
    project(X, "umap", fit_sample=100)
    assert built == [(600, similarity.HNSW_LEAN[0]), (100, similarity.HNSW_M)]


def test_texts_outside_the_sample_start_beside_their_groups_sampled_texts(monkeypatch):
    """Before the refinement each text outside the sample starts among its group's sampled
    texts: placed by the sampled texts in its row of the all-texts graph, or, when that row
    has none, by its nearest sampled texts looked up in the sample's index."""
    import embedviz.project.umap as umap_module
    from embedviz.similarity import NeighbourIndex

    monkeypatch.setattr(umap_module, "UMAP_PRECOMPUTED_KNN_FROM", 10)
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(3, 16)) * 4
    X = np.vstack([c + rng.normal(scale=0.3, size=(80, 16)) for c in centres]).astype(np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    group = np.repeat(np.arange(3), 80)
    sample = np.sort(rng.choice(240, 60, replace=False))
    rest = np.setdiff1d(np.arange(240), sample)
    proj = umap_module.UMAPProjector(random_state=0)
    index = NeighbourIndex(X[sample])
    proj.umap_ = proj._umap(X[sample], 15, index=index)
    knn = umap_module.precomputed_knn(X, 15)
    lone = rest[0]  # its row of the graph names only texts outside the sample
    knn[0][lone, 1:] = rest[1:15]
    start = proj._start_near_sample(X, rest, sample, index, 15, knn)
    places = proj.umap_.embedding_
    centroids = np.array([places[group[sample] == g].mean(axis=0) for g in range(3)])
    nearest = np.linalg.norm(start[:, None] - centroids[None], axis=2).argmin(axis=1)
    assert (nearest == group[rest]).all()
    assert group[lone] == nearest[0]


@pytest.mark.slow
def test_a_second_process_reads_umaps_compiled_code_from_disk_and_draws_the_same_map(tmp_path):
    import json
    import os
    import subprocess
    import sys

    child = (
        "import json, numpy as np\n"
        "from embedviz.project import project\n"
        "from embedviz.project.umap import _NUMBA_TO_CACHE\n"
        "import umap.umap_ as u\n"
        "X = np.random.default_rng(0).normal(size=(60, 16)).astype(np.float32)\n"
        "coords = project(X, 'umap', n_neighbors=10).coords\n"
        "hits = {n: sum(getattr(u, n).stats.cache_hits.values()) for n in "
        "_NUMBA_TO_CACHE['umap.umap_'][:2]}\n"
        "print(json.dumps({'coords': coords.tolist(), 'hits': hits}))\n"
    )
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    runs = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", child], env=env, capture_output=True, text=True, check=True
            ).stdout.splitlines()[-1]
        )
        for _ in range(2)
    ]
    assert runs[0]["hits"] == {"smooth_knn_dist": 0, "compute_membership_strengths": 0}
    assert runs[1]["hits"] == {"smooth_knn_dist": 1, "compute_membership_strengths": 1}
    assert runs[0]["coords"] == runs[1]["coords"]


def test_a_gpu_umap_that_fails_says_so_and_the_cpu_draws_the_map(monkeypatch, clusters):
    """cuML cannot run here; its failure on a GPU (out of memory, a driver mismatch) is
    the fault injected."""
    import embedviz.project.umap as umap_module

    class FailingGpuUMAP:
        def __init__(self, **settings):
            assert settings["metric"] == "euclidean" and settings["output_type"] == "numpy"

        def fit_transform(self, X):
            raise RuntimeError("CUDA error: out of memory")

    X, truth = clusters
    cpu = project(X, "umap", n_neighbors=5)
    monkeypatch.setattr(umap_module, "_cuml_umap", lambda: FailingGpuUMAP)
    fell_back = project(X, "umap", n_neighbors=5)
    assert fell_back.warnings == [
        "cuML's UMAP failed on the GPU (CUDA error: out of memory); UMAP ran on the CPU instead."
    ]
    np.testing.assert_allclose(fell_back.coords, cpu.coords)


def test_pacmap_seed_changes_the_picture_and_few_texts_fall_back_to_pca(clusters, tiny):
    X, _ = clusters
    assert not np.allclose(
        project(X, "pacmap", random_state=1).coords, project(X, "pacmap", random_state=2).coords
    )
    few = project(np.vstack([tiny, tiny + 0.1]), "pacmap")
    assert few.warnings == [
        "PaCMAP needs at least 10 texts to keep them apart; the 8 texts are drawn at their "
        "PCA positions."
    ]
    np.testing.assert_allclose(few.coords, project(np.vstack([tiny, tiny + 0.1]), "pca").coords)
    clamped = project(X[:12], "pacmap", n_neighbors=20)
    assert clamped.warnings == ["PaCMAP n_neighbors 20 is too large for 12 texts; lowered to 10."]
    assert clamped.params["n_neighbors"] == 10


def test_every_registered_method_declares_what_the_faces_need():
    from embedviz.project import REGISTRY

    assert list(REGISTRY) == ["pca", "tsne", "umap", "pacmap"]
    for name, cls in REGISTRY.items():
        assert cls.name == name and cls.label
        for p in cls.params:
            assert p.check(p.default, cls.label) == p.default  # each default is in its range
            low, high, step = p.ui
            assert low <= p.default <= high and step > 0, (name, p.name)
        # The standalone script's snippet parses for tiny and normal inputs.
        import ast

        for n in (1, 4, 50):
            ast.parse("import numpy as np\n" + cls.script(n, 2, cls.defaults(), 0))
