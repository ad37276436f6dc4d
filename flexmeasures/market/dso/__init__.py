"""National Grid DSO flexibility services: product codes, clock times, dispatch and readings.

National Grid DSO runs three platforms (seed ``national-grid-dso-api-guidance.txt``): the
Connected Data Portal and Market Gateway, which speak UK clock time, and the Flexible Power
Portal, whose API speaks UTC. ``products`` translates product codes between Market Gateway
and the Flexible Power Portal, ``clock`` converts times between the platforms, ``dispatch``
turns a dispatch instruction into power commitments the scheduler honours, and
``readings`` exports meter readings of a meterable unit. ``products``, ``clock`` and the
cores of ``dispatch`` and ``readings`` are pure (no Flask, no database).
"""
