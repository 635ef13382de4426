"""Data: the embedded default calibration (and, later, SSDA903 and DfE readers)."""
