"""The chaos soak: `storebridge run` (or workers) under faults, kills and store life.

`python -m bench.soak --minutes 10 [--storage postgresql]` (`make soak`)
starts the sandbox store and StoreBridge as real processes, plays a shop's
life against them while injecting faults, SIGKILLs StoreBridge at random
moments, then lets everything settle with the faults off and checks the
invariants of docs/reliability.md.  Modules:

* `world`: the folder, the configuration, the storage and the processes;
* `chaos`: the run itself (store life, faults, kills, probes) and its figures;
* `checks`: the invariants, checked after the settle;
* `report`: the "Soak" section of docs/reliability.md;
* `cli`: the command line.
"""
