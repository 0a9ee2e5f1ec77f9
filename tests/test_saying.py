"""Every command says what happened (issue 19): a model change, an interrupted build, an index
still being built, inputs still skipped."""
from __future__ import annotations

from conftest import SEEDS, run


def test_a_model_change_is_refused_before_the_model_is_loaded(runner, seeds_index, monkeypatch):
    def no_loading(*args, **kwargs):
        raise AssertionError("the model was loaded (or downloaded) before the refusal")

    monkeypatch.setattr("index.embedding.choose.load_index_embedder", no_loading)
    result = run(runner, "index", SEEDS, "--model", "foo/bar", "--index", seeds_index)
    assert result.exit_code == 1
    assert result.stderr == (f"Error: the index at {seeds_index} was built with model intfloat/multilingual-e5-small; "
                             f"changing it to 'foo/bar' needs a full rebuild: lintas index --rebuild --model foo/bar\n")


def test_searching_while_the_first_index_is_built_names_the_builder(runner, tmp_path):
    import os

    from index.storage import store

    index_dir = tmp_path / "index"
    with store.writer_lock(index_dir):  # what a first `lintas index` holds until it commits
        result = run(runner, "search", "Putin", "--index", index_dir)
    assert result.exit_code == 1
    assert result.stderr == (f"Error: no index at {index_dir} yet: one is being built (lintas index, pid "
                             f"{os.getpid()}); try again when it has finished\n")
    after = run(runner, "search", "Putin", "--index", index_dir)  # the build stopped, leaving no index
    assert after.stderr == f"Error: no index at {index_dir}; run lintas index first\n"
