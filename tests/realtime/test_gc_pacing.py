"""Full garbage collections run after a broadcast, not whenever CPython's counters say."""

from __future__ import annotations

import asyncio
import gc

import pytest

from realtime import gc_pacing


@pytest.fixture
def paced(monkeypatch):
    collected: list[int] = []
    real_collect = gc.collect

    def counting_collect(*args) -> int:
        collected.append(1)
        return real_collect(*args)

    yield monkeypatch, collected, counting_collect
    gc_pacing.uninstall()


def test_automatic_full_collections_are_off_once_installed_and_back_after(paced):
    before = gc.get_threshold()

    async def main() -> tuple:
        gc_pacing.install()
        return gc.get_threshold()

    during = asyncio.run(main())
    assert during[:2] == before[:2] and during[2] == gc_pacing.NEVER
    gc_pacing.uninstall()
    assert gc.get_threshold() == before


def test_a_broadcast_is_followed_by_one_collection_per_interval(paced):
    monkeypatch, collected, counting_collect = paced

    async def main() -> None:
        gc_pacing.install()
        monkeypatch.setattr(gc, "collect", counting_collect)
        monkeypatch.setattr(gc_pacing, "MIN_INTERVAL_S", 0.0)
        gc_pacing.after_burst()
        gc_pacing.after_burst()  # already pending: one collection for both
        await asyncio.sleep(0.2)
        assert len(collected) == 1
        monkeypatch.setattr(gc_pacing, "MIN_INTERVAL_S", 3600.0)
        gc_pacing.after_burst()  # too soon after the last one
        await asyncio.sleep(0.2)
        assert len(collected) == 1

    asyncio.run(main())


def test_without_pacing_a_broadcast_collects_nothing(paced):
    monkeypatch, collected, counting_collect = paced
    monkeypatch.setattr(gc, "collect", counting_collect)
    gc_pacing.after_burst()
    assert collected == []
