#!/usr/bin/env bash
# Gradescope image setup for an Unrolled autograder: Python 3.11 and the grader's pinned
# packages (requirements.txt in this zip) in /opt/grader, plus bubblewrap for the sandbox.
# Nothing else is fetched: only Debian packages and the pinned wheels from PyPI.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq python3.11 python3.11-venv bubblewrap
/usr/bin/python3.11 -m venv /opt/grader  # the apt Python, which every user can run
/opt/grader/bin/python -m pip install --quiet --no-deps -r /autograder/source/requirements.txt
chmod -R a+rX /opt/grader  # the sandbox's user, nobody, runs this Python and NumPy
