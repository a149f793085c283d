"""tuneloop: make a chat model good at one domain, then keep it good in production."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tuneloop")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

__all__ = ["__version__"]
