"""The compiled policies' code cache: a policy loaded before is not compiled again, and the cache can
neither change a decision nor grow without bound nor be read from a folder others can write to."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_api import SMALL

from jinjiang_dsl import compile as compiled
from jinjiang_dsl import policy_from_source

APPLICANT = {"id": "A", "projects": [{"id": "P", "date": "2023-06-01", "investment": "1000000.05"}]}


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "jinjiang-dsl"


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("code-*.marshal"))


def total(source: str) -> str:
    return str(policy_from_source(source).evaluate_applicant(APPLICANT).total)


def test_a_policy_loaded_again_reads_its_code_from_the_cache(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert total(SMALL) == "200000.01"
    [entry] = entries(cache)
    assert entry.stat().st_mode & 0o777 == 0o600

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("compiled again")

    monkeypatch.setattr(compiled, "compile", refuse, raising=False)  # the module's own name shadows the builtin
    assert total(SMALL) == "200000.01"
    assert entries(cache) == [entry]


def test_a_changed_policy_is_a_new_entry_and_decides_by_its_own_text(cache: Path) -> None:
    assert total(SMALL) == "200000.01"
    assert total(SMALL.replace("20% of", "25% of")) == "250000.01"
    assert len(entries(cache)) == 2
    assert total(SMALL) == "200000.01"


@pytest.mark.parametrize("garbage", [b"", b"\x00garbage", b"\xe3" + b"\x00" * 40])
def test_an_entry_that_does_not_read_back_is_compiled_again_and_replaced(cache: Path, garbage: bytes) -> None:
    total(SMALL)
    [entry] = entries(cache)
    good = entry.read_bytes()
    entry.write_bytes(garbage)
    assert total(SMALL) == "200000.01"
    assert entry.read_bytes() == good


def test_an_entry_that_holds_something_other_than_code_is_not_run(cache: Path) -> None:
    import marshal

    total(SMALL)
    [entry] = entries(cache)
    entry.write_bytes(marshal.dumps(["not code"]))
    assert total(SMALL) == "200000.01"


def test_the_cache_keeps_only_the_newest_entries(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compiled, "MAX_CACHED_CODES", 2)
    for rate in ("10%", "11%", "12%"):
        total(SMALL.replace("20%", rate))
    assert len(entries(cache)) == 2
    assert not list(cache.glob(".code-*"))  # no half-written file left behind


def test_a_folder_others_can_write_to_holds_no_code(cache: Path) -> None:
    cache.mkdir(mode=0o700)
    cache.chmod(0o777)  # anyone could plant code here now
    assert total(SMALL) == "200000.01"
    assert entries(cache) == []


def test_a_cache_that_cannot_be_written_only_costs_time(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(compiled.tempfile, "mkstemp", full)
    assert total(SMALL) == "200000.01"
    assert entries(cache) == []


def test_a_cache_folder_that_is_a_file_is_not_used(cache: Path) -> None:
    cache.write_text("not a folder")
    assert total(SMALL) == "200000.01"
