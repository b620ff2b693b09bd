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
    atomic.reread_umask()
    try:
        path = write_bytes_atomic(tmp_path / "shared.png", b"x", overwrite=False)
    finally:
        os.umask(old)
        atomic.reread_umask()
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


def test_links_and_special_files_are_never_written_through_or_replaced(tmp_path):
    import pytest

    from livedigits.atomic import UnsafeTarget
    from livedigits.errors import LivedigitsError

    target = tmp_path / "kept.csv"
    target.write_bytes(b"precious")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    for path in (link, fifo, tmp_path, "/dev/null"):
        with pytest.raises(UnsafeTarget) as raised:
            write_bytes_atomic(path, b"new")
        assert isinstance(raised.value, OSError) and isinstance(raised.value, LivedigitsError)
        assert str(raised.value).startswith(f"{path}: is a")
    assert link.is_symlink() and target.read_bytes() == b"precious"
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo.csv", "kept.csv", "link.csv"]
    # never-overwriting writes step past a link to a free name
    assert write_bytes_atomic(link, b"new", overwrite=False).name == "link-1.csv"
    assert target.read_bytes() == b"precious"


def test_batch_csv_on_a_link_is_a_one_line_error(tmp_path):
    import pytest

    from livedigits.errors import LivedigitsError
    from livedigits.pages.batch_results import write_csv

    (tmp_path / "r.jsonl").write_text('{"image": "x.png", "text": "1"}\n')
    elsewhere = tmp_path / "elsewhere.csv"
    link = tmp_path / "t.csv"
    link.symlink_to(elsewhere)
    with pytest.raises(LivedigitsError, match="is a symbolic link") as raised:
        write_csv(tmp_path / "r.jsonl", link)
    assert "\n" not in str(raised.value)
    assert link.is_symlink() and not elsewhere.exists()
