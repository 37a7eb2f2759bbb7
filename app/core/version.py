"""The version of the installed package (pyproject's `version`): the contract's
`info.version` and `coach-api --version`."""

from importlib import metadata

PACKAGE = "coach-api"
FALLBACK_VERSION = "0.0.0"  # run from a source tree that was never installed


def package_version() -> str:
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return FALLBACK_VERSION
