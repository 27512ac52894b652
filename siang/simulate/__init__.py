"""``siang simulate``: one city through a whole PB cycle under faults (issue 17).

:mod:`siang.simulate.city` runs the stages; :mod:`~siang.simulate.run` starts the
processes; :mod:`~siang.simulate.residents` and :mod:`~siang.simulate.staff` are the
actors (the emulator and the admin only); :mod:`~siang.simulate.inputs` the real
data; :mod:`~siang.simulate.invariants` and :mod:`~siang.simulate.report` the end.
"""
