"""What a build raises: BuildFailed when it must not publish, Superseded when a newer build already serves."""

from __future__ import annotations


class BuildFailed(Exception):
    pass


class Superseded(BuildFailed):
    """A newer build has been published: this one must not replace it."""
