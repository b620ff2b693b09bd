import os
import stat

from livedigits.atomic import write_bytes_atomic


def test_never_overwrites_and_leaves_no_temporary_files(tmp_path):
    first = write_bytes_atomic(tmp_path / "a.png", b"one", overwrite=False)
    second = write_bytes_atomic(tmp_path / "a.png", b"two", overwrite=False)
    assert first.name == "a.png" and second.name == "a-1.png"
    assert first.read_bytes() == b"one" and second.read_bytes() == b"two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-1.png", "a.png"]


def test_overwrite_replaces_in_place(tmp_path):
    write_bytes_atomic(tmp_path / "m.npz", b"old")
    write_bytes_atomic(tmp_path / "m.npz", b"new")
    assert (tmp_path / "m.npz").read_bytes() == b"new"


def test_saved_files_follow_the_umask_not_private(tmp_path):
    # Regression: files came out 0600 (the temporary file's mode).
    from livedigits import atomic

    old = os.umask(0o022)
    atomic._UMASK = None
    try:
        path = write_bytes_atomic(tmp_path / "shared.png", b"x", overwrite=False)
    finally:
        os.umask(old)
        atomic._UMASK = None
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_file_systems_without_hard_links_still_never_overwrite(tmp_path, monkeypatch):
    # Regression: on FAT/exFAT and some network mounts os.link fails, and every save failed.
    def no_links(*args, **kwargs):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    first = write_bytes_atomic(tmp_path / "s.json", b"1", overwrite=False)
    second = write_bytes_atomic(tmp_path / "s.json", b"2", overwrite=False)
    assert (first.name, second.name) == ("s.json", "s-1.json")
    assert first.read_bytes() == b"1" and second.read_bytes() == b"2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s-1.json", "s.json"]
