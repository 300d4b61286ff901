# SPDX-License-Identifier: MIT
# Examples are built by `make` and `make check` so they never rot.
