"""The container log's records: streams and times kept, rotation, following across rotations."""

from __future__ import annotations

import threading
import time

from docker_magics.engine.logfile import (
    STDERR,
    STDOUT,
    CappedLog,
    follow_records,
    read_log,
    read_records,
)


def test_records_keep_stream_time_and_bytes(tmp_path):
    path = str(tmp_path / "log")
    with CappedLog(path) as log:
        log.write(b"out\n", STDOUT)
        log.write(b"\xff\xfe not utf-8\n", STDERR)
    got = list(read_records(path))
    assert [(r.stream, r.data) for r in got] == [
        (STDOUT, b"out\n"),
        (STDERR, b"\xff\xfe not utf-8\n"),
    ]
    assert 0 < got[0].time_ns <= got[1].time_ns
    assert read_log(path) == b"out\n\xff\xfe not utf-8\n"


def test_a_log_from_before_records_is_still_read_and_kept(tmp_path):
    path = tmp_path / "log"
    path.write_bytes(b"old plain output\n")
    assert [(r.stream, r.time_ns, r.data) for r in read_records(str(path))] == [
        (STDOUT, 0, b"old plain output\n")
    ]
    with CappedLog(str(path)) as log:  # a restart writes records after the old bytes
        log.write(b"new\n", STDERR)
    assert read_log(str(path)) == b"old plain output\nnew\n"


def test_following_loses_nothing_across_rotations(tmp_path):
    path = str(tmp_path / "log")
    lines = [f"line {i:05d}\n".encode() for i in range(1000)]
    done = threading.Event()
    started = threading.Event()

    def writer() -> None:
        started.wait(10)
        # A cap of 4 KiB: the log rotates every ~170 lines, six times while followed.
        with CappedLog(path, max_bytes=4096) as log:
            for i, line in enumerate(lines):
                log.write(line, STDERR if i % 7 == 0 else STDOUT)
                log.flush()
                time.sleep(0.002)  # a busy program's pace; rotations come every ~0.4 s
        done.set()

    t = threading.Thread(target=writer)
    t.start()
    got = []
    for r in follow_records(path, lambda: not done.is_set(), poll=0.001):
        if r is None:
            started.set()
            continue
        got.append(r.data)
    t.join()
    assert b"".join(got) == b"".join(lines)
