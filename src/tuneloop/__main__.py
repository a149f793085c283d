"""``python -m tuneloop``: the same as the ``tuneloop`` command."""

from tuneloop.cli.main import run

if __name__ == "__main__":
    run()
