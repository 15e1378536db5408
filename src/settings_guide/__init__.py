"""The settings guide for image generation: YAML settings -> validated models -> pages -> site."""

__version__ = "0.1.0"
