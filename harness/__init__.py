"""isobench: the same workloads as native executables, Docker containers and WASI modules."""

__version__ = "0.1.0"
