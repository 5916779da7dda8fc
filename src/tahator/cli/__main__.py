"""``python -m tahator.cli``: the same as the ``tahator`` console script."""

from tahator.cli import main

if __name__ == "__main__":
    main()
