"""API version 1.3: v1.2 with scheduling through jobs: postUdiEvent enqueues the schedule
and getDeviceMessage reads the job's result (seed chapter "Version 1.3", change log
v1.3-0)."""

from flexmeasures.api.v1_2 import v1_2

v1_3 = v1_2.derive("v1_3", "1.3", schedule_in_job=True)
