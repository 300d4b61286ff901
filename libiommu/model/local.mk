# SPDX-License-Identifier: MIT
# The software VT-d unit (hardware side) and the sim platform: arrives with
# the model issue.
