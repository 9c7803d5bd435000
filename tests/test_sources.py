"""Where documents come from: files, stdin, mboxes and Maildirs, read lazily and capped."""

from __future__ import annotations

import pytest

from mailcheck.errors import BadInput
from mailcheck.sources import SourceSpec, open_sources, read_mbox


def test_an_mbox_yields_each_message_with_from_quoting_undone(tmp_path):
    mbox = tmp_path / "in.mbox"
    mbox.write_bytes(
        b"From a@example Mon Jan  1 00:00:00 2026\nSubject: one\n\n>From the start\n\n"
        b"From b@example Mon Jan  1 00:00:01 2026\r\nSubject: two\r\n\r\nbody\r\n"
    )
    messages = list(read_mbox(str(mbox)))
    assert [m.label for m in messages] == [f"{mbox}#1", f"{mbox}#2"]
    assert messages[0].data == b"Subject: one\n\nFrom the start\n"
    assert messages[1].data == b"Subject: two\r\n\r\nbody\r\n"
    assert not any(m.truncated for m in messages)


def test_a_document_over_the_cap_is_cut_and_its_size_kept(tmp_path):
    big = tmp_path / "big.eml"
    big.write_bytes(b"Subject: big\n\n" + b"x" * 5000)
    (source,) = open_sources(SourceSpec(files=(str(big),), max_size=1024))
    assert len(source.data) == 1024 and source.size == 5014 and source.truncated


def test_a_maildir_reads_new_then_cur(tmp_path):
    for folder, name in (("cur", "1.a"), ("new", "2.b")):
        (tmp_path / folder).mkdir(exist_ok=True)
        (tmp_path / folder / name).write_bytes(f"Subject: {name}\n\n".encode())
    (tmp_path / "tmp").mkdir()
    sources = list(open_sources(SourceSpec(maildirs=(str(tmp_path),))))
    assert [s.data for s in sources] == [b"Subject: 2.b\n\n", b"Subject: 1.a\n\n"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (SourceSpec(), "give a FILE, '-' for stdin, --mbox FILE or --maildir DIR"),
        (SourceSpec(files=("nope.eml",)), "nope.eml: no such file"),
        (SourceSpec(mboxes=("nope.mbox",)), "--mbox nope.mbox: no such file"),
        (SourceSpec(maildirs=("nope",)), "--maildir nope: no such directory"),
        (SourceSpec(files=("-", "-")), "'-' (stdin) can be given once"),
    ],
)
def test_paths_that_cannot_be_read_are_bad_input_before_any_work(spec, message):
    with pytest.raises(BadInput) as caught:
        open_sources(spec)
    assert str(caught.value) == message


def test_a_folder_that_is_a_maildir_gets_a_hint(tmp_path):
    (tmp_path / "cur").mkdir()
    with pytest.raises(BadInput, match="is a directory \\(a Maildir\\? use --maildir\\)"):
        open_sources(SourceSpec(files=(str(tmp_path),)))
