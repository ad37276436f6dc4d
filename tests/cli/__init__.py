"""Tests of the flexmeasures command line."""
