"""API version 1.3: v1.2 with scheduling through jobs (seed chapter "Version 1.3")."""

from flexmeasures.api.v1_2 import v1_2

v1_3 = v1_2.derive("v1_3", "1.3")
