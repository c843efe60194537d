"""`python -m draftbot` and the `draftbot` command: the command line.

The CLI is imported inside `run`, so a Ctrl-C while Python is still loading it ends with 已中断
(exit 130) like a Ctrl-C anywhere later, not with a traceback.
"""

import sys


def run() -> None:
    try:
        from draftbot.cli import main
    except KeyboardInterrupt:
        sys.stderr.write("已中断。\n")
        sys.exit(130)
    main()


if __name__ == "__main__":
    run()
