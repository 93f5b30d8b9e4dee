"""Test doubles: in-process fakes of the services AuraOS talks to."""
