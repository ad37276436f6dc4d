"""API version 1.2: v1.1 plus flexibility constraints and control signals (postUdiEvent and
getDeviceMessage come with the scheduling module) (seed chapter "Version 1.2")."""

from flexmeasures.api.v1_1 import v1_1

v1_2 = v1_1.derive("v1_2", "1.2")
