"""`python -m counterstack.terragrunt.run ARGS`: the runner as a `terragrunt` program.

What a shim named `terragrunt` on PATH execs, so commands written for Terragrunt (docs, staged
recipes) run unchanged against the local account where the binary is not installed.
"""

import os
import sys

from counterstack.terragrunt.run.main import terragrunt

if __name__ == "__main__":
    sys.exit(terragrunt(sys.argv[1:], os.getcwd()))
