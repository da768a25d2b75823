"""Bytes that reach a dask scheduler: task graphs and scattered data.

Used by ``tests/test_distributed.py`` and ``benchmarks/dask_cluster.py`` to
show that the fitted memory travels once.  The scheduler of a
``LocalCluster`` (or of an in-process ``Client``) lives in this process, so
its handlers can be watched directly:

- ``graph``: every task the scheduler is given, its run spec pickled (what
  the client sent for it and the scheduler forwards to a worker; scattered
  data it refers to counts as a reference only);
- ``scattered``: the sizes of the data scattered to the workers (reported
  by the client through ``update_data`` or sent through ``scatter``).
"""

from dask.sizeof import sizeof
from distributed.diagnostics.plugin import SchedulerPlugin
from distributed.protocol import pickle


class SchedulerBytes(SchedulerPlugin):
    """Count what enters ``scheduler`` while inside ``with counter:``."""

    name = "skhopfield-scheduler-bytes"

    def __init__(self, scheduler):
        self.scheduler = scheduler
        self.active = False
        self.reset()
        scheduler.add_plugin(self, name=self.name)
        handlers = scheduler.handlers
        update_data, scatter = handlers["update_data"], handlers["scatter"]

        def on_update_data(*args, nbytes=None, **kwargs):
            if self.active and nbytes:
                self.scattered += sum(max(int(n), 0) for n in nbytes.values())
                self.n_scattered += len(nbytes)
            return update_data(*args, nbytes=nbytes, **kwargs)

        async def on_scatter(*args, data=None, **kwargs):
            if self.active and data:
                self.scattered += sum(_size(v) for v in data.values())
                self.n_scattered += len(data)
            return await scatter(*args, data=data, **kwargs)

        handlers["update_data"] = on_update_data
        handlers["scatter"] = on_scatter

    def reset(self):
        self.graph = 0
        self.scattered = 0
        self.n_tasks = 0
        self.n_scattered = 0
        self.largest_graph = 0

    @property
    def total(self):
        return self.graph + self.scattered

    def __enter__(self):
        self.reset()
        self.active = True
        return self

    def __exit__(self, *exc):
        self.active = False

    def update_graph(self, scheduler, *, tasks, **kwargs):
        if not self.active:
            return
        size = 0
        for key in tasks:
            ts = scheduler.tasks.get(key)
            if ts is not None and ts.run_spec is not None:
                size += len(pickle.dumps(ts.run_spec))
                self.n_tasks += 1
        self.graph += size
        self.largest_graph = max(self.largest_graph, size)


def _size(value):
    nbytes = getattr(value, "nbytes", None)  # distributed's Serialized
    return int(nbytes) if isinstance(nbytes, int) else int(sizeof(value))
