"""``python -m councilsurvey.dev.synth``: see :mod:`councilsurvey.dev.synth.cli`."""

from councilsurvey.dev.synth.cli import main

if __name__ == "__main__":
    main()
