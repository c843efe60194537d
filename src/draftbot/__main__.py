"""`python -m draftbot`: the command line."""

from draftbot.cli import main

if __name__ == "__main__":
    main()
