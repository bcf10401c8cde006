"""Garbage collection that follows memory growth instead of running at every fit."""

import pytest

from kerasnip.runtime import memory


def test_garbage_collection_follows_memory_growth(monkeypatch):
    collections = []
    garbage = [5000]  # unreachable objects the next collection finds
    rss = [1000.0]
    monkeypatch.setattr(memory.gc, "collect", lambda *args: collections.append(rss[0]) or (
        garbage[0]))
    monkeypatch.setattr(memory, "_rss_mb", lambda: rss[0])
    monkeypatch.setattr(memory, "_collection", {"rss": -float("inf"), "backoff": 1})
    monkeypatch.setenv("KERASNIP_GC_MB", "10")
    for rss[0] in (1000.0, 1005.0, 1010.0, 1015.0, 1020.0):
        memory.clear_session()
    assert collections == [1000.0, 1010.0, 1020.0]  # every 10 MiB of growth
    garbage[0] = 0  # collections that find nothing back off: 20, then 40 MiB
    for rss[0] in (1030.0, 1040.0, 1050.0, 1060.0, 1070.0, 1080.0, 1090.0, 1100.0, 1110.0):
        memory.clear_session()
    assert collections[3:] == [1030.0, 1050.0, 1090.0]
    monkeypatch.setenv("KERASNIP_GC_MB", "0")  # every time, as Keras's clear_session
    memory.clear_session()
    memory.clear_session()
    assert len(collections) == 8
    monkeypatch.setenv("KERASNIP_GC_MB", "lots")
    with pytest.raises(ValueError, match="KERASNIP_GC_MB must be a number"):
        memory.clear_session()
