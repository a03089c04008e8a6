"""python3 -m dmasleuth_triage: the same as the dmasleuth-triage command."""
import sys

from . import cli

sys.exit(cli.main())
