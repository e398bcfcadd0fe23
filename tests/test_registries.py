"""Tests generated over every registry (scikit-learn's common-tests idea): each projection,
clusterer, encoder kind and LLM backend is checked at both ends of every parameter it
declares and just outside them, and a run spec survives a saved analysis. A new entry in a
registry is tested the day it is added, with no test written for it."""

from __future__ import annotations

import numpy as np
import pytest

import embedviz
from embedviz.cluster import REGISTRY as CLUSTERERS
from embedviz.cluster import K
from embedviz.encoders import REGISTRY as ENCODERS
from embedviz.encoders import load_encoder
from embedviz.errors import EmbedvizError, ParameterError
from embedviz.llm import BACKENDS
from embedviz.project import REGISTRY as PROJECTORS
from embedviz.spec import RunSpec


def _cases(registry: dict) -> list:
    return [
        pytest.param(name, p, id=f"{name}-{p.name}")
        for name, cls in registry.items()
        for p in (*getattr(cls, "params", ()), *getattr(cls, "options", ()))
    ]


@pytest.fixture(scope="module")
def vectors() -> np.ndarray:
    """30 unit vectors in three tight groups, fixed seed."""
    rng = np.random.default_rng(0)
    X = np.repeat(rng.normal(size=(3, 16)), 10, axis=0) + rng.normal(scale=0.1, size=(30, 16))
    return (X / np.linalg.norm(X, axis=1, keepdims=True)).astype(np.float32)


# ---------------------------------------------------------------- projections


@pytest.mark.parametrize(("method", "param"), _cases(PROJECTORS))
def test_every_projection_parameter_takes_its_ends_and_refuses_just_outside(method, param):
    for value in param.edge_values():
        spec = RunSpec(method=method, projection={param.name: value})
        assert spec.projection_params[param.name] == value
    for value in param.invalid_values():
        with pytest.raises(ParameterError, match=param.name):
            RunSpec(method=method, projection={param.name: value})


@pytest.mark.slow
@pytest.mark.parametrize(("method", "param"), _cases(PROJECTORS))
def test_every_projection_fits_at_the_ends_of_each_parameter(method, param, vectors):
    from embedviz.project import project

    for value in param.edge_values():
        p = project(vectors, method, 2, **{param.name: value})
        assert p.coords.shape == (30, 2) and np.isfinite(p.coords).all(), (param.name, value)


@pytest.mark.parametrize("method", list(PROJECTORS))
def test_a_parameter_a_projection_does_not_declare_is_refused_by_name(method):
    with pytest.raises(ParameterError, match="does not take no_such_param"):
        RunSpec(method=method, projection={"no_such_param": 1})


# ---------------------------------------------------------------- clusterers


@pytest.mark.parametrize(("cluster", "param"), _cases(CLUSTERERS))
def test_every_clusterer_parameter_takes_its_ends_and_refuses_just_outside(cluster, param, vectors):
    for value in param.edge_values():
        spec = RunSpec(method="pca", cluster=cluster, clustering={param.name: value})
        assert spec.cluster_params[param.name] == value
        if not (param.name == "min_cluster_size" and value == 1):  # a run needs 2 or more
            a = embedviz.analyze([f"t{i}" for i in range(30)], spec, embeddings=vectors)
            assert len(a.clusters) == 30
    for value in param.invalid_values():
        with pytest.raises(ParameterError, match=param.name):
            RunSpec(cluster=cluster, clustering={param.name: value})


@pytest.mark.parametrize("cluster", [c for c, cls in CLUSTERERS.items() if cls.takes_k])
def test_every_clusterer_with_k_takes_its_ends_and_refuses_just_outside(cluster, vectors):
    texts = [f"t{i}" for i in range(30)]
    for k in K.edge_values():
        a = embedviz.analyze(texts, RunSpec(method="pca", cluster=cluster, k=k), embeddings=vectors)
        assert a.clusters_found == min(k, 30)
    for value in [v for v in K.invalid_values() if v is not None]:  # None: auto
        with pytest.raises(ParameterError, match="k must be"):
            RunSpec(cluster=cluster, k=value)


@pytest.mark.parametrize("cluster", [c for c, cls in CLUSTERERS.items() if not cls.takes_k])
def test_a_clusterer_that_finds_k_itself_refuses_one(cluster):
    with pytest.raises(ParameterError, match="finds the number of clusters itself"):
        RunSpec(cluster=cluster, k=3)


# ---------------------------------------------------------------- encoders


def _loadable(kind: str, minilm_folder: str) -> str:
    return {"use": "use-multilingual", "text2vec": minilm_folder}.get(kind, "")


@pytest.mark.parametrize(("kind", "param"), _cases(ENCODERS))
def test_every_encoder_option_takes_its_ends_and_refuses_just_outside(kind, param, minilm_folder):
    spec = _loadable(kind, minilm_folder) or f"{ENCODERS[kind].prefixes[0]}{minilm_folder}"
    for value in param.invalid_values():
        with pytest.raises(ParameterError, match=param.name):
            load_encoder(spec, **{param.name: value})
    if not _loadable(kind, minilm_folder):
        return  # checked before loading; loading it here would export a model
    for value in param.edge_values():
        if param.kind is str and value:
            continue  # free text (a device name) is the library's to judge
        try:
            encoder = load_encoder(spec, **{param.name: value})
        except EmbedvizError as err:  # a value this machine cannot serve, said clearly
            assert "GPU" in str(err), err
        else:
            assert encoder.encode(["如何办理银行卡"]).shape[0] == 1


