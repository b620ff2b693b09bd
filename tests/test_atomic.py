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
