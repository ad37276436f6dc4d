"""API version 2.0: v1.3 with recording times inferred from the message's arrival (seed
chapter "Version 2.0", change log v2.0-2)."""

from flexmeasures.api.v1_3 import v1_3

v2_0 = v1_3.derive("v2_0", "2.0", infer_recording_time_at_arrival=True)