def test_every_encoder_kind_answers_to_its_own_specs():
    from embedviz.encoders import encoder_class

    for kind, cls in ENCODERS.items():
        for alias in cls.aliases:
            assert encoder_class(alias) is cls
        for prefix in cls.prefixes:
            assert encoder_class(f"{prefix}some/model") is cls, kind


# ---------------------------------------------------------------- LLM backends


@pytest.mark.parametrize(("kind", "param"), _cases(BACKENDS))
def test_every_llm_option_takes_its_ends_and_refuses_just_outside(kind, param):
    backend = BACKENDS[kind]
    for value in param.edge_values():
        assert param.check(value, backend.label) == value
    spec = backend.example.replace("FOLDER", "/no/such/folder")
    for value in param.invalid_values():
        with pytest.raises(ParameterError, match=param.name):
            backend.load(spec, **{param.name: value})


@pytest.mark.parametrize("kind", list(BACKENDS))
def test_every_llm_backend_answers_to_its_example_and_says_what_it_needs(kind):
    from embedviz.llm import backend_of

    backend = BACKENDS[kind]
    assert backend_of(backend.example) is backend
    assert backend.missing() is None or "pip install" in backend.missing()
    assert all(check.line() for check in backend.checks())


# ---------------------------------------------------------------- run specs


@pytest.mark.parametrize("cluster", [*CLUSTERERS, "none"])
@pytest.mark.parametrize("method", ["pca", "tsne"])
def test_the_run_spec_round_trips_through_a_saved_analysis(method, cluster, vectors, tmp_path):
    spec = RunSpec(method=method, dims=3, cluster=cluster, random_state=7)
    a = embedviz.analyze([f"t{i}" for i in range(30)], spec, embeddings=vectors)
    a.save(tmp_path / "saved")
    b = embedviz.load(tmp_path / "saved")
    assert b.spec == a.spec and b.spec.random_state == 7 and b.spec.method == method
    again = embedviz.analyze(b.texts, b.spec, embeddings=b.embeddings)
    np.testing.assert_allclose(again.coords, a.coords, atol=1e-5)
    np.testing.assert_array_equal(again.clusters, a.clusters)


@pytest.mark.slow
@pytest.mark.parametrize("method", ["umap", "pacmap"])
def test_the_run_spec_of_the_numba_methods_round_trips(method, vectors, tmp_path):
    spec = RunSpec(method=method, cluster="hdbscan")
    a = embedviz.analyze([f"t{i}" for i in range(30)], spec, embeddings=vectors)
    a.save(tmp_path / "saved")
    assert embedviz.load(tmp_path / "saved").spec == a.spec


def test_a_spec_written_by_hand_is_checked_when_read():
    with pytest.raises(ParameterError, match="does not take perplexity"):
        RunSpec.from_dict({"method": "umap", "projection": {"perplexity": 5}})
    with pytest.raises(ParameterError, match="A run spec has no colour"):
        RunSpec.from_dict({"method": "pca", "colour": "red"})


# ---------------------------------------------------------------- a new entry


def test_a_new_llm_backend_is_one_class_and_reaches_every_face(monkeypatch, capsys):
    """A backend registered from its own file (here, this test) is loaded by its spec, its
    option becomes a flag of `embedviz explain`, and the doctor runs its check: no other
    file names it."""
    from embedviz.cli import build_parser
    from embedviz.doctor import run_checks
    from embedviz.llm import ChatModel, Check, load_llm, register
    from embedviz.params import Param

    monkeypatch.setattr("embedviz.llm._base.BACKENDS", dict(BACKENDS))
    import embedviz.llm._base as base

    monkeypatch.setattr("embedviz.llm.BACKENDS", base.BACKENDS)
    monkeypatch.setattr("embedviz.cli.BACKENDS", base.BACKENDS)
    monkeypatch.setattr("embedviz.doctor.BACKENDS", base.BACKENDS)

    @register
    class EchoChat(ChatModel):
        backend = kind = "echo"
        label = "Echo"
        example = "echo:NAME"
        options = (Param("loud", False, help="shout"),)

        def __init__(self, name: str, loud: bool = False):
            self.name, self.loud = name, loud

        def stream(self, messages, **kw):
            text = messages[-1]["content"]
            yield text.upper() if self.loud else text

        @classmethod
        def checks(cls):
            return [Check("echo", True, "always here")]

    assert load_llm("echo:x", loud=True).chat([{"role": "user", "content": "hi"}]) == "HI"
    args = build_parser().parse_args(["explain", "texts.txt", "--llm", "echo:x", "--loud"])
    assert args.loud is True
    assert any(c.name == "echo" for c in run_checks())
    with pytest.raises(ParameterError, match="loud must be true or false"):
        load_llm("echo:x", loud="very")


def test_the_readme_layout_names_every_public_module():
    from pathlib import Path

    root = Path(__file__).parents[1]
    readme = root.joinpath("README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Layout") :]
    package = root / "embedviz"
    public = [p for p in package.glob("*.py") if not p.name.startswith("_")]
    public += [p for p in package.iterdir() if p.is_dir() and (p / "__init__.py").exists()]
    missing = [p.name for p in public if f"embedviz/{p.name}" not in layout]
    assert not missing, f"README's Layout does not name {missing}"
