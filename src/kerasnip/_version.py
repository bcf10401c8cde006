"""The package version, in a module of its own so that the file format can record it
without importing the package's top."""

__version__ = "0.1.0.dev0"
