from __future__ import annotations

from tests.sync.sync_helpers import World, raw


async def test_smoke(world: World) -> None:
    world.pos.put(raw("A-1", "12.50", 4))
    world.pos.put(raw("B-2", "3.00", 0, sale_price="2.50"))
    run = await world.sync()
    print(run.report)
    print(world.docs())
    print(world.links())
    run2 = await world.sync()
    print(run2.report)
    assert 0
