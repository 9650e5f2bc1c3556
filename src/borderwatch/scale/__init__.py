"""Scale-out: sector engines with track hand-over, the merged picture, and the process roles of ``serve``.

The engine stays single (:mod:`borderwatch.engine.stepper`): a sector engine is that engine given the sensors of
its sector and its overlap band, wrapped by :class:`~borderwatch.scale.sector_engine.SectorEngine`, which names
tracks across sectors and decides which sector shows a track.
"""
